#pragma once
// The registration event package (RFC 3680): a user (or a watcher on the
// user's allow list) subscribes to `Event: reg` for their AOR and receives
// application/reginfo+xml — the full state first, then partial state as
// contacts register, refresh, expire or unregister (seed 003 §7.1 step 6).

#include <string>
#include <vector>

#include "events/notifier.h"
#include "proxy/policy.h"
#include "proxy/shards.h"
#include "registrar/registrar.h"

namespace parley::events {

class RegPackage : public EventPackage {
 public:
  RegPackage(registrar::Registrar& registrar, proxy::Sharded<proxy::PolicyCache>& policies,
             proxy::Sharded<Notifier>& notifiers);

  std::string_view name() const override { return "reg"; }
  std::string_view content_type() const override { return "application/reginfo+xml"; }
  void Authorize(const std::string& subscriber, const std::string& resource,
                 std::function<void(Grant)> done) override;
  std::string FullState(Subscription& sub) override;

  // The registrar's listener: runs on the AOR's shard after a change.
  void OnRegistration(const std::string& aor, const std::vector<registrar::BindingChange>& changes,
                      const registrar::BindingsFn& current);

 private:
  // The codec that mints temporary GRUUs for `s`'s documents, or null.
  const registrar::GruuCodec* TempGruusFor(const Subscription& s) const;

  registrar::Registrar& registrar_;
  proxy::Sharded<proxy::PolicyCache>& policies_;
  proxy::Sharded<Notifier>& notifiers_;
};

// reginfo documents (exposed for tests).
std::string ReginfoDocument(const std::string& aor_uri, uint32_t version, bool full,
                            const std::vector<std::pair<store::Binding, std::string>>& contacts,  // binding, event
                            bool registration_active, int64_t now, const registrar::GruuCodec* gruu = nullptr);

}  // namespace parley::events
