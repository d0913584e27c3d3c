// SQLite backend: one connection in WAL mode, statements cached by text.

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/log.h"
#include "store/errors.h"
#include "store/sql.h"
#include "store/sqlite_checkpointer.h"

namespace parley::store {
namespace {

// How long a writer waits for another connection's write transaction (a
// parleyctl import, another process) before reporting kErrBusy.
constexpr int kBusyTimeoutMs = 10000;

constexpr SqlDialect kSqliteDialect{
    .name = "sqlite",
    .serial_key = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .blob_type = "BLOB",
    // The rowid itself: no second b-tree for the key.
    .int64_key = "INTEGER PRIMARY KEY",
    .keyed_table = " WITHOUT ROWID",
    .lock_changes = "",  // one writer at a time: seq order is commit order
    .lock_migrate = "",  // BEGIN IMMEDIATE already serializes
    .embedded = true,
    .last_insert_id = "SELECT last_insert_rowid()",
};

int MapCode(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return kErrBusy;
    case SQLITE_CONSTRAINT: return kErrConstraint;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB: return kErrUnavailable;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return kErrInvalid;
    default: return kErrIo;
  }
}

// "$3" placeholders (the shared SQL text) become SQLite's "?3".
std::string ToSqlitePlaceholders(const std::string& sql) {
  std::string out = sql;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '$' && out[i + 1] >= '0' && out[i + 1] <= '9') out[i] = '?';
  }
  return out;
}

std::string FormatDouble(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    if (checkpointer_) {
      sqlite3_wal_hook(db_, nullptr, nullptr);
      checkpointer_.reset();  // joins its thread and closes its connection first
    }
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const SqlDialect& dialect() const override { return kSqliteDialect; }

  Result<int64_t> Exec(const std::string& sql, std::span<const SqlParam> params, SqlRows* rows) override {
    auto stmt = Prepare(sql);
    if (!stmt.ok()) return stmt.take_error();
    sqlite3_stmt* s = *stmt;
    struct Reset {  // never leave a statement holding a read snapshot
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{s};
    if (static_cast<size_t>(sqlite3_bind_parameter_count(s)) != params.size()) {
      return Error(kErrInvalid, "sqlite: wrong parameter count for: " + sql);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, int64_t>) {
              return sqlite3_bind_int64(s, idx, v);
            } else if constexpr (std::is_same_v<T, double>) {
              return sqlite3_bind_double(s, idx, v);
            } else if constexpr (std::is_same_v<T, SqlBlob>) {
              // A null data pointer would bind NULL: an empty blob is a zeroblob.
              if (v.bytes.empty()) return sqlite3_bind_zeroblob(s, idx, 0);
              return sqlite3_bind_blob64(s, idx, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
            } else {
              return sqlite3_bind_text64(s, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) return Fail(rc, "bind");
    }
    if (rows != nullptr) rows->Reset(static_cast<size_t>(sqlite3_column_count(s)));
    for (;;) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Fail(rc, "step");
      if (rows == nullptr) continue;
      int n = sqlite3_column_count(s);
      for (int c = 0; c < n; ++c) rows->Add(Column(s, c));
    }
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  Result<void> ExecScript(std::string_view sql) override {
    std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Fail(rc, "exec");
    return Ok();
  }

  Result<void> Begin(Durability d) override {
    // The safety level cannot change inside a transaction: set it first,
    // and only when it differs from the last one.
    bool full = durable_ && d == Durability::kDisk;
    if (full != full_sync_) {
      if (auto r = ExecScript(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !r.ok()) return r;
      full_sync_ = full;
    }
    return Step(kBegin);
  }
  Result<void> Commit() override { return Step(kCommit); }
  Result<void> Rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return Ok();  // SQLite already rolled back
    return Step(kRollback);
  }

  // Sets the pragmas every connection needs; called once after opening.
  // A database file in WAL mode gets a background checkpointer.
  Result<void> Configure(const std::string& path, bool durable) {
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    std::string mode;
    if (auto r = QueryText("PRAGMA journal_mode=WAL", &mode); !r.ok()) return r;
    if (mode != "wal" && mode != "memory") return Error(kErrIo, "sqlite: cannot enable WAL (journal_mode=" + mode + ")");
    if (mode == "wal") {
      checkpointer_ = std::make_unique<SqliteCheckpointer>(path);
      checkpointer_->Attach(db_);
    }
    durable_ = durable;
    full_sync_ = durable;
    std::string sync = durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (auto r = ExecScript(sync); !r.ok()) return r;
    // Index pages of a large message queue stay in memory (the default
    // is 2 MiB; this is a bound, not an allocation).
    if (auto r = ExecScript("PRAGMA cache_size=-2048"); !r.ok()) return r;
    return ExecScript("PRAGMA foreign_keys=ON");
  }

 private:
  // Every transaction's statements, prepared once (sqlite3_exec would parse
  // them each time).
  static inline const std::string kBegin = "BEGIN IMMEDIATE";
  static inline const std::string kCommit = "COMMIT";
  static inline const std::string kRollback = "ROLLBACK";
  Result<void> Step(const std::string& sql) {
    auto r = Exec(sql, {}, nullptr);
    if (!r.ok()) return r.take_error();
    return Ok();
  }

  Result<sqlite3_stmt*> Prepare(const std::string& sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* s = nullptr;
    std::string text = ToSqlitePlaceholders(sql);
    int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()), SQLITE_PREPARE_PERSISTENT, &s,
                                nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(s);
      return Fail(rc, "prepare");
    }
    stmts_.emplace(sql, s);
    return s;
  }

  Result<void> QueryText(const char* sql, std::string* out) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &s, nullptr);
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        *out = Column(s, 0);
        rc = SQLITE_OK;
      }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_OK && rc != SQLITE_DONE) return Fail(rc, sql);
    return Ok();
  }

  static std::string Column(sqlite3_stmt* s, int c) {
    switch (sqlite3_column_type(s, c)) {
      case SQLITE_NULL: return {};
      case SQLITE_INTEGER: return std::to_string(sqlite3_column_int64(s, c));
      case SQLITE_FLOAT: return FormatDouble(sqlite3_column_double(s, c));
      case SQLITE_BLOB: {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(s, c));
        return std::string(p != nullptr ? p : "", static_cast<size_t>(sqlite3_column_bytes(s, c)));
      }
      default: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        return std::string(p, static_cast<size_t>(sqlite3_column_bytes(s, c)));
      }
    }
  }

  Error Fail(int rc, std::string_view what) const {
    return Error(MapCode(rc), "sqlite: " + std::string(sqlite3_errmsg(db_)) + " (" + std::string(what) + ")");
  }

  sqlite3* db_;
  bool durable_ = true;    // opened durable: kDisk commits sync
  bool full_sync_ = true;  // the synchronous level set now is FULL
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;
  std::unique_ptr<SqliteCheckpointer> checkpointer_;  // file databases only
};

// Creates the database file (and its directory) readable by us only: it
// holds HA1s, which are password equivalents. SQLite gives the -wal and -shm
// files the database file's permissions.
Result<void> PrepareFile(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !fs::exists(p.parent_path(), ec)) {
    fs::create_directories(p.parent_path(), ec);
    if (ec) return Error(kErrUnavailable, "cannot create " + p.parent_path().string() + ": " + ec.message());
    ::chmod(p.parent_path().c_str(), 0700);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  return Ok();
}

}  // namespace

Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path, bool durable) {
  if (path.empty()) return Error(kErrInvalid, "sqlite: empty database path");
  if (path != ":memory:") {
    if (auto r = PrepareFile(path); !r.ok()) return r.error();
  }
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error(kErrUnavailable, "sqlite: cannot open " + path + ": " + msg);
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  if (auto r = conn->Configure(path, durable); !r.ok()) return r.error();
  PLOG_DEBUG("store_open", {{"backend", "sqlite"}, {"path", path}, {"durable", durable ? 1 : 0}});
  return std::unique_ptr<SqlConnection>(std::move(conn));
}

}  // namespace parley::store
