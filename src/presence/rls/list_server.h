#pragma once
// A resource list server (RFC 4662) of one event package: a SUBSCRIBE
// (Event: presence, Supported: eventlist) to a list's URI is one
// subscription to the presence of every resource on the list (seed 003
// §7.5.2, "subscribing to presence or a presence list"); with Event:
// dialog, to the calls of each (a desk phone's busy-lamp list). Lists are
// our own (the group directory's, users' rls-services); their members are
// our users, so each "virtual subscription" is a view the package computes
// on the member's shard (MemberViews), authorized by the member's rules
// for the list's subscriber, not a SIP subscription of its own.
//
// State, per shard:
// * on the list's shard, one View per (list, subscriber): the members and
//   the state and document each one shows that subscriber; every
//   subscription of that subscriber to that list shares it;
// * on a member's shard, which (list, subscriber) views it feeds, so a
//   change of its presence or rules is computed there for each one and
//   posted to the list's shard, which sends a partial notification
//   (fullState="false", that resource only) to that subscriber's
//   subscriptions.
// A view goes when its subscriber's last subscription to the list ends.
// A SUBSCRIBE to the list server's URI may carry the list itself
// (RFC 5367): it is kept on its own resource's shard while its
// subscription lives, and in the subscription's store record.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/event_processor.h"
#include "events/notifier.h"
#include "presence/agent/winfo_package.h"
#include "presence/rls/rlmi.h"
#include "proxy/shards.h"

namespace parley::presence {

// Where lists come from (the group directory), read on a shard's loop.
struct ListSource {
  // Whether `uri` (an AOR) is a list: cheap, asked for every presence SUBSCRIBE.
  std::function<bool(size_t shard, const std::string& uri)> exists;
  struct Resolved {
    std::vector<std::string> members;  // AORs, in notification order
    bool allowed = false;              // `subscriber` may subscribe to the list
  };
  // The list's members for `subscriber`; nullopt when `uri` is no list.
  std::function<std::optional<Resolved>(size_t shard, const std::string& uri, const std::string& subscriber)> resolve;
  // Whether `aor` is in one of our domains (on `shard`'s loop). A member
  // that is not has no state we can show: terminated (rejected), as a
  // request to a foreign domain is without federation. Null: all are.
  std::function<bool(size_t shard, const std::string& aor)> ours;
};

// What a list's members show: the state one event package keeps of each
// of our users.
struct MemberViews {
  std::string package = "presence";                         // the Event of the list's subscriptions
  std::string part_type = "application/pidf+xml;charset=\"UTF-8\"";  // each member's part
  // On `member`'s shard: the grant `subscriber` has for `member` and, when
  // it may see something, the document of that view; `done` on that shard.
  std::function<void(const std::string& subscriber, const std::string& member,
                     std::function<void(events::Grant, std::string body)> done)>
      view;
  // A kept document as the part of a NOTIFY whose RLMI version is
  // `version` (a dialog-info document numbers itself). Null: as kept.
  std::function<std::string(const std::string& body, uint32_t version)> part;
};

struct ListServerConfig {
  size_t max_resources = 500;  // a longer list is refused (403; 413 in a SUBSCRIBE body)
  // The user part of the list server's URI in each of our domains
  // ("rls@example.com"), where a SUBSCRIBE carrying its list goes
  // (RFC 5367); "" turns those off.
  std::string rls_user = "rls";
};

class ResourceListServer : public events::EventPackage {
 public:
  // `winfo` (may be null) shows the list subscribers among each member's
  // watchers (RFC 3857): a member asked to confirm one learns of it.
  ResourceListServer(const ListServerConfig& config, MemberViews views, proxy::Sharded<events::Notifier>& notifiers,
                     ListSource source, WinfoPackage* winfo);
  ~ResourceListServer() override;

  // events::EventPackage: NOTIFYs carry the members' package's Event, a
  // multipart/related body (RLMI first) and Require: eventlist.
  std::string_view name() const override { return views_.package; }
  std::string_view content_type() const override { return "multipart/related"; }
  std::string_view ContentTypeOf(std::string_view body, std::string& scratch) const override;
  std::string_view require() const override { return "eventlist"; }
  // On the list's shard: the subscriber must be allowed to see the list;
  // then every member's view is gathered before `done` (the first NOTIFY
  // has every state).
  void Authorize(const std::string& subscriber, const std::string& list,
                 std::function<void(events::Grant)> done) override;
  std::string FullState(events::Subscription& sub) override;

  bool IsList(size_t shard, const std::string& uri) const {
    return IsRequestList(uri) || source_.exists(shard, uri);
  }

  // Lists in the SUBSCRIBE (RFC 5367). `resource` (an AOR of one of our
  // domains) is the list server's URI.
  bool IsServerUri(const std::string& resource) const;
  // Reads the resource-lists body of a SUBSCRIBE to the list server's URI
  // (deflated or not): the subscription's resource is a URI of its own
  // ("rls@example.com;list=…"), defined on its shard before it is made.
  events::EventProcessor::RequestList TakeRequestList(const sip::Message& m, const std::string& subscriber);
  // The resource of a subscription whose list its SUBSCRIBE carried.
  static bool IsRequestList(std::string_view resource);
  // events::EventPackage: such a subscription's resources are kept in its
  // store record and come back with it.
  std::string SavedState(const events::Subscription& sub) const override;
  // "Presence" for Linphone's lists: liblinphone (5.1) hands a list
  // NOTIFY to its friend list only under that exact name.
  std::string EventHeaderValue(const events::Subscription& sub) const override;
  void RestoreState(const std::string& resource, const std::string& subscriber, std::string_view state) override;
  // A notifier observer: a list subscription that ended may take its view along.
  void OnSubscriptionChange(const events::Subscription& s, events::WatcherChange change);
  // What `aor`'s view shows may have changed (its package's change
  // listener, its rules), on `aor`'s shard.
  void OnMemberChanged(const std::string& aor);
  // The lists changed (on `shard`, with its new snapshot in place): each
  // view there takes the list's members again and, if they changed, its
  // subscriptions get the full state; a list gone (or no longer allowed)
  // ends them.
  void OnListsChanged(size_t shard);
  // Rules of `domain`'s presentities on `shard` ("": of all of them) may
  // have changed: members there compute their views again. On `shard`.
  void OnRulesChanged(size_t shard, std::string_view domain);

  // The list subscribers watching `member` through its lists, as watcher
  // information entries (WinfoPackage's extra watchers), on its shard.
  std::vector<WatcherEntry> WatchersOf(const std::string& member);

  // Whether some list's view shows `member` (on its shard).
  bool Feeds(const std::string& member) { return shards_.At(router().ShardOf(member)).feeds.count(member) != 0; }

  // (list, subscriber) views held on `shard` (for tests and metrics), on its loop.
  size_t ViewsOn(size_t shard);
  // (member, view) links held on `shard`, on its loop.
  size_t FeedsOn(size_t shard);

 private:
  struct Member {
    bool known = false;  // its view arrived
    events::Authorization state = events::Authorization::kPending;
    std::string body;
    bool operator==(const Member&) const = default;
  };
  using Key = std::pair<std::string, std::string>;  // list, subscriber
  struct View {
    std::vector<std::string> members;
    std::unordered_map<std::string, Member> state;
  };
  // A member's side of one view: the grant its rules give the view's
  // subscriber (what its watcher information shows).
  struct Feed {
    bool known = false;
    events::Authorization state = events::Authorization::kPending;
    bool approved = false;  // became active after waiting
    int64_t since = 0;      // unix seconds
  };
  // A list a SUBSCRIBE carried: its subscriber's only.
  struct RequestList {
    std::string owner;
    std::vector<std::string> members;
    // Sent by Linphone (its User-Agent): NOTIFYs as liblinphone reads
    // them (Event "Presence", parts "Content-Id: cid").
    bool linphone = false;
  };
  // The request list behind `resource` on its shard, or null.
  const RequestList* RequestListOf(std::string_view resource) const;
  struct Shard {
    std::map<Key, View> views;                                       // lists on this shard
    std::unordered_map<std::string, RequestList> request_lists;      // by resource, on this shard
    std::unordered_map<std::string, std::map<Key, Feed>> feeds;      // members on this shard -> the views they feed
  };

  proxy::ShardRouter& router() const { return notifiers_.router(); }
  // The list's members and whether `subscriber` may subscribe: a list
  // of a SUBSCRIBE, or the source's. On `uri`'s shard.
  std::optional<ListSource::Resolved> Resolve(size_t shard, const std::string& uri, const std::string& subscriber);
  // On `uri`'s shard: the list a SUBSCRIBE carried is `members`; a view
  // of it already held takes them (a restored or repeated definition).
  void DefineRequestList(const std::string& uri, RequestList list);
  // Asks each of `members` for its view of `key`'s subscriber and keeps it
  // in the view; `done` on the list's shard when all have answered.
  // `changed`: some member's view differs from what the view held.
  void Gather(const Key& key, const std::vector<std::string>& members, std::function<void(bool changed)> done);
  // Gives `view` the list's members now: those gone lose their state and
  // feed; returns those added.
  std::vector<std::string> SetMembers(const Key& key, View& view, std::vector<std::string> members);
  // On the list's shard: a member's view arrived or changed; true when it differs.
  bool Store(const Key& key, const std::string& member, events::Grant g, std::string body);
  void Unfeed(const Key& key, const std::vector<std::string>& members);
  // On `member`'s shard: its grant for `key`'s subscriber is `g`.
  void Fed(const std::string& member, const Key& key, events::Grant g);
  static WatcherEntry EntryFor(const Key& key, const Feed& f, bool gone, int64_t now);
  void Drop(const Key& key);
  // Drops `key`'s view unless a live subscription still uses it.
  void DropIfUnused(const Key& key);
  // The body for `key`'s subscriber: every member (full) or only `*only`.
  std::string Build(const Key& key, uint32_t version, bool full, const std::string* only);
  // The subscriptions of `key` get the full state.
  void NotifyFull(const Key& key);

  const ListServerConfig& config_;
  MemberViews views_;
  proxy::Sharded<events::Notifier>& notifiers_;
  ListSource source_;
  WinfoPackage* winfo_;
  proxy::Sharded<Shard> shards_;
};

}  // namespace parley::presence
