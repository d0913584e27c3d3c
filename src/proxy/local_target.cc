#include "proxy/local_target.h"

#include "common/strings.h"

namespace parley::proxy {

LocalTarget::LocalTarget(std::vector<std::string> domains, std::vector<transport::SocketAddress> addresses)
    : addresses_(std::move(addresses)) {
  for (auto& d : domains) domains_.push_back(ToLower(d));
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
