#include "proxy/router.h"

#include "sip/fields.h"

namespace parley::proxy {

std::optional<Target> TargetForUri(std::string_view uri_text) {
  auto u = sip::ParseUri(uri_text);
  if (!u.ok() || !u->is_sip()) return std::nullopt;
  transport::Protocol proto = u->scheme == sip::Scheme::kSips ? transport::Protocol::kTls : transport::Protocol::kUdp;
  if (auto t = u->params.Get("transport")) {
    auto p = transport::ParseProtocol(*t);
    if (!p) return std::nullopt;
    if (u->scheme != sip::Scheme::kSips) proto = *p;
  }
  uint16_t port = u->has_port ? u->port : (transport::IsSecure(proto) ? 5061 : 5060);
  std::string_view host = u->params.Get("maddr").value_or(u->host);
  auto addr = transport::SocketAddress::Parse(host, port);
  if (!addr) return std::nullopt;
  Target t;
  t.uri = std::string(uri_text);
  t.destination.protocol = proto;
  t.destination.address = *addr;
  return t;
}

Router::Router(const RouterConfig& config, LocationService& location, Forwarder& forwarder,
               RelayObserver* observer)
    : config_(config), location_(location), forwarder_(forwarder), observer_(observer) {}

namespace {

// The first Route value (views into the message); an error when there is
// none or it is malformed.
Result<sip::NameAddr> FirstRoute(const sip::Message& m) {
  const sip::HeaderField* first = m.Find(sip::HeaderId::kRoute);
  if (!first) return Error(0, "no Route");
  return sip::ParseFirstNameAddr(first->value);
}

}  // namespace

LocalTarget::RouteOwner Router::PopOurRoute(sip::Message& m, const LocalTarget& local) {
  LocalTarget::RouteOwner owner = local.FirstRouteOwner(m);
  if (owner != LocalTarget::RouteOwner::kNotOurs) m.RemoveFirstValue(sip::HeaderId::kRoute);
  return owner;
}

ForwardOptions Router::OptionsFor(const sip::Message& m) const {
  ForwardOptions o;
  o.timer_c = config_.timer_c;
  o.udp_max_request = config_.udp_max_request;
  o.max_breadth = config_.max_breadth;
  sip::Method meth = m.method();
  bool dialog_creating = meth == sip::Method::kInvite || meth == sip::Method::kSubscribe || meth == sip::Method::kRefer;
  o.record_route = dialog_creating && !(m.to() && m.to()->has_tag());
  return o;
}

void Router::WatchCall(ForwardOptions& o, const sip::Message& m, const std::string& callee) const {
  if (!calls_ || m.method() != sip::Method::kInvite || (m.to() && m.to()->has_tag())) return;
  o.on_response = [obs = calls_, callee](const RequestContext& c, const sip::Message& r) {
    obs->OnInviteResponse(c, callee, r);
  };
  o.on_final = [obs = calls_, callee](const RequestContext& c, int status) { obs->OnInviteFinal(c, callee, status); };
}

void Router::Fork(RequestContextPtr c, std::vector<Target> targets, const ForwardOptions& o) {
  const sip::Message& m = *c->request;
  if (calls_ && m.method() == sip::Method::kInvite && !(m.to() && m.to()->has_tag())) calls_->OnInviteForwarded(*c);
  forwarder_.Fork(std::move(c), std::move(targets), o);
}

ForwardOptions Router::OptionsForUser(const sip::Message& m, const std::string& aor) const {
  ForwardOptions o = OptionsFor(m);
  WatchCall(o, m, aor);
  if (m.method() == sip::Method::kMessage && !(m.to() && m.to()->has_tag())) {
    // Pager mode: a user whose every device is unreachable is offline,
    // and the message store (if any) takes the message.
    o.resume_when_unreachable = true;
    if (observer_) o.on_final = [obs = observer_](const RequestContext& c, int status) { obs->OnRelayed(c, status); };
  }
  return o;
}

Verdict Router::Process(RequestContextPtr& p, ProcessorHost& host) {
  RequestContext& ctx = *p;
  sip::Message& m = *ctx.request;
  if (m.method() == sip::Method::kRegister || m.method() == sip::Method::kAck) return Verdict::kContinue;
  using RouteOwner = LocalTarget::RouteOwner;
  const RouteOwner ours = PopOurRoute(m, host.local());
  // The route set decides for an in-dialog request that came through a
  // Record-Route of ours, or from an authenticated user (a dialog begun
  // before our Record-Routes carried tokens). A route a UA preloaded past
  // us on a new request is relaying: refused like a foreign target.
  const bool in_dialog = m.to() && m.to()->has_tag();
  const bool follow_route =
      ours != RouteOwner::kNotOurs && in_dialog && (ours == RouteOwner::kOursSigned || !ctx.authenticated.empty());
  if (follow_route && calls_ && m.method() == sip::Method::kBye) calls_->OnBye(ctx);
  if (ours != RouteOwner::kNotOurs && m.Find(sip::HeaderId::kRoute)) {
    if (!follow_route) {
      host.Respond(ctx, 403, ctx.authenticated.empty() ? "Relaying Denied" : "Federation Disabled");
      return Verdict::kDone;
    }
    // More hops in the route set: the next one decides (§16.6 step 6).
    auto na = FirstRoute(m);
    if (!na.ok()) {
      host.Respond(ctx, 502, "Next Hop Not Resolvable");
      return Verdict::kDone;
    }
    return ForwardToHop(p, na->uri_text, host);
  }
  if (ctx.to_self) return Verdict::kContinue;
  const sip::Uri& ruri = *m.request_uri();
  if (ctx.local_domain && ruri.has_user) {
    std::string aor = sip::AorKey(ruri);
    auto holder = std::make_shared<RequestContextPtr>(std::move(p));
    ProcessorHost* h = &host;
    // A GRUU (RFC 5627 §7.1): that device only, never the user's others.
    auto gr = ruri.params.Get("gr");
    bool gruu = gr && !gr->empty();
    auto done = [this, holder, h, gruu, aor](LookupResult r) {
      RequestContextPtr c = std::move(*holder);
      switch (r.status) {
        case LookupResult::Status::kFound: {
          ForwardOptions o = OptionsForUser(*c->request, aor);
          Fork(std::move(c), std::move(r.targets), o);
          return;
        }
        case LookupResult::Status::kNotRegistered:
          if (gruu) {
            // Not stored for the user's other devices: the sender chose this one.
            h->Respond(*c, 480, "GRUU Instance Not Registered");
            return;
          }
          // Later services (the message store) may take it; else 480.
          c->target_offline = true;
          c->target_history = r.user_history;
          h->Resume(std::move(c));
          return;
        case LookupResult::Status::kUnknownUser:
          h->Respond(*c, 404, "Not Found");
          return;
        case LookupResult::Status::kError:
          h->Respond(*c, 500, "Location Service Unavailable", {{sip::HeaderId::kRetryAfter, "5"}});
          return;
      }
    };
    if (gruu) {
      InstanceFilter filter{"<" + std::string(*gr) + ">", ctx.temp_gruu};
      location_.LookupInstance(aor, std::move(filter), ctx.shard, std::move(done));
    } else {
      location_.Lookup(aor, ctx.shard, std::move(done));
    }
    return Verdict::kPending;
  }
  if (follow_route) {
    // In-dialog request through our Record-Route: on to the Request-URI.
    return ForwardToHop(p, m.request_uri_text(), host);
  }
  if (!ctx.local_domain) {
    host.Respond(ctx, 403, ctx.authenticated.empty() ? "Relaying Denied" : "Federation Disabled");
    return Verdict::kDone;
  }
  return Verdict::kContinue;
}

void Router::RouteAck(sip::MessagePtr ack, ProcessorHost& host) {
  // ACK is never challenged: only one routed through a Record-Route we
  // put in its dialog goes on, or anyone could have us relay one anywhere.
  if (PopOurRoute(*ack, host.local()) != LocalTarget::RouteOwner::kOursSigned) return;
  std::string hop;
  if (ack->Find(sip::HeaderId::kRoute)) {
    auto next = FirstRoute(*ack);
    if (!next.ok()) return;
    hop = std::string(next->uri_text);
  } else {
    hop = std::string(ack->request_uri_text());
  }
  if (auto t = TargetForUri(hop)) return forwarder_.ForwardAck(std::move(ack), *t);
  if (!locator_) return;
  auto holder = std::make_shared<sip::MessagePtr>(std::move(ack));
  locator_->Locate(hop, [this, holder](Result<std::vector<Target>> r) {
    if (!r.ok()) return;  // an ACK gets no answer; its sender retransmits the 2xx's ACK
    Target& t = r->front();  // no answer to tell a failure by: the first place only
    t.uri = std::string((*holder)->request_uri_text());
    forwarder_.ForwardAck(std::move(*holder), t);
  });
}

Verdict Router::ForwardToHop(RequestContextPtr& p, std::string_view hop, ProcessorHost& host) {
  const sip::Message& m = *p->request;
  ForwardOptions o = OptionsFor(m);
  WatchCall(o, m, "");
  if (auto t = TargetForUri(hop)) {
    t->uri = std::string(m.request_uri_text());
    Fork(std::move(p), {*t}, o);
    return Verdict::kDone;
  }
  if (!locator_) {
    host.Respond(*p, 502, "Next Hop Not Resolvable");
    return Verdict::kDone;
  }
  auto holder = std::make_shared<RequestContextPtr>(std::move(p));
  ProcessorHost* h = &host;
  locator_->Locate(hop, [this, holder, h, o = std::move(o)](Result<std::vector<Target>> r) {
    RequestContextPtr c = std::move(*holder);
    if (!r.ok()) return h->Respond(*c, r.error().code, r.error().message);
    for (Target& t : *r) t.uri = std::string(c->request->request_uri_text());
    Fork(std::move(c), std::move(*r), o);
  });
  return Verdict::kPending;
}

}  // namespace parley::proxy
