#include "proxy/local_target.h"

#include "auth/digest.h"
#include "common/strings.h"
#include "sip/fields.h"

namespace parley::proxy {

LocalTarget::LocalTarget(std::vector<std::string> domains, std::vector<transport::SocketAddress> addresses,
                         RouteTokenFn route_token)
    : addresses_(std::move(addresses)), route_token_(std::move(route_token)) {
  for (auto& d : domains) domains_.push_back(ToLower(d));
}

LocalTarget::RouteOwner LocalTarget::FirstRouteOwner(const sip::Message& m) const {
  const sip::HeaderField* first = m.Find(sip::HeaderId::kRoute);
  if (!first) return RouteOwner::kNotOurs;
  auto na = sip::ParseFirstNameAddr(first->value);
  if (!na.ok() || na->uri.has_user || !IsLocal(na->uri)) return RouteOwner::kNotOurs;
  return RouteTokenValid(na->uri, m.call_id()) ? RouteOwner::kOursSigned : RouteOwner::kOurs;
}

bool LocalTarget::RouteTokenValid(const sip::Uri& route, std::string_view call_id) const {
  if (!route_token_) return true;
  auto token = route.params.Get(kRouteTokenParam);
  if (!token) return false;
  return auth::DigestEquals(*token, route_token_(call_id));  // in constant time
}

bool LocalTarget::IsLocal(const sip::Uri& uri) const {
  if (!uri.is_sip() && uri.scheme != sip::Scheme::kIm && uri.scheme != sip::Scheme::kPres) return false;
  for (const auto& d : domains_) {
    if (IEquals(d, uri.host)) return true;
  }
  uint16_t port = uri.has_port ? uri.port : (uri.scheme == sip::Scheme::kSips ? 5061 : 5060);
  auto addr = transport::SocketAddress::Parse(uri.host, port);
  if (!addr) return false;
  for (const auto& a : addresses_) {
    if (a.port() != port) continue;
    if (a == *addr) return true;
    // A wildcard bind answers on every address of the host; loopback is
    // the one we can be sure of.
    if (a.IsUnspecified() && addr->IsLoopback()) return true;
  }
  return false;
}

}  // namespace parley::proxy
