#pragma once
// The notifier side of SIP events (RFC 6665) on one shard: subscriptions
// to resources (AORs) this shard owns, their dialogs, expiry, and NOTIFY
// delivery. One NOTIFY is in flight per subscription; changes that happen
// meanwhile are coalesced into one full-state NOTIFY when it completes. A
// NOTIFY answered 481, timed out or undeliverable ends the subscription
// (§4.2.2). Used on its shard's loop only.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "events/package.h"
#include "proxy/processor.h"
#include "transport/types.h"

namespace parley::events {

enum class SubState { kPending, kActive, kTerminated };

struct Subscription {
  uint64_t id = 0;
  EventPackage* package = nullptr;
  std::string event_id;    // Event "id" parameter
  std::string resource;    // AOR being watched
  std::string subscriber;  // authenticated AOR of the watcher
  SubState state = SubState::kActive;
  bool polite = false;     // authorized with polite blocking
  int64_t expires_at = 0;  // unix seconds
  uint32_t version = 0;    // next document version (reginfo, watcherinfo)

  // Dialog (we are the UAS of the SUBSCRIBE).
  std::string call_id, local_tag, remote_tag;
  std::string local_uri;      // the resource URI (From of our NOTIFYs)
  std::string remote_party;   // the SUBSCRIBE's From value without tag
  std::string remote_target;  // the SUBSCRIBE's Contact URI
  std::vector<std::string> route;  // Record-Route of the SUBSCRIBE
  uint32_t local_cseq = 0;
  uint32_t remote_cseq = 0;
  transport::Destination destination;  // where NOTIFYs go (the SUBSCRIBE's flow)

  TimerId expiry = 0;
  bool notify_in_flight = false;
  bool notify_pending = false;  // state changed while a NOTIFY was in flight
  std::string terminate_reason;  // set when the final NOTIFY is to be sent
};

// A new SUBSCRIBE, as checked by the event processor.
struct SubscribeRequest {
  EventPackage* package = nullptr;
  std::string event_id;
  std::string resource, subscriber;
  uint32_t expires = 0;  // already bounded; 0 = fetch
  std::string call_id, remote_tag, local_uri, remote_party, remote_target;
  std::vector<std::string> route;
  uint32_t remote_cseq = 0;
  transport::Destination destination;
  int64_t now = 0;
};

struct SubscribeAnswer {
  int status = 200;           // 200, 202, 403, 481, 500
  uint32_t expires = 0;
  std::string local_tag;      // To tag for the response
  std::string contact;        // our Contact for the dialog
};

struct NotifierStats {
  uint64_t notifies_sent = 0;
  uint64_t notifies_failed = 0;
  uint64_t subscriptions_created = 0;
  uint64_t subscriptions_terminated = 0;
};

class Notifier {
 public:
  // `host` is this shard's core (its transaction layer sends the NOTIFYs).
  Notifier(size_t shard, proxy::ProcessorHost& host);
  ~Notifier();

  // Creates (or, for a fetch, answers and ends) a subscription. `done`
  // runs on this shard; the first NOTIFY follows it.
  void Subscribe(SubscribeRequest req, std::function<void(SubscribeAnswer)> done);
  // A refresh or unsubscribe (Expires 0) inside an existing dialog: 200 or
  // 481 when the dialog does not match.
  SubscribeAnswer Refresh(uint64_t id, const std::string& call_id, const std::string& remote_tag, uint32_t cseq,
                          uint32_t expires, int64_t now);

  // The state of `resource` changed for `package`: each subscription gets
  // `body(sub)` (partial state, say) or, when a NOTIFY is in flight, a
  // full-state NOTIFY later.
  void Changed(const std::string& resource, const std::string& package,
               const std::function<std::string(Subscription&)>& body);
  // Ends every subscription to `resource` for `package` (e.g. the user was
  // deleted) with a final NOTIFY.
  void TerminateAll(const std::string& resource, const std::string& package, const std::string& reason);
  // Moves a pending subscription to active (or terminated if `allow` is
  // false) and notifies it.
  void Decide(uint64_t id, bool allow);

  std::vector<const Subscription*> Find(const std::string& resource, const std::string& package) const;
  size_t size() const { return subs_.size(); }
  // Whether any subscription (of any package) is for `resource`.
  bool Watched(const std::string& resource) const { return by_resource_.count(resource) != 0; }
  const NotifierStats& stats() const { return stats_; }

  // "<sip:ev-<shard>-<id>@host:port>" and back.
  static std::optional<std::pair<size_t, uint64_t>> ParseContactUser(std::string_view user);

 private:
  void SendNotify(Subscription& s, std::string body);
  void SendFull(Subscription& s);
  void OnNotifyResponse(uint64_t id, int status);
  void Arm(Subscription& s, int64_t now);
  void Remove(uint64_t id);
  std::string ContactFor(const Subscription& s, const transport::Destination& d) const;

  size_t shard_;
  proxy::ProcessorHost& host_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Subscription>> subs_;
  std::multimap<std::string, uint64_t> by_resource_;  // resource -> ids
  NotifierStats stats_;
};

}  // namespace parley::events
