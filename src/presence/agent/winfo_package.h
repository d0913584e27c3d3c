#pragma once
// Watcher information (RFC 3857/3858): a presentity subscribes to
// `presence.winfo` for its own AOR and learns who watches it — the full
// list first, then each watcher that arrives, is approved or rejected, or
// leaves. A pending watcher shows up here; the user decides (pres-rules
// over XCAP, parleyctl) and the waiting subscription becomes active or
// terminated at once. The same for the dialog package's watchers
// (`dialog.winfo`, RFC 3857's template-package form), by another instance.

#include <functional>
#include <string>
#include <vector>

#include "events/notifier.h"
#include "presence/winfo/watcherinfo.h"
#include "proxy/shards.h"

namespace parley::presence {

class WinfoPackage : public events::EventPackage {
 public:
  // The watchers of `watched`'s subscriptions ("presence"; "dialog" for
  // RFC 3857's template package dialog.winfo).
  explicit WinfoPackage(proxy::Sharded<events::Notifier>& notifiers, std::string watched = "presence")
      : notifiers_(notifiers), watched_(std::move(watched)), name_(watched_ + ".winfo") {}

  std::string_view name() const override { return name_; }
  std::string_view content_type() const override { return "application/watcherinfo+xml"; }
  // Only the presentity itself watches its watchers.
  void Authorize(const std::string& subscriber, const std::string& resource,
                 std::function<void(events::Grant)> done) override;
  std::string FullState(events::Subscription& sub) override;

  // A notifier observer: a subscription changed (on its shard); those of
  // the watched package count.
  void OnWatcherChange(const events::Subscription& s, events::WatcherChange change);

  // Watchers that hold no subscription to the presentity of their own: the
  // subscribers of the presence lists it is on (RFC 4662 virtual
  // subscriptions). `extra(resource)` runs on the resource's shard. Set
  // before the loops run.
  using ExtraWatchers = std::function<std::vector<WatcherEntry>(const std::string& resource)>;
  void SetExtraWatchers(ExtraWatchers extra) { extra_ = std::move(extra); }
  // Such a watcher of `resource` arrived, changed or left (on its shard).
  void ExtraWatcherChanged(const std::string& resource, WatcherEntry entry);

  // The watcherinfo entry of a presence subscription (exposed for tests).
  static WatcherEntry EntryOf(const events::Subscription& s, int64_t now);

 private:
  void SendPartial(const std::string& resource, WatcherEntry entry);

  proxy::Sharded<events::Notifier>& notifiers_;
  const std::string watched_;
  const std::string name_;  // watched_ + ".winfo"
  ExtraWatchers extra_;
};

}  // namespace parley::presence
