// PostgreSQL backend over libpq: parameterized prepared statements, text
// results, SQLSTATE mapped onto the store's error codes.

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/log.h"
#include "store/errors.h"
#include "store/sql.h"

namespace parley::store {
namespace {

constexpr SqlDialect kPgDialect{
    .name = "postgresql",
    .serial_key = "BIGSERIAL PRIMARY KEY",
    .blob_type = "BYTEA",
    .int64_key = "BIGINT PRIMARY KEY",
    .keyed_table = "",  // a heap and its key's index either way
    // Sequence values are handed out before commit, so concurrent writers
    // could commit seq 11 before seq 10 and a poller at 11 would never see
    // 10. Holding this lock until commit makes seq order the commit order
    // (readers are not blocked).
    .lock_changes = "LOCK TABLE changes IN EXCLUSIVE MODE",
    .lock_migrate = "SELECT pg_advisory_xact_lock(7212357911)",
    .embedded = false,
    .last_insert_id = "",  // RETURNING id: no second round trip
};

int MapSqlState(const char* state) {
  std::string_view s = state != nullptr ? state : "";
  if (s.starts_with("23")) return kErrConstraint;
  if (s == "40001" || s == "40P01" || s == "55P03") return kErrBusy;
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03") return kErrUnavailable;
  if (s.starts_with("22")) return kErrInvalid;
  return kErrIo;
}

std::string FirstLine(const char* msg) {
  std::string s = msg != nullptr ? msg : "";
  size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

// Type OIDs (pg_type.h) given to PQprepare, so a parameter has a type even
// where the statement does not imply one (INSERT … SELECT $1). Text stays
// 0 ("unknown"): the server infers it from the column it meets.
constexpr Oid kInt8Oid = 20;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kByteaOid = 17;

Oid TypeOf(const SqlParam& p) {
  if (std::holds_alternative<int64_t>(p)) return kInt8Oid;
  if (std::holds_alternative<double>(p)) return kFloat8Oid;
  if (std::holds_alternative<SqlBlob>(p)) return kByteaOid;
  return 0;
}

// Numbers and text go in text format, blobs in binary (raw bytes).
std::string ToText(const SqlParam& p) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string(v);
        } else if constexpr (std::is_same_v<T, SqlBlob>) {
          return std::string(v.bytes);
        } else {
          char buf[32];
          auto r = std::to_chars(buf, buf + sizeof(buf), v);
          return std::string(buf, r.ptr);
        }
      },
      p);
}

// A bytea in text output format ("\x" + hex, bytea_output = hex) back to
// its bytes.
std::string DecodeBytea(const char* p, size_t n) {
  if (n < 2 || p[0] != '\\' || p[1] != 'x') return std::string(p, n);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
  };
  std::string out((n - 2) / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(nibble(p[2 + 2 * i]) << 4 | nibble(p[3 + 2 * i]));
  }
  return out;
}

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

class PgConnection final : public SqlConnection {
 public:
  PgConnection(PGconn* conn, bool durable) : conn_(conn), durable_(durable) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  const SqlDialect& dialect() const override { return kPgDialect; }

  Result<void> Setup() {
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    std::string sql = "SET client_min_messages = warning; SET bytea_output = hex";
    if (!durable_) sql += "; SET synchronous_commit = off";
    return ExecScript(sql);
  }

  // A statement outside a transaction that failed because the server
  // dropped the connection (restart, idle kill) is retried once on a new
  // one. Safe: such statements are single idempotent writes or reads.
  Result<int64_t> Exec(const std::string& sql, std::span<const SqlParam> params, SqlRows* rows) override {
    bool in_txn = in_txn_;
    auto r = ExecOnce(sql, params, rows);
    if (!r.ok() && !in_txn && r.error().code == kErrUnavailable) r = ExecOnce(sql, params, rows);
    return r;
  }

  Result<void> ExecScript(std::string_view sql) override {
    bool in_txn = in_txn_;
    auto r = ExecScriptOnce(sql);
    if (!r.ok() && !in_txn && r.error().code == kErrUnavailable) r = ExecScriptOnce(sql);
    return r;
  }

  Result<void> Begin(Durability d) override {
    // SET LOCAL ends with the transaction.
    if (durable_ && d == Durability::kCommit) return ExecScript("BEGIN; SET LOCAL synchronous_commit = off");
    return ExecScript("BEGIN");
  }

  Result<void> Commit() override {
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Error(kErrUnavailable, "postgresql: connection lost before COMMIT; the transaction was rolled back");
    }
    PgResult res(PQexec(conn_, "COMMIT"));
    Observe();
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      if (PQstatus(conn_) != CONNECTION_OK) {
        return Error(kErrUnavailable, "postgresql: connection lost during COMMIT; outcome unknown");
      }
      return Fail(res.get(), "commit");
    }
    // COMMIT of a transaction that had failed answers "ROLLBACK".
    if (std::string_view(PQcmdStatus(res.get())) != "COMMIT") {
      return Error(kErrIo, "postgresql: the transaction was rolled back");
    }
    return Ok();
  }

  Result<void> Rollback() override {
    if (PQstatus(conn_) != CONNECTION_OK) {  // the server dropped the transaction
      in_txn_ = false;
      return Ok();
    }
    PgResult res(PQexec(conn_, "ROLLBACK"));
    Observe();
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK && PQstatus(conn_) == CONNECTION_OK) {
      return Fail(res.get(), "rollback");
    }
    in_txn_ = false;
    return Ok();
  }

 private:
  Result<int64_t> ExecOnce(const std::string& sql, std::span<const SqlParam> params, SqlRows* rows) {
    if (auto r = EnsureConnected(); !r.ok()) return r.error();
    auto name = Prepare(sql, params);
    if (!name.ok()) return name.take_error();
    std::vector<std::string> text;
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    text.reserve(params.size());
    values.reserve(params.size());
    lengths.reserve(params.size());
    formats.reserve(params.size());
    for (const auto& p : params) {
      text.push_back(ToText(p));
      values.push_back(text.back().c_str());  // never null: null is SQL NULL
      lengths.push_back(static_cast<int>(text.back().size()));
      formats.push_back(TypeOf(p) == kByteaOid ? 1 : 0);
    }
    PgResult res(PQexecPrepared(conn_, name->c_str(), static_cast<int>(values.size()), values.data(),
                                lengths.data(), formats.data(), 0));
    Observe();
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(res.get(), "exec");
    if (rows != nullptr) {
      int nf = PQnfields(res.get());
      int nt = PQntuples(res.get());
      rows->Reset(static_cast<size_t>(nf));
      std::vector<bool> bytea(static_cast<size_t>(nf));
      for (int f = 0; f < nf; ++f) bytea[f] = PQftype(res.get(), f) == kByteaOid;
      for (int t = 0; t < nt; ++t) {
        for (int f = 0; f < nf; ++f) {
          const char* v = PQgetvalue(res.get(), t, f);
          auto n = static_cast<size_t>(PQgetlength(res.get(), t, f));
          rows->Add(bytea[f] ? DecodeBytea(v, n) : std::string(v, n));
        }
      }
    }
    const char* tuples = PQcmdTuples(res.get());
    return static_cast<int64_t>(tuples[0] != '\0' ? std::strtoll(tuples, nullptr, 10) : 0);
  }

  Result<void> ExecScriptOnce(std::string_view sql) {
    if (auto r = EnsureConnected(); !r.ok()) return r;
    std::string text(sql);
    PgResult res(PQexec(conn_, text.c_str()));
    Observe();
    ExecStatusType st = PQresultStatus(res.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(res.get(), "exec");
    return Ok();
  }

  // Reconnects a lost connection, but never in the middle of a transaction:
  // its earlier statements are gone, and going on in autocommit would
  // commit the rest alone.
  Result<void> EnsureConnected() {
    if (PQstatus(conn_) == CONNECTION_OK) return Ok();
    if (in_txn_) return Error(kErrUnavailable, "postgresql: connection lost inside a transaction");
    PQreset(conn_);
    prepared_.clear();
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Error(kErrUnavailable, "postgresql: reconnect failed: " + FirstLine(PQerrorMessage(conn_)));
    }
    PLOG_WARN("store_reconnected", {{"backend", "postgresql"}});
    return Setup();
  }

  void Observe() {
    switch (PQtransactionStatus(conn_)) {
      case PQTRANS_IDLE: in_txn_ = false; break;
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR: in_txn_ = true; break;
      default: break;  // unknown (connection lost): keep what we knew
    }
  }

  Result<std::string> Prepare(const std::string& sql, std::span<const SqlParam> params) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second;
    std::string name = "p" + std::to_string(next_id_++);
    std::vector<Oid> types;
    types.reserve(params.size());
    for (const auto& p : params) types.push_back(TypeOf(p));
    PgResult res(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()));
    Observe();
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) return Fail(res.get(), "prepare");
    prepared_.emplace(sql, name);
    return name;
  }

  Error Fail(const PGresult* res, std::string_view what) const {
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Error(kErrUnavailable, "postgresql: connection lost: " + FirstLine(PQerrorMessage(conn_)));
    }
    const char* msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    return Error(MapSqlState(state), "postgresql: " + FirstLine(msg) + " (" + std::string(what) + ")");
  }

  PGconn* conn_;
  bool durable_;
  bool in_txn_ = false;
  int next_id_ = 0;
  std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& conninfo, bool durable) {
  // A default connect timeout; the caller's conninfo, expanded from
  // "dbname", overrides it.
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* values[] = {"10", conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return Error(kErrUnavailable, "postgresql: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Error(kErrUnavailable, "postgresql: cannot connect: " + msg);
  }
  auto pg = std::make_unique<PgConnection>(conn, durable);
  if (auto r = pg->Setup(); !r.ok()) return r.error();
  PLOG_DEBUG("store_open", {{"backend", "postgresql"}, {"durable", durable ? 1 : 0}});
  return std::unique_ptr<SqlConnection>(std::move(pg));
}

}  // namespace parley::store
