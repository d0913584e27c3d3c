#include "events/notifier.h"

#include "common/log.h"
#include "common/strings.h"
#include "proxy/branch.h"
#include "proxy/router.h"
#include "sip/response.h"

namespace parley::events {

Notifier::Notifier(size_t shard, proxy::ProcessorHost& host) : shard_(shard), host_(host) {}

Notifier::~Notifier() {
  for (auto& [id, s] : subs_) host_.timers().Cancel(s->expiry);
}

std::optional<std::pair<size_t, uint64_t>> Notifier::ParseContactUser(std::string_view user) {
  if (!user.starts_with("ev-")) return std::nullopt;
  user.remove_prefix(3);
  size_t dash = user.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  uint64_t shard = 0, id = 0;
  for (char c : user.substr(0, dash)) {
    if (!IsHex(c)) return std::nullopt;
    shard = shard * 16 + static_cast<uint64_t>(HexValue(c));
  }
  auto n = ParseUint(user.substr(dash + 1));
  if (!n || dash == 0) return std::nullopt;
  id = *n;
  return std::make_pair(static_cast<size_t>(shard), id);
}

std::string Notifier::ContactFor(const Subscription& s, const transport::Destination& d) const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string shard;
  size_t v = shard_;
  do {
    shard.insert(shard.begin(), kHex[v % 16]);
    v /= 16;
  } while (v);
  std::string c = "<sip:ev-" + shard + "-" + std::to_string(s.id) + "@" + host_.sender().ViaSentBy(d);
  if (d.protocol != transport::Protocol::kUdp) c.append(";transport=").append(ToLower(transport::ProtocolName(d.protocol)));
  c.append(">");
  return c;
}

void Notifier::Subscribe(SubscribeRequest req, std::function<void(SubscribeAnswer)> done) {
  EventPackage* pkg = req.package;
  std::string subscriber = req.subscriber, resource = req.resource;
  pkg->Authorize(subscriber, resource, [this, req = std::move(req), done = std::move(done)](Authorization a) mutable {
    if (a == Authorization::kReject) {
      done(SubscribeAnswer{403, 0, sip::RandomToken(8), {}});
      return;
    }
    auto s = std::make_unique<Subscription>();
    s->id = next_id_++;
    s->package = req.package;
    s->event_id = req.event_id;
    s->resource = req.resource;
    s->subscriber = req.subscriber;
    s->state = a == Authorization::kPending ? SubState::kPending : SubState::kActive;
    s->polite = a == Authorization::kPolite;
    s->call_id = req.call_id;
    s->local_tag = sip::RandomToken(8);
    s->remote_tag = req.remote_tag;
    s->local_uri = req.local_uri;
    s->remote_party = req.remote_party;
    s->remote_target = req.remote_target;
    s->route = req.route;
    s->remote_cseq = req.remote_cseq;
    s->destination = req.destination;
    s->expires_at = req.now + req.expires;
    Subscription& sub = *s;
    subs_.emplace(sub.id, std::move(s));
    by_resource_.emplace(sub.resource, sub.id);
    ++stats_.subscriptions_created;
    SubscribeAnswer ans{sub.state == SubState::kPending ? 202 : 200, req.expires, sub.local_tag,
                        ContactFor(sub, sub.destination)};
    if (req.expires == 0) {
      sub.terminate_reason = "timeout";  // a fetch: one NOTIFY, then gone
    } else {
      Arm(sub, req.now);
    }
    done(ans);
    SendFull(sub);
  });
}

SubscribeAnswer Notifier::Refresh(uint64_t id, const std::string& call_id, const std::string& remote_tag,
                                  uint32_t cseq, uint32_t expires, int64_t now) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return {481, 0, {}, {}};
  Subscription& s = *it->second;
  if (s.call_id != call_id || s.remote_tag != remote_tag || !s.terminate_reason.empty()) return {481, 0, {}, {}};
  s.remote_cseq = std::max(s.remote_cseq, cseq);
  SubscribeAnswer ans{s.state == SubState::kPending ? 202 : 200, expires, s.local_tag, ContactFor(s, s.destination)};
  if (expires == 0) {
    host_.timers().Cancel(s.expiry);
    s.expiry = 0;
    s.terminate_reason = "timeout";
  } else {
    s.expires_at = now + expires;
    Arm(s, now);
  }
  // RFC 6665 §4.2.1.2: every accepted SUBSCRIBE is followed by a NOTIFY.
  SendFull(s);
  return ans;
}

void Notifier::Arm(Subscription& s, int64_t now) {
  host_.timers().Cancel(s.expiry);
  uint64_t id = s.id;
  s.expiry = host_.timers().Schedule(std::chrono::seconds(std::max<int64_t>(s.expires_at - now, 0)), [this, id] {
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    it->second->expiry = 0;
    it->second->terminate_reason = "timeout";
    SendFull(*it->second);
  });
}

void Notifier::SendFull(Subscription& s) {
  // Pending and rejected subscriptions learn nothing of the state.
  bool withhold = s.state == SubState::kPending || s.terminate_reason == "rejected";
  SendNotify(s, withhold ? std::string() : s.package->FullState(s));
}

void Notifier::SendNotify(Subscription& s, std::string body) {
  if (s.notify_in_flight) {
    s.notify_pending = true;
    return;
  }
  transport::Destination dest = s.destination;
  if (!s.route.empty()) {
    std::string_view r = s.route.front();
    auto na = sip::ParseNameAddr(r);
    auto t = na.ok() ? proxy::TargetForUri(na->uri_text) : std::nullopt;
    if (t) dest = t->destination;
  }
  auto m = sip::Message::NewRequest("NOTIFY", s.remote_target);
  std::string sent_by = host_.sender().ViaSentBy(dest);
  m->AddHeader(sip::HeaderId::kVia, "SIP/2.0/" + std::string(transport::ProtocolName(dest.protocol)) + " " + sent_by +
                                        ";branch=" + proxy::NewBranch(shard_, "00000000") + ";rport");
  m->AddHeader(sip::HeaderId::kMaxForwards, "70");
  for (const auto& r : s.route) m->AddHeader(sip::HeaderId::kRoute, r);
  m->AddHeader(sip::HeaderId::kFrom, "<" + s.local_uri + ">;tag=" + s.local_tag);
  m->AddHeader(sip::HeaderId::kTo, s.remote_party + ";tag=" + s.remote_tag);
  m->AddHeader(sip::HeaderId::kCallId, s.call_id);
  m->AddHeader(sip::HeaderId::kCSeq, std::to_string(++s.local_cseq) + " NOTIFY");
  m->AddHeader(sip::HeaderId::kContact, ContactFor(s, dest));
  m->AddHeader(sip::HeaderId::kEvent, s.package->name() + (s.event_id.empty() ? "" : ";id=" + s.event_id));
  std::string state;
  if (!s.terminate_reason.empty()) {
    state = "terminated;reason=" + s.terminate_reason;
  } else {
    int64_t left = std::max<int64_t>(s.expires_at - UnixNow(), 0);
    state = std::string(s.state == SubState::kPending ? "pending" : "active") + ";expires=" + std::to_string(left);
  }
  m->AddHeader(sip::HeaderId::kSubscriptionState, state);
  m->SetBody(body.empty() ? std::string() : s.package->content_type(), body);
  uint64_t id = s.id;
  s.notify_in_flight = true;
  s.notify_pending = false;
  bool final = !s.terminate_reason.empty();
  auto txn = host_.layer().SendRequest(std::move(m), dest, [this, id, final](sip::MessagePtr r) {
    if (r->status() < 200) return;
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    it->second->notify_in_flight = false;
    if (final && r->status() < 300) {
      Remove(id);
      return;
    }
    OnNotifyResponse(id, r->status());
  });
  ++stats_.notifies_sent;
  if (!txn.ok()) {
    s.notify_in_flight = false;
    ++stats_.notifies_failed;
    Remove(id);
  }
}

void Notifier::OnNotifyResponse(uint64_t id, int status) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  Subscription& s = *it->second;
  if (status >= 300) {
    // §4.2.2: 481, a timeout (408) or a transport error (503) ends it; so
    // does any other failure without Retry-After.
    ++stats_.notifies_failed;
    PLOG_DEBUG("notify_failed", {{"resource", s.resource}, {"status", status}});
    Remove(id);
    return;
  }
  if (!s.terminate_reason.empty() || s.notify_pending) SendFull(s);
}

void Notifier::Changed(const std::string& resource, const std::string& package,
                       const std::function<std::string(Subscription&)>& body) {
  auto [b, e] = by_resource_.equal_range(resource);
  std::vector<uint64_t> ids;
  for (auto it = b; it != e; ++it) ids.push_back(it->second);
  for (uint64_t id : ids) {
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    Subscription& s = *it->second;
    if (s.package->name() != package || s.state != SubState::kActive || s.polite || !s.terminate_reason.empty()) continue;
    if (s.notify_in_flight) {
      s.notify_pending = true;
    } else {
      SendNotify(s, body(s));
    }
  }
}

void Notifier::TerminateAll(const std::string& resource, const std::string& package, const std::string& reason) {
  auto [b, e] = by_resource_.equal_range(resource);
  std::vector<uint64_t> ids;
  for (auto it = b; it != e; ++it) ids.push_back(it->second);
  for (uint64_t id : ids) {
    auto it = subs_.find(id);
    if (it == subs_.end() || it->second->package->name() != package) continue;
    it->second->terminate_reason = reason;
    SendFull(*it->second);
  }
}

void Notifier::Decide(uint64_t id, bool allow) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second->state != SubState::kPending) return;
  Subscription& s = *it->second;
  if (allow) {
    s.state = SubState::kActive;
  } else {
    s.terminate_reason = "rejected";
  }
  SendFull(s);
}

std::vector<const Subscription*> Notifier::Find(const std::string& resource, const std::string& package) const {
  std::vector<const Subscription*> out;
  auto [b, e] = by_resource_.equal_range(resource);
  for (auto it = b; it != e; ++it) {
    auto s = subs_.find(it->second);
    if (s != subs_.end() && s->second->package->name() == package) out.push_back(s->second.get());
  }
  return out;
}

void Notifier::Remove(uint64_t id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  host_.timers().Cancel(it->second->expiry);
  auto [b, e] = by_resource_.equal_range(it->second->resource);
  for (auto r = b; r != e; ++r) {
    if (r->second == id) {
      by_resource_.erase(r);
      break;
    }
  }
  subs_.erase(it);
  ++stats_.subscriptions_terminated;
}

}  // namespace parley::events
