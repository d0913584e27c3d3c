// SqlStore: the per-user history archive and its opt-in setting.

#include "common/strings.h"
#include "store/errors.h"
#include "store/names.h"
#include "store/sql_store.h"
#include "store/sql_util.h"
#include "store/text.h"

namespace parley::store {
namespace {

const std::string kSetHistory =
    "INSERT INTO history_settings (aor, enabled) VALUES ($1, $2)"
    " ON CONFLICT (aor) DO UPDATE SET enabled = excluded.enabled";
const std::string kGetHistory = "SELECT enabled FROM history_settings WHERE aor = $1";
// Stores nothing unless the owner is a user with history on.
const std::string kAppendHistory =
    "INSERT INTO history (owner, peer, direction, message_id, time_ms, content_type, body, search_text)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, $8"
    " WHERE EXISTS (SELECT 1 FROM history_settings WHERE aor = $1 AND enabled = 1)";
const std::string kAppendHistoryReturning = kAppendHistory + " RETURNING id";
// Without search text: the same statement with SQL NULL for it.
const std::string kAppendHistoryNoText =
    "INSERT INTO history (owner, peer, direction, message_id, time_ms, content_type, body, search_text)"
    " SELECT $1, $2, $3, $4, $5, $6, $7, NULL"
    " WHERE EXISTS (SELECT 1 FROM history_settings WHERE aor = $1 AND enabled = 1)";
const std::string kAppendHistoryNoTextReturning = kAppendHistoryNoText + " RETURNING id";
const std::string kDeleteHistoryOf = "DELETE FROM history WHERE owner = $1 AND time_ms < $2";
const std::string kDeleteHistoryAll = "DELETE FROM history WHERE time_ms < $1";

std::string_view DirectionName(HistoryDirection d) { return d == HistoryDirection::kOut ? "out" : "in"; }

// A peer is an AOR (normalized) when it parses as one, else kept as given
// (tel: URIs, anonymous senders).
Result<std::string> CanonicalPeer(std::string_view peer) {
  if (peer.empty()) return Error(kErrInvalid, "empty history peer");
  if (auto a = NormalizeAor(peer); a.ok()) return std::move(*a);
  if (auto c = CheckText("history peer", peer); !c.ok()) return c.error();
  return std::string(peer);
}

// The SELECT of a query; the optional filters make four texts (each
// prepared once per connection).
std::string QuerySql(bool peer, bool text) {
  std::string sql =
      "SELECT id, owner, peer, direction, message_id, time_ms, content_type, body FROM history"
      " WHERE owner = $1 AND id < $2 AND time_ms >= $3 AND time_ms < $4";
  int n = 5;
  if (peer) sql += " AND peer = $" + std::to_string(n++);
  if (text) sql += " AND search_text LIKE $" + std::to_string(n++) + " ESCAPE '!'";
  sql += " ORDER BY id DESC LIMIT $" + std::to_string(n);
  return sql;
}

// "%needle%" with LIKE's wildcards (and the escape character) escaped.
std::string LikePattern(std::string_view folded) {
  std::string out = "%";
  for (char c : folded) {
    if (c == '%' || c == '_' || c == '!') out.push_back('!');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace

Result<void> SqlStore::SetHistoryEnabled(const std::string& aor, bool enabled) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return a.take_error();
    if (auto u = RequireUser(*a); !u.ok()) return u;
    if (auto r = Run(kSetHistory, {*a, int64_t{enabled ? 1 : 0}}); !r.ok()) return r.take_error();
    return AppendChange("history", *a);
  });
}

Result<bool> SqlStore::HistoryEnabled(const std::string& aor) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return false;
    SqlRows rows;
    if (auto r = Run(kGetHistory, {*a}, &rows); !r.ok()) return r.take_error();
    return !rows.empty() && ToInt(rows.at(0, 0)) != 0;
  });
}

Result<int64_t> SqlStore::AppendHistory(const HistoryEntry& e) {
  // kAtomic: on SQLite the id is a second statement (InsertId).
  return Guarded<int64_t>(Mode::kAtomic, [&]() -> Result<int64_t> {
    auto owner = NormalizeAor(e.owner);
    if (!owner.ok()) return owner.take_error();
    auto peer = CanonicalPeer(e.peer);
    if (!peer.ok()) return peer.take_error();
    if (auto c = CheckText("history message id", e.message_id); !c.ok()) return c.error();
    if (e.content_type.empty()) return Error(kErrInvalid, "history entry without a content type");
    if (auto c = CheckText("history content type", e.content_type); !c.ok()) return c.error();
    // Text bodies are searchable through a folded copy.
    std::optional<std::string> folded;
    if (IStartsWith(TrimLws(e.content_type), "text/")) folded = FoldForSearch(e.body);
    if (folded && folded->find('\0') != std::string::npos) folded.reset();
    if (folded) {
      return InsertId(kAppendHistory, kAppendHistoryReturning,
                      {*owner, *peer, DirectionName(e.direction), e.message_id, e.time_ms, e.content_type,
                       SqlBlob{e.body}, *folded});
    }
    return InsertId(kAppendHistoryNoText, kAppendHistoryNoTextReturning,
                    {*owner, *peer, DirectionName(e.direction), e.message_id, e.time_ms, e.content_type,
                     SqlBlob{e.body}});
  });
}

Result<std::vector<HistoryEntry>> SqlStore::QueryHistory(const HistoryQuery& q) {
  using Out = std::vector<HistoryEntry>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    Out out;
    auto owner = NormalizeAor(q.owner);
    if (!owner.ok() || q.limit == 0) return out;
    std::string peer;
    if (!q.peer.empty()) {
      auto p = CanonicalPeer(q.peer);
      if (!p.ok()) return out;
      peer = std::move(*p);
    }
    std::string pattern;
    if (!q.text.empty()) {
      if (q.text.size() > kMaxHistorySearch) {
        return Error(kErrInvalid, "search text longer than " + std::to_string(kMaxHistorySearch) + " bytes");
      }
      auto folded = FoldForSearch(q.text);
      if (!folded || folded->find('\0') != std::string::npos) return Error(kErrInvalid, "search text is not UTF-8");
      pattern = LikePattern(*folded);
    }
    int64_t before = q.before_id > 0 ? q.before_id : std::numeric_limits<int64_t>::max();
    std::vector<SqlParam> params = {std::string_view(*owner), before, q.from_ms, q.to_ms};
    if (!peer.empty()) params.emplace_back(std::string_view(peer));
    if (!pattern.empty()) params.emplace_back(std::string_view(pattern));
    params.emplace_back(LimitParam(std::min(q.limit, kMaxHistoryPage)));
    SqlRows rows;
    if (auto r = RunSpan(QuerySql(!peer.empty(), !pattern.empty()), params, &rows); !r.ok()) return r.take_error();
    out.resize(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      HistoryEntry& e = out[i];
      e.id = ToInt(rows.at(i, 0));
      e.owner = rows.at(i, 1);
      e.peer = rows.at(i, 2);
      e.direction = rows.at(i, 3) == "out" ? HistoryDirection::kOut : HistoryDirection::kIn;
      e.message_id = rows.at(i, 4);
      e.time_ms = ToInt(rows.at(i, 5));
      e.content_type = rows.at(i, 6);
      e.body = rows.at(i, 7);
    }
    return out;
  });
}

Result<size_t> SqlStore::DeleteHistoryBefore(const std::string& owner, int64_t before_ms) {
  return Guarded<size_t>(Mode::kSingle, [&]() -> Result<size_t> {
    Result<int64_t> n = 0;
    if (owner.empty()) {
      n = Run(kDeleteHistoryAll, {before_ms});
    } else {
      auto a = NormalizeAor(owner);
      if (!a.ok()) return a.take_error();
      n = Run(kDeleteHistoryOf, {*a, before_ms});
    }
    if (!n.ok()) return n.take_error();
    return static_cast<size_t>(*n);
  });
}

}  // namespace parley::store
