#include "proxy/policy.h"

#include "common/cache_invalidate.h"
#include "common/log.h"
#include "common/lru_trim.h"
#include "sip/fields.h"

namespace parley::proxy {

PolicyDecision Decide(const store::UserPolicy& policy, const std::string& sender_aor) {
  std::string domain = sender_aor.substr(sender_aor.find('@') + 1);
  // specificity: 3 = AOR, 2 = domain, 1 = "*"
  int best = 0;
  bool blocked = false;
  for (const auto& e : policy.entries) {
    int spec = IEquals(e.pattern, sender_aor) ? 3 : IEquals(e.pattern, domain) ? 2 : e.pattern == "*" ? 1 : 0;
    if (spec == 0 || spec < best) continue;
    bool block = e.action == store::PolicyAction::kBlock;
    if (spec > best) {
      best = spec;
      blocked = block;
    } else {
      blocked = blocked && block;  // same specificity: allow wins
    }
  }
  if (!blocked) return PolicyDecision::kAllow;
  return policy.mode == store::BlockMode::kDiscard ? PolicyDecision::kDiscard : PolicyDecision::kReject;
}

PolicyCache::PolicyCache(store::StoreExecutor& store, ShardRouter& router, size_t shard, TimerService& timers,
                         size_t capacity)
    : store_(store), router_(router), shard_(shard), timers_(timers), capacity_(capacity) {}

PolicyCache::~PolicyCache() { timers_.Cancel(sweep_); }

void PolicyCache::ArmSweep() {
  if (sweep_ != 0) return;
  sweep_ = timers_.Schedule(kSweepEvery, [this] {
    sweep_ = 0;
    Sweep();
  });
}

void PolicyCache::Sweep() {
  Clock::time_point now = timers_.Now();
  for (auto it = cache_.begin(); it != cache_.end();) {
    const Entry& e = it->second;
    bool idle = !e.loading && e.waiters.empty() && now - e.used_at >= kIdleTtl;
    it = idle ? cache_.erase(it) : std::next(it);
  }
  if (!cache_.empty()) ArmSweep();
}

void PolicyCache::Get(const std::string& aor, Done done) {
  if (!cache_.contains(aor) && KnownEmpty(aor)) {
    router_.Post(shard_, [done = std::move(done)] {
      static const store::UserPolicy kNone;
      done(&kNone);
    });
    return;
  }
  Entry& e = FindOrInsertWithin(
      cache_, aor, capacity_, [](const Entry& x) { return x.used_at; },
      [](const Entry& x) { return !x.loading && x.waiters.empty(); });
  e.used_at = timers_.Now();
  ArmSweep();
  if (e.policy && !e.loading) {
    router_.Post(shard_, [this, aor, done = std::move(done)] {
      auto it = cache_.find(aor);
      if (it == cache_.end() || !it->second.policy) return Get(aor, done);
      done(&*it->second.policy);
    });
    return;
  }
  e.waiters.push_back(std::move(done));
  if (e.loading) return;
  e.loading = true;
  ++loads_;
  // Beside the writer, like the user directory: policies are written by
  // other processes only (parleyctl), and an ordered Read would split the
  // group of writes before it.
  store_.ReadCommitted([this, aor](store::Store& s) {
    auto r = s.GetPolicy(aor);
    router_.Post(shard_, [this, aor, r = std::move(r)]() mutable {
      auto it = cache_.find(aor);
      if (it == cache_.end()) return;
      std::vector<Done> waiters = std::move(it->second.waiters);
      it->second.waiters.clear();
      it->second.loading = false;
      std::optional<store::UserPolicy> policy;
      if (r.ok()) policy = std::move(*r);
      if (!r.ok() || it->second.invalidated) {
        cache_.erase(it);
      } else {
        it->second.policy = policy;
        if (complete_) {
          changed_.erase(aor);
          if (policy->entries.empty()) {
            holders_.erase(aor);
          } else {
            holders_.insert(aor);
          }
        }
      }
      for (auto& w : waiters) w(policy ? &*policy : nullptr);
    });
  });
}

void PolicyCache::Warm(const std::string& aor) {
  if (cache_.contains(aor) || KnownEmpty(aor)) return;
  Get(aor, [](const store::UserPolicy*) {});
}

void PolicyCache::Invalidate(const std::string& aor) {
  if (preloading_ || complete_) changed_.insert(aor);
  InvalidateCached(cache_, aor);
}

void PolicyCache::Forget() {
  preloading_ = false;
  complete_ = false;
  holders_.clear();
  changed_.clear();
  InvalidateAllCached(cache_);
}

void PolicyCache::BeginPreload() {
  preloading_ = true;
  complete_ = false;
}

void PolicyCache::AddPolicyHolders(const std::vector<std::string>& aors) {
  if (preloading_) holders_.insert(aors.begin(), aors.end());
}

void PolicyCache::EndPreload(bool complete) {
  if (!preloading_) return;
  preloading_ = false;
  complete_ = complete;
  if (!complete) {
    holders_.clear();
    changed_.clear();
  }
}

Verdict PolicyProcessor::Process(RequestContextPtr& p, ProcessorHost& host) {
  RequestContext& ctx = *p;
  const sip::Message& m = *ctx.request;
  sip::Method meth = m.method();
  if (meth == sip::Method::kRegister || meth == sip::Method::kAck || meth == sip::Method::kCancel) {
    return Verdict::kContinue;
  }
  if (!ctx.local_domain || ctx.to_self || (m.to() && m.to()->has_tag())) return Verdict::kContinue;
  const sip::Uri& ruri = *m.request_uri();
  if (!ruri.has_user) return Verdict::kContinue;
  std::string target = sip::AorKey(ruri);
  std::string sender = !ctx.authenticated.empty() ? ctx.authenticated : sip::AorKey(m.from()->uri);
  auto holder = std::make_shared<RequestContextPtr>(std::move(p));
  ProcessorHost* h = &host;
  size_t back = ctx.shard;
  ShardRouter& router = caches_.router();
  caches_.OnOwner(target, [holder, h, back, target, sender, &router](PolicyCache& cache) {
    cache.Get(target, [holder, h, back, target, sender, &router](const store::UserPolicy* policy) {
      PolicyDecision d = policy ? Decide(*policy, sender) : PolicyDecision::kAllow;
      if (!policy) PLOG_WARN("policy_unavailable", {{"aor", target}});
      router.Post(back, [holder, h, d] {
        RequestContextPtr c = std::move(*holder);
        switch (d) {
          case PolicyDecision::kAllow:
            h->Resume(std::move(c));
            return;
          case PolicyDecision::kReject:
            h->Respond(*c, 403, "Forbidden");
            return;
          case PolicyDecision::kDiscard:
            if (c->request->method() == sip::Method::kMessage) {
              h->Respond(*c, 200, "OK");
            } else {
              h->Respond(*c, 480, "Temporarily Unavailable");
            }
            return;
        }
      });
    });
  });
  return Verdict::kPending;
}

}  // namespace parley::proxy
