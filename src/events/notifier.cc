#include "events/notifier.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/log.h"
#include "common/lru_trim.h"
#include "common/strings.h"
#include "proxy/branch.h"
#include "proxy/router.h"
#include "registrar/location_table.h"
#include "registrar/registrar.h"
#include "sip/content_coding.h"
#include "sip/response.h"

namespace parley::events {

namespace {

// A NOTIFY body over UDP larger than this goes deflated to a subscriber
// that accepts it (RFC 3261 §18.1.1's 1300 bytes for a whole request).
constexpr size_t kUdpBodyToDeflate = 1300;
// A NOTIFY larger than this does not go over UDP (§18.1.1) unless its
// subscriber cannot take it over TCP.
constexpr size_t kUdpMaxRequest = 1300;

// A SUBSCRIBE answered with an error (no dialog, nothing to send after).
SubscribeAnswer Refusal(int status, std::string reason, std::string local_tag = {}) {
  SubscribeAnswer a;
  a.status = status;
  a.local_tag = std::move(local_tag);
  a.reason = std::move(reason);
  return a;
}

int64_t SteadyMs(TimerService& t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.Now().time_since_epoch()).count();
}

std::string RateParam(const char* name, double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), ";%s=%g", name, v);
  return buf;
}

}  // namespace

// One change being sent to many subscriptions, a batch per loop turn.
struct Notifier::Fanout {
  std::vector<uint64_t> ids;
  size_t next = 0;
  BodyFn body;
};

PackedStrings::PackedStrings(const std::array<std::string_view, kCount>& parts) {
  size_t total = 0;
  for (auto p : parts) total += p.size();
  data_ = std::make_unique_for_overwrite<char[]>(total == 0 ? 1 : total);
  uint32_t at = 0;
  for (size_t i = 0; i < kCount; ++i) {
    if (!parts[i].empty()) std::memcpy(data_.get() + at, parts[i].data(), parts[i].size());
    at += static_cast<uint32_t>(parts[i].size());
    end_[i] = at;
  }
}

Notifier::Notifier(size_t shard, proxy::ProcessorHost& host, proxy::ShardRouter& router,
                   const NotifierConfig& config, SubscriptionPersistence* persistence)
    : shard_(shard), host_(host), router_(router), config_(config), persistence_(persistence),
      rng_(std::random_device{}()) {}

Notifier::~Notifier() {
  host_.timers().Cancel(expiry_timer_);
  subs_.ForEach([this](auto& e) {
    host_.timers().Cancel(e.second.pace);
    host_.timers().Cancel(e.second.heartbeat);
  });
}

uint64_t Notifier::NewId() {
  // Random 62-bit ids: unique across restarts and across nodes sharing a
  // store, and positive as a BIGINT.
  uint64_t id;
  do {
    id = rng_() >> 2;
  } while (id == 0 || subs_.count(id));
  return id;
}

std::optional<std::pair<size_t, uint64_t>> Notifier::ParseContactUser(std::string_view user) {
  if (!user.starts_with(kContactUserPrefix)) return std::nullopt;
  user.remove_prefix(kContactUserPrefix.size());
  size_t dash = user.find('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  uint64_t shard = 0;
  for (char c : user.substr(0, dash)) {
    if (!IsHex(c)) return std::nullopt;
    shard = shard * 16 + static_cast<uint64_t>(HexValue(c));
  }
  auto n = ParseUint(user.substr(dash + 1));
  if (!n) return std::nullopt;
  return std::make_pair(static_cast<size_t>(shard), static_cast<uint64_t>(*n));
}

std::string Notifier::ContactFor(const Subscription& s, const transport::Destination& d) const {
  std::string c;
  AppendContact(c, s, d);
  return c;
}

void Notifier::AppendContact(std::string& out, const Subscription& s, const transport::Destination& d) const {
  char id[24];
  auto end = std::to_chars(id, id + sizeof(id), s.id).ptr;
  out.append("<sip:").append(kContactUserPrefix);
  AppendHex(out, shard_);
  out.append("-").append(id, static_cast<size_t>(end - id));
  out.append("@").append(host_.sender().ViaSentBy(d));
  if (d.protocol != transport::Protocol::kUdp) {
    out.append(";transport=");
    for (char c : transport::ProtocolName(d.protocol)) out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  out.append(">");
}

void Notifier::Emit(const Subscription& s, WatcherChange c) {
  for (const auto& o : observers_) o(s, c);
}

void Notifier::Subscribe(SubscribeRequest req, std::function<void(SubscribeAnswer)> done) {
  EventPackage* pkg = req.package;
  std::string subscriber = req.subscriber, resource = req.resource;
  pkg->Authorize(subscriber, resource, [this, req = std::move(req), done = std::move(done)](Grant g) mutable {
    Admit(std::move(req), g, std::move(done));
  });
}

void Notifier::Admit(SubscribeRequest req, Grant g, std::function<void(SubscribeAnswer)> done) {
  if (g.state == Authorization::kReject) {
    done(Refusal(403, "Forbidden", sip::RandomToken(8)));
    return;
  }
  // A new dialog from the same watcher and contact replaces its older
  // subscriptions to the same resource and package (a client that lost
  // its dialog and subscribed again), instead of piling up.
  if (req.expires > 0) {
    std::vector<uint64_t> stale;
    for (auto it = First(req.resource, req.package, req.subscriber);
         it != by_resource_.end() && (*it)->resource() == req.resource && (*it)->package == req.package &&
         (*it)->subscriber() == req.subscriber;
         ++it) {
      const Subscription& o = **it;
      if (o.remote_target() == req.remote_target && o.event_id() == req.event_id &&
          o.call_id() != req.call_id && o.terminate_reason.empty()) {
        stale.push_back(o.id);
      }
    }
    for (uint64_t id : stale) {
      Subscription& o = subs_.at(id);
      o.terminate_reason = "deactivated";
      Emit(o, WatcherChange::kTerminated);
      if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
      ++stats_.subscriptions_replaced;
      Remove(id);
    }
  }
  uint64_t new_id = NewId();
  // Held in the map's node: it never moves (the index points at it).
  Subscription* s = &subs_.try_emplace(new_id).first->second;
  s->id = new_id;
  s->package = req.package;
  s->state = g.state == Authorization::kPending ? SubState::kPending : SubState::kActive;
  s->polite = g.state == Authorization::kPolite;
  s->view = g.view;
  s->rate = req.rate;
  s->text = PackedStrings({req.event_id, req.resource, req.subscriber, req.call_id, sip::RandomToken(8), req.remote_tag,
                           req.local_uri, req.remote_party, req.remote_target});
  s->route = std::move(req.route);
  s->remote_cseq = req.remote_cseq;
  s->destination = req.destination;
  s->gruu_target = s->route.empty() && IsOurGruu(s->remote_target());
  s->deflate = req.accepts_deflate;
  s->partial = req.accepts_partial;
  s->expires_at = req.expires == 0 ? 0 : req.now + req.expires;
  s->created_at = req.now;
  Subscription& sub = *s;
  AddToIndex(sub);
  ++stats_.subscriptions_created;
  SubscribeAnswer ans{sub.state == SubState::kPending ? 202 : 200, req.expires, std::string(sub.local_tag()),
                      ContactFor(sub, sub.destination), {}, {}, std::string(req.package->require())};
  if (req.expires == 0) {
    sub.terminate_reason = "timeout";  // a fetch: one NOTIFY, then gone
    Confirm(sub, ans, std::move(done));
    return;
  }
  Arm(sub, req.now);
  Emit(sub, WatcherChange::kCreated);
  uint64_t id = sub.id;
  Persist(sub, [this, id, ans, done = std::move(done)](bool ok) mutable {
    auto it = subs_.find(id);
    if (it == subs_.end()) {
      done(Refusal(500, "Subscription Ended", ans.local_tag));
      return;
    }
    if (!ok) {
      it->second.terminate_reason = "deactivated";
      Emit(it->second, WatcherChange::kTerminated);
      Remove(id);
      done(Refusal(500, "Store Unavailable", ans.local_tag));
      return;
    }
    Confirm(it->second, ans, std::move(done));
  });
}

void Notifier::Confirm(Subscription& s, const SubscribeAnswer& ans, std::function<void(SubscribeAnswer)> done) {
  s.confirmed = true;
  ArmHeartbeat(s);
  // RFC 6665 §4.2.1.2: every accepted SUBSCRIBE is followed by a NOTIFY.
  SubscribeAnswer a = ans;
  a.answered = AfterAnswer(s.id, [this](Subscription& sub) { SendFull(sub); });
  done(std::move(a));
}

std::function<void()> Notifier::AfterAnswer(uint64_t id, std::function<void(Subscription&)> then) {
  return [this, id, then = std::move(then)] {
    router_.Post(shard_, [this, id, then] {
      auto it = subs_.find(id);
      if (it != subs_.end()) then(it->second);
    });
  };
}

void Notifier::Refresh(uint64_t id, const std::string& call_id, const std::string& remote_tag, uint32_t cseq,
                       uint32_t expires, int64_t now, std::function<void(SubscribeAnswer)> done) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.call_id() != call_id || it->second.remote_tag() != remote_tag ||
      !it->second.terminate_reason.empty()) {
    done(Refusal(481, "Subscription Does Not Exist"));
    return;
  }
  Subscription& s = it->second;
  s.remote_cseq = std::max(s.remote_cseq, cseq);
  SubscribeAnswer ans{s.state == SubState::kPending ? 202 : 200, expires, std::string(s.local_tag()),
                      ContactFor(s, s.destination), {}, {}, std::string(s.package->require())};
  if (expires == 0) {
    Disarm(s);
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    SubscribeAnswer a = ans;
    a.answered = AfterAnswer(id, [this](Subscription& sub) { Terminate(sub, "timeout"); });
    done(std::move(a));
    return;
  }
  int64_t old_expiry = s.expires_at;
  s.expires_at = now + expires;
  Persist(s, [this, id, ans, old_expiry, now, done = std::move(done)](bool ok) {
    auto found = subs_.find(id);
    if (found == subs_.end() || !found->second.terminate_reason.empty()) {
      done(Refusal(481, "Subscription Does Not Exist"));
      return;
    }
    Subscription& sub = found->second;
    if (!ok) {
      sub.expires_at = old_expiry;  // the stored expiry stands
      Arm(sub, now);
      done(Refusal(500, "Store Unavailable"));
      return;
    }
    Arm(sub, now);
    SubscribeAnswer a = ans;
    a.answered = AfterAnswer(id, [this](Subscription& answered) { SendFull(answered); });
    done(std::move(a));
  });
}

void Notifier::Arm(Subscription& s, int64_t now) {
  s.expiry_at = host_.timers().Now() + std::chrono::seconds(std::max<int64_t>(s.expires_at - now, 0));
  expiries_.push_back({s.expiry_at, s.id});
  std::push_heap(expiries_.begin(), expiries_.end(), std::greater<>{});
  // Refreshes leave stale entries behind: drop them once they dominate.
  if (expiries_.size() > 64 && expiries_.size() > 2 * subs_.size()) {
    std::erase_if(expiries_, [this](const Expiry& e) {
      auto it = subs_.find(e.id);
      return it == subs_.end() || it->second.expiry_at != e.at;
    });
    std::make_heap(expiries_.begin(), expiries_.end(), std::greater<>{});
  }
  ArmExpiryTimer();
}

void Notifier::ArmExpiryTimer() {
  if (expiries_.empty()) return;
  Clock::time_point next = expiries_.front().at;
  if (expiry_timer_ != 0 && expiry_timer_at_ <= next) return;
  host_.timers().Cancel(expiry_timer_);
  expiry_timer_at_ = next;
  expiry_timer_ = host_.timers().Schedule(std::max(next - host_.timers().Now(), Clock::duration::zero()), [this] {
    expiry_timer_ = 0;
    OnExpiryTimer();
  });
}

void Notifier::OnExpiryTimer() {
  Clock::time_point now = host_.timers().Now();
  while (!expiries_.empty() && expiries_.front().at <= now) {
    Expiry e = expiries_.front();
    std::pop_heap(expiries_.begin(), expiries_.end(), std::greater<>{});
    expiries_.pop_back();
    auto it = subs_.find(e.id);
    if (it == subs_.end() || it->second.expiry_at != e.at) continue;  // refreshed, ended or gone
    Disarm(it->second);
    if (persistence_) persistence_->Remove(static_cast<int64_t>(e.id));
    Terminate(it->second, "timeout");
  }
  ArmExpiryTimer();
}

uint32_t Notifier::MinIntervalMs(const Subscription& s) const {
  uint32_t ms = config_.min_notify_interval_ms;
  double max_rate = s.rate.max_rate;
  if (config_.max_rate_cap > 0 && (max_rate == 0 || max_rate > config_.max_rate_cap)) max_rate = config_.max_rate_cap;
  if (max_rate > 0) ms = std::max<uint32_t>(ms, static_cast<uint32_t>(std::min(1000.0 / max_rate, 86400000.0)));
  return ms;
}

void Notifier::ArmHeartbeat(Subscription& s) {
  host_.timers().Cancel(s.heartbeat);
  s.heartbeat = 0;
  double rate = s.rate.min_rate;
  if (s.rate.adaptive_min_rate > 0) {
    // Adaptive: the more subscriptions this shard serves, the longer the
    // silence allowed, so the background load stays bounded.
    double load = std::max(1.0, static_cast<double>(subs_.size()) / 1000.0);
    double adaptive = s.rate.adaptive_min_rate / load;
    rate = rate > 0 ? std::max(rate, adaptive) : adaptive;
  }
  if (rate <= 0 || !s.terminate_reason.empty()) return;
  auto ms = static_cast<int64_t>(std::min(1000.0 / rate, 86400000.0));
  uint64_t id = s.id;
  s.heartbeat = host_.timers().Schedule(std::chrono::milliseconds(std::max<int64_t>(ms, 1)), [this, id] {
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    it->second.heartbeat = 0;
    Kick(it->second, nullptr);
    it = subs_.find(id);  // a failed send removes it
    if (it != subs_.end()) ArmHeartbeat(it->second);
  });
}

void Notifier::Kick(Subscription& s, const BodyFn* body) {
  if (!s.confirmed) return;  // its first NOTIFY follows the 2xx
  if (s.notify_in_flight || s.pace != 0) {
    s.notify_pending = true;
    ++stats_.notifies_coalesced;
    return;
  }
  uint32_t interval = s.terminate_reason.empty() ? MinIntervalMs(s) : 0;
  int64_t now = SteadyMs(host_.timers());
  if (interval > 0 && s.last_notify_ms != 0 && now - s.last_notify_ms < interval) {
    s.notify_pending = true;
    ++stats_.notifies_coalesced;
    uint64_t id = s.id;
    s.pace = host_.timers().Schedule(std::chrono::milliseconds(s.last_notify_ms + interval - now), [this, id] {
      auto it = subs_.find(id);
      if (it == subs_.end()) return;
      Subscription& paced = it->second;
      paced.pace = 0;
      if (paced.notify_pending && !paced.notify_in_flight) SendFull(paced);
    });
    return;
  }
  bool withhold = s.state == SubState::kPending || s.terminate_reason == "rejected";
  if (body && !withhold) {
    SendNotify(s, (*body)(s));
  } else {
    SendNotify(s, withhold ? std::string() : s.package->FullState(s));
  }
}

void Notifier::SendFull(Subscription& s) {
  if (!s.terminate_reason.empty()) {
    // The final NOTIFY goes out as soon as nothing is in flight, whatever
    // the rate limit.
    host_.timers().Cancel(s.pace);
    s.pace = 0;
  }
  Kick(s, nullptr);
}

bool Notifier::IsOurGruu(std::string_view uri_text) const {
  if (location_ == nullptr) return false;
  auto uri = sip::ParseUri(uri_text);
  return uri.ok() && host_.local().IsLocal(*uri) && registrar::GruuLookup(*uri, gruu_).has_value();
}

void Notifier::SendNotify(Subscription& s, std::string body) {
  std::optional<std::pair<std::string, proxy::InstanceFilter>> lookup;
  if (s.gruu_target) {
    auto uri = sip::ParseUri(s.remote_target());
    if (uri.ok()) lookup = registrar::GruuLookup(*uri, gruu_);
  }
  if (!lookup) {
    SendNotifyTo(s, std::move(body), nullptr);
    return;
  }
  // In flight from now: what changes meanwhile follows this NOTIFY.
  s.notify_in_flight = true;
  uint64_t id = s.id;
  location_->LookupInstance(lookup->first, std::move(lookup->second), shard_,
                            [this, id, body = std::move(body)](proxy::LookupResult r) mutable {
                              auto it = subs_.find(id);
                              if (it == subs_.end()) return;
                              // Not registered now: where the dialog began.
                              bool found = r.status == proxy::LookupResult::Status::kFound && !r.targets.empty();
                              SendNotifyTo(it->second, std::move(body), found ? &r.targets.front() : nullptr);
                            });
}

void Notifier::SendNotifyTo(Subscription& s, std::string body, const proxy::Target* target, bool over_tcp) {
  transport::Destination dest = target ? target->destination : s.destination;
  if (!s.route.empty()) {
    std::string_view r = s.route.front();
    auto na = sip::ParseNameAddr(r);
    auto t = na.ok() ? proxy::TargetForUri(na->uri_text) : std::nullopt;
    if (t) dest = t->destination;
  }
  if (over_tcp) {
    dest.protocol = transport::Protocol::kTcp;
    dest.local = {};
    dest.flow = 0;
  }
  auto m = sip::Message::NewRequest("NOTIFY", target ? std::string_view(target->uri) : s.remote_target());
  // Each header value is put together in one scratch string (no
  // temporaries) and copied into the message.
  std::string& v = scratch_;
  auto header = [&](sip::HeaderId h, std::initializer_list<std::string_view> parts) {
    v.clear();
    for (auto p : parts) v.append(p);
    m->AddHeader(h, v);
  };
  v.clear();
  v.append("SIP/2.0/").append(transport::ProtocolName(dest.protocol)).append(" ");
  v.append(host_.sender().ViaSentBy(dest)).append(";branch=");
  proxy::AppendNewBranch(v, shard_, "00000000");
  v.append(";rport");
  m->AddHeader(sip::HeaderId::kVia, v);
  m->AddHeader(sip::HeaderId::kMaxForwards, "70");
  for (const auto& r : s.route) m->AddHeader(sip::HeaderId::kRoute, r);
  if (target) {
    for (const auto& r : target->route) m->AddHeader(sip::HeaderId::kRoute, r);  // the registration's Path
  }
  header(sip::HeaderId::kFrom, {"<", s.local_uri(), ">;tag=", s.local_tag()});
  header(sip::HeaderId::kTo, {s.remote_party(), ";tag=", s.remote_tag()});
  m->AddHeader(sip::HeaderId::kCallId, s.call_id());
  char num[16];
  auto cseq = std::to_chars(num, num + sizeof(num), ++s.local_cseq);
  header(sip::HeaderId::kCSeq, {std::string_view(num, static_cast<size_t>(cseq.ptr - num)), " NOTIFY"});
  v.clear();
  AppendContact(v, s, dest);
  m->AddHeader(sip::HeaderId::kContact, v);
  if (s.event_id().empty()) {
    m->AddHeader(sip::HeaderId::kEvent, s.package->EventHeaderValue(s));
  } else {
    header(sip::HeaderId::kEvent, {s.package->EventHeaderValue(s), ";id=", s.event_id()});
  }
  std::string& state = v;
  if (!s.terminate_reason.empty()) {
    state = "terminated;reason=";
    state += s.terminate_reason;
  } else {
    int64_t left = std::max<int64_t>(s.expires_at - UnixNow(), 0);
    state = s.state == SubState::kPending ? "pending;expires=" : "active;expires=";
    auto e = std::to_chars(num, num + sizeof(num), left);
    state.append(num, static_cast<size_t>(e.ptr - num));
    // RFC 6446 §3.2: the rates in force.
    if (s.rate.max_rate > 0 || s.rate.min_rate > 0 || s.rate.adaptive_min_rate > 0) {
      double max_rate = MinIntervalMs(s) > 0 ? 1000.0 / MinIntervalMs(s) : 0;
      if (max_rate > 0 && s.rate.max_rate > 0) state += RateParam("max-rate", max_rate);
      if (s.rate.min_rate > 0) state += RateParam("min-rate", s.rate.min_rate);
      if (s.rate.adaptive_min_rate > 0) state += RateParam("adaptive-min-rate", s.rate.adaptive_min_rate);
    }
  }
  m->AddHeader(sip::HeaderId::kSubscriptionState, state);
  if (std::string_view tag = s.package->require(); !tag.empty()) m->AddHeader(sip::HeaderId::kRequire, tag);
  std::string_view type = body.empty() ? std::string_view() : s.package->ContentTypeOf(body, v);
  if (s.deflate && dest.protocol == transport::Protocol::kUdp && body.size() > kUdpBodyToDeflate) {
    // RFC 3261 §18.1.1: a request this size belongs on a congestion
    // controlled transport; deflated (a list NOTIFY shrinks about tenfold)
    // it fits a datagram again.
    m->AddHeader(sip::HeaderId::kContentEncoding, "deflate");
    std::string deflated = sip::Deflate(body);
    m->SetBody(type, deflated);
  } else {
    m->SetBody(type, body);
  }
  if (dest.protocol == transport::Protocol::kUdp && !s.udp_only && m->SerializedSize() > kUdpMaxRequest &&
      TcpMayReach(s, target, dest)) {
    --s.local_cseq;
    return SendNotifyTo(s, std::move(body), target, true);
  }
  uint64_t id = s.id;
  s.notify_over_tcp = over_tcp;
  s.notify_in_flight = true;
  s.notify_pending = false;
  s.last_notify_ms = SteadyMs(host_.timers());
  const bool final = !s.terminate_reason.empty();
  s.final_in_flight = final;
  if (over_tcp) tcp_bodies_[id] = std::move(body);  // sent again over UDP if TCP fails
  // Captures no more than std::function keeps without allocating.
  auto txn = host_.layer().SendRequest(std::move(m), dest, [this, id](sip::MessagePtr r) {
    if (r->status() < 200) return;
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    it->second.notify_in_flight = false;
    if (std::exchange(it->second.notify_over_tcp, false)) {
      auto sent = tcp_bodies_.extract(id);
      if (r->status() == 503 || r->status() == 408) {
        // No TCP there (§18.1.1: then UDP): the same NOTIFY as a datagram.
        NoTcpAt(it->second);
        if (sent) return SendNotifyTo(it->second, std::move(sent.mapped()), nullptr);
        return SendFull(it->second);
      }
    }
    if (it->second.final_in_flight && r->status() < 300) {
      Remove(id);
      return;
    }
    OnNotifyResponse(it->second, r->status());
  });
  ++stats_.notifies_sent;
  if (!txn.ok() && over_tcp) {
    s.notify_in_flight = s.notify_over_tcp = false;
    NoTcpAt(s);
    auto sent = tcp_bodies_.extract(id);
    if (sent) SendNotifyTo(s, std::move(sent.mapped()), target);
    return;
  }
  if (!txn.ok()) {
    s.notify_in_flight = false;
    ++stats_.notifies_failed;
    if (!final) {
      s.terminate_reason = "timeout";
      Emit(s, WatcherChange::kTerminated);
      if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    }
    Remove(id);
  }
}

bool Notifier::TcpMayReach(const Subscription& s, const proxy::Target* target,
                           const transport::Destination& dest) const {
  auto known = no_tcp_.find(dest.address.ToString());
  if (known != no_tcp_.end() && known->second >= SteadyMs(host_.timers())) return false;
  if (!s.route.empty()) return true;  // a proxy on the way
  // A UA behind a NAT (we send where its requests came from, not to its
  // Contact) cannot take a connection we open.
  auto contact = proxy::TargetForUri(target ? std::string_view(target->uri) : s.remote_target());
  return contact && contact->destination.address == dest.address;
}

void Notifier::NoTcpAt(Subscription& s) {
  s.udp_only = true;
  if (!s.route.empty()) return;  // a proxy's address: not the UA's to judge
  no_tcp_[s.destination.address.ToString()] = SteadyMs(host_.timers()) + 10 * 60 * 1000;
  TrimLeastRecentlyUsed(no_tcp_, 4096, [](int64_t until) { return until; }, [](int64_t) { return true; });
}

void Notifier::OnNotifyResponse(Subscription& s, int status) {
  const uint64_t id = s.id;
  if (status >= 300) {
    // §4.2.2: 481, a timeout (408) or a transport error (503) ends it; so
    // does any other failure without Retry-After.
    ++stats_.notifies_failed;
    PLOG_DEBUG("notify_failed", {{"resource", s.resource()}, {"status", status}});
    if (s.terminate_reason.empty()) {
      s.terminate_reason = "timeout";
      Emit(s, WatcherChange::kTerminated);
      if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    }
    Remove(id);
    return;
  }
  if (!s.terminate_reason.empty() || s.notify_pending) SendFull(s);
}

void Notifier::Changed(const std::string& resource, std::string_view package, BodyFn body,
                       std::string_view subscriber) {
  auto f = std::make_shared<Fanout>();
  ForEachSubscriptionOf(resource, package, [&](const Subscription& s) {
    if (s.state != SubState::kActive || s.polite || !s.terminate_reason.empty()) return;
    if (!subscriber.empty() && s.subscriber() != subscriber) return;
    f->ids.push_back(s.id);
  });
  if (f->ids.empty()) return;
  f->body = std::move(body);
  RunFanout(std::move(f));
}

void Notifier::RunFanout(std::shared_ptr<Fanout> f) {
  size_t end = std::min(f->ids.size(), f->next + std::max<size_t>(config_.fanout_batch, 1));
  for (; f->next < end; ++f->next) {
    auto it = subs_.find(f->ids[f->next]);
    if (it == subs_.end() || !it->second.terminate_reason.empty()) continue;
    Kick(it->second, &f->body);
  }
  if (f->next < f->ids.size()) router_.Post(shard_, [this, f] { RunFanout(f); });
}

void Notifier::Terminate(Subscription& s, const std::string& reason) {
  if (!s.terminate_reason.empty()) return;
  s.terminate_reason = reason;
  Disarm(s);
  host_.timers().Cancel(s.heartbeat);
  s.heartbeat = 0;
  Emit(s, WatcherChange::kTerminated);
  SendFull(s);
}

void Notifier::TerminateAll(const std::string& resource, std::string_view package, const std::string& reason,
                            std::string_view subscriber) {
  std::vector<uint64_t> ids;
  ForEachSubscriptionOf(resource, package, [&](const Subscription& s) {
    if (subscriber.empty() || s.subscriber() == subscriber) ids.push_back(s.id);
  });
  for (uint64_t id : ids) {
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    Terminate(it->second, reason);
  }
}

void Notifier::EndSubscriptionsOf(const std::string& aor) {
  std::vector<std::pair<uint64_t, const char*>> ends;
  subs_.ForEach([&](const auto& e) {
    const Subscription& s = e.second;
    if (s.resource() == aor) {
      ends.emplace_back(s.id, "noresource");
    } else if (s.subscriber() == aor) {
      ends.emplace_back(s.id, "rejected");
    }
  });
  for (const auto& [id, reason] : ends) {
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    Terminate(it->second, reason);
  }
}

void Notifier::Decide(uint64_t id, bool allow) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.state != SubState::kPending) return;
  Apply(id, Grant{allow ? Authorization::kActive : Authorization::kReject, it->second.view});
}

void Notifier::Apply(uint64_t id, Grant g) {
  auto it = subs_.find(id);
  if (it == subs_.end() || !it->second.terminate_reason.empty()) return;
  Subscription& s = it->second;
  if (g.state == Authorization::kReject) {
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    Terminate(s, "rejected");
    return;
  }
  SubState state = g.state == Authorization::kPending ? SubState::kPending : SubState::kActive;
  bool polite = g.state == Authorization::kPolite;
  if (state == s.state && polite == s.polite && g.view == s.view) return;
  bool state_changed = state != s.state;
  if (state_changed && state == SubState::kActive) s.approved = true;
  s.state = state;
  s.polite = polite;
  s.view = g.view;
  if (state_changed) {
    Emit(s, WatcherChange::kStateChanged);
    Persist(s);
  }
  SendFull(s);
}

uint64_t Notifier::FindDialog(const std::string& resource, const std::string& call_id, const std::string& local_tag,
                              const std::string& remote_tag) const {
  for (auto it = First(resource); it != by_resource_.end() && (*it)->resource() == resource; ++it) {
    const Subscription& s = **it;
    if (s.call_id() == call_id && s.local_tag() == local_tag && s.remote_tag() == remote_tag) return s.id;
  }
  return 0;
}

void Notifier::Reauthorize(const std::string& resource, std::string_view package) {
  std::vector<uint64_t> ids;
  ForEachOf(resource, package, [&](uint64_t id) { ids.push_back(id); });
  for (uint64_t id : ids) {
    Subscription& s = subs_.at(id);
    s.package->Authorize(std::string(s.subscriber()), std::string(s.resource()), [this, id](Grant g) { Apply(id, g); });
  }
}

std::vector<const Subscription*> Notifier::Find(const std::string& resource, std::string_view package) const {
  std::vector<const Subscription*> out;
  ForEachOf(resource, package, [&](uint64_t id) {
    auto s = subs_.find(id);
    if (s != subs_.end()) out.push_back(&s->second);
  });
  return out;
}

bool Notifier::Has(const std::string& resource, std::string_view package) const {
  for (const auto& [name, p] : packages_) {
    if (name != package) continue;
    auto it = First(resource, p);
    if (it != by_resource_.end() && (*it)->resource() == resource && (*it)->package == p) return true;
  }
  return false;
}

void Notifier::AddToIndex(const Subscription& s) {
  bool known = std::any_of(packages_.begin(), packages_.end(), [&](const auto& e) { return e.second == s.package; });
  if (!known) packages_.emplace_back(s.package->name(), s.package);
  by_resource_.insert(&s);
}

std::vector<std::string> Notifier::Resources(std::string_view package) const {
  std::vector<std::string> out;
  for (auto it = by_resource_.begin(); it != by_resource_.end();) {
    std::string_view resource = (*it)->resource();
    bool found = false;
    for (; it != by_resource_.end() && (*it)->resource() == resource; ++it) {
      if (!found && (*it)->package->name() == package) {
        out.emplace_back(resource);
        found = true;
      }
    }
  }
  return out;
}

const Subscription* Notifier::Get(uint64_t id) const {
  auto it = subs_.find(id);
  return it == subs_.end() ? nullptr : &it->second;
}

void Notifier::Remove(uint64_t id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  host_.timers().Cancel(it->second.pace);
  host_.timers().Cancel(it->second.heartbeat);
  if (it->second.notify_over_tcp) tcp_bodies_.erase(id);
  by_resource_.erase(&it->second);
  subs_.erase(it);
  ++stats_.subscriptions_terminated;
}

}  // namespace parley::events
