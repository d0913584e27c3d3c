#pragma once
// The registrar (RFC 3261 §10.3, RFC 3327 Path, RFC 5626 instance/reg-id)
// and the location service built on it. Bindings of an AOR live on the
// shard that owns the AOR; a REGISTER is checked on its transaction's
// shard, applied on the AOR's shard, written to the store, and answered
// only after the store committed (nothing acknowledged is lost). Bindings
// are reloaded from the store at startup.

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "aaa/authenticator.h"
#include "proxy/location.h"
#include "proxy/processor.h"
#include "proxy/shards.h"
#include "registrar/gruu.h"
#include "registrar/location_table.h"
#include "store/executor.h"

namespace parley::registrar {

struct RegistrarConfig {
  uint32_t min_expires = 60;       // shorter non-zero requests get 423
  uint32_t max_expires = 3600;     // longer requests are shortened to this
  uint32_t default_expires = 3600;
  // Flow-Timer sent to SIP Outbound UAs this server is the first hop of
  // (RFC 5626 §4.4.1: they keep the flow alive every 80-100% of it); 0: none.
  uint32_t flow_timer = 0;
  // Bindings one AOR may have: a REGISTER that would add more gets 403
  // (refreshes and removals always pass); 0: no limit.
  uint32_t max_contacts = 20;
};

// Observers of registration changes (reg event, presence, the message store
// delivering queued messages). Called on the AOR's shard after the change
// was committed; `current()` gives the AOR's full binding set afterwards (built
// only when a listener asks: most changes have nobody watching).
using BindingsFn = std::function<std::vector<store::Binding>()>;
using RegistrationListener = std::function<void(const std::string& aor, const std::vector<BindingChange>& changes,
                                                const BindingsFn& current)>;

class Registrar : public proxy::LocationService {
 public:
  // `timers[i]` is shard i's TimerService. With `gruu` (outliving this),
  // a REGISTER that supports GRUUs gets them (RFC 5627 §5).
  Registrar(const RegistrarConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router,
            proxy::Sharded<aaa::AaaShard>& users, const std::vector<TimerService*>& timers,
            const GruuCodec* gruu = nullptr);
  ~Registrar() override;

  // One per core; runs after the authenticator.
  std::unique_ptr<proxy::Processor> MakeProcessor();

  // Reads every stored binding into the shards' tables. Call before the
  // loops run (it runs each table's Restore inline).
  Result<size_t> LoadFromStore();

  void AddListener(RegistrationListener l) { listeners_.push_back(std::move(l)); }
  // The temporary GRUU codec (null: the server mints none).
  const GruuCodec* gruu() const { return gruu_; }

  // LocationService
  void Lookup(const std::string& aor, size_t reply_shard, std::function<void(proxy::LookupResult)> done) override;
  void LookupInstance(const std::string& aor, proxy::InstanceFilter filter, size_t reply_shard,
                      std::function<void(proxy::LookupResult)> done) override;

  // Shard-local view (call on the AOR's shard).
  LocationTable& TableOf(size_t shard) { return tables_.At(shard); }

  // An administrator's removal (the change feed's `binding`, a deleted
  // user): takes `aor`'s binding of `contact_uri` (all when "") out of its
  // shard's table, deletes it from the store and tells the listeners
  // (reg event: `deactivated`, or `rejected` for a deleted user). On any
  // thread; nothing happens for bindings this server does not hold.
  // `then` (optional) runs on the AOR's shard once the listeners heard it.
  void Evict(const std::string& aor, const std::string& contact_uri, ChangeKind why,
             std::function<void()> then = {});

  // Writes the batched refreshes and expiries of every shard now and waits
  // until they committed (shutdown). Call from a non-loop thread while the
  // loops still run.
  void Flush();

 private:
  class Processor;
  // `done` runs when the store answered; `after_notify` (optional) on the
  // shard after the listeners heard the change.
  void Persist(size_t shard, const std::string& aor, std::vector<BindingChange> changes,
               std::function<void(const Result<void>&)> done, std::function<void()> after_notify = {});
  // Write-behind for what needs no acknowledgement of durability: refreshes
  // (the stored, earlier expiry stays valid meanwhile) and expiries.
  void Defer(size_t shard, const std::vector<BindingChange>& changes);
  void FlushShard(size_t shard, std::function<void()> done);

  struct Pending {
    std::map<std::pair<std::string, std::string>, std::optional<store::Binding>> writes;  // nullopt = delete
    TimerId timer = 0;
  };

  void Notify(const std::string& aor, const std::vector<BindingChange>& changes);
  void LookupOn(const std::string& aor, std::optional<proxy::InstanceFilter> filter, size_t reply_shard,
                std::function<void(proxy::LookupResult)> done);

  RegistrarConfig config_;
  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  proxy::Sharded<aaa::AaaShard>& users_;
  proxy::Sharded<LocationTable> tables_;
  std::vector<RegistrationListener> listeners_;
  std::vector<TimerService*> timers_;
  std::vector<std::unique_ptr<Pending>> pending_;  // per shard, touched on its loop
  const GruuCodec* gruu_;
};

// Target of a binding for the proxy: the registration's flow, or its source
// address, or (with Path) the first Path hop.
proxy::Target TargetOf(const Contact& c);

// A new temporary GRUU for binding `b` (with a fresh random IV): valid while
// the instance stays registered with b's Call-ID. Empty if none can be made.
std::string MintTempGruu(const GruuCodec& gruu, const store::Binding& b);

// What a request to `uri`, one of our GRUUs (the caller checked that its
// domain is ours), looks up: the AOR and its instance (RFC 5627 §7.1); a
// temporary GRUU also its registration's Call-ID. nullopt: not a GRUU.
std::optional<std::pair<std::string, proxy::InstanceFilter>> GruuLookup(const sip::Uri& uri, const GruuCodec* codec);

}  // namespace parley::registrar
