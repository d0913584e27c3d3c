#include "presence/rls/list_server.h"

#include <algorithm>
#include <memory>

#include "common/strings.h"
#include "common/timer.h"
#include "presence/rls/services_doc.h"
#include "sip/content_coding.h"
#include "sip/uri.h"

namespace parley::presence {

namespace {

// The resource of a subscription to a list its SUBSCRIBE carried.
constexpr std::string_view kRequestListParam = ";list=";

// A member's entry in the RLMI document: its instance and, when the
// subscriber may see it, its document.
RlmiResource ResourceOf(const std::string& member, bool known, events::Authorization state, const std::string& body,
                        const MemberViews& views, uint32_t version) {
  RlmiResource r;
  r.uri = "sip:" + member;
  r.state = InstanceState::kPending;  // until its view arrives
  if (!known) return r;
  switch (state) {
    case events::Authorization::kActive:
    case events::Authorization::kPolite:
      r.state = InstanceState::kActive;
      r.body = views.part ? views.part(body, version) : body;
      r.body_type = views.part_type;
      break;
    case events::Authorization::kPending:
      break;
    case events::Authorization::kReject:
      r.state = InstanceState::kTerminated;
      r.reason = "rejected";
      break;
  }
  return r;
}

}  // namespace

ResourceListServer::ResourceListServer(const ListServerConfig& config, MemberViews views,
                                       proxy::Sharded<events::Notifier>& notifiers, ListSource source,
                                       WinfoPackage* winfo)
    : config_(config), views_(std::move(views)), notifiers_(notifiers), source_(std::move(source)), winfo_(winfo),
      shards_(notifiers.router()) {
  for (size_t i = 0; i < notifiers.size(); ++i) shards_.Add(std::make_unique<Shard>());
}

ResourceListServer::~ResourceListServer() = default;

std::string_view ResourceListServer::ContentTypeOf(std::string_view body, std::string& scratch) const {
  scratch = ListContentType(body);
  return scratch;
}

size_t ResourceListServer::ViewsOn(size_t shard) { return shards_.At(shard).views.size(); }

size_t ResourceListServer::FeedsOn(size_t shard) {
  size_t n = 0;
  for (const auto& [member, views] : shards_.At(shard).feeds) n += views.size();
  return n;
}

// ---- subscribing -------------------------------------------------------------

void ResourceListServer::Authorize(const std::string& subscriber, const std::string& list,
                                   std::function<void(events::Grant)> done) {
  size_t shard = router().ShardOf(list);
  auto resolved = Resolve(shard, list, subscriber);
  Key key{list, subscriber};
  if (!resolved || !resolved->allowed || resolved->members.size() > config_.max_resources) {
    DropIfUnused(key);
    done(events::Grant{events::Authorization::kReject, 0});
    return;
  }
  View& view = shards_.At(shard).views[key];
  SetMembers(key, view, std::move(resolved->members));
  // Every member is asked again (a refresh or a second device of the same
  // subscriber too): its rules may have changed without us hearing of it.
  const bool held = !view.state.empty();
  Gather(key, view.members, [this, key, held, done = std::move(done)](bool changed) {
    done(events::Grant{events::Authorization::kActive, 0});
    // The subscriptions already served from this view (a second device's,
    // or all of them when the notifier authorizes again) see what changed.
    if (held && changed) NotifyFull(key);
  });
}

std::vector<std::string> ResourceListServer::SetMembers(const Key& key, View& view, std::vector<std::string> members) {
  auto in = [](const std::vector<std::string>& list, const std::string& m) {
    return std::find(list.begin(), list.end(), m) != list.end();
  };
  std::vector<std::string> gone, added;
  for (const std::string& m : view.members) {
    if (!in(members, m)) gone.push_back(m);
  }
  for (const std::string& m : members) {
    if (!in(view.members, m)) added.push_back(m);
  }
  for (const std::string& m : gone) view.state.erase(m);
  Unfeed(key, gone);
  view.members = std::move(members);
  return added;
}

void ResourceListServer::Gather(const Key& key, const std::vector<std::string>& members,
                                std::function<void(bool)> done) {
  if (members.empty()) {
    done(false);
    return;
  }
  const size_t home = router().ShardOf(key.first);
  struct Pending {
    size_t left;
    bool changed = false;
    std::function<void(bool)> done;
  };
  auto pending = std::make_shared<Pending>(Pending{members.size(), false, std::move(done)});
  for (const std::string& m : members) {
    if (source_.ours && !source_.ours(home, m)) {
      pending->changed |= Store(key, m, events::Grant{events::Authorization::kReject, 0}, {});
      if (--pending->left == 0) pending->done(pending->changed);
      continue;
    }
    size_t at = router().ShardOf(m);
    router().Post(at, [this, key, m, at, home, pending] {
      shards_.At(at).feeds[m].try_emplace(key, Feed{false, events::Authorization::kPending, false, UnixNow()});
      views_.view(key.second, m, [this, key, m, home, pending](events::Grant g, std::string body) {
        Fed(m, key, g);
        router().Post(home, [this, key, m, g, body = std::move(body), pending]() mutable {
          pending->changed |= Store(key, m, g, std::move(body));
          if (--pending->left == 0) pending->done(pending->changed);
        });
      });
    });
  }
}

bool ResourceListServer::Store(const Key& key, const std::string& member, events::Grant g, std::string body) {
  Shard& sh = shards_.At(router().ShardOf(key.first));
  auto v = sh.views.find(key);
  if (v == sh.views.end() ||
      std::find(v->second.members.begin(), v->second.members.end(), member) == v->second.members.end()) {
    Unfeed(key, {member});  // a view or member gone meanwhile
    return false;
  }
  Member next{true, g.state, std::move(body)};
  Member& cur = v->second.state[member];
  if (cur == next) return false;
  cur = std::move(next);
  return true;
}

std::string ResourceListServer::FullState(events::Subscription& sub) {
  Key key{std::string(sub.resource()), std::string(sub.subscriber())};
  const size_t shard = router().ShardOf(key.first);
  Shard& sh = shards_.At(shard);
  if (!sh.views.count(key)) {
    // Dropped while this subscription was being admitted (its subscriber's
    // previous one ended meanwhile): gathered again, the full state follows.
    auto resolved = Resolve(shard, key.first, key.second);
    if (resolved && resolved->allowed) {
      sh.views[key].members = resolved->members;
      Gather(key, resolved->members, [this, key](bool) { NotifyFull(key); });
    }
  }
  std::string body = Build(key, sub.version++, true, nullptr);
  if (sub.expires_at == 0) {
    // A fetch (RFC 6665 §4.4.3): its view goes with it unless shared.
    router().Post(shard, [this, key] { DropIfUnused(key); });
  }
  return body;
}

std::string ResourceListServer::Build(const Key& key, uint32_t version, bool full, const std::string* only) {
  RlmiList list;
  list.uri = "sip:" + key.first;
  list.version = version;
  list.full_state = full;
  const RequestList* carried = RequestListOf(key.first);
  list.bare_content_ids = carried && carried->linphone;
  const Shard& sh = shards_.At(router().ShardOf(key.first));
  static const std::string kNone;
  if (auto v = sh.views.find(key); v != sh.views.end()) {
    for (const std::string& m : v->second.members) {
      if (only && m != *only) continue;
      auto st = v->second.state.find(m);
      if (st == v->second.state.end()) {
        list.resources.push_back(ResourceOf(m, false, events::Authorization::kPending, kNone, views_, version));
      } else {
        list.resources.push_back(
            ResourceOf(m, st->second.known, st->second.state, st->second.body, views_, version));
      }
    }
  }
  return BuildListBody(list);
}

void ResourceListServer::NotifyFull(const Key& key) {
  notifiers_.At(router().ShardOf(key.first))
      .Changed(key.first, name(),
               [this, key](events::Subscription& s) { return Build(key, s.version++, true, nullptr); }, key.second);
}

std::optional<ListSource::Resolved> ResourceListServer::Resolve(size_t shard, const std::string& uri,
                                                              const std::string& subscriber) {
  const Shard& sh = shards_.At(shard);
  if (auto r = sh.request_lists.find(uri); r != sh.request_lists.end()) {
    return ListSource::Resolved{r->second.members, r->second.owner == subscriber};
  }
  if (IsRequestList(uri)) return std::nullopt;  // its subscription is gone
  return source_.resolve(shard, uri, subscriber);
}

// ---- lists in the SUBSCRIBE (RFC 5367) ------------------------------------------

bool ResourceListServer::IsRequestList(std::string_view resource) {
  return resource.find(kRequestListParam) != std::string_view::npos;
}

bool ResourceListServer::IsServerUri(const std::string& resource) const {
  size_t at = resource.find('@');
  return !config_.rls_user.empty() && at != std::string::npos &&
         std::string_view(resource).substr(0, at) == config_.rls_user;
}

events::EventProcessor::RequestList ResourceListServer::TakeRequestList(const sip::Message& m,
                                                                        const std::string& subscriber) {
  events::EventProcessor::RequestList out;
  auto refuse = [&out](int status, std::string reason) -> events::EventProcessor::RequestList& {
    out.status = status;
    out.reason = std::move(reason);
    return out;
  };
  if (m.body().empty()) return refuse(400, "Missing Resource List");
  auto type = m.content_type();
  if (!type || !type->Is("application", "resource-lists+xml")) {
    refuse(415, "Unsupported Media Type");
    out.extra.emplace_back(sip::HeaderId::kAccept, std::string(kResourceListsType));
    return out;
  }
  std::string_view disposition = TrimLws(m.Value(sip::HeaderId::kContentDisposition));
  disposition = TrimLws(disposition.substr(0, disposition.find(';')));
  if (!disposition.empty() && !IEquals(disposition, "recipient-list")) {
    return refuse(400, "Content-Disposition Is Not recipient-list");
  }
  RlsServicesLimits limits;
  limits.max_resources = config_.max_resources;
  auto body = sip::DecodeBody(m.Value(sip::HeaderId::kContentEncoding), m.body(), limits.max_body_bytes);
  if (!body.ok()) {
    refuse(body.error().code, body.error().message);
    if (body.error().code == 415) out.extra.emplace_back(sip::HeaderId::kAcceptEncoding, "deflate, identity");
    return out;
  }
  auto members = ParseResourceLists(*body, limits);
  if (!members.ok()) return refuse(members.error().code, members.error().message);
  // A URI of its own per dialog: one subscriber's lists (several devices,
  // several friend lists) never share a view.
  std::string key = subscriber + '\n' + std::string(m.call_id()) + '\n' + std::string(m.from()->tag());
  char id[17];
  std::snprintf(id, sizeof(id), "%016zx", std::hash<std::string>{}(key));
  out.resource = sip::AorKey(*m.request_uri()) + std::string(kRequestListParam) + id;
  RequestList list{subscriber, std::move(*members), false};
  list.linphone = IContains(m.Value(sip::HeaderId::kUserAgent), "linphone");
  out.define = [this, uri = out.resource, list = std::move(list)]() mutable {
    DefineRequestList(uri, std::move(list));
  };
  return out;
}

void ResourceListServer::DefineRequestList(const std::string& uri, RequestList list) {
  Shard& sh = shards_.At(router().ShardOf(uri));
  Key key{uri, list.owner};
  std::vector<std::string> members = list.members;
  sh.request_lists[uri] = std::move(list);
  auto v = sh.views.find(key);
  if (v == sh.views.end() || v->second.members == members) return;
  std::vector<std::string> added = SetMembers(key, v->second, std::move(members));
  Gather(key, added, [this, key](bool) { NotifyFull(key); });
}

const ResourceListServer::RequestList* ResourceListServer::RequestListOf(std::string_view resource) const {
  if (!IsRequestList(resource)) return nullptr;
  const Shard& sh = shards_.At(router().ShardOf(resource));
  auto r = sh.request_lists.find(std::string(resource));
  return r == sh.request_lists.end() ? nullptr : &r->second;
}

// One line per member; a first line "#linphone" for a Linphone list.
std::string ResourceListServer::SavedState(const events::Subscription& sub) const {
  const RequestList* list = RequestListOf(sub.resource());
  if (!list) return {};
  std::string out = list->linphone ? "#linphone" : "";
  for (const std::string& m : list->members) out += (out.empty() ? "" : "\n") + m;
  return out;
}

void ResourceListServer::RestoreState(const std::string& resource, const std::string& subscriber,
                                      std::string_view state) {
  if (!IsRequestList(resource)) return;
  RequestList list{subscriber, {}, false};
  while (!state.empty()) {
    size_t nl = state.find('\n');
    std::string_view line = state.substr(0, nl);
    if (line == "#linphone") {
      list.linphone = true;
    } else if (!line.empty()) {
      list.members.emplace_back(line);
    }
    state = nl == std::string_view::npos ? std::string_view() : state.substr(nl + 1);
  }
  DefineRequestList(resource, std::move(list));
}

std::string ResourceListServer::EventHeaderValue(const events::Subscription& sub) const {
  const RequestList* list = RequestListOf(sub.resource());
  return std::string(list && list->linphone && name() == "presence" ? "Presence" : name());
}

// ---- changes -----------------------------------------------------------------

void ResourceListServer::OnMemberChanged(const std::string& aor) {
  Shard& sh = shards_.At(router().ShardOf(aor));
  auto f = sh.feeds.find(aor);
  if (f == sh.feeds.end()) return;
  for (const auto& [key, feed] : f->second) {
    views_.view(key.second, aor, [this, key, aor](events::Grant g, std::string body) {
      Fed(aor, key, g);
      router().Post(router().ShardOf(key.first), [this, key, aor, g, body = std::move(body)]() mutable {
        if (!Store(key, aor, g, std::move(body))) return;
        // Only this resource, only to this subscriber (RFC 4662 §5.4.2).
        notifiers_.At(router().ShardOf(key.first))
            .Changed(key.first, name(),
                     [this, key, aor](events::Subscription& s) { return Build(key, s.version++, false, &aor); },
                     key.second);
      });
    });
  }
}

void ResourceListServer::OnListsChanged(size_t shard) {
  Shard& sh = shards_.At(shard);
  std::vector<Key> keys;
  for (const auto& [key, view] : sh.views) keys.push_back(key);
  for (const Key& key : keys) {
    auto resolved = Resolve(shard, key.first, key.second);
    events::Notifier& n = notifiers_.At(shard);
    if (!resolved || !resolved->allowed) {
      // RFC 6665 §4.2.2: the resource is gone, or the subscriber may no
      // longer see it.
      n.TerminateAll(key.first, name(), resolved ? "rejected" : "noresource", key.second);
      Drop(key);
      continue;
    }
    View& view = sh.views[key];
    if (view.members == resolved->members) continue;
    std::vector<std::string> added = SetMembers(key, view, std::move(resolved->members));
    Gather(key, added, [this, key](bool) { NotifyFull(key); });
  }
}

void ResourceListServer::OnRulesChanged(size_t shard, std::string_view domain) {
  std::vector<std::string> members;
  for (const auto& [member, views] : shards_.At(shard).feeds) {
    size_t at = member.find('@');
    if (domain.empty() || (at != std::string::npos && IEquals(std::string_view(member).substr(at + 1), domain))) {
      members.push_back(member);
    }
  }
  for (const std::string& m : members) OnMemberChanged(m);
}

// ---- views going -------------------------------------------------------------

void ResourceListServer::OnSubscriptionChange(const events::Subscription& s, events::WatcherChange change) {
  if (s.package != this || change != events::WatcherChange::kTerminated) return;
  Key key{std::string(s.resource()), std::string(s.subscriber())};
  // Later: the notifier is inside its bookkeeping of `s` now.
  router().Post(router().ShardOf(key.first), [this, key] { DropIfUnused(key); });
}

void ResourceListServer::DropIfUnused(const Key& key) {
  for (const events::Subscription* s : notifiers_.At(router().ShardOf(key.first)).Find(key.first, name())) {
    if (s->package == this && s->subscriber() == key.second && s->terminate_reason.empty()) return;
  }
  Drop(key);
}

void ResourceListServer::Drop(const Key& key) {
  Shard& sh = shards_.At(router().ShardOf(key.first));
  if (auto r = sh.request_lists.find(key.first); r != sh.request_lists.end() && r->second.owner == key.second) {
    sh.request_lists.erase(r);
  }
  auto v = sh.views.find(key);
  if (v == sh.views.end()) return;
  std::vector<std::string> members = std::move(v->second.members);
  sh.views.erase(v);
  Unfeed(key, members);
}

void ResourceListServer::Unfeed(const Key& key, const std::vector<std::string>& members) {
  for (const std::string& m : members) {
    size_t at = router().ShardOf(m);
    router().Post(at, [this, key, m, at] {
      Shard& sh = shards_.At(at);
      auto f = sh.feeds.find(m);
      if (f == sh.feeds.end()) return;
      auto it = f->second.find(key);
      if (it == f->second.end()) return;
      if (winfo_ && it->second.known) winfo_->ExtraWatcherChanged(m, EntryFor(key, it->second, true, UnixNow()));
      f->second.erase(it);
      if (f->second.empty()) sh.feeds.erase(f);
    });
  }
}

// ---- watcher information -------------------------------------------------------

void ResourceListServer::Fed(const std::string& member, const Key& key, events::Grant g) {
  Shard& sh = shards_.At(router().ShardOf(member));
  auto f = sh.feeds.find(member);
  if (f == sh.feeds.end()) return;
  auto it = f->second.find(key);
  if (it == f->second.end()) return;
  Feed& feed = it->second;
  if (feed.known && feed.state == g.state) return;
  feed.approved = feed.known && feed.state == events::Authorization::kPending &&
                  (g.state == events::Authorization::kActive || g.state == events::Authorization::kPolite);
  feed.known = true;
  feed.state = g.state;
  if (winfo_) winfo_->ExtraWatcherChanged(member, EntryFor(key, feed, false, UnixNow()));
}

WatcherEntry ResourceListServer::EntryFor(const Key& key, const Feed& f, bool gone, int64_t now) {
  WatcherEntry e;
  e.uri = "sip:" + key.second;
  // One watcher per list it watches through: stable while the view lives.
  e.id = WatcherId(e.uri, "list:" + key.first, "");
  e.duration_subscribed = static_cast<uint32_t>(std::max<int64_t>(now - f.since, 0));
  if (gone) {
    e.status = WatcherStatus::kTerminated;
    e.event = WatcherEvent::kTimeout;
    return e;
  }
  switch (f.state) {
    case events::Authorization::kPending:
      e.status = WatcherStatus::kPending;
      e.event = WatcherEvent::kSubscribe;
      break;
    case events::Authorization::kActive:
    case events::Authorization::kPolite:
      e.status = WatcherStatus::kActive;
      e.event = f.approved ? WatcherEvent::kApproved : WatcherEvent::kSubscribe;
      break;
    case events::Authorization::kReject:
      e.status = WatcherStatus::kTerminated;
      e.event = WatcherEvent::kRejected;
      break;
  }
  return e;
}

std::vector<WatcherEntry> ResourceListServer::WatchersOf(const std::string& member) {
  std::vector<WatcherEntry> out;
  Shard& sh = shards_.At(router().ShardOf(member));
  auto f = sh.feeds.find(member);
  if (f == sh.feeds.end()) return out;
  int64_t now = UnixNow();
  for (const auto& [key, feed] : f->second) {
    // Refused ones are no watchers any more, as a refused subscription is not.
    if (feed.known && feed.state != events::Authorization::kReject) out.push_back(EntryFor(key, feed, false, now));
  }
  return out;
}

}  // namespace parley::presence
