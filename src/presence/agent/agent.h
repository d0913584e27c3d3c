#pragma once
// The presence agent (seed 003 §7.5, RFC 3856/3903): the event state
// compositor of our users' presence. It accepts PUBLISH for them, composes
// one document per presentity from every live publication and the
// registrations (the implicit source), and is the `presence` event package
// the notifier serves SUBSCRIBE/NOTIFY with, authorization included.
//
// State is sharded by presentity AOR like the registrar's, so a
// presentity's publications, bindings and subscriptions live on the same
// loop. Publications are in the store before their 2xx and are reloaded at
// startup.

#include <memory>
#include <string>
#include <vector>

#include "events/notifier.h"
#include "presence/agent/authorizer.h"
#include "presence/agent/presentity.h"
#include "proxy/processor.h"
#include "proxy/shards.h"
#include "registrar/registrar.h"
#include "store/executor.h"

namespace parley::presence {

struct AgentConfig {
  uint32_t min_expires = 60;       // PUBLISH Expires below this (not 0) gets 423
  uint32_t max_expires = 3600;     // longer ones are shortened
  uint32_t default_expires = 3600;
  size_t max_publications = 16;    // per presentity (devices publishing at once)
  Limits limits;                   // PIDF parsing limits (413)
  AuthorizerConfig authorization;
};

struct AgentStats {
  uint64_t publications_created = 0;
  uint64_t publications_refreshed = 0;
  uint64_t publications_modified = 0;
  uint64_t publications_removed = 0;
  uint64_t publications_expired = 0;
  uint64_t publications_rejected = 0;
  uint64_t publications_patched = 0;  // pidf-diff PUBLISHes applied (RFC 5264)
  uint64_t notifies_full = 0;         // <pidf-full> NOTIFY bodies (RFC 5263)
  uint64_t notifies_diff = 0;         // <pidf-diff> NOTIFY bodies
};

class PresenceAgent : public events::EventPackage {
 public:
  // `timers[i]` is shard i's TimerService.
  PresenceAgent(const AgentConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router,
                registrar::Registrar& registrar, proxy::Sharded<events::Notifier>& notifiers,
                const std::vector<TimerService*>& timers);
  ~PresenceAgent() override;

  // PUBLISH for `Event: presence` (one per core, before the event processor).
  std::unique_ptr<proxy::Processor> MakePublishProcessor();
  // Reads every stored publication and hard state into the shards. Call
  // before the loops run.
  Result<size_t> LoadFromStore();
  // The user's pidf-manipulation document changed (change feed): it is read
  // again and its watchers notified. On any thread.
  void OnHardStateChanged(const std::string& aor);

  // events::EventPackage
  std::string_view name() const override { return "presence"; }
  std::string_view content_type() const override { return "application/pidf+xml"; }
  // RFC 5263: a watcher whose Accept names it gets a <pidf-full>, then
  // <pidf-diff>s of what changed.
  std::string_view partial_type() const override { return "application/pidf-diff+xml"; }
  std::string_view ContentTypeOf(std::string_view body, std::string& scratch) const override;
  void Authorize(const std::string& subscriber, const std::string& resource,
                 std::function<void(events::Grant)> done) override;
  std::string FullState(events::Subscription& sub) override;
  // What a change sends `sub`: full state, or for a partial subscription a
  // <pidf-diff> from the document it holds when one can say it.
  std::string ChangedState(events::Subscription& sub);

  // A registration changed (the registrar's listener, on the AOR's shard).
  void OnRegistration(const std::string& aor);
  // Whether a user is in an answered call (the dialog package; asked on
  // its shard): its person shows the activity "on-the-phone" while it is
  // (compose.h). Set before the loops run; null: never.
  void SetCallSource(std::function<bool(const std::string& aor)> in_call) { in_call_ = std::move(in_call); }
  // The user went into its first answered call or out of its last (on its shard).
  void OnCallStateChanged(const std::string& aor);
  // Called on the AOR's shard once a publication that shows a service open
  // (a tuple with <basic>open</basic>) is stored: the user is available.
  using AvailabilityListener = std::function<void(const std::string& aor)>;
  void AddAvailabilityListener(AvailabilityListener l) { available_listeners_.push_back(std::move(l)); }
  // The presentity's authorization rules or options changed (change feed):
  // subscriptions are authorized again and see their new view.
  void OnRulesChanged(const std::string& aor);
  // A user was deleted: its publications go (the store deleted them with
  // it). On the AOR's shard, after its subscriptions ended.
  void OnUserDeleted(const std::string& aor);
  // A domain's options changed: every cached decision of that domain on
  // `shard` goes, and its subscriptions are authorized again. On `shard`.
  void OnDomainChanged(size_t shard, const std::string& domain);
  // Any rule or option of the shard's presentities may have changed (the
  // change feed lost track): all are read again, every subscription of the
  // shard decided again. On shard `shard`.
  void OnShardRulesChanged(size_t shard);

  // What a virtual subscription of a resource list (RFC 4662) sees: the
  // grant `subscriber` has for `aor` and, when it may see something, the
  // document of that view. Call and `done` on `aor`'s shard.
  void ViewFor(const std::string& subscriber, const std::string& aor,
               std::function<void(events::Grant, std::string body)> done);
  // Called on an AOR's shard when what its watchers see may have changed
  // (a publication, a registration, its rules), watched or not.
  using ChangeListener = std::function<void(const std::string& aor)>;
  void AddChangeListener(ChangeListener l) { change_listeners_.push_back(std::move(l)); }
  // Called on `shard` when the rules of its presentities of `domain` (""
  // all of them) may have changed: a domain's default, a lost change feed.
  using RulesListener = std::function<void(size_t shard, const std::string& domain)>;
  void AddRulesListener(RulesListener l) { rules_listeners_.push_back(std::move(l)); }
  // Called on an AOR's shard when its own rules or options changed (the
  // change feed): other packages' views of it are decided again.
  using UserRulesListener = std::function<void(const std::string& aor)>;
  void AddUserRulesListener(UserRulesListener l) { user_rules_listeners_.push_back(std::move(l)); }
  // Another event package whose watchers the presence rules decide (the
  // dialog package): its subscriptions are decided again with presence's
  // when the rules change. Set before the loops run.
  void AuthorizeAlso(std::string package) { authorized_packages_.push_back(std::move(package)); }

  Authorizer& authorizer() { return *authorizer_; }
  // Shard-local counters (read on shard `shard`).
  const AgentStats& StatsOf(size_t shard) { return shards_.At(shard).stats; }
  size_t PublicationsOf(size_t shard) { return shards_.At(shard).table.publications(); }
  size_t HardStatesOf(size_t shard) { return shards_.At(shard).table.hard_states(); }

 private:
  class PublishProcessor;
  struct Shard {
    explicit Shard(size_t max_publications) : table(max_publications) {}
    PresentityTable table;
    AgentStats stats;
  };

  // Runs on the presentity's shard; answers through `done` on that shard.
  void Publish(PublishOp op, std::function<void(PublishResult)> done);
  void ArmExpiry(size_t shard, const std::string& aor, LivePublication& pub, int64_t now);
  void Notify(const std::string& aor);
  // Parses `content` (nullopt: none) as `aor`'s hard state; on its shard.
  void SetHardState(const std::string& aor, const std::optional<std::string>& content);
  // The document `view` (polite: the offline one) of `resource`, on its shard.
  std::string Body(const std::string& resource, uint32_t view, bool polite);
  std::vector<RegisteredContact> Registrations(size_t shard, const std::string& aor);
  // `aor`'s composed document (cached), on its shard.
  const PresenceDoc& ComposedOf(size_t shard, const std::string& aor);

  const AgentConfig& config_;
  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  registrar::Registrar& registrar_;
  proxy::Sharded<events::Notifier>& notifiers_;
  std::vector<TimerService*> timers_;
  proxy::Sharded<Shard> shards_;
  std::unique_ptr<Authorizer> authorizer_;
  std::vector<AvailabilityListener> available_listeners_;
  std::vector<ChangeListener> change_listeners_;
  std::vector<RulesListener> rules_listeners_;
  std::vector<UserRulesListener> user_rules_listeners_;
  std::function<bool(const std::string& aor)> in_call_;
  std::vector<std::string> authorized_packages_{"presence"};
};

}  // namespace parley::presence
