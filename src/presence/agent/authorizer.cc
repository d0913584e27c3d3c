#include "presence/agent/authorizer.h"

#include "common/log.h"
#include "common/strings.h"

namespace parley::presence {

std::optional<SubHandling> ParseSubHandling(std::string_view s) {
  if (s == "allow") return SubHandling::kAllow;
  if (s == "block") return SubHandling::kBlock;
  if (s == "polite-block") return SubHandling::kPoliteBlock;
  if (s == "confirm") return SubHandling::kConfirm;
  return std::nullopt;
}

std::string_view SubHandlingName(SubHandling h) {
  switch (h) {
    case SubHandling::kAllow: return "allow";
    case SubHandling::kBlock: return "block";
    case SubHandling::kPoliteBlock: return "polite-block";
    case SubHandling::kConfirm: return "confirm";
  }
  return "confirm";
}

namespace {

std::string DomainOf(const std::string& aor) {
  size_t at = aor.find('@');
  return at == std::string::npos ? std::string() : aor.substr(at + 1);
}

events::Grant GrantFor(SubHandling h) {
  switch (h) {
    case SubHandling::kAllow: return {events::Authorization::kActive, 0};
    case SubHandling::kPoliteBlock: return {events::Authorization::kPolite, 0};
    case SubHandling::kConfirm: return {events::Authorization::kPending, 0};
    case SubHandling::kBlock: return {events::Authorization::kReject, 0};
  }
  return {events::Authorization::kPending, 0};
}

}  // namespace

Authorizer::Authorizer(const AuthorizerConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router)
    : config_(config), store_(store), router_(router), shards_(router.count()) {}

void Authorizer::Decide(const std::string& watcher, const std::string& resource,
                        std::function<void(events::Grant)> done) {
  if (watcher == resource) {  // the presentity sees itself, whatever the rules
    done({events::Authorization::kActive, 0});
    return;
  }
  size_t shard = router_.ShardOf(resource);
  Entry& e = shards_[shard].entries[resource];
  if (e.loaded) {
    done(Evaluate(e, watcher, resource));
    return;
  }
  e.waiters.push_back([this, shard, watcher, resource, done = std::move(done)] {
    auto it = shards_[shard].entries.find(resource);
    if (it == shards_[shard].entries.end() || !it->second.loaded) {
      done(GrantFor(config_.default_rule));  // the store failed: the default, not an error
      return;
    }
    done(Evaluate(it->second, watcher, resource));
  });
  if (e.waiters.size() == 1) Load(shard, resource);
}

void Authorizer::Load(size_t shard, const std::string& resource) {
  store_.Read([this, shard, resource](store::Store& s) {
    auto user = s.GetOptions(resource);
    auto domain = s.GetOptions(DomainOf(resource));
    bool ok = user.ok() && domain.ok();
    if (!ok) PLOG_WARN("presence_rules_unavailable", {{"aor", resource}});
    Entry loaded;
    if (ok) {
      for (const auto& o : *user) loaded.invisible |= o.name == kOptionInvisible && o.value == "1";
      for (const auto& o : *domain) {
        if (o.name == kOptionDefaultRule) loaded.domain_rule = ParseSubHandling(o.value);
      }
    }
    router_.Post(shard, [this, shard, resource, ok, loaded = std::move(loaded)]() mutable {
      auto& entries = shards_[shard].entries;
      auto it = entries.find(resource);
      if (it == entries.end()) return;
      std::vector<std::function<void()>> waiters = std::move(it->second.waiters);
      bool stale = it->second.invalidated;
      if (ok && !stale) {
        it->second = std::move(loaded);
        it->second.loaded = true;
      } else {
        entries.erase(it);
      }
      for (auto& w : waiters) w();
      // Changed while loading: load again for whoever asks next.
    });
  });
}

events::Grant Authorizer::Evaluate(const Entry& e, const std::string& watcher, const std::string& resource) const {
  (void)watcher;
  (void)resource;
  return GrantFor(e.domain_rule.value_or(config_.default_rule));
}

bool Authorizer::HiddenFrom(const std::string& resource, const std::string& watcher) {
  if (watcher == resource) return false;
  auto& entries = shards_[router_.ShardOf(resource)].entries;
  auto it = entries.find(resource);
  return it != entries.end() && it->second.loaded && it->second.invisible;
}

PresenceDoc Authorizer::Apply(size_t shard, uint32_t view, const PresenceDoc& doc) const {
  (void)shard;
  (void)view;
  return doc;
}

void Authorizer::Invalidate(const std::string& aor) {
  auto& entries = shards_[router_.ShardOf(aor)].entries;
  auto it = entries.find(aor);
  if (it == entries.end()) return;
  if (!it->second.waiters.empty()) {
    it->second.invalidated = true;
  } else {
    entries.erase(it);
  }
}

void Authorizer::InvalidateDomain(size_t shard, const std::string& domain) {
  auto& entries = shards_[shard].entries;
  for (auto it = entries.begin(); it != entries.end();) {
    if (IEquals(DomainOf(it->first), domain)) {
      if (!it->second.waiters.empty()) {
        it->second.invalidated = true;
        ++it;
      } else {
        it = entries.erase(it);
      }
    } else {
      ++it;
    }
  }
}

}  // namespace parley::presence
