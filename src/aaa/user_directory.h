#pragma once
// The users a shard owns (those whose AOR hashes to it), loaded from the
// store on first use and cached. Entries (also "no such user") are dropped
// when the change feed says the user changed. Used on its shard's loop only.

#include <chrono>
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

  // `capacity`: users kept at most (0: no bound); beyond it the least
  // recently used go first. `idle_ttl`: how long a user nobody asked for
  // stays.
  UserDirectory(store::StoreExecutor& store, proxy::ShardRouter& router, size_t shard, TimerService& timers,
                size_t capacity = 0, Clock::duration idle_ttl = kIdleTtl);
  ~UserDirectory();
  UserDirectory(const UserDirectory&) = delete;
  UserDirectory& operator=(const UserDirectory&) = delete;

  // Answers from the cache or loads `aor` (lower-case "user@domain");
  // `done` always runs on this shard's loop, never inside Get.
  void Get(const std::string& aor, Done done);
  // Like Get, but when the cache knows the answer `done` runs inside the
  // call (no loop turn), as its last step: `aor` is not read after it;
  // otherwise as Get.
  void Resolve(const std::string& aor, Done done);
  // Starts loading `aor` unless the cache has it (or a recent miss) or is
  // loading it.
  void Warm(const std::string& aor);
  void Invalidate(const std::string& aor);

  size_t cached() const { return cache_.size(); }
  uint64_t loads() const { return loads_; }  // store reads started (misses)

  // Users nobody asked for during `idle_ttl` (by default this long) leave
  // the cache (a sweep runs every minute while it holds anything); unknown
  // users after kNegativeTtl. So the cache holds the active users, at most
  // `capacity` of them, and probing random names cannot grow it without
  // bound.
  static constexpr Clock::duration kIdleTtl = std::chrono::minutes(10);
  static constexpr auto kNegativeTtl = std::chrono::seconds(30);
  static constexpr auto kSweepEvery = std::chrono::seconds(60);

 private:
  struct Entry {
    bool loading = false;
    bool invalidated = false;  // changed while loading: do not keep the result
    std::optional<store::UserRecord> user;  // nullopt: unknown user
    Clock::time_point loaded_at{};
    Clock::time_point used_at{};
    std::vector<Done> waiters;
  };
  // The cache's answer is good: a user until swept, a miss for kNegativeTtl.
  bool Fresh(const Entry& e) const {
    return !e.loading && (e.user.has_value() ||
                          (e.loaded_at != Clock::time_point{} && timers_.Now() - e.loaded_at < kNegativeTtl));
  }
  void Loaded(const std::string& aor, Result<std::optional<store::UserRecord>> r);
  void ArmSweep();
  void Sweep();

  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  size_t shard_;
  TimerService& timers_;
  size_t capacity_;
  Clock::duration idle_ttl_;
  std::unordered_map<std::string, Entry> cache_;
  TimerId sweep_ = 0;
  uint64_t loads_ = 0;
};

}  // namespace parley::aaa
