#pragma once
// Reception policy (seed 003 §7.3.5 and seed 004 §3.1 "call screening for
// IM"): each user decides who may reach them — allow and block lists of
// AORs and domains ("*" = everyone), applied to every initial request
// addressed to the user whatever its method. A blocked sender gets 403, or
// when the user chose "discard", a MESSAGE is answered 200 and dropped and
// other requests look unanswered (480).

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/timer.h"
#include "proxy/processor.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::proxy {

enum class PolicyDecision { kAllow, kReject, kDiscard };

// Decides for `sender_aor` ("bob@example.org") against `policy`: the most
// specific matching entry wins (AOR, then domain, then "*"); at the same
// specificity allow beats block.
PolicyDecision Decide(const store::UserPolicy& policy, const std::string& sender_aor);

// The policies of the AORs a shard owns, loaded on first use, dropped
// when the change feed says they changed, and when nobody asked for them
// for kIdleTtl (a sweep every kSweepEvery while anything is cached): the
// cache holds the active users, at most `capacity` of them (0: no bound;
// the least recently used go first), and requests to random names cannot
// grow it without bound.
//
// Preloaded (BeginPreload, AddPolicyHolders, EndPreload(true)) the cache
// is complete: it knows which of its users have policy entries at all, so
// for everyone else (most users) it answers "allow all" without a store
// read, unless the change feed named them since the preload began.
class PolicyCache {
 public:
  using Done = std::function<void(const store::UserPolicy* policy)>;  // nullptr: store error
  static constexpr auto kIdleTtl = std::chrono::minutes(10);
  static constexpr auto kSweepEvery = std::chrono::seconds(60);

  PolicyCache(store::StoreExecutor& store, ShardRouter& router, size_t shard, TimerService& timers,
              size_t capacity = 0);
  ~PolicyCache();
  PolicyCache(const PolicyCache&) = delete;
  PolicyCache& operator=(const PolicyCache&) = delete;
  void Get(const std::string& aor, Done done);
  // Starts loading `aor`'s policy unless it is cached or being loaded.
  void Warm(const std::string& aor);
  void Invalidate(const std::string& aor);
  // As UserDirectory::Forget: every entry goes, the cache is no longer
  // complete, policies are read on use again.
  void Forget();
  // As UserDirectory's: changes are remembered from BeginPreload on;
  // `aors` are the users of this shard with policy entries.
  void BeginPreload();
  void AddPolicyHolders(const std::vector<std::string>& aors);
  void EndPreload(bool complete);
  bool complete() const { return complete_; }
  size_t cached() const { return cache_.size(); }
  uint64_t loads() const { return loads_; }  // store reads started (misses)

 private:
  struct Entry {
    bool loading = false;
    bool invalidated = false;
    std::optional<store::UserPolicy> policy;
    Clock::time_point used_at{};
    std::vector<Done> waiters;
  };
  void ArmSweep();
  void Sweep();
  // Known to have no entries: answered without an entry or a read.
  bool KnownEmpty(const std::string& aor) const {
    return complete_ && !holders_.contains(aor) && !changed_.contains(aor);
  }
  store::StoreExecutor& store_;
  ShardRouter& router_;
  size_t shard_;
  TimerService& timers_;
  size_t capacity_;
  std::unordered_map<std::string, Entry> cache_;
  bool preloading_ = false;
  bool complete_ = false;
  std::unordered_set<std::string> holders_;  // with policy entries
  std::unordered_set<std::string> changed_;  // named by the change feed since
  TimerId sweep_ = 0;
  uint64_t loads_ = 0;
};

class PolicyProcessor : public Processor {
 public:
  explicit PolicyProcessor(Sharded<PolicyCache>& caches) : caches_(caches) {}
  std::string_view name() const override { return "reception-policy"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) override;

 private:
  Sharded<PolicyCache>& caches_;
};

}  // namespace parley::proxy
