#include "store/sql_store.h"

#include <charconv>
#include <limits>
#include <unordered_map>

#include "common/log.h"
#include "common/strings.h"
#include "store/errors.h"
#include "store/names.h"
#include "store/schema.h"
#include "store/sql_util.h"
#include "store/text.h"

namespace parley::store {
namespace {

// Rows per multi-row INSERT in ImportUsers (6 parameters each, far below
// both backends' parameter limits).
constexpr size_t kImportChunk = 128;

const std::string kInsertDomain = "INSERT INTO domains (domain) VALUES ($1) ON CONFLICT (domain) DO NOTHING";
const std::string kCountDomainUsers =
    "SELECT (SELECT COUNT(*) FROM users WHERE domain = $1) + (SELECT COUNT(*) FROM groups WHERE domain = $1)";
const std::string kDeleteDomain = "DELETE FROM domains WHERE domain = $1";
const std::string kListDomains = "SELECT domain FROM domains ORDER BY domain";

const std::string kUserColumns = "aor, username, domain, ha1_md5, ha1_sha256, enabled";
const std::string kUserUpsertTail =
    " ON CONFLICT (aor) DO UPDATE SET username = excluded.username, domain = excluded.domain,"
    " ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, enabled = excluded.enabled";
const std::string kUserExists = "SELECT 1 FROM users WHERE aor = $1";
const std::string kDeleteUser = "DELETE FROM users WHERE aor = $1";
// A user with their history setting (UserRecord.history, column 6): what the
// services ask about a user, in one read.
const std::string kSelectUserWithHistory =
    "SELECT " + kUserColumns +
    ", COALESCE((SELECT h.enabled FROM history_settings h WHERE h.aor = users.aor), 0) FROM users";
const std::string kGetUser = kSelectUserWithHistory + " WHERE aor = $1";
const std::string kCountUsers = "SELECT COUNT(*) FROM users";
const std::string kUsersAfter = kSelectUserWithHistory + " WHERE aor > $1 ORDER BY aor LIMIT $2";
const std::string kAorsWithPolicyEntries = "SELECT DISTINCT aor FROM policy_entries";
const std::string kListUsers = "SELECT " + kUserColumns + " FROM users ORDER BY aor";
const std::string kListDomainUsers = "SELECT " + kUserColumns + " FROM users WHERE domain = $1 ORDER BY aor";

const std::string kInsertChange = "INSERT INTO changes (kind, subject) VALUES ($1, $2)";

const std::string kBindingColumns =
    "aor, contact_uri, contact_params, instance, reg_id, q, expires_at, call_id, cseq, path, source,"
    " user_agent, updated_at, first_cseq";
const std::string kUpsertBinding =
    "INSERT INTO bindings (" + kBindingColumns +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    " ON CONFLICT (aor, contact_uri) DO UPDATE SET contact_params = excluded.contact_params,"
    " instance = excluded.instance, reg_id = excluded.reg_id, q = excluded.q, expires_at = excluded.expires_at,"
    " call_id = excluded.call_id, cseq = excluded.cseq, path = excluded.path, source = excluded.source,"
    " user_agent = excluded.user_agent, updated_at = excluded.updated_at, first_cseq = excluded.first_cseq";
const std::string kDeleteBinding = "DELETE FROM bindings WHERE aor = $1 AND contact_uri = $2";
const std::string kDeleteBindings = "DELETE FROM bindings WHERE aor = $1";
const std::string kLoadBindings = "SELECT " + kBindingColumns + " FROM bindings ORDER BY aor, contact_uri";
const std::string kLoadBindingsOf =
    "SELECT " + kBindingColumns + " FROM bindings WHERE aor = $1 ORDER BY contact_uri";
const std::string kDeleteExpired = "DELETE FROM bindings WHERE expires_at <= $1";

// One statement, so the mode and the entries come from one snapshot.
const std::string kGetPolicy =
    "SELECT 0, mode, '' FROM policy_modes WHERE aor = $1"
    " UNION ALL SELECT 1, action, pattern FROM policy_entries WHERE aor = $1 ORDER BY 1, 3";
const std::string kSetPolicyMode =
    "INSERT INTO policy_modes (aor, mode) VALUES ($1, $2) ON CONFLICT (aor) DO UPDATE SET mode = excluded.mode";
const std::string kSetPolicyEntry =
    "INSERT INTO policy_entries (aor, pattern, action) VALUES ($1, $2, $3)"
    " ON CONFLICT (aor, pattern) DO UPDATE SET action = excluded.action";
const std::string kRemovePolicyEntry = "DELETE FROM policy_entries WHERE aor = $1 AND pattern = $2";

const std::string kGetMeta = "SELECT value FROM meta WHERE name = $1";
const std::string kSetMeta =
    "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value";

const std::string kSchemaTable = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
const std::string kSchemaVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
const std::string kClearSchemaVersion = "DELETE FROM schema_version";
const std::string kSetSchemaVersion = "INSERT INTO schema_version (version) VALUES ($1)";

double ToDouble(const std::string& s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string Placeholders(size_t rows, size_t cols, std::string_view prefix = "") {
  std::string out;
  size_t n = 1;
  for (size_t r = 0; r < rows; ++r) {
    out += r == 0 ? "(" : ", (";
    out += prefix;
    for (size_t c = 0; c < cols; ++c) {
      if (c > 0) out += ", ";
      out += "$" + std::to_string(n++);
    }
    out += ")";
  }
  return out;
}

// A migration with the dialect's "{SERIAL}", "{BLOB}" and "{INT64_KEY}" filled in.
std::string ExpandDdl(std::string_view ddl, const SqlDialect& d) {
  std::string out(ddl);
  for (auto [token, value] : {std::pair{std::string_view("{SERIAL}"), d.serial_key},
                              std::pair{std::string_view("{BLOB}"), d.blob_type},
                              std::pair{std::string_view("{INT64_KEY}"), d.int64_key},
                              std::pair{std::string_view("{KEYED}"), d.keyed_table}}) {
    for (size_t pos = out.find(token); pos != std::string::npos; pos = out.find(token, pos + value.size())) {
      out.replace(pos, token.size(), value);
    }
  }
  return out;
}

// The normalized record, or why it cannot be stored.
Result<UserRecord> CanonicalUser(const UserRecord& in) {
  auto aor = NormalizeAor(in.aor);
  if (!aor.ok()) return aor.take_error();
  AorParts parts = SplitAor(*aor);
  if (!in.user.empty() && in.user != parts.user) {
    return Error(kErrInvalid, "user \"" + in.user + "\" does not match AOR " + *aor);
  }
  if (!in.domain.empty() && ToLower(in.domain) != parts.domain) {
    return Error(kErrInvalid, "domain \"" + in.domain + "\" does not match AOR " + *aor);
  }
  if (!IsLowerHex(in.ha1_md5, 32)) return Error(kErrInvalid, "ha1_md5 of " + *aor + " is not 32 lower-case hex digits");
  if (!IsLowerHex(in.ha1_sha256, 64)) {
    return Error(kErrInvalid, "ha1_sha256 of " + *aor + " is not 64 lower-case hex digits");
  }
  UserRecord out = in;
  out.user = std::string(parts.user);
  out.domain = std::string(parts.domain);
  out.aor = std::move(*aor);
  return out;
}

UserRecord UserFromRow(const SqlRows& rows, size_t r) {
  UserRecord u;
  u.aor = rows.at(r, 0);
  u.user = rows.at(r, 1);
  u.domain = rows.at(r, 2);
  u.ha1_md5 = rows.at(r, 3);
  u.ha1_sha256 = rows.at(r, 4);
  u.enabled = ToInt(rows.at(r, 5)) != 0;
  return u;
}

// A row of kSelectUserWithHistory.
UserRecord UserWithHistoryFromRow(const SqlRows& rows, size_t r) {
  UserRecord u = UserFromRow(rows, r);
  u.history = ToInt(rows.at(r, 6)) != 0;
  return u;
}

}  // namespace

SqlStore::SqlStore(std::unique_ptr<SqlConnection> conn)
    : conn_(std::move(conn)), last_insert_id_(conn_->dialect().last_insert_id) {}

void SqlStore::EndTransaction() {
  in_txn_ = false;
  txn_error_.reset();
  changes_locked_ = false;
}

Result<int64_t> SqlStore::Run(const std::string& sql, std::initializer_list<SqlParam> params, SqlRows* rows) {
  return RunSpan(sql, std::span<const SqlParam>(params.begin(), params.size()), rows);
}

Result<int64_t> SqlStore::RunSpan(const std::string& sql, std::span<const SqlParam> params, SqlRows* rows) {
  // PostgreSQL text holds neither NUL nor invalid UTF-8: both are refused on
  // every backend, so that each keeps the same text.
  for (const auto& p : params) {
    if (const auto* s = std::get_if<std::string_view>(&p)) {
      if (auto checked = CheckText("value", *s); !checked.ok()) return checked.error();
    }
  }
  return conn_->Exec(sql, params, rows);
}

Result<int64_t> SqlStore::InsertId(const std::string& insert, const std::string& insert_returning,
                                   std::initializer_list<SqlParam> params) {
  const std::string_view last_id = conn_->dialect().last_insert_id;
  SqlRows rows;
  auto n = Run(last_id.empty() ? insert_returning : insert, params, &rows);
  if (!n.ok()) return n.take_error();
  if (last_id.empty()) return rows.empty() ? 0 : ToInt(rows.at(0, 0));
  if (*n == 0) return 0;
  if (auto r = Run(last_insert_id_, {}, &rows); !r.ok()) return r.take_error();
  return ToInt(rows.at(0, 0));
}

Result<void> SqlStore::Migrate() {
  if (in_txn_) return Error(kErrState, "Migrate inside a transaction");
  int from = 0;
  int to = LatestSchemaVersion();
  auto r = Guarded<void>(Mode::kAtomic, [&]() -> Result<void> {
    const SqlDialect& d = conn_->dialect();
    if (!d.lock_migrate.empty()) {
      if (auto l = conn_->ExecScript(d.lock_migrate); !l.ok()) return l;
    }
    if (auto c = conn_->ExecScript(kSchemaTable); !c.ok()) return c;
    SqlRows rows;
    if (auto v = Run(kSchemaVersion, {}, &rows); !v.ok()) return v.take_error();
    from = static_cast<int>(ToInt(rows.at(0, 0)));
    if (from > to) {
      return Error(kErrState, "store schema version " + std::to_string(from) + " is newer than this build's (" +
                                  std::to_string(to) + ")");
    }
    for (const Migration& m : Migrations()) {
      if (m.version <= from) continue;
      std::string ddl = ExpandDdl(m.ddl, d);
      if (auto e = conn_->ExecScript(ddl); !e.ok()) {
        return Error(e.error().code, "migration " + std::to_string(m.version) + ": " + e.error().message);
      }
    }
    if (from == to) return Ok();
    if (auto c = Run(kClearSchemaVersion, {}); !c.ok()) return c.take_error();
    if (auto s = Run(kSetSchemaVersion, {int64_t{to}}); !s.ok()) return s.take_error();
    return Ok();
  });
  if (r.ok() && from != to) {
    PLOG_INFO("store_migrated", {{"backend", conn_->dialect().name}, {"from", from}, {"to", to}});
  }
  return r;
}

Result<void> SqlStore::Begin(Durability d) {
  if (in_txn_) return Error(kErrState, "Begin: a transaction is already open");
  if (auto r = conn_->Begin(d); !r.ok()) return r;
  EndTransaction();
  in_txn_ = true;
  return Ok();
}

Result<void> SqlStore::Commit() {
  if (!in_txn_) return Error(kErrState, "Commit without Begin");
  Result<void> r;
  if (txn_error_) {
    (void)conn_->Rollback();
    r = Error(txn_error_->code, "transaction rolled back: " + txn_error_->message);
  } else {
    r = conn_->Commit();
    if (!r.ok()) (void)conn_->Rollback();
  }
  EndTransaction();
  return r;
}

Result<void> SqlStore::Rollback() {
  if (!in_txn_) return Ok();
  auto r = conn_->Rollback();
  EndTransaction();
  return r;
}

Result<void> SqlStore::EnsureDomain(const std::string& domain) {
  auto n = Run(kInsertDomain, {domain});
  if (!n.ok()) return n.take_error();
  if (*n == 0) return Ok();
  return AppendChange("domain", domain);
}

Result<void> SqlStore::RequireUser(const std::string& aor) {
  SqlRows rows;
  if (auto r = Run(kUserExists, {aor}, &rows); !r.ok()) return r.take_error();
  if (rows.empty()) return Error(kErrNotFound, "no such user " + aor);
  return Ok();
}

Result<void> SqlStore::LockChanges() {
  const SqlDialect& d = conn_->dialect();
  if (d.lock_changes.empty() || changes_locked_) return Ok();
  if (auto l = conn_->ExecScript(d.lock_changes); !l.ok()) return l;
  changes_locked_ = true;
  return Ok();
}

Result<void> SqlStore::AppendChange(std::string_view kind, std::string_view key) {
  if (auto l = LockChanges(); !l.ok()) return l;
  if (auto r = Run(kInsertChange, {kind, key}); !r.ok()) return r.take_error();
  return Ok();
}

Result<void> SqlStore::AddDomain(const std::string& domain) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto d = NormalizeDomain(domain);
    if (!d.ok()) return d.take_error();
    return EnsureDomain(*d);
  });
}

Result<void> SqlStore::RemoveDomain(const std::string& domain) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto d = NormalizeDomain(domain);
    if (!d.ok()) return d.take_error();
    SqlRows rows;
    if (auto c = Run(kCountDomainUsers, {*d}, &rows); !c.ok()) return c.take_error();
    if (int64_t users = ToInt(rows.at(0, 0)); users > 0) {
      return Error(kErrConstraint, "domain " + *d + " still has " + std::to_string(users) + " user(s) or group(s)");
    }
    auto n = Run(kDeleteDomain, {*d});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return Error(kErrNotFound, "no such domain " + *d);
    return AppendChange("domain", *d);
  });
}

Result<std::vector<std::string>> SqlStore::ListDomains() {
  return Guarded<std::vector<std::string>>(Mode::kSingle, [&]() -> Result<std::vector<std::string>> {
    SqlRows rows;
    if (auto r = Run(kListDomains, {}, &rows); !r.ok()) return r.take_error();
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.at(i, 0));
    return out;
  });
}

Result<void> SqlStore::UpsertUsers(std::span<const UserRecord> users) {
  static const std::string kOne =
      "INSERT INTO users (" + kUserColumns + ") VALUES " + Placeholders(1, 6) + kUserUpsertTail;
  const std::string sql = users.size() == 1 ? kOne
                                            : "INSERT INTO users (" + kUserColumns + ") VALUES " +
                                                  Placeholders(users.size(), 6) + kUserUpsertTail;
  std::vector<SqlParam> params;
  params.reserve(users.size() * 6);
  for (const UserRecord& u : users) {
    params.insert(params.end(), {std::string_view(u.aor), std::string_view(u.user), std::string_view(u.domain),
                                 std::string_view(u.ha1_md5), std::string_view(u.ha1_sha256),
                                 int64_t{u.enabled ? 1 : 0}});
  }
  if (auto r = RunSpan(sql, params); !r.ok()) return r.take_error();
  return Ok();
}

Result<void> SqlStore::AppendUserChanges(std::span<const UserRecord> users) {
  if (auto l = LockChanges(); !l.ok()) return l;
  const std::string sql = "INSERT INTO changes (kind, subject) VALUES " + Placeholders(users.size(), 1, "'user', ");
  std::vector<SqlParam> params;
  params.reserve(users.size());
  for (const UserRecord& u : users) params.emplace_back(std::string_view(u.aor));
  if (auto r = RunSpan(sql, params); !r.ok()) return r.take_error();
  return Ok();
}

Result<void> SqlStore::AddUser(const UserRecord& user) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto u = CanonicalUser(user);
    if (!u.ok()) return u.take_error();
    if (auto d = EnsureDomain(u->domain); !d.ok()) return d;
    if (auto r = UpsertUsers(std::span<const UserRecord>(&*u, 1)); !r.ok()) return r;
    return AppendChange("user", u->aor);
  });
}

Result<bool> SqlStore::DeleteUser(const std::string& aor) {
  return Guarded<bool>(Mode::kFeed, [&]() -> Result<bool> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return false;
    auto n = Run(kDeleteUser, {*a});  // policy rows go with it (ON DELETE CASCADE)
    if (!n.ok()) return n.take_error();
    if (*n == 0) return false;
    if (auto b = Run(kDeleteBindings, {*a}); !b.ok()) return b.take_error();
    if (auto p = DeletePresenceState(*a); !p.ok()) return p.error();
    if (auto g = LeaveGroups(*a); !g.ok()) return g.error();
    if (auto c = AppendChange("user", *a); !c.ok()) return c.error();
    // What a running server holds of the user goes too (its registrations,
    // subscriptions and publications).
    if (auto c = AppendChange("user_deleted", *a); !c.ok()) return c.error();
    return true;
  });
}

Result<std::optional<UserRecord>> SqlStore::GetUser(const std::string& aor) {
  using Out = std::optional<UserRecord>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return Out{};
    SqlRows rows;
    if (auto r = Run(kGetUser, {*a}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return Out{};
    return Out{UserWithHistoryFromRow(rows, 0)};
  });
}

Result<std::vector<UserRecord>> SqlStore::ListUsers(const std::string& domain) {
  return Guarded<std::vector<UserRecord>>(Mode::kSingle, [&]() -> Result<std::vector<UserRecord>> {
    SqlRows rows;
    if (domain.empty()) {
      if (auto r = Run(kListUsers, {}, &rows); !r.ok()) return r.take_error();
    } else {
      auto d = NormalizeDomain(domain);
      if (!d.ok()) return std::vector<UserRecord>{};
      if (auto r = Run(kListDomainUsers, {*d}, &rows); !r.ok()) return r.take_error();
    }
    std::vector<UserRecord> out;
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(UserFromRow(rows, i));
    return out;
  });
}

Result<size_t> SqlStore::CountUsers() {
  return Guarded<size_t>(Mode::kSingle, [&]() -> Result<size_t> {
    SqlRows rows;
    if (auto r = Run(kCountUsers, {}, &rows); !r.ok()) return r.take_error();
    return rows.empty() ? size_t{0} : static_cast<size_t>(ToInt(rows.at(0, 0)));
  });
}

Result<std::vector<UserRecord>> SqlStore::UsersAfter(const std::string& after, size_t limit) {
  return Guarded<std::vector<UserRecord>>(Mode::kSingle, [&]() -> Result<std::vector<UserRecord>> {
    std::vector<UserRecord> out;
    if (limit == 0) return out;
    SqlRows rows;
    if (auto r = Run(kUsersAfter, {after, LimitParam(limit)}, &rows); !r.ok()) return r.take_error();
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(UserWithHistoryFromRow(rows, i));
    return out;
  });
}

Result<size_t> SqlStore::ImportUsers(const std::vector<UserRecord>& users) {
  return Guarded<size_t>(Mode::kFeed, [&]() -> Result<size_t> {
    // Validate everything first; a later record for the same AOR wins, as
    // with successive AddUser calls (one statement cannot upsert a row twice).
    std::vector<UserRecord> canon;
    canon.reserve(users.size());
    for (size_t i = 0; i < users.size(); ++i) {
      auto u = CanonicalUser(users[i]);
      if (!u.ok()) return Error(kErrInvalid, "user #" + std::to_string(i + 1) + ": " + u.error().message);
      canon.push_back(std::move(*u));
    }
    std::vector<bool> keep(canon.size());
    {
      std::unordered_map<std::string_view, size_t> last;
      last.reserve(canon.size());
      for (size_t i = 0; i < canon.size(); ++i) last[canon[i].aor] = i;
      for (size_t i = 0; i < canon.size(); ++i) keep[i] = last[canon[i].aor] == i;
    }
    std::vector<UserRecord> unique;
    unique.reserve(canon.size());
    for (size_t i = 0; i < canon.size(); ++i) {
      if (keep[i]) unique.push_back(std::move(canon[i]));
    }
    std::unordered_map<std::string_view, bool> seen_domains;
    for (const UserRecord& u : unique) {
      if (seen_domains.emplace(u.domain, true).second) {
        if (auto d = EnsureDomain(u.domain); !d.ok()) return d.error();
      }
    }
    std::span<const UserRecord> all(unique);
    for (size_t off = 0; off < all.size(); off += kImportChunk) {
      auto chunk = all.subspan(off, std::min(kImportChunk, all.size() - off));
      if (auto r = UpsertUsers(chunk); !r.ok()) return r.error();
      if (auto c = AppendUserChanges(chunk); !c.ok()) return c.error();
    }
    return unique.size();
  });
}

Result<void> SqlStore::UpsertBinding(const Binding& b) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    if (b.aor.empty() || b.contact_uri.empty()) return Error(kErrInvalid, "binding needs an AOR and a contact URI");
    auto r = Run(kUpsertBinding, {b.aor, b.contact_uri, b.contact_params, b.instance, b.reg_id, b.q, b.expires_at,
                                  b.call_id, int64_t{b.cseq}, b.path, b.source, b.user_agent, b.updated_at,
                                  int64_t{b.first_cseq}});
    if (!r.ok()) return r.take_error();
    return Ok();
  });
}

Result<void> SqlStore::DeleteBinding(const std::string& aor, const std::string& contact_uri) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    if (auto r = Run(kDeleteBinding, {aor, contact_uri}); !r.ok()) return r.take_error();
    return Ok();
  });
}

Result<size_t> SqlStore::EvictBindings(const std::string& aor, const std::string& contact_uri) {
  return Guarded<size_t>(Mode::kFeed, [&]() -> Result<size_t> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return a.take_error();
    auto n = contact_uri.empty() ? Run(kDeleteBindings, {*a}) : Run(kDeleteBinding, {*a, contact_uri});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return size_t{0};
    if (auto c = AppendChange("binding", contact_uri.empty() ? *a : *a + " " + contact_uri); !c.ok()) return c.error();
    return static_cast<size_t>(*n);
  });
}

Result<std::vector<Binding>> SqlStore::LoadBindings() { return SelectBindings(kLoadBindings, {}); }

Result<std::vector<Binding>> SqlStore::LoadBindingsOf(const std::string& aor) {
  const SqlParam key[] = {std::string_view(aor)};
  return SelectBindings(kLoadBindingsOf, key);
}

Result<std::vector<Binding>> SqlStore::SelectBindings(const std::string& sql, std::span<const SqlParam> params) {
  return Guarded<std::vector<Binding>>(Mode::kSingle, [&]() -> Result<std::vector<Binding>> {
    SqlRows rows;
    if (auto r = RunSpan(sql, params, &rows); !r.ok()) return r.take_error();
    std::vector<Binding> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      Binding& b = out[i];
      b.aor = rows.at(i, 0);
      b.contact_uri = rows.at(i, 1);
      b.contact_params = rows.at(i, 2);
      b.instance = rows.at(i, 3);
      b.reg_id = rows.at(i, 4);
      b.q = ToDouble(rows.at(i, 5));
      b.expires_at = ToInt(rows.at(i, 6));
      b.call_id = rows.at(i, 7);
      b.cseq = static_cast<uint32_t>(ToInt(rows.at(i, 8)));
      b.path = rows.at(i, 9);
      b.source = rows.at(i, 10);
      b.user_agent = rows.at(i, 11);
      b.updated_at = ToInt(rows.at(i, 12));
      b.first_cseq = static_cast<uint32_t>(ToInt(rows.at(i, 13)));
    }
    return out;
  });
}

Result<size_t> SqlStore::DeleteExpiredBindings(int64_t now) {
  return Guarded<size_t>(Mode::kSingle, [&]() -> Result<size_t> {
    auto n = Run(kDeleteExpired, {now});
    if (!n.ok()) return n.take_error();
    return static_cast<size_t>(*n);
  });
}

Result<std::vector<std::string>> SqlStore::AorsWithPolicyEntries() {
  return Guarded<std::vector<std::string>>(Mode::kSingle, [&]() -> Result<std::vector<std::string>> {
    SqlRows rows;
    if (auto r = Run(kAorsWithPolicyEntries, {}, &rows); !r.ok()) return r.take_error();
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.at(i, 0));
    return out;
  });
}

Result<UserPolicy> SqlStore::GetPolicy(const std::string& aor) {
  return Guarded<UserPolicy>(Mode::kSingle, [&]() -> Result<UserPolicy> {
    UserPolicy policy;
    auto a = NormalizeAor(aor);
    if (!a.ok()) return policy;
    SqlRows rows;
    if (auto r = Run(kGetPolicy, {*a}, &rows); !r.ok()) return r.take_error();
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows.at(i, 0) == "0") {
        policy.mode = ParseBlockMode(rows.at(i, 1)).value_or(BlockMode::kReject);
      } else {
        policy.entries.push_back({rows.at(i, 2), ParsePolicyAction(rows.at(i, 1)).value_or(PolicyAction::kBlock)});
      }
    }
    return policy;
  });
}

Result<void> SqlStore::SetPolicyMode(const std::string& aor, BlockMode mode) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return a.take_error();
    if (auto u = RequireUser(*a); !u.ok()) return u;
    if (auto r = Run(kSetPolicyMode, {*a, BlockModeName(mode)}); !r.ok()) return r.take_error();
    return AppendChange("policy", *a);
  });
}

Result<void> SqlStore::SetPolicyEntry(const std::string& aor, const PolicyEntry& e) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return a.take_error();
    auto p = NormalizePattern(e.pattern);
    if (!p.ok()) return p.take_error();
    if (auto u = RequireUser(*a); !u.ok()) return u;
    if (auto r = Run(kSetPolicyEntry, {*a, *p, PolicyActionName(e.action)}); !r.ok()) return r.take_error();
    return AppendChange("policy", *a);
  });
}

Result<bool> SqlStore::RemovePolicyEntry(const std::string& aor, const std::string& pattern) {
  return Guarded<bool>(Mode::kFeed, [&]() -> Result<bool> {
    auto a = NormalizeAor(aor);
    auto p = NormalizePattern(pattern);
    if (!a.ok() || !p.ok()) return false;
    auto n = Run(kRemovePolicyEntry, {*a, *p});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return false;
    if (auto c = AppendChange("policy", *a); !c.ok()) return c.error();
    return true;
  });
}

Result<std::optional<std::string>> SqlStore::GetMeta(const std::string& key) {
  using Out = std::optional<std::string>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    SqlRows rows;
    if (auto r = Run(kGetMeta, {key}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return Out{};
    return Out{rows.at(0, 0)};
  });
}

Result<void> SqlStore::SetMeta(const std::string& key, const std::string& value) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    if (key.empty()) return Error(kErrInvalid, "empty meta key");
    if (auto r = Run(kSetMeta, {key, value}); !r.ok()) return r.take_error();
    return Ok();
  });
}

}  // namespace parley::store
