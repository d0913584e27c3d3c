#pragma once
// The notifier side of SIP events (RFC 6665) on one shard: subscriptions
// to resources (AORs) this shard owns, their dialogs, expiry, persistence
// and NOTIFY delivery. Used on its shard's loop only.
//
// * One NOTIFY is in flight per subscription; changes that happen
//   meanwhile are coalesced into one full-state NOTIFY when it completes.
// * Rate control (RFC 6446): a subscription's max-rate and the server-wide
//   minimum interval space its NOTIFYs (the last state always goes out);
//   min-rate / adaptive-min-rate send the state again after a silence.
// * Fan-out never stalls the loop: a change watched by many subscriptions
//   is sent in batches, the loop serving other work between them.
// * A NOTIFY answered 481, timed out or undeliverable ends the
//   subscription once (§4.2.2).
// * Every subscription that got a 2xx is in the store (when a persistence
//   is given) before the 2xx is sent, and comes back after a restart:
//   Restore() re-authorizes it and sends its current state.
// * A new SUBSCRIBE from the same watcher and contact for the same resource
//   and package replaces the older subscription instead of piling up.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/id_map.h"
#include "events/package.h"
#include "proxy/location.h"
#include "proxy/processor.h"
#include "proxy/shards.h"
#include "registrar/gruu.h"
#include "store/executor.h"
#include "store/store.h"
#include "transport/types.h"

namespace parley::events {

enum class SubState : uint8_t { kPending, kActive };

// RFC 6446 parameters of a subscription, as the notifier applies them.
struct RateControl {
  double max_rate = 0;           // notifications/s at most (0: none asked)
  double min_rate = 0;           // at least (0: none)
  double adaptive_min_rate = 0;  // at least, scaled down under load (0: none)
};

// Strings fixed when a subscription is made, in one allocation (a
// subscription held for an hour costs its bytes, not ten string objects).
class PackedStrings {
 public:
  static constexpr size_t kCount = 9;
  PackedStrings() = default;
  explicit PackedStrings(const std::array<std::string_view, kCount>& parts);
  std::string_view operator[](size_t i) const {
    uint32_t begin = i == 0 ? 0 : end_[i - 1];
    return {data_.get() + begin, end_[i] - begin};
  }

 private:
  std::unique_ptr<char[]> data_;
  std::array<uint32_t, kCount> end_{};
};

struct Subscription {
  uint64_t id = 0;
  EventPackage* package = nullptr;
  SubState state = SubState::kActive;
  bool polite = false;     // authorized with polite blocking
  bool confirmed = false;  // its 2xx was sent (NOTIFYs may go out)
  bool approved = false;   // became active after waiting (pending -> active)
  bool notify_in_flight = false;
  bool notify_pending = false;  // state changed while it could not be sent
  bool final_in_flight = false;  // the NOTIFY in flight is the terminating one
  bool gruu_target = false;  // the remote target is one of our GRUUs: NOTIFYs follow its registration
  bool deflate = false;      // its SUBSCRIBE accepted deflated bodies: large ones over UDP go so
  // RFC 3261 §18.1.1: a NOTIFY too large for UDP goes over TCP to the same
  // address; when that fails (refused, 503, 408) it goes over UDP after all,
  // and so do this subscription's later ones.
  bool notify_over_tcp = false;  // the NOTIFY in flight is such a one
  bool udp_only = false;
  bool partial = false;  // its Accept named the package's partial_type()
  uint32_t view = 0;       // package-defined authorization view
  uint32_t version = 0;    // next document version (reginfo, watcherinfo)
  int64_t expires_at = 0;  // unix seconds
  int64_t created_at = 0;  // unix seconds
  RateControl rate;

  // Dialog (we are the UAS of the SUBSCRIBE).
  uint32_t local_cseq = 0;
  uint32_t remote_cseq = 0;
  std::vector<std::string> route;  // Record-Route of the SUBSCRIBE
  transport::Destination destination;  // where NOTIFYs go (the SUBSCRIBE's flow)

  Clock::time_point expiry_at{};  // its entry in the notifier's expiry heap (none: epoch)
  TimerId pace = 0;       // the next NOTIFY allowed by the rate limit
  TimerId heartbeat = 0;  // min-rate: the state again after a silence
  int64_t last_notify_ms = 0;  // steady clock
  std::string terminate_reason;  // set when the final NOTIFY is to be sent
  // A partial subscription's document as the watcher holds it (the
  // package's, RFC 5263); null for all others.
  std::unique_ptr<std::string> partial_base;

  // The strings, in this order.
  enum Text : uint8_t {
    kEventId, kResource, kSubscriber, kCallId, kLocalTag, kRemoteTag, kLocalUri, kRemoteParty, kRemoteTarget
  };
  PackedStrings text;
  std::string_view event_id() const { return text[kEventId]; }      // Event "id" parameter
  std::string_view resource() const { return text[kResource]; }     // AOR being watched
  std::string_view subscriber() const { return text[kSubscriber]; } // authenticated AOR of the watcher
  std::string_view call_id() const { return text[kCallId]; }
  std::string_view local_tag() const { return text[kLocalTag]; }
  std::string_view remote_tag() const { return text[kRemoteTag]; }
  std::string_view local_uri() const { return text[kLocalUri]; }        // the resource URI (From of our NOTIFYs)
  std::string_view remote_party() const { return text[kRemoteParty]; }  // the SUBSCRIBE's From value without tag
  std::string_view remote_target() const { return text[kRemoteTarget]; }  // the SUBSCRIBE's Contact URI
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
  RateControl rate;
  bool accepts_deflate = false;  // Accept-Encoding names deflate
  bool accepts_partial = false;  // Accept names the package's partial_type()
  int64_t now = 0;
};

struct SubscribeAnswer {
  int status = 200;           // 200, 202, 403, 481, 500
  uint32_t expires = 0;
  std::string local_tag;      // To tag for the response
  std::string contact;        // our Contact for the dialog
  std::string reason;         // reason phrase of an error
  // For a 2xx: to be run (on any loop) once the response is sent. It
  // sends the NOTIFY that follows the answer (the first, a refresh's, or
  // an unsubscribe's final one), so that the watcher gets them in that
  // order: UAs that drop a NOTIFY for a dialog their 2xx has not made yet
  // are common.
  std::function<void()> answered;
  std::string require;  // option tag for Require in the 2xx ("eventlist"), if any
};

// What happened to a subscription, for observers (watcher information).
enum class WatcherChange : uint8_t { kCreated, kStateChanged, kTerminated };
using SubscriptionObserver = std::function<void(const Subscription&, WatcherChange)>;

// Where subscriptions are kept across restarts.
class SubscriptionPersistence {
 public:
  virtual ~SubscriptionPersistence() = default;
  // Writes `rec`; `done(ok)` runs on shard `shard`'s loop once it committed
  // (or failed). `done` may be empty (write-behind).
  virtual void Save(size_t shard, store::SubscriptionRecord rec, std::function<void(bool)> done) = 0;
  virtual void Remove(int64_t id) = 0;
};

struct NotifierConfig {
  uint32_t min_notify_interval_ms = 0;  // server-wide minimum between two NOTIFYs of a subscription
  double max_rate_cap = 0;              // clamp of what subscribers ask (0: no clamp)
  size_t fanout_batch = 128;            // NOTIFYs sent per loop turn for one change
  // Restored dialogs continue their CSeq and document versions this far
  // ahead, past whatever was sent and not persisted before the restart.
  uint32_t restore_gap = 10000;
};

struct NotifierStats {
  uint64_t notifies_sent = 0;
  uint64_t notifies_failed = 0;
  uint64_t notifies_coalesced = 0;
  uint64_t subscriptions_created = 0;
  uint64_t subscriptions_replaced = 0;
  uint64_t subscriptions_restored = 0;
  uint64_t subscriptions_terminated = 0;
};

class Notifier {
 public:
  using BodyFn = std::function<std::string(Subscription&)>;

  // `host` is this shard's core (its transaction layer sends the NOTIFYs);
  // `persistence` may be null (nothing survives a restart).
  Notifier(size_t shard, proxy::ProcessorHost& host, proxy::ShardRouter& router, const NotifierConfig& config,
           SubscriptionPersistence* persistence);
  ~Notifier();

  // Creates (or, for a fetch, answers and ends) a subscription. `done`
  // runs on this shard; the first NOTIFY follows `answer.answered()`.
  void Subscribe(SubscribeRequest req, std::function<void(SubscribeAnswer)> done);
  // A refresh or unsubscribe (Expires 0) inside an existing dialog: 200 or
  // 481 when the dialog does not match. `done` runs on this shard.
  void Refresh(uint64_t id, const std::string& call_id, const std::string& remote_tag, uint32_t cseq,
               uint32_t expires, int64_t now, std::function<void(SubscribeAnswer)> done);

  // The state of `resource` changed for `package`: each active subscription
  // gets `body(sub)` (partial state, say) or, when it cannot be sent now, a
  // full-state NOTIFY later. With `subscriber`, only that watcher's
  // subscriptions (a resource list's view is its subscriber's).
  void Changed(const std::string& resource, std::string_view package, BodyFn body,
               std::string_view subscriber = {});
  // Ends every subscription to `resource` for `package` with a final NOTIFY.
  // With `subscriber`, only that watcher's.
  void TerminateAll(const std::string& resource, std::string_view package, const std::string& reason,
                    std::string_view subscriber = {});
  // A user was deleted: every subscription here to `aor` ends (noresource)
  // and every one `aor` made here ends (rejected), each with a final NOTIFY.
  void EndSubscriptionsOf(const std::string& aor);
  // Moves a pending subscription to active (or terminated if `allow` is
  // false) and notifies it.
  void Decide(uint64_t id, bool allow);
  // Authorizes every subscription to `resource` for `package` again (the
  // resource's rules changed) and notifies those whose view changed.
  void Reauthorize(const std::string& resource, std::string_view package);
  // Brings back a stored subscription (startup): it is authorized again and
  // gets a full-state NOTIFY. Expired records are dropped.
  void Restore(const store::SubscriptionRecord& rec, EventPackage* package, int64_t now);

  void AddObserver(SubscriptionObserver o) { observers_.push_back(std::move(o)); }
  // A dialog whose remote target is one of our GRUUs (a watcher's SUBSCRIBE
  // Contact, RFC 5627 §4.2) without a route set gets each NOTIFY where the
  // location service has that instance now, as a request to the GRUU
  // through a proxy would (§7.1): a device that registered again from
  // elsewhere keeps its subscriptions. Unset: the address the SUBSCRIBE
  // came from, as for any other remote target.
  void SetLocationService(proxy::LocationService* location, const registrar::GruuCodec* gruu) {
    location_ = location;
    gruu_ = gruu;
  }

  std::vector<const Subscription*> Find(const std::string& resource, std::string_view package) const;
  const Subscription* Get(uint64_t id) const;
  // The subscription to `resource` in the dialog (Call-ID, our tag, theirs), or 0.
  uint64_t FindDialog(const std::string& resource, const std::string& call_id, const std::string& local_tag,
                      const std::string& remote_tag) const;
  bool Holds(uint64_t id) const { return subs_.count(id) != 0; }
  // Every resource with a subscription of `package`.
  std::vector<std::string> Resources(std::string_view package) const;
  size_t size() const { return subs_.size(); }
  // Whether `resource` has a subscription of `package` (O(log n)).
  bool Has(const std::string& resource, std::string_view package) const;
  // Whether any subscription (of any package) is for `resource`.
  bool Watched(const std::string& resource) const {
    auto it = First(resource);
    return it != by_resource_.end() && (*it)->resource() == resource;
  }
  // At most one subscription to `resource` (O(log n), whatever the count).
  bool AtMostOneWatcher(const std::string& resource) const {
    auto it = First(resource);
    if (it == by_resource_.end() || (*it)->resource() != resource) return true;
    ++it;
    return it == by_resource_.end() || (*it)->resource() != resource;
  }
  const NotifierStats& stats() const { return stats_; }

  // Our Contact in a subscription dialog: "<sip:ev-<shard>-<id>@…>", so an
  // in-dialog SUBSCRIBE finds the shard holding it.
  static constexpr std::string_view kContactUserPrefix = "ev-";
  // Its user part back to (shard, id).
  static std::optional<std::pair<size_t, uint64_t>> ParseContactUser(std::string_view user);
  static store::SubscriptionRecord ToRecord(const Subscription& s);

 private:
  struct Fanout;
  void Admit(SubscribeRequest req, Grant g, std::function<void(SubscribeAnswer)> done);
  void Confirm(Subscription& s, const SubscribeAnswer& ans, std::function<void(SubscribeAnswer)> done);
  void Apply(uint64_t id, Grant g);
  // Sends the state now if the rate limit allows, else marks it pending.
  void Kick(Subscription& s, const BodyFn* body);
  void SendFull(Subscription& s);
  void SendNotify(Subscription& s, std::string body);
  // Sends it to `target` (a located GRUU) or, null, to the dialog's
  // destination; `over_tcp`: over TCP instead of UDP (its size).
  void SendNotifyTo(Subscription& s, std::string body, const proxy::Target* target, bool over_tcp = false);
  bool IsOurGruu(std::string_view uri) const;
  void OnNotifyResponse(Subscription& s, int status);
  // A NOTIFY over TCP to `s` failed: UDP for it, and for its address a while.
  void NoTcpAt(Subscription& s);
  // Whether a NOTIFY too large for UDP may try TCP to `dest`: not where TCP
  // failed lately, nor to a UA behind a NAT.
  bool TcpMayReach(const Subscription& s, const proxy::Target* target, const transport::Destination& dest) const;
  void RunFanout(std::shared_ptr<Fanout> f);
  int64_t SteadyMs() const;  // the loop's steady clock, in milliseconds
  // What SubscribeAnswer::answered runs: `then` on this shard, if `id` is still here.
  std::function<void()> AfterAnswer(uint64_t id, std::function<void(Subscription&)> then);
  // (Re)sets when `s` expires: expires_at, `now` being the same instant in
  // unix seconds. One loop timer serves all subscriptions (a heap of
  // deadlines, stale entries skipped), not one timer each.
  void Arm(Subscription& s, int64_t now);
  void Disarm(Subscription& s) { s.expiry_at = {}; }
  void ArmExpiryTimer();
  void OnExpiryTimer();
  void ArmHeartbeat(Subscription& s);
  uint32_t MinIntervalMs(const Subscription& s) const;
  void Persist(Subscription& s, std::function<void(bool)> done = {});
  void Terminate(Subscription& s, const std::string& reason);
  void Remove(uint64_t id);
  void Emit(const Subscription& s, WatcherChange c);
  uint64_t NewId();
  std::string ContactFor(const Subscription& s, const transport::Destination& d) const;
  void AppendContact(std::string& out, const Subscription& s, const transport::Destination& d) const;

  size_t shard_;
  proxy::ProcessorHost& host_;
  proxy::ShardRouter& router_;
  const NotifierConfig& config_;
  SubscriptionPersistence* persistence_;
  proxy::LocationService* location_ = nullptr;
  const registrar::GruuCodec* gruu_ = nullptr;
  std::string scratch_;  // SendNotify's header values
  // Addresses where a NOTIFY over TCP failed (§18.1.1): UDP there until the
  // steady ms given (one refused attempt per UA, not per subscription).
  std::unordered_map<std::string, int64_t> no_tcp_;
  // The bodies of NOTIFYs in flight over TCP for their size, by subscription.
  std::unordered_map<uint64_t, std::string> tcp_bodies_;
  struct Expiry {
    Clock::time_point at;
    uint64_t id;
    bool operator>(const Expiry& o) const { return at > o.at; }
  };
  std::vector<Expiry> expiries_;  // min-heap; an entry whose subscription's expiry_at differs is stale
  TimerId expiry_timer_ = 0;
  Clock::time_point expiry_timer_at_{};
  std::mt19937_64 rng_;
  IdMap<Subscription> subs_;  // entries never move
  // Subscriptions by resource, package, then subscriber: pointers to the
  // Subscription objects (heap objects that never move, whose keys never
  // change; an entry goes before its subscription), ordered by what they
  // say. Finding a watcher's own subscriptions to a resource, the
  // subscriptions of one package to a resource (a presentity's watcher-info
  // subscribers among its thousands of watchers), or removing one costs
  // O(log n + found), and an entry is one pointer.
  struct IndexKey {
    std::string_view resource;
    uintptr_t package = 0;  // the EventPackage's address (ordered as an integer)
    std::string_view subscriber;
    uint64_t id = 0;
    auto operator<=>(const IndexKey&) const = default;
  };
  static uintptr_t PackageKey(const EventPackage* p) { return reinterpret_cast<uintptr_t>(p); }
  static IndexKey KeyOf(const Subscription& s) {
    return IndexKey{s.resource(), PackageKey(s.package), s.subscriber(), s.id};
  }
  struct IndexLess {
    using is_transparent = void;
    static IndexKey Key(const IndexKey& k) { return k; }
    static IndexKey Key(const Subscription* s) { return KeyOf(*s); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) < Key(b);
    }
  };
  using Index = std::set<const Subscription*, IndexLess>;
  Index::const_iterator First(std::string_view resource) const {
    return by_resource_.lower_bound(IndexKey{resource, 0, {}, 0});
  }
  Index::const_iterator First(std::string_view resource, const EventPackage* package,
                              std::string_view subscriber = {}) const {
    return by_resource_.lower_bound(IndexKey{resource, PackageKey(package), subscriber, 0});
  }
  // Calls fn(id) for each subscription of `package` (by name) to `resource`.
  template <typename Fn>
  void ForEachOf(std::string_view resource, std::string_view package, Fn fn) const {
    ForEachSubscriptionOf(resource, package, [&](const Subscription& s) { fn(s.id); });
  }
  template <typename Fn>
  void ForEachSubscriptionOf(std::string_view resource, std::string_view package, Fn fn) const {
    for (const auto& [name, p] : packages_) {
      if (name != package) continue;
      for (auto it = First(resource, p);
           it != by_resource_.end() && (*it)->resource() == resource && (*it)->package == p; ++it) {
        fn(**it);
      }
    }
  }
  void AddToIndex(const Subscription& s);
  Index by_resource_;
  // Every package object indexed so far, with its name (a handful).
  std::vector<std::pair<std::string, const EventPackage*>> packages_;
  std::vector<SubscriptionObserver> observers_;
  NotifierStats stats_;
};

// A SubscriptionPersistence on the store executor.
class StoreSubscriptions : public SubscriptionPersistence {
 public:
  StoreSubscriptions(store::StoreExecutor& store, proxy::ShardRouter& router) : store_(store), router_(router) {}
  void Save(size_t shard, store::SubscriptionRecord rec, std::function<void(bool)> done) override;
  void Remove(int64_t id) override;

 private:
  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
};

}  // namespace parley::events
