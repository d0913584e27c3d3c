#pragma once
// Parsers for structured header field values. Each takes one value (one
// element of a comma list) as a view into the message and returns views
// into it. Errors carry SIP status 400 and a reason naming the fault.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "sip/method.h"
#include "sip/params.h"
#include "sip/uri.h"

namespace parley::sip {

// name-addr / addr-spec with header parameters: From, To, Contact, Route,
// Record-Route, Path, Reply-To, Refer-To, P-Asserted-Identity …
struct NameAddr {
  std::string_view text;          // the whole element
  std::string_view display_name;  // as written (quotes kept); empty if none
  std::string_view uri_text;      // between < and > (or the addr-spec)
  Uri uri;
  Params params;                  // header parameters after the address
  bool angle_brackets = false;
  bool is_star = false;           // Contact: *
  // params.Get("tag"), looked up once by ParseNameAddr.
  std::optional<std::string_view> tag_param;

  std::string_view tag() const { return tag_param.value_or(""); }
  bool has_tag() const { return tag_param.has_value(); }
  std::string DisplayName() const;  // unquoted
};

enum class NameAddrOptions : uint8_t {
  kNone = 0,
  kAllowStar = 1,         // Contact
  kRequireAngle = 2,      // Route, Record-Route, Path
};

Result<NameAddr> ParseNameAddr(std::string_view value, NameAddrOptions opts = NameAddrOptions::kNone);
// The first of the comma-separated name-addrs of a field value (a Route,
// Record-Route or Path).
Result<NameAddr> ParseFirstNameAddr(std::string_view list);

struct Via {
  std::string_view text;
  std::string_view protocol_name;     // "SIP"
  std::string_view protocol_version;  // "2.0"
  std::string_view transport;         // "UDP", "TCP", "TLS", "SCTP", "WS", …
  std::string_view host;              // without brackets
  uint16_t port = 0;
  bool has_port = false;
  bool host_is_ipv6 = false;
  Params params;
  // params.Get of branch, received, rport and maddr, looked up in one scan by
  // ParseVia: a message's Via is read on every hop of its way (transaction
  // key, response destination, loop check).
  std::array<std::optional<std::string_view>, 4> known_params;

  std::string_view branch() const { return known_params[0].value_or(""); }
  std::optional<std::string_view> received() const { return known_params[1]; }
  // rport: nullopt if absent; empty view when present without a value.
  std::optional<std::string_view> rport() const { return known_params[2]; }
  std::optional<std::string_view> maddr() const { return known_params[3]; }
  // sent-by as written ("host:port", "[v6]:port").
  std::string SentBy() const;
};

Result<Via> ParseVia(std::string_view value);

struct CSeq {
  uint32_t number = 0;
  std::string_view method_text;
  Method method = Method::kUnknown;
};

// CSeq numbers must be below 2**31 (RFC 3261 §8.1.1.5).
Result<CSeq> ParseCSeq(std::string_view value);

// 1*DIGIT with an upper bound; leading zeros allowed.
Result<uint32_t> ParseDeltaSeconds(std::string_view value);   // bound 2**32-1
Result<uint32_t> ParseMaxForwards(std::string_view value);    // bound 255
Result<uint64_t> ParseContentLength(std::string_view value);  // bound 2**32-1

// media-type = m-type "/" m-subtype *( SEMI m-parameter )
struct MediaType {
  std::string_view type;
  std::string_view subtype;
  Params params;
  bool Is(std::string_view t, std::string_view s) const;
  std::string Essence() const;  // "type/subtype" lower-cased
};
Result<MediaType> ParseMediaType(std::string_view value);

// Call-ID = word [ "@" word ]
bool ValidCallId(std::string_view value);

// SIP-date = rfc1123-date, which must be in GMT (RFC 3261 §20.17).
struct SipDate {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t ToUnix() const;
  // The inverse of ToUnix, for a time clamped to the years 1..9999.
  static SipDate FromUnix(int64_t unix);
  // "Sat, 13 Nov 2010 23:29:00 GMT" (the weekday is derived).
  std::string ToString() const;
};
Result<SipDate> ParseSipDate(std::string_view value);

// Authorization / WWW-Authenticate / Proxy-*: scheme then comma-separated
// auth-params (name=token/quoted-string). Digest specifics live in auth/.
struct AuthField {
  std::string_view scheme;
  std::string_view params_text;  // after the scheme
  // Value of auth-param `name`, unquoted; nullopt if absent.
  std::optional<std::string> Param(std::string_view name) const;
  std::optional<std::string_view> RawParam(std::string_view name) const;
};
Result<AuthField> ParseAuthField(std::string_view value);

// option-tag lists (Require, Supported, Proxy-Require, Unsupported).
bool ValidTokenList(std::string_view value);

}  // namespace parley::sip
