#pragma once
// The dialog event package (RFC 4235): watchers subscribe to `Event:
// dialog` for a user of ours and receive application/dialog-info+xml —
// the calls the user is in (dialling, ringing, answered) and, as they change,
// each dialog that became trying, proceeding, early, confirmed or
// terminated. This is what
// busy-lamp fields and call pickup keys of desk phones show.
//
// The state comes from the proxy: every call through us is record-routed,
// so the INVITE going out, its responses (each branch's early dialog, the
// answer, the failure) and the BYE pass by (proxy::CallObserver). The dialogs of a
// user live on the user's shard; the reports are posted there. Who may
// watch is decided by the user's presence rules (a watcher allowed to see
// the presence may see the calls; polite blocking shows no calls).
//
// Calls we do not see end are bounded (DialogLimits): a user keeps at most
// `max_dialogs` (the oldest go), and a dialog older than `max_age_s` is
// dropped when the user's dialogs are next read.

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dialoginfo/dialog_info.h"
#include "dialoginfo/user_dialogs.h"
#include "events/notifier.h"
#include "proxy/router.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::dialoginfo {

// A shard's dialogs, for /metrics.
struct DialogStats {
  uint64_t trying = 0, early = 0, confirmed = 0;  // held now (trying: and proceeding)
  uint64_t ended = 0;                 // terminated since start
};

class DialogPackage : public events::EventPackage, public proxy::CallObserver {
 public:
  // Decides whether `subscriber` may watch `resource` (on the resource's shard).
  using AuthorizeFn =
      std::function<void(const std::string& subscriber, const std::string& resource, std::function<void(events::Grant)>)>;

  // With `store`, answered calls are kept there (written behind) and come
  // back with LoadFromStore.
  DialogPackage(const DialogLimits& limits, proxy::Sharded<events::Notifier>& notifiers, AuthorizeFn authorize,
                store::StoreExecutor* store = nullptr);

  // At startup, before the loops run: the answered calls the store kept
  // (older ones are skipped: the server's start-up sweep deletes them).
  // Returns how many.
  Result<size_t> LoadFromStore();

  std::string_view name() const override { return "dialog"; }
  std::string_view content_type() const override { return "application/dialog-info+xml"; }
  void Authorize(const std::string& subscriber, const std::string& resource,
                 std::function<void(events::Grant)> done) override;
  std::string FullState(events::Subscription& sub) override;

  // proxy::CallObserver (on the request's shard).
  void OnInviteResponse(const proxy::RequestContext& ctx, const std::string& callee,
                        const sip::Message& response) override;
  void OnInviteForwarded(const proxy::RequestContext& ctx) override;
  void OnInviteFinal(const proxy::RequestContext& ctx, const std::string& callee, int status) override;
  void OnBye(const proxy::RequestContext& ctx) override;

  // Applies `u` to `aor`'s dialogs (on the AOR's shard) and notifies its
  // watchers of the dialogs that changed.
  void Apply(const std::string& aor, const DialogUpdate& u, int64_t now);
  // `aor`'s dialogs now (on its shard; for tests and FullState).
  std::vector<Dialog> DialogsOf(const std::string& aor, int64_t now);

  // What a virtual subscription of a list (RFC 4662) sees: the grant
  // `subscriber` has for `aor` and, when it may see something, the full
  // dialog-info document of that view (no calls when polite-blocked;
  // version 0 and no <duration>: the list numbers it as it sends it, see
  // WithVersion). Call and `done` on `aor`'s shard.
  void ViewFor(const std::string& subscriber, const std::string& aor,
               std::function<void(events::Grant, std::string body)> done);
  // Called on an AOR's shard when its dialogs changed, watched or not (set
  // before the loops run).
  using ChangeListener = std::function<void(const std::string& aor)>;
  void AddChangeListener(ChangeListener l) { change_listeners_.push_back(std::move(l)); }

  // Whether `aor` is in an answered call now (on its shard).
  bool InCall(const std::string& aor) const;
  // Called on an AOR's shard when it went into its first answered call or
  // out of its last (the presence agent's "on-the-phone"). Set before the
  // loops run.
  void AddCallStateListener(ChangeListener l) { call_state_listeners_.push_back(std::move(l)); }

  // Whether someone watches `aor` other than by a subscription of this
  // package (a busy-lamp list's view of it), asked on its shard: its
  // answered calls are kept over a restart as a watched user's are. Set
  // before the loops run.
  void SetWatchedElsewhere(std::function<bool(const std::string& aor)> f) { watched_elsewhere_ = std::move(f); }

  // Shard `shard`'s dialogs (on its loop).
  DialogStats StatsOf(size_t shard) const;

  // Reports `u` for `aor` on the AOR's shard (from any shard): at once
  // when that is the calling shard, else posted there.
  void Report(const std::string& aor, DialogUpdate u);

 private:
  struct Shard {
    std::unordered_map<std::string, UserDialogs> users;
    uint64_t ended = 0;
  };
  void Notify(const std::string& aor, std::vector<Dialog> changed);
  // Tells the call-state listeners when `aor`'s being in a call is no longer `before`.
  void CallStateMayHaveChanged(const std::string& aor, bool before);
  // Keeps what `changed` did to `aor`'s answered calls (`user`) in the store.
  void Persist(const std::string& aor, UserDialogs& user, const std::vector<Dialog>& changed);
  // Deletes `d` from the store if it was kept there.
  void Unstore(const std::string& aor, const Dialog& d);

  const DialogLimits& limits_;
  proxy::Sharded<events::Notifier>& notifiers_;
  AuthorizeFn authorize_;
  store::StoreExecutor* store_;
  std::vector<Shard> shards_;  // shard k touched on loop k only
  std::vector<ChangeListener> change_listeners_;
  std::vector<ChangeListener> call_state_listeners_;
  std::function<bool(const std::string& aor)> watched_elsewhere_;
};

}  // namespace parley::dialoginfo
