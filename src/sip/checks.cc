#include "sip/checks.h"

#include <algorithm>

#include "sip/lex.h"
#include "sip/response.h"

namespace parley::sip {

bool Capabilities::Allows(Method m) const {
  return m != Method::kUnknown && std::find(methods.begin(), methods.end(), m) != methods.end();
}

bool Capabilities::Supports(std::string_view tag) const {
  for (const auto& e : extensions) {
    if (IEquals(e, tag)) return true;
  }
  return false;
}

bool Capabilities::Accepts(const MediaType& t) const {
  for (const auto& a : accepted_types) {
    size_t slash = a.find('/');
    std::string_view type(a.data(), slash), sub(a.data() + slash + 1, a.size() - slash - 1);
    if ((type == "*" || IEquals(type, t.type)) && (sub == "*" || IEquals(sub, t.subtype))) return true;
  }
  return false;
}

namespace {
std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.append(", ");
    out.append(s);
  }
  return out;
}

// Does an Accept element ("type/subtype;q=…", wildcards allowed) admit `t`?
bool AcceptElementMatches(std::string_view elem, std::string_view t) {
  auto mt = ParseMediaType(elem);
  if (!mt.ok()) return false;
  if (auto q = mt->params.Get("q"); q && (*q == "0" || *q == "0.0" || *q == "0.00" || *q == "0.000")) {
    return false;
  }
  size_t slash = t.find('/');
  std::string_view type = t.substr(0, slash), sub = t.substr(slash + 1);
  return (mt->type == "*" || IEquals(mt->type, type)) && (mt->subtype == "*" || IEquals(mt->subtype, sub));
}
}  // namespace

std::string Capabilities::AllowHeader() const {
  std::string out;
  for (Method m : methods) {
    if (!out.empty()) out.append(", ");
    out.append(MethodName(m));
  }
  return out;
}

std::string Capabilities::AcceptHeader() const { return Join(accepted_types); }
std::string Capabilities::SupportedHeader() const { return Join(extensions); }
std::string Capabilities::AllowEventsHeader() const { return Join(events); }

namespace {
// Collects option tags of `id` the element does not support.
std::string Unsupported(const Message& m, HeaderId id, const Capabilities& caps) {
  std::string out;
  m.ForEachValue(id, [&](std::string_view tag) {
    if (!caps.Supports(tag)) {
      if (!out.empty()) out.append(", ");
      out.append(tag);
    }
    return true;
  });
  return out;
}

bool SchemeSupported(const Message& m, const Capabilities& caps) {
  const Uri* u = m.request_uri();
  return u && std::find(caps.schemes.begin(), caps.schemes.end(), u->scheme) != caps.schemes.end();
}
}  // namespace

std::optional<CheckFailure> CheckAsUas(const Message& req, const Capabilities& caps,
                                       const std::vector<std::string>& response_types) {
  // §8.2.1 method inspection.
  if (!caps.Allows(req.method())) {
    if (req.method() == Method::kUnknown) return CheckFailure{501, "Not Implemented", HeaderId::kAllow, caps.AllowHeader()};
    return CheckFailure{405, "Method Not Allowed", HeaderId::kAllow, caps.AllowHeader()};
  }
  // §8.2.2.1 Request-URI scheme.
  if (!SchemeSupported(req, caps)) return CheckFailure{416, "Unsupported URI Scheme", HeaderId::kUnknown, {}};
  // §8.2.2.3 Require (never applied to CANCEL or ACK).
  if (req.method() != Method::kCancel && req.method() != Method::kAck) {
    std::string bad = Unsupported(req, HeaderId::kRequire, caps);
    if (!bad.empty()) return CheckFailure{420, "Bad Extension", HeaderId::kUnsupported, bad};
  }
  // §8.2.3 content processing.
  if (!req.body().empty()) {
    auto ct = req.content_type();
    if (!ct || !caps.Accepts(*ct)) {
      return CheckFailure{415, "Unsupported Media Type", HeaderId::kAccept, caps.AcceptHeader()};
    }
    bool enc_ok = req.ForEachValue(HeaderId::kContentEncoding, [&](std::string_view e) {
      for (const auto& a : caps.accepted_encodings) {
        if (IEquals(a, e)) return true;
      }
      return false;
    });
    if (!enc_ok) {
      return CheckFailure{415, "Unsupported Content Encoding", HeaderId::kAcceptEncoding, Join(caps.accepted_encodings)};
    }
  }
  // Accept: the response body this request would get must be acceptable.
  if (!response_types.empty() && req.Find(HeaderId::kAccept)) {
    bool any = false;
    req.ForEachValue(HeaderId::kAccept, [&](std::string_view e) {
      for (const auto& t : response_types) any |= AcceptElementMatches(e, t);
      return !any;
    });
    if (!any) return CheckFailure{406, "Not Acceptable", HeaderId::kAccept, Join(response_types)};
  }
  return std::nullopt;
}

std::optional<CheckFailure> CheckAsProxy(const Message& req, const Capabilities& caps, bool options_to_self) {
  if (!SchemeSupported(req, caps)) return CheckFailure{416, "Unsupported URI Scheme", HeaderId::kUnknown, {}};
  auto mf = req.max_forwards();
  if (mf && *mf == 0 && !(options_to_self && req.method() == Method::kOptions)) {
    return CheckFailure{483, "Too Many Hops", HeaderId::kUnknown, {}};
  }
  if (req.method() != Method::kCancel && req.method() != Method::kAck) {
    std::string bad = Unsupported(req, HeaderId::kProxyRequire, caps);
    if (!bad.empty()) return CheckFailure{420, "Bad Extension", HeaderId::kUnsupported, bad};
  }
  return std::nullopt;
}

MessagePtr MakeFailureResponse(const Message& req, const CheckFailure& f, std::string_view to_tag) {
  MessagePtr r = MakeResponse(req, f.status, f.reason, to_tag);
  if (f.header != HeaderId::kUnknown && !f.header_value.empty()) r->AddHeader(f.header, f.header_value);
  return r;
}

}  // namespace parley::sip
