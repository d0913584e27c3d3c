#pragma once
// Who the user agent is and where it sends: the account (AOR, credentials)
// and the outbound proxy ("host:port;transport=tcp").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "transport/types.h"

namespace parley::ua {

// user@domain, parsed from "bob", "bob@example.com" or "sip:bob@example.com"
// (the domain of `default_domain` completes a bare user name).
// A SIP URI with a "gr" parameter is a GRUU (RFC 5627): one device of the
// user, reached by Uri() and shown by Text() as the user's address.
struct Aor {
  std::string user;
  std::string domain;
  std::optional<std::string> gr;  // the "gr" value ("" when bare: a temporary GRUU)

  // "sip:bob@example.com", a GRUU with its ";gr=…"
  std::string Uri() const {
    std::string u = "sip:" + user + "@" + domain;
    if (gr) u.append(gr->empty() ? ";gr" : ";gr=" + *gr);
    return u;
  }
  std::string Text() const { return user + "@" + domain; }  // "bob@example.com"
  bool operator==(const Aor&) const = default;
};
Result<Aor> ParseAor(std::string_view text, std::string_view default_domain = {});

// Where requests go: "host[:port][;transport=udp|tcp|tls]". Without a port:
// 5061 for TLS, 5060 otherwise; without a transport: UDP (TLS when the port
// is 5061).
struct ProxySpec {
  std::string host;
  uint16_t port = 0;
  transport::Protocol protocol = transport::Protocol::kUdp;
  bool explicit_transport = false;

  std::string ToString() const;  // "host:port;transport=tcp"
};
Result<ProxySpec> ParseProxySpec(std::string_view text);

struct Account {
  Aor aor;
  std::string display_name;
  std::string auth_user;  // digest user name; empty = aor.user
  std::string password;

  const std::string& AuthUser() const { return auth_user.empty() ? aor.user : auth_user; }
};

}  // namespace parley::ua
