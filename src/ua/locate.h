#pragma once
// Locating the server (seed 003 §10.1, RFC 3263 in part): the outbound
// proxy from --proxy, else the AOR's domain through DNS SRV (_sips._tcp,
// _sip._tcp, _sip._udp), else its A/AAAA records on the default port; plus
// the local address that faces it. Blocking (resolver calls): run before
// the event loop starts or off it, never on it.

#include <optional>
#include <string>

#include "common/result.h"
#include "transport/types.h"
#include "ua/account.h"

namespace parley::ua {

struct Located {
  transport::Destination destination;  // address, protocol, SNI
  std::string host;                    // the name we resolved (for messages)
  std::string local_ip;                // the address of ours that routes there
};

// `proxy` unset: locate by `domain`. Errors are one line for the user
// ("cannot resolve example.com: Name or service not known").
Result<Located> Locate(const std::optional<ProxySpec>& proxy, const std::string& domain);

}  // namespace parley::ua
