#pragma once
// The users a shard owns (those whose AOR hashes to it), loaded from the
// store on first use and cached. Entries (also "no such user") are dropped
// when the change feed says the user changed. Used on its shard's loop only.
//
// Preloaded (BeginPreload, then EndPreload with the preload's
// CredentialSnapshot of every user, shared read-only by all shards) the
// directory is complete without holding the users itself: the snapshot
// answers for every name the change feed has not named since the preload
// began — a user, or unknown without a store read. A name the feed named (a
// user added, changed or deleted since) is read on its next use and cached
// as without a preload, never taken from the snapshot again. So a request
// never waits for the store for its credentials, and probing random names
// costs no read either.

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/timer.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::aaa {

// What a request needs of its user, as the directory keeps it: the digest
// HA1s (hex, as the store validated them) inline, no heap, so that a table
// of every user stays small (the preload's snapshot of 100,000 users: about
// 12 MiB). An HA1 of another length than its digest's reads as empty (no
// response matches it).
class UserCredentials {
 public:
  explicit UserCredentials(const store::UserRecord& u);
  std::string_view ha1_md5() const { return {md5_.data(), md5_ok_ ? md5_.size() : 0}; }
  std::string_view ha1_sha256() const { return {sha256_.data(), sha256_ok_ ? sha256_.size() : 0}; }
  bool enabled() const { return enabled_; }
  bool history() const { return history_; }

 private:
  std::array<char, 32> md5_{};
  std::array<char, 64> sha256_{};
  bool md5_ok_ = false;
  bool sha256_ok_ = false;
  bool enabled_ = false;
  bool history_ = false;
};

class CredentialSnapshot;

class UserDirectory {
 public:
  enum class Status { kFound, kUnknown, kError };
  // `user` is valid during the call only.
  using Done = std::function<void(Status status, const UserCredentials* user)>;

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
  // The change feed lost track (it was pruned past this node's position):
  // nothing cached can be trusted. Drops every entry and stops being
  // complete (a preload under way is void): users are read on use again.
  void Forget();

  // Preloading: from BeginPreload on, changes are remembered (see above).
  // EndPreload(snapshot) makes the directory complete; EndPreload(nullptr)
  // (a failed or skipped preload) leaves it a cache as before.
  void BeginPreload();
  void EndPreload(std::shared_ptr<const CredentialSnapshot> snapshot);
  bool complete() const { return snapshot_ != nullptr; }

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
    std::optional<UserCredentials> user;  // nullopt: unknown user
    Clock::time_point loaded_at{};
    Clock::time_point used_at{};
    std::vector<Done> waiters;
  };
  // The cache's answer is good: a user until swept, a miss for kNegativeTtl.
  bool Fresh(const Entry& e) const {
    return !e.loading && (e.user.has_value() ||
                          (e.loaded_at != Clock::time_point{} && timers_.Now() - e.loaded_at < kNegativeTtl));
  }
  // A complete directory knows `aor` without an entry or a read: the
  // snapshot has the user, or it is unknown.
  bool KnownWithoutEntry(const std::string& aor) const { return snapshot_ && !changed_.contains(aor); }
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
  bool preloading_ = false;
  // Named by the change feed since the preload began: never answered from
  // the snapshot.
  std::unordered_set<std::string> changed_;
  std::shared_ptr<const CredentialSnapshot> snapshot_;  // set: the directory is complete
  TimerId sweep_ = 0;
  uint64_t loads_ = 0;
};

}  // namespace parley::aaa
