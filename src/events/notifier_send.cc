// The sending half of the notifier: where a subscription's NOTIFYs go (the
// dialog's remote target, or where a GRUU's instance is registered now),
// over which transport (UDP, deflated or moved to TCP when too large), and
// what each NOTIFY's response does to the subscription.

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "common/log.h"
#include "common/strings.h"
#include "events/notifier.h"
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

std::string RateParam(const char* name, double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), ";%s=%g", name, v);
  return buf;
}

}  // namespace

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
  s.last_notify_ms = SteadyMs();
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
  if (known != no_tcp_.end() && known->second >= SteadyMs()) return false;
  if (!s.route.empty()) return true;  // a proxy on the way
  // A UA behind a NAT (we send where its requests came from, not to its
  // Contact) cannot take a connection we open.
  auto contact = proxy::TargetForUri(target ? std::string_view(target->uri) : s.remote_target());
  return contact && contact->destination.address == dest.address;
}

void Notifier::NoTcpAt(Subscription& s) {
  s.udp_only = true;
  if (!s.route.empty()) return;  // a proxy's address: not the UA's to judge
  no_tcp_[s.destination.address.ToString()] = SteadyMs() + 10 * 60 * 1000;
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

}  // namespace parley::events
