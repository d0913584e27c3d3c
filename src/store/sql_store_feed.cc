// SqlStore: reading and pruning the change feed (README "Change feed").

#include <algorithm>

#include "store/errors.h"
#include "store/sql_store.h"
#include "store/sql_util.h"

namespace parley::store {
namespace {

const std::string kMaxChange = "SELECT COALESCE(MAX(seq), 0) FROM changes";
const std::string kChangesSince = "SELECT seq, kind, subject FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2";
const std::string kPruneChanges =
    "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE seq <= $1 ORDER BY seq LIMIT $2)";
const std::string kMinChange = "SELECT COALESCE(MIN(seq), 0) FROM changes";

// The newest seq the last marking call saw, and when (ms).
const std::string kMarkSeq = "changes_mark_seq";
const std::string kMarkAt = "changes_mark_at";
// The highest seq pruning removed.
const std::string kPrunedThrough = "changes_pruned_through";

}  // namespace

// GetMeta/SetMeta are single statements: inside the caller's Guarded they
// run in its transaction.
Result<int64_t> SqlStore::MetaInt(const std::string& name) {
  auto v = GetMeta(name);
  if (!v.ok()) return v.take_error();
  return *v ? ToInt(**v) : 0;
}

Result<void> SqlStore::SetMetaInt(const std::string& name, int64_t value) { return SetMeta(name, std::to_string(value)); }

// Pruning may have removed every row: the newest seq is then the highest
// pruned one (seq values are never reused on either backend).
Result<int64_t> SqlStore::LatestChange() {
  return Guarded<int64_t>(Mode::kSingle, [&]() -> Result<int64_t> {
    SqlRows rows;
    if (auto r = Run(kMaxChange, {}, &rows); !r.ok()) return r.take_error();
    auto pruned = MetaInt(kPrunedThrough);
    if (!pruned.ok()) return pruned.take_error();
    return std::max(ToInt(rows.at(0, 0)), *pruned);
  });
}

Result<std::vector<Change>> SqlStore::ChangesSince(int64_t seq, size_t limit) {
  return Guarded<std::vector<Change>>(Mode::kSingle, [&]() -> Result<std::vector<Change>> {
    std::vector<Change> out;
    if (limit == 0) return out;
    auto lim = LimitParam(limit);
    SqlRows rows;
    if (auto r = Run(kChangesSince, {seq, lim}, &rows); !r.ok()) return r.take_error();
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out.push_back({ToInt(rows.at(i, 0)), rows.at(i, 1), rows.at(i, 2)});
    return out;
  });
}

Result<int64_t> SqlStore::ChangesPrunedThrough() {
  return Guarded<int64_t>(Mode::kSingle, [&]() -> Result<int64_t> { return MetaInt(kPrunedThrough); });
}

// A feed writer: on PostgreSQL it holds the change lock, so the newest seq
// it reads is the newest there will ever be below a later writer's.
Result<size_t> SqlStore::PruneChanges(int64_t now_ms, int64_t retention_ms, size_t limit) {
  return Guarded<size_t>(Mode::kFeed, [&]() -> Result<size_t> {
    if (retention_ms < 0) return Error(kErrInvalid, "negative change retention");
    auto mark_seq = MetaInt(kMarkSeq);
    auto mark_at = MetaInt(kMarkAt);
    if (!mark_seq.ok()) return mark_seq.take_error();
    if (!mark_at.ok()) return mark_at.take_error();
    auto mark = [&]() -> Result<void> {
      SqlRows rows;
      if (auto r = Run(kMaxChange, {}, &rows); !r.ok()) return r.take_error();
      if (auto r = SetMetaInt(kMarkSeq, ToInt(rows.at(0, 0))); !r.ok()) return r;
      return SetMetaInt(kMarkAt, now_ms);
    };
    bool marked = *mark_at > 0;
    if (!marked || now_ms - *mark_at < retention_ms || limit == 0) {
      if (!marked) {
        if (auto r = mark(); !r.ok()) return r.error();
      }
      return size_t{0};
    }
    // Everything up to the mark has been there for retention_ms at least.
    auto n = Run(kPruneChanges, {*mark_seq, LimitParam(limit)});
    if (!n.ok()) return n.take_error();
    auto pruned = MetaInt(kPrunedThrough);
    if (!pruned.ok()) return pruned.take_error();
    // What is left at or below the mark goes on the next call; the mark
    // moves on only once it is all gone.
    SqlRows left;
    if (auto r = Run(kMinChange, {}, &left); !r.ok()) return r.take_error();
    int64_t lowest = ToInt(left.at(0, 0));
    bool done = lowest == 0 || lowest > *mark_seq;
    int64_t through = done ? *mark_seq : lowest - 1;
    if (through > *pruned) {
      if (auto r = SetMetaInt(kPrunedThrough, through); !r.ok()) return r.error();
    }
    if (done) {
      if (auto r = mark(); !r.ok()) return r.error();
    }
    return static_cast<size_t>(*n);
  });
}

}  // namespace parley::store
