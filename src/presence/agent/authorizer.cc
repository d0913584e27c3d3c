#include "presence/agent/authorizer.h"

#include "common/cache_invalidate.h"
#include "common/log.h"
#include "common/lru_trim.h"
#include "common/strings.h"
#include "common/timer.h"
#include "presence/rules/transform.h"

namespace parley::presence {

namespace {

std::string DomainOf(const std::string& aor) {
  size_t at = aor.find('@');
  return at == std::string::npos ? std::string() : aor.substr(at + 1);
}

bool ProvidesEverything(const rules::Transformations& t) {
  return t.services.all && t.persons.all && t.devices.all && t.all_attributes;
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
  Entry& e = Touch(shard, resource);
  if (e.loaded) {
    done(Evaluate(shard, e, watcher, resource));
    return;
  }
  e.waiters.push_back([this, shard, watcher, resource, done = std::move(done)] {
    auto it = shards_[shard].entries.find(resource);
    if (it == shards_[shard].entries.end() || !it->second.loaded) {
      done(GrantFor(config_.default_rule));  // the store failed: the default, not an error
      return;
    }
    done(Evaluate(shard, it->second, watcher, resource));
  });
  if (!e.loading) {
    e.loading = true;
    Load(shard, resource);
  }
}

Authorizer::Entry& Authorizer::Touch(size_t shard, const std::string& resource) {
  Shard& sh = shards_[shard];
  Entry& e = FindOrInsertWithin(
      sh.entries, resource, config_.cache_entries, [](const Entry& x) { return x.used; },
      [](const Entry& x) { return x.loaded && x.waiters.empty(); });
  e.used = ++sh.uses;
  return e;
}

void Authorizer::Warm(const std::string& resource) {
  size_t shard = router_.ShardOf(resource);
  if (shards_[shard].entries.contains(resource)) return;
  Entry& e = Touch(shard, resource);
  e.loading = true;
  Load(shard, resource);
}

void Authorizer::Load(size_t shard, const std::string& resource) {
  store_.ReadCommitted([this, shard, resource](store::Store& s) {
    auto user = s.GetOptions(resource);
    auto domain = s.GetOptions(DomainOf(resource));
    auto doc = s.GetXcapDocument("pres-rules", resource, "index");
    bool ok = user.ok() && domain.ok() && doc.ok();
    if (!ok) PLOG_WARN("presence_rules_unavailable", {{"aor", resource}});
    Entry loaded;
    if (ok && *doc) {
      auto parsed = rules::ParseRuleset((*doc)->content);
      if (parsed.ok()) {
        loaded.ruleset = std::move(*parsed);
      } else {
        // Stored documents were validated on the way in; a limit may have changed since.
        PLOG_WARN("presence_rules_unreadable", {{"aor", resource}, {"error", parsed.error().message}});
      }
    }
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
      if (ok && it->second.invalidated) {
        // Changed while loading: what was read may predate the change, so
        // the waiters wait for a fresh read (never the default in its place).
        it->second.invalidated = false;
        Load(shard, resource);
        return;
      }
      std::vector<std::function<void()>> waiters = std::move(it->second.waiters);
      if (ok) {
        loaded.used = it->second.used;
        it->second = std::move(loaded);
        it->second.loaded = true;
      } else {
        entries.erase(it);
      }
      for (auto& w : waiters) w();
    });
  });
}

events::Grant Authorizer::Evaluate(size_t shard, const Entry& e, const std::string& watcher,
                                   const std::string& resource) {
  events::Grant g = GrantFor(e.domain_rule.value_or(config_.default_rule));  // a default "allow" shows everything
  if (e.ruleset) {
    std::string uri = "sip:" + watcher;
    std::string sphere = sphere_of_ ? sphere_of_(resource) : std::string();
    rules::Decision d = rules::Evaluate(*e.ruleset, {uri, true}, UnixNow(), sphere);
    if (d.matched) {
      // A permission no matching rule grants has its lowest value (RFC 4745 §10.2).
      SubHandling handling = d.sub_handling.value_or(SubHandling::kBlock);
      g = GrantFor(handling);
      if (handling == SubHandling::kAllow && !ProvidesEverything(d.transformations)) {
        g.view = Intern(shard, d.transformations);
      }
    }
  }
  // Invisible (seed 003 §17.1): whoever may see the presentity sees it
  // offline and learns of no change, exactly like a polite block. Pending
  // and refused watchers stay so: invisibility grants nothing.
  if (e.invisible && g.state == events::Authorization::kActive) g = {events::Authorization::kPolite, 0};
  return g;
}

uint32_t Authorizer::Intern(size_t shard, const rules::Transformations& t) {
  auto& views = shards_[shard].views;
  for (size_t i = 0; i < views.size(); ++i) {
    if (views[i] == t) return static_cast<uint32_t>(i + 1);
  }
  views.push_back(t);
  return static_cast<uint32_t>(views.size());
}

PresenceDoc Authorizer::Apply(size_t shard, uint32_t view, const PresenceDoc& doc) const {
  const auto& views = shards_[shard].views;
  if (view == 0 || view > views.size()) return doc;
  return rules::ApplyTransformations(doc, views[view - 1]);
}

void Authorizer::Invalidate(const std::string& aor) {
  InvalidateCached(shards_[router_.ShardOf(aor)].entries, aor);
}

void Authorizer::InvalidateDomain(size_t shard, const std::string& domain) {
  InvalidateCachedIf(shards_[shard].entries, [&](const std::string& aor) { return IEquals(DomainOf(aor), domain); });
}

void Authorizer::InvalidateShard(size_t shard) {
  InvalidateAllCached(shards_[shard].entries);
}

}  // namespace parley::presence
