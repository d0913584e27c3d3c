#pragma once
// Who may see a presentity, and what they see (seed 003 §13.2, RFC 5025):
// the presentity's own rules, else its domain's default rule, else the
// server's. The presentity always sees itself. An invisible presentity
// (seed 003 §17.1) looks offline to every watcher the rules let see it:
// they get the polite-block grant.
//
// Rules are cached per presentity on the presentity's shard, dropped when
// the change feed says its rules or options changed, and, beyond
// `cache_entries`, when least recently used.

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/package.h"
#include "presence/doc/pidf.h"
#include "presence/rules/rules.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::presence {

using rules::ParseSubHandling;
using rules::SubHandling;
using rules::SubHandlingName;

struct AuthorizerConfig {
  SubHandling default_rule = SubHandling::kConfirm;  // when nothing else decides
  size_t cache_entries = 0;  // presentities whose rules a shard keeps (0: no bound; least recently used go)
};

using rules::kOptionDefaultRule;
using rules::kOptionInvisible;

class Authorizer {
 public:
  Authorizer(const AuthorizerConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router);

  // On `resource`'s shard; `done` runs on the same shard.
  void Decide(const std::string& watcher, const std::string& resource, std::function<void(events::Grant)> done);
  // The document `view` lets a watcher see (view 0: everything).
  PresenceDoc Apply(size_t shard, uint32_t view, const PresenceDoc& doc) const;
  // The presentity's current RPID sphere, for <sphere> conditions (set by
  // the agent; call on the presentity's shard).
  void SetSphereSource(std::function<std::string(const std::string& aor)> f) { sphere_of_ = std::move(f); }

  // Starts loading `resource`'s rules unless they are cached or being
  // loaded (on its shard).
  void Warm(const std::string& resource);
  void Invalidate(const std::string& aor);           // on the AOR's shard
  void InvalidateDomain(size_t shard, const std::string& domain);
  void InvalidateShard(size_t shard);  // every presentity of the shard

 private:
  struct Entry {
    bool loaded = false;
    bool loading = false;      // a read is on its way (waiters or not)
    bool invalidated = false;  // changed while loading
    bool invisible = false;
    uint64_t used = 0;  // the shard's use count when last asked
    std::optional<SubHandling> domain_rule;
    std::optional<rules::Ruleset> ruleset;  // the presentity's pres-rules document
    std::vector<std::function<void()>> waiters;
  };
  struct Shard {
    std::unordered_map<std::string, Entry> entries;
    uint64_t uses = 0;
    // Views other than "everything", interned: view v is views[v - 1].
    std::vector<rules::Transformations> views;
  };
  // `resource`'s entry, made (within the capacity) if need be, marked used.
  Entry& Touch(size_t shard, const std::string& resource);
  void Load(size_t shard, const std::string& resource);
  events::Grant Evaluate(size_t shard, const Entry& e, const std::string& watcher, const std::string& resource);
  uint32_t Intern(size_t shard, const rules::Transformations& t);

  const AuthorizerConfig& config_;
  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  std::vector<Shard> shards_;
  std::function<std::string(const std::string&)> sphere_of_;
};

}  // namespace parley::presence
