#include "im/service/groups.h"

#include <algorithm>
#include <set>

#include "common/log.h"

namespace parley::im {

std::vector<std::string> ExpandGroup(const GroupMap& groups, const std::string& group) {
  std::set<std::string> users;
  std::set<std::string> seen{group};
  std::vector<const GroupEntry*> todo;
  if (auto it = groups.find(group); it != groups.end()) todo.push_back(&it->second);
  while (!todo.empty()) {
    const GroupEntry* g = todo.back();
    todo.pop_back();
    for (const auto& m : g->members) {
      auto nested = groups.find(m);
      if (nested == groups.end()) {
        users.insert(m);
      } else if (seen.insert(m).second) {
        todo.push_back(&nested->second);
      }
    }
  }
  return {users.begin(), users.end()};
}

GroupDirectory::GroupDirectory(store::StoreExecutor& store, proxy::ShardRouter& router)
    : store_(store), snapshots_(router) {}

std::shared_ptr<const GroupMap> GroupDirectory::ToMap(std::vector<store::Group> groups) {
  auto map = std::make_shared<GroupMap>();
  for (auto& g : groups) map->emplace(std::move(g.aor), GroupEntry{g.ack, g.posting, std::move(g.members)});
  return map;
}

Result<size_t> GroupDirectory::LoadFromStore() {
  auto groups = store_.ReadNow<std::vector<store::Group>>([](store::Store& s) { return s.ListGroups(); });
  if (!groups.ok()) return groups.error();
  size_t n = groups->size();
  snapshots_.SetAll(ToMap(std::move(*groups)));
  return n;
}

void GroupDirectory::Reload() {
  store_.Read([this](store::Store& s) {
    auto groups = s.ListGroups();
    if (!groups.ok()) {  // the next change tries again; until then the old snapshot serves
      PLOG_WARN("groups_unreadable", {{"error", groups.error().message}});
      return;
    }
    snapshots_.Publish(ToMap(std::move(*groups)));
  });
}

}  // namespace parley::im
