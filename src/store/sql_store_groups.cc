// SqlStore: groups (seed 003 §7.2.1, §7.3). A group's AOR lives in one of
// our domains and is no user's; its members are users or other groups.

#include <algorithm>
#include <map>

#include "store/errors.h"
#include "store/names.h"
#include "store/sql_store.h"
#include "store/sql_util.h"

namespace parley::store {
namespace {

const std::string kDomainExists = "SELECT 1 FROM domains WHERE domain = $1";
const std::string kIsUser = "SELECT 1 FROM users WHERE aor = $1";
const std::string kIsGroup = "SELECT 1 FROM groups WHERE aor = $1";
const std::string kUpsertGroup =
    "INSERT INTO groups (aor, domain, ack, posting) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (aor) DO UPDATE SET ack = excluded.ack, posting = excluded.posting";
const std::string kDeleteGroup = "DELETE FROM groups WHERE aor = $1";  // its members go with it (CASCADE)
const std::string kLeaveGroups = "DELETE FROM group_members WHERE member = $1";
const std::string kAddMember =
    "INSERT INTO group_members (group_aor, member) VALUES ($1, $2) ON CONFLICT (group_aor, member) DO NOTHING";
const std::string kRemoveMember = "DELETE FROM group_members WHERE group_aor = $1 AND member = $2";
const std::string kListGroups = "SELECT aor, ack, posting FROM groups ORDER BY aor";
const std::string kListMembers = "SELECT group_aor, member FROM group_members ORDER BY group_aor, member";

std::string_view AckText(GroupAck a) { return a == GroupAck::kSingle ? "single" : "per-recipient"; }
std::string_view PostingText(GroupPosting p) { return p == GroupPosting::kMembers ? "members" : "users"; }

}  // namespace

Result<void> SqlStore::SaveGroup(const Group& g) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto a = NormalizeAor(g.aor);
    if (!a.ok()) return a.take_error();
    std::string domain = a->substr(a->find('@') + 1);
    SqlRows rows;
    if (auto r = Run(kDomainExists, {domain}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return Error(kErrNotFound, "no such domain " + domain);
    if (auto r = Run(kIsUser, {*a}, &rows); !r.ok()) return r.take_error();
    if (!rows.empty()) return Error(kErrConstraint, *a + " is a user");
    if (auto r = Run(kUpsertGroup, {*a, domain, std::string(AckText(g.ack)), std::string(PostingText(g.posting))});
        !r.ok()) {
      return r.take_error();
    }
    return AppendChange("group", *a);
  });
}

Result<bool> SqlStore::DeleteGroup(const std::string& aor) {
  return Guarded<bool>(Mode::kFeed, [&]() -> Result<bool> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return false;
    auto n = Run(kDeleteGroup, {*a});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return false;
    if (auto l = LeaveGroups(*a); !l.ok()) return l.error();
    if (auto c = AppendChange("group", *a); !c.ok()) return c.error();
    return true;
  });
}

Result<void> SqlStore::LeaveGroups(const std::string& aor) {
  auto n = Run(kLeaveGroups, {aor});
  if (!n.ok()) return n.take_error();
  if (*n == 0) return Ok();
  return AppendChange("group", aor);
}

Result<void> SqlStore::AddGroupMember(const std::string& group, const std::string& member) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto g = NormalizeAor(group);
    if (!g.ok()) return g.take_error();
    auto m = NormalizeAor(member);
    if (!m.ok()) return m.take_error();
    SqlRows rows;
    if (auto r = Run(kIsGroup, {*g}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return Error(kErrNotFound, "no such group " + *g);
    if (*m == *g) return Error(kErrInvalid, "a group cannot be its own member");
    if (auto r = Run(kIsUser, {*m}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) {
      if (auto r = Run(kIsGroup, {*m}, &rows); !r.ok()) return r.take_error();
      if (rows.empty()) return Error(kErrNotFound, "no such user or group " + *m);
    }
    auto n = Run(kAddMember, {*g, *m});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return Ok();
    return AppendChange("group", *g);
  });
}

Result<bool> SqlStore::RemoveGroupMember(const std::string& group, const std::string& member) {
  return Guarded<bool>(Mode::kFeed, [&]() -> Result<bool> {
    auto g = NormalizeAor(group);
    auto m = NormalizeAor(member);
    if (!g.ok() || !m.ok()) return false;
    auto n = Run(kRemoveMember, {*g, *m});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return false;
    if (auto c = AppendChange("group", *g); !c.ok()) return c.error();
    return true;
  });
}

Result<std::vector<Group>> SqlStore::ListGroups() {
  using Out = std::vector<Group>;
  // Two statements that must see the same groups.
  return Guarded<Out>(Mode::kAtomic, [&]() -> Result<Out> {
    SqlRows rows;
    if (auto r = Run(kListGroups, {}, &rows); !r.ok()) return r.take_error();
    Out out(rows.size());
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < rows.size(); ++i) {
      out[i].aor = rows.at(i, 0);
      out[i].ack = rows.at(i, 1) == "single" ? GroupAck::kSingle : GroupAck::kPerRecipient;
      out[i].posting = rows.at(i, 2) == "members" ? GroupPosting::kMembers : GroupPosting::kUsers;
      index[out[i].aor] = i;
    }
    SqlRows members;
    if (auto r = Run(kListMembers, {}, &members); !r.ok()) return r.take_error();
    for (size_t i = 0; i < members.size(); ++i) {
      if (auto it = index.find(members.at(i, 0)); it != index.end()) out[it->second].members.push_back(members.at(i, 1));
    }
    return out;
  });
}

}  // namespace parley::store
