#pragma once
// The users a shard owns (those whose AOR hashes to it), loaded from the
// store on first use and cached. Entries (also "no such user") are dropped
// when the change feed says the user changed. Used on its shard's loop only.

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/timer.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::aaa {

class UserDirectory {
 public:
  enum class Status { kFound, kUnknown, kError };
  // `user` is valid during the call only.
  using Done = std::function<void(Status status, const store::UserRecord* user)>;

  UserDirectory(store::StoreExecutor& store, proxy::ShardRouter& router, size_t shard, TimerService& timers);

  // Answers from the cache or loads `aor` (lower-case "user@domain");
  // `done` always runs on this shard's loop, never inside Get.
  void Get(const std::string& aor, Done done);
  void Invalidate(const std::string& aor);

  size_t cached() const { return cache_.size(); }

 private:
  struct Entry {
    bool loading = false;
    bool invalidated = false;  // changed while loading: do not keep the result
    std::optional<store::UserRecord> user;  // nullopt: unknown user
    Clock::time_point loaded_at{};
    std::vector<Done> waiters;
  };
  void Loaded(const std::string& aor, Result<std::optional<store::UserRecord>> r);

  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  size_t shard_;
  TimerService& timers_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace parley::aaa
