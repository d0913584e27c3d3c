#pragma once
// The groups the server holds (seed 003 §7.2.1, §7.3): what a MESSAGE to a
// group's URI expands to. Every shard reads its own immutable snapshot of
// all groups, replaced (by a post to its loop) when the change feed says a
// group changed; so the check "is this Request-URI a group?" on the hot
// path is a hash lookup without a lock or a store read.

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "proxy/shards.h"
#include "store/executor.h"
#include "store/store.h"

namespace parley::im {

struct GroupEntry {
  store::GroupAck ack = store::GroupAck::kSingle;
  store::GroupPosting posting = store::GroupPosting::kMembers;
  std::vector<std::string> members;  // AORs of users and groups
};
using GroupMap = std::unordered_map<std::string, GroupEntry>;  // by group AOR

// The users a message to `group` reaches: nested groups flattened, every
// user once, in AOR order. A group met a second time (A contains B
// contains A) is not expanded again, so an expansion always ends.
std::vector<std::string> ExpandGroup(const GroupMap& groups, const std::string& group);

class GroupDirectory {
 public:
  GroupDirectory(store::StoreExecutor& store, proxy::ShardRouter& router);

  // Reads every group; call before the loops run.
  Result<size_t> LoadFromStore();
  // Reads every group again and gives each shard the new snapshot; on any
  // thread (the change feed's).
  void Reload();
  // The snapshot of `shard`, on its loop.
  const GroupMap& On(size_t shard) const { return snapshots_.On(shard); }
  // Called on each shard's loop once its new snapshot is in place (set
  // before the loops run).
  void AddListener(std::function<void(size_t shard)> l) { snapshots_.AddListener(std::move(l)); }

 private:
  static std::shared_ptr<const GroupMap> ToMap(std::vector<store::Group> groups);

  store::StoreExecutor& store_;
  proxy::ShardSnapshots<GroupMap> snapshots_;
};

}  // namespace parley::im
