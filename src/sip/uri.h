#pragma once
// URIs that appear in SIP: sip/sips (RFC 3261 §19.1), tel (RFC 3966), im
// (RFC 3860), pres (RFC 3859) and any other absoluteURI kept opaque.
// Parsing produces views into the caller's text.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sip/params.h"

namespace parley::sip {

enum class Scheme : uint8_t { kSip, kSips, kTel, kIm, kPres, kOther };

std::string_view SchemeName(Scheme s);

struct Uri {
  Scheme scheme = Scheme::kOther;
  std::string_view text;         // the whole URI as written
  std::string_view scheme_text;  // as written, e.g. "SIP"
  std::string_view user;         // escaped, as written (tel: the number)
  std::string_view password;     // escaped, as written
  std::string_view host;         // without brackets for IPv6
  std::string_view headers;      // after '?', escaped
  std::string_view opaque;       // for Scheme::kOther: all after "scheme:"
  Params params;                 // uri-parameters (starts at ';')
  uint16_t port = 0;
  bool has_user = false;
  bool has_password = false;
  bool has_port = false;
  bool host_is_ipv6 = false;

  bool is_sip() const { return scheme == Scheme::kSip || scheme == Scheme::kSips; }
  // The user part with %-escapes decoded.
  std::string DecodedUser() const { return PercentDecode(user); }
  std::optional<std::string_view> Param(std::string_view name) const { return params.Get(name); }
  // "transport" parameter, lower-cased comparison helpers live with callers.
  std::string_view Transport() const { return params.Get("transport").value_or(""); }
  // Host as it is written in a URI ("[::1]" for IPv6).
  std::string HostPort() const;
};

// Parses a URI. Errors carry code 400 and a reason naming the fault.
Result<Uri> ParseUri(std::string_view text);

// RFC 3261 §19.1.4 comparison for sip/sips; exact (case-insensitive
// scheme) comparison of the decoded text for other schemes.
bool UriEquivalent(const Uri& a, const Uri& b);

// "user@host" (decoded user, lower-cased host) used as an address-of-record
// key; "host" when there is no user.
std::string AorKey(const Uri& uri);

}  // namespace parley::sip
