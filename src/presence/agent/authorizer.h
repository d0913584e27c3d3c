#pragma once
// Who may see a presentity, and what they see (seed 003 §13.2, RFC 5025):
// the presentity's own rules, else its domain's default rule, else the
// server's. The presentity always sees itself. An invisible presentity
// (seed 003 §17.1) looks offline to everyone else, whatever the rules.
//
// Decisions are cached per presentity on the presentity's shard and
// dropped when the change feed says its rules or options changed.

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/package.h"
#include "presence/doc/pidf.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::presence {

// RFC 5025 §3.2.1 sub-handling, in the order of its values.
enum class SubHandling : uint8_t { kBlock = 0, kConfirm = 10, kPoliteBlock = 20, kAllow = 30 };
std::optional<SubHandling> ParseSubHandling(std::string_view s);
std::string_view SubHandlingName(SubHandling h);

struct AuthorizerConfig {
  SubHandling default_rule = SubHandling::kConfirm;  // when nothing else decides
};

// Option names in the store (store::OptionEntry).
inline constexpr const char* kOptionDefaultRule = "presence-default-rule";  // per domain
inline constexpr const char* kOptionInvisible = "presence-invisible";       // per user, "1"

class Authorizer {
 public:
  Authorizer(const AuthorizerConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router);

  // On `resource`'s shard; `done` runs on the same shard.
  void Decide(const std::string& watcher, const std::string& resource, std::function<void(events::Grant)> done);
  // Whether `resource` is invisible to `watcher` (call on its shard, after
  // a Decide for it).
  bool HiddenFrom(const std::string& resource, const std::string& watcher);
  // The document `view` lets a watcher see.
  PresenceDoc Apply(size_t shard, uint32_t view, const PresenceDoc& doc) const;

  void Invalidate(const std::string& aor);           // on the AOR's shard
  void InvalidateDomain(size_t shard, const std::string& domain);

 private:
  struct Entry {
    bool loaded = false;
    bool invalidated = false;  // changed while loading
    bool invisible = false;
    std::optional<SubHandling> domain_rule;
    std::vector<std::function<void()>> waiters;
  };
  struct Shard {
    std::unordered_map<std::string, Entry> entries;
  };
  void Load(size_t shard, const std::string& resource);
  events::Grant Evaluate(const Entry& e, const std::string& watcher, const std::string& resource) const;

  const AuthorizerConfig& config_;
  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  std::vector<Shard> shards_;
};

}  // namespace parley::presence
