#include "proxy/basic_processors.h"

namespace parley::proxy {

namespace {
void RespondFailure(RequestContext& ctx, ProcessorHost& r, const sip::CheckFailure& f) {
  ExtraHeaders extra;
  if (f.header != sip::HeaderId::kUnknown) extra.emplace_back(f.header, f.header_value);
  r.Respond(ctx, f.status, f.reason, std::move(extra));
}
}  // namespace

Verdict ProxyChecks::Process(RequestContextPtr& p, ProcessorHost& r) {
  RequestContext& ctx = *p;
  if (auto f = sip::CheckAsProxy(*ctx.request, caps_, ctx.to_self)) {
    RespondFailure(ctx, r, *f);
    return Verdict::kDone;
  }
  return Verdict::kContinue;
}

Verdict ServerUasChecks::Process(RequestContextPtr& p, ProcessorHost& r) {
  RequestContext& ctx = *p;
  if (!ctx.to_self) return Verdict::kContinue;
  if (auto f = sip::CheckAsUas(*ctx.request, caps_)) {
    RespondFailure(ctx, r, *f);
    return Verdict::kDone;
  }
  return Verdict::kContinue;
}

Verdict ServerUas::Process(RequestContextPtr& p, ProcessorHost& r) {
  RequestContext& ctx = *p;
  if (!ctx.to_self) return Verdict::kContinue;
  if (ctx.request->method() == sip::Method::kOptions) {
    ExtraHeaders extra;
    extra.emplace_back(sip::HeaderId::kAllow, caps_.AllowHeader());
    extra.emplace_back(sip::HeaderId::kAccept, caps_.AcceptHeader());
    extra.emplace_back(sip::HeaderId::kAcceptEncoding, "identity");
    extra.emplace_back(sip::HeaderId::kAcceptLanguage, "en");
    // Empty Accept / Supported mean "no body formats" / "no extensions"
    // (RFC 3261 §20.1, §20.37); services add theirs to the capabilities.
    extra.emplace_back(sip::HeaderId::kSupported, caps_.SupportedHeader());
    // RFC 6665 §8.2.2: the event packages the server takes subscriptions for.
    if (!caps_.events.empty()) extra.emplace_back(sip::HeaderId::kAllowEvents, caps_.AllowEventsHeader());
    r.Respond(ctx, 200, "OK", std::move(extra));
    return Verdict::kDone;
  }
  return Verdict::kContinue;
}

Verdict Fallback::Process(RequestContextPtr& p, ProcessorHost& r) {
  RequestContext& ctx = *p;
  if (ctx.to_self) {
    // Allowed by the capabilities but no service took it.
    r.Respond(ctx, 501, "Not Implemented");
  } else if (ctx.target_offline) {
    r.Respond(ctx, 480, "Temporarily Unavailable");
  } else if (ctx.local_domain) {
    r.Respond(ctx, 404, "Not Found");
  } else {
    r.Respond(ctx, 403, "Relaying Denied");
  }
  return Verdict::kDone;
}

}  // namespace parley::proxy
