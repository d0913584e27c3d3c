// parleyctl group …: the groups a MESSAGE can be sent to (seed 003 §7.2.1,
// §7.3), until clients manage them over XCAP.

#include "store/errors.h"
#include "store/names.h"
#include "tools/parleyctl/commands.h"

namespace parley::ctl {
namespace {

int StoreFailure(Output o, const Error& e) {
  return Fail(o, e.code == store::kErrInvalid ? kExitUsage : kExitFailure, e.message);
}

std::string_view AckName(store::GroupAck a) { return a == store::GroupAck::kSingle ? "single" : "per-recipient"; }
std::string_view PostingName(store::GroupPosting p) {
  return p == store::GroupPosting::kMembers ? "members" : "users";
}

std::optional<store::Group> FindGroup(const std::vector<store::Group>& all, const std::string& aor) {
  for (const auto& g : all) {
    if (g.aor == aor) return g;
  }
  return std::nullopt;
}

}  // namespace

int GroupCreate(store::Store& s, const std::string& aor, const std::string& ack, const std::string& posting,
                Output o) {
  store::Group g;
  g.aor = aor;
  if (ack == "per-recipient") {
    g.ack = store::GroupAck::kPerRecipient;
  } else if (ack != "single") {
    return Fail(o, kExitUsage, "--ack: single or per-recipient, not " + ack);
  }
  if (posting == "users") {
    g.posting = store::GroupPosting::kUsers;
  } else if (posting != "members") {
    return Fail(o, kExitUsage, "--posting: members or users, not " + posting);
  }
  if (auto r = s.SaveGroup(g); !r.ok()) return StoreFailure(o, r.error());
  o.out << *store::NormalizeAor(aor) << ": group (ack " << AckName(g.ack) << ", posting " << PostingName(g.posting)
        << ")\n";
  return kExitOk;
}

int GroupDelete(store::Store& s, const std::string& aor, Output o) {
  auto r = s.DeleteGroup(aor);
  if (!r.ok()) return StoreFailure(o, r.error());
  if (!*r) return Fail(o, kExitFailure, "no such group " + aor);
  o.out << *store::NormalizeAor(aor) << ": deleted\n";
  return kExitOk;
}

int GroupMembers(store::Store& s, const std::string& aor, const std::vector<std::string>& members, bool add,
                 Output o) {
  // All or nothing.
  if (auto b = s.Begin(); !b.ok()) return StoreFailure(o, b.error());
  for (const auto& m : members) {
    if (add) {
      if (auto r = s.AddGroupMember(aor, m); !r.ok()) {
        (void)s.Rollback();
        return StoreFailure(o, r.error());
      }
    } else {
      auto r = s.RemoveGroupMember(aor, m);
      if (!r.ok() || !*r) {
        (void)s.Rollback();
        return r.ok() ? Fail(o, kExitFailure, m + " is not a member of " + aor) : StoreFailure(o, r.error());
      }
    }
  }
  if (auto c = s.Commit(); !c.ok()) return StoreFailure(o, c.error());
  o.out << *store::NormalizeAor(aor) << ": " << (add ? "added " : "removed ") << members.size() << " member(s)\n";
  return kExitOk;
}

int GroupList(store::Store& s, Output o) {
  auto all = s.ListGroups();
  if (!all.ok()) return StoreFailure(o, all.error());
  for (const auto& g : *all) {
    o.out << g.aor << " ack=" << AckName(g.ack) << " posting=" << PostingName(g.posting) << " members="
          << g.members.size() << "\n";
  }
  return kExitOk;
}

int GroupShow(store::Store& s, const std::string& aor, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto all = s.ListGroups();
  if (!all.ok()) return StoreFailure(o, all.error());
  auto g = FindGroup(*all, *a);
  if (!g) return Fail(o, kExitFailure, "no such group " + *a);
  o.out << g->aor << " ack=" << AckName(g->ack) << " posting=" << PostingName(g->posting) << "\n";
  for (const auto& m : g->members) o.out << "  " << m << (FindGroup(*all, m) ? " (group)" : "") << "\n";
  return kExitOk;
}

}  // namespace parley::ctl
