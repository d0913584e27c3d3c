#pragma once
// Reception policy (seed 003 §7.3.5 and seed 004 §3.1 "call screening for
// IM"): each user decides who may reach them — allow and block lists of
// AORs and domains ("*" = everyone), applied to every initial request
// addressed to the user whatever its method. A blocked sender gets 403, or
// when the user chose "discard", a MESSAGE is answered 200 and dropped and
// other requests look unanswered (480).

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/processor.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::proxy {

enum class PolicyDecision { kAllow, kReject, kDiscard };

// Decides for `sender_aor` ("bob@example.org") against `policy`: the most
// specific matching entry wins (AOR, then domain, then "*"); at the same
// specificity allow beats block.
PolicyDecision Decide(const store::UserPolicy& policy, const std::string& sender_aor);

// The policies of the AORs a shard owns, loaded on first use and dropped
// when the change feed says they changed.
class PolicyCache {
 public:
  using Done = std::function<void(const store::UserPolicy* policy)>;  // nullptr: store error
  PolicyCache(store::StoreExecutor& store, ShardRouter& router, size_t shard);
  void Get(const std::string& aor, Done done);
  void Invalidate(const std::string& aor);

 private:
  struct Entry {
    bool loading = false;
    bool invalidated = false;
    std::optional<store::UserPolicy> policy;
    std::vector<Done> waiters;
  };
  store::StoreExecutor& store_;
  ShardRouter& router_;
  size_t shard_;
  std::unordered_map<std::string, Entry> cache_;
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
