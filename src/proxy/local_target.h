#pragma once
// Decides whether a Request-URI names this server or one of its domains.

#include <string>
#include <vector>

#include "sip/uri.h"
#include "transport/address.h"

namespace parley::proxy {

class LocalTarget {
 public:
  LocalTarget(std::vector<std::string> domains, std::vector<transport::SocketAddress> addresses);

  // The host is one of our domains (any port) or one of our addresses (with
  // a matching port; an absent port means 5060, or 5061 for sips).
  bool IsLocal(const sip::Uri& uri) const;
  // Local and without a user part: the request is for the server itself.
  bool IsSelf(const sip::Uri& uri) const { return IsLocal(uri) && !uri.has_user; }
  const std::vector<std::string>& domains() const { return domains_; }

 private:
  std::vector<std::string> domains_;  // lower-case
  std::vector<transport::SocketAddress> addresses_;
};

}  // namespace parley::proxy
