#include "ua/account.h"

#include "common/strings.h"
#include "sip/uri.h"

namespace parley::ua {

Result<Aor> ParseAor(std::string_view text, std::string_view default_domain) {
  text = TrimLws(text);
  if (!text.empty() && text.front() == '<' && text.back() == '>') text = text.substr(1, text.size() - 2);
  std::string uri_text;
  if (IStartsWith(text, "sip:") || IStartsWith(text, "sips:") || IStartsWith(text, "im:") ||
      IStartsWith(text, "pres:")) {
    uri_text = std::string(text);
  } else if (text.find('@') != std::string_view::npos) {
    uri_text = "sip:" + std::string(text);
  } else if (!text.empty() && !default_domain.empty()) {
    uri_text = "sip:" + std::string(text) + "@" + std::string(default_domain);
  } else {
    return Error(2, "not an address: '" + std::string(text) + "' (expected user@domain)");
  }
  auto uri = sip::ParseUri(uri_text);
  if (!uri.ok()) return Error(2, "not an address: '" + std::string(text) + "': " + uri.error().message);
  if (!uri->has_user || uri->user.empty() || uri->host.empty()) {
    return Error(2, "not an address: '" + std::string(text) + "' (expected user@domain)");
  }
  if (uri->scheme == sip::Scheme::kIm || uri->scheme == sip::Scheme::kPres) {
    // im:/pres: URIs (RFC 3860/3859) map to the SIP AOR of the same user.
  }
  Aor aor{uri->DecodedUser(), ToLower(uri->host), std::nullopt};
  if (uri->is_sip()) {
    if (auto gr = uri->params.Get("gr")) aor.gr = std::string(*gr);
  }
  return aor;
}

std::string ProxySpec::ToString() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out.append(":").append(std::to_string(port)).append(";transport=");
  out.append(ToLower(transport::ProtocolName(protocol)));
  return out;
}

Result<ProxySpec> ParseProxySpec(std::string_view text) {
  text = TrimLws(text);
  if (IStartsWith(text, "sip:")) text.remove_prefix(4);
  ProxySpec spec;
  std::string_view hostport = text;
  std::string_view params;
  if (size_t semi = text.find(';'); semi != std::string_view::npos) {
    hostport = text.substr(0, semi);
    params = text.substr(semi);
  }
  if (hostport.empty()) return Error(2, "empty proxy address");
  std::string_view port_text;
  if (hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Error(2, "bad proxy address: " + std::string(text));
    spec.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return Error(2, "bad proxy address: " + std::string(text));
      port_text = hostport.substr(close + 2);
    }
  } else {
    size_t colon = hostport.rfind(':');
    spec.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port_text = hostport.substr(colon + 1);
  }
  if (spec.host.empty()) return Error(2, "bad proxy address: " + std::string(text));
  if (!port_text.empty()) {
    auto p = ParseUint(port_text, 65535);
    if (!p || *p == 0) return Error(2, "bad proxy port: " + std::string(port_text));
    spec.port = static_cast<uint16_t>(*p);
  }
  sip::Params p(params);
  if (auto t = p.Get("transport")) {
    auto proto = transport::ParseProtocol(*t);
    if (!proto || (*proto != transport::Protocol::kUdp && *proto != transport::Protocol::kTcp &&
                   *proto != transport::Protocol::kTls)) {
      return Error(2, "unsupported transport '" + std::string(*t) + "' (udp, tcp or tls)");
    }
    spec.protocol = *proto;
    spec.explicit_transport = true;
  } else if (spec.port == 5061) {
    spec.protocol = transport::Protocol::kTls;
  }
  if (spec.port == 0) spec.port = spec.protocol == transport::Protocol::kTls ? 5061 : 5060;
  return spec;
}

}  // namespace parley::ua
