#include "presence/agent/winfo_package.h"

namespace parley::presence {

namespace {

WatcherEvent EventFor(const std::string& reason) {
  if (reason == "rejected") return WatcherEvent::kRejected;
  if (reason == "deactivated") return WatcherEvent::kDeactivated;
  if (reason == "noresource") return WatcherEvent::kNoresource;
  if (reason == "giveup") return WatcherEvent::kGiveup;
  if (reason == "probation") return WatcherEvent::kProbation;
  return WatcherEvent::kTimeout;
}

}  // namespace

void WinfoPackage::Authorize(const std::string& subscriber, const std::string& resource,
                             std::function<void(events::Grant)> done) {
  done({subscriber == resource ? events::Authorization::kActive : events::Authorization::kReject, 0});
}

WatcherEntry WinfoPackage::EntryOf(const events::Subscription& s, int64_t now) {
  WatcherEntry e;
  std::string uri = "sip:" + std::string(s.subscriber());
  e.id = WatcherId(uri, s.call_id(), s.remote_tag());
  e.uri = std::move(uri);
  if (!s.terminate_reason.empty()) {
    e.status = WatcherStatus::kTerminated;
    e.event = EventFor(s.terminate_reason);
  } else if (s.state == events::SubState::kPending) {
    e.status = WatcherStatus::kPending;
    e.event = WatcherEvent::kSubscribe;
  } else {
    e.status = WatcherStatus::kActive;
    e.event = s.approved ? WatcherEvent::kApproved : WatcherEvent::kSubscribe;
  }
  e.duration_subscribed = static_cast<uint32_t>(std::max<int64_t>(now - s.created_at, 0));
  if (e.status != WatcherStatus::kTerminated) e.expiration = static_cast<uint32_t>(std::max<int64_t>(s.expires_at - now, 0));
  return e;
}

std::string WinfoPackage::FullState(events::Subscription& sub) {
  const std::string resource(sub.resource());
  events::Notifier& n = notifiers_.At(notifiers_.router().ShardOf(resource));
  WatcherList list{std::string(sub.local_uri()), watched_, {}};
  int64_t now = UnixNow();
  for (const events::Subscription* w : n.Find(resource, watched_)) {
    if (w->expires_at == 0 || !w->terminate_reason.empty()) continue;  // fetches and ending ones are not watchers
    list.watchers.push_back(EntryOf(*w, now));
  }
  if (extra_) {
    for (WatcherEntry& e : extra_(resource)) list.watchers.push_back(std::move(e));
  }
  return WatcherinfoDocument(sub.version++, WinfoState::kFull, std::span<const WatcherList>(&list, 1));
}

void WinfoPackage::OnWatcherChange(const events::Subscription& s, events::WatcherChange change) {
  (void)change;
  if (s.package->name() != watched_ || s.expires_at == 0) return;
  const std::string resource(s.resource());
  size_t shard = notifiers_.router().ShardOf(resource);
  events::Notifier& n = notifiers_.At(shard);
  if (!n.Has(resource, name())) return;
  // Sent from the loop, not from inside the notifier's own bookkeeping.
  WatcherEntry entry = EntryOf(s, UnixNow());
  notifiers_.router().Post(shard, [this, resource, entry = std::move(entry)] { SendPartial(resource, entry); });
}

void WinfoPackage::ExtraWatcherChanged(const std::string& resource, WatcherEntry entry) {
  if (!notifiers_.At(notifiers_.router().ShardOf(resource)).Has(resource, name())) return;
  SendPartial(resource, std::move(entry));
}

void WinfoPackage::SendPartial(const std::string& resource, WatcherEntry entry) {
  events::Notifier& n = notifiers_.At(notifiers_.router().ShardOf(resource));
  n.Changed(resource, name(), [this, entry = std::move(entry)](events::Subscription& w) {
    WatcherList list{std::string(w.local_uri()), watched_, {entry}};
    return WatcherinfoDocument(w.version++, WinfoState::kPartial, std::span<const WatcherList>(&list, 1));
  });
}

}  // namespace parley::presence
