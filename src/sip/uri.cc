#include "sip/uri.h"

#include "sip/lex.h"

namespace parley::sip {
namespace {

Error BadUri(std::string msg) { return Error(400, std::move(msg)); }

Scheme ClassifyScheme(std::string_view s) {
  if (IEquals(s, "sip")) return Scheme::kSip;
  if (IEquals(s, "sips")) return Scheme::kSips;
  if (IEquals(s, "tel")) return Scheme::kTel;
  if (IEquals(s, "im")) return Scheme::kIm;
  if (IEquals(s, "pres")) return Scheme::kPres;
  return Scheme::kOther;
}

bool IsSchemeText(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// Parses host [ ":" port ] from `hp`, which must be exactly that.
Result<void> ParseHostPort(std::string_view hp, Uri& u) {
  if (hp.empty()) return BadUri("empty host in URI");
  std::string_view port_text;
  if (hp[0] == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) return BadUri("unterminated IPv6 reference in URI");
    u.host = hp.substr(1, close - 1);
    u.host_is_ipv6 = true;
    if (!IsIpv6(u.host)) return BadUri("invalid IPv6 address in URI");
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return BadUri("junk after IPv6 reference in URI");
      port_text = rest.substr(1);
      u.has_port = true;
    }
  } else {
    size_t colon = hp.find(':');
    u.host = hp.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = hp.substr(colon + 1);
      u.has_port = true;
    }
    if (!IsHostname(u.host)) return BadUri("invalid host in URI");
  }
  if (u.has_port) {
    auto p = ParseUint(port_text, 65535);
    if (!p) return BadUri("invalid port in URI");
    u.port = static_cast<uint16_t>(*p);
  }
  return Ok();
}

// sip:/sips: after the scheme colon.
Result<void> ParseSipBody(std::string_view rest, Uri& u) {
  // userinfo: the first '@' (an '@' cannot occur unescaped anywhere else).
  size_t at = rest.find('@');
  std::string_view hostpart = rest;
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    hostpart = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    u.user = userinfo.substr(0, colon);
    u.has_user = true;
    if (colon != std::string_view::npos) {
      u.password = userinfo.substr(colon + 1);
      u.has_password = true;
      // password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," )
      if (!IsEscapedSet(u.password, "&=+$,")) return BadUri("invalid password in URI");
    }
    // user = 1*( unreserved / escaped / user-unreserved )
    if (u.user.empty()) return BadUri("empty user in URI");
    if (!IsEscapedSet(u.user, "&=+$,;?/")) return BadUri("invalid user part in URI");
  }
  size_t q = hostpart.find('?');
  if (q != std::string_view::npos) {
    u.headers = hostpart.substr(q + 1);
    hostpart = hostpart.substr(0, q);
    // hname "=" hvalue pairs joined by '&'
    if (u.headers.empty() || !IsEscapedSet(u.headers, "[]/?:+$&=")) {
      return BadUri("invalid headers in URI");
    }
  }
  size_t semi = hostpart.find(';');
  if (semi != std::string_view::npos) {
    u.params = Params(hostpart.substr(semi));
    hostpart = hostpart.substr(0, semi);
    if (!ValidParams(u.params.text(), ParamSyntax::kUri)) return BadUri("invalid URI parameter");
  }
  return ParseHostPort(hostpart, u);
}

// tel: (RFC 3966): a global or local number then parameters.
Result<void> ParseTelBody(std::string_view rest, Uri& u) {
  size_t semi = rest.find(';');
  u.user = rest.substr(0, semi);
  u.has_user = true;
  if (u.user.empty()) return BadUri("empty tel number");
  for (char c : u.user) {
    if (!(IsHex(c) || c == '+' || c == '-' || c == '.' || c == '(' || c == ')' || c == '*' ||
          c == '#')) {
      return BadUri("invalid character in tel number");
    }
  }
  if (semi != std::string_view::npos) {
    u.params = Params(rest.substr(semi));
    if (!ValidParams(u.params.text(), ParamSyntax::kUri)) return BadUri("invalid tel parameter");
  }
  return Ok();
}

// im: and pres: (RFC 3860/3859): mailbox [ "?" headers ].
Result<void> ParseMailboxBody(std::string_view rest, Uri& u) {
  size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    u.headers = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t at = rest.find('@');
  if (at == std::string_view::npos) return BadUri("im/pres URI without '@'");
  u.user = rest.substr(0, at);
  u.has_user = true;
  u.host = rest.substr(at + 1);
  if (u.user.empty() || !IsEscapedSet(u.user, "&=+$,;?/#{}|^`")) return BadUri("invalid mailbox in URI");
  if (!IsHostname(u.host)) return BadUri("invalid domain in URI");
  return Ok();
}

}  // namespace

std::string_view SchemeName(Scheme s) {
  switch (s) {
    case Scheme::kSip: return "sip";
    case Scheme::kSips: return "sips";
    case Scheme::kTel: return "tel";
    case Scheme::kIm: return "im";
    case Scheme::kPres: return "pres";
    case Scheme::kOther: return "";
  }
  return "";
}

Result<Uri> ParseUri(std::string_view text) {
  Uri u;
  u.text = text;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return BadUri("URI without scheme");
  u.scheme_text = text.substr(0, colon);
  if (!IsSchemeText(u.scheme_text)) return BadUri("invalid URI scheme");
  u.scheme = ClassifyScheme(u.scheme_text);
  std::string_view rest = text.substr(colon + 1);
  for (char c : rest) {
    unsigned char uc = static_cast<unsigned char>(c);
    if (uc <= 0x20 || uc >= 0x7F || c == '<' || c == '>' || c == '"') {
      return BadUri("invalid character in URI");
    }
  }
  Result<void> r;
  switch (u.scheme) {
    case Scheme::kSip:
    case Scheme::kSips:
      r = ParseSipBody(rest, u);
      break;
    case Scheme::kTel:
      r = ParseTelBody(rest, u);
      break;
    case Scheme::kIm:
    case Scheme::kPres:
      r = ParseMailboxBody(rest, u);
      break;
    case Scheme::kOther:
      u.opaque = rest;
      if (rest.empty() || !IsEscapedSet(rest, ";/?:@&=+$,[]#")) r = BadUri("invalid absolute URI");
      break;
  }
  if (!r.ok()) return r.error();
  return u;
}

std::string Uri::HostPort() const {
  std::string out;
  if (host_is_ipv6) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  if (has_port) out.append(":").append(std::to_string(port));
  return out;
}

namespace {

// Compares two escaped strings after decoding, case-sensitively or not.
bool DecodedEquals(std::string_view a, std::string_view b, bool icase) {
  if (a.find('%') == std::string_view::npos && b.find('%') == std::string_view::npos) {
    return icase ? IEquals(a, b) : a == b;
  }
  std::string da = PercentDecode(a), db = PercentDecode(b);
  return icase ? IEquals(da, db) : da == db;
}

bool OptParamEquals(const Params& a, const Params& b, std::string_view name) {
  auto va = a.Get(name), vb = b.Get(name);
  if (va.has_value() != vb.has_value()) return false;
  return !va || DecodedEquals(*va, *vb, true);
}

}  // namespace

bool UriEquivalent(const Uri& a, const Uri& b) {
  if (a.scheme != b.scheme) return false;
  if (!a.is_sip()) {
    if (a.scheme == Scheme::kOther && !IEquals(a.scheme_text, b.scheme_text)) return false;
    return DecodedEquals(a.user, b.user, false) && IEquals(a.host, b.host) &&
           DecodedEquals(a.opaque, b.opaque, false) &&
           DecodedEquals(a.params.text(), b.params.text(), true);
  }
  // §19.1.4: userinfo case-sensitive after decoding; host case-insensitive;
  // ports must both be present or absent.
  if (a.has_user != b.has_user || !DecodedEquals(a.user, b.user, false)) return false;
  if (a.has_password != b.has_password || !DecodedEquals(a.password, b.password, false)) return false;
  if (!IEquals(a.host, b.host) || a.has_port != b.has_port || a.port != b.port) return false;
  // user, ttl, method, maddr and transport must match if present in either.
  for (std::string_view p : {"user", "ttl", "method", "maddr", "transport"}) {
    if (!OptParamEquals(a.params, b.params, p)) return false;
  }
  // Other parameters present in both must match.
  bool ok = true;
  // A repeated name means its first occurrence, on both sides.
  a.params.ForEach([&](std::string_view n, std::string_view, bool) {
    auto va = a.params.Get(n);
    auto vb = b.params.Get(n);
    if (vb && !DecodedEquals(*va, *vb, true)) ok = false;
    return ok;
  });
  if (!ok) return false;
  // Headers: compared as a set; an ordered comparison of the raw text is a
  // sufficient approximation for identical generators.
  return DecodedEquals(a.headers, b.headers, true);
}

std::string AorKey(const Uri& uri) {
  std::string key;
  if (uri.has_user) {
    key = uri.DecodedUser();
    key.push_back('@');
  }
  key.append(ToLower(uri.host));
  return key;
}

}  // namespace parley::sip
