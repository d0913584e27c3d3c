#pragma once
// Instant message bodies: CPIM (RFC 3862), IMDN delivery notifications
// (RFC 5438) and isComposing indications (RFC 3994). Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace parley::ua {

// A message/cpim body.
struct CpimMessage {
  std::string from;      // "<sip:alice@example.com>" as written (may carry a display name)
  std::string to;
  std::string datetime;  // RFC 3339
  // Other message headers in order, with NS-prefixed names as written
  // ("imdn.Message-ID").
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;  // of the encapsulated content
  std::vector<std::pair<std::string, std::string>> content_headers;  // besides Content-Type
  std::string body;

  // A message header by name (case-insensitive), "" if absent.
  std::string Header(std::string_view name) const;
};

std::string BuildCpim(const CpimMessage& m);
Result<CpimMessage> ParseCpim(std::string_view body);

// RFC 3339 UTC time for now ("2024-05-01T10:11:12Z").
std::string NowRfc3339();

// RFC 5438 delivery notifications.
struct Imdn {
  std::string message_id;
  std::string datetime;
  std::string recipient;          // recipient-uri
  std::string original_recipient;
  std::string kind;               // "delivery-notification" / "display-notification" / "processing-notification"
  std::string status;             // "delivered", "failed", "displayed", "forbidden", "error", "processed", "stored"
};
std::string BuildImdn(const Imdn& n);
Result<Imdn> ParseImdn(std::string_view xml);

// RFC 3994 isComposing.
struct Composing {
  bool active = false;
  std::string content_type;   // of the message being composed; empty = text/plain
  uint32_t refresh = 0;       // seconds (active only); 0 = absent
  std::string last_active;    // RFC 3339, may be empty
};
std::string BuildComposing(const Composing& c);
Result<Composing> ParseComposing(std::string_view xml);

inline constexpr std::string_view kCpimType = "message/cpim";
inline constexpr std::string_view kImdnType = "message/imdn+xml";
inline constexpr std::string_view kComposingType = "application/im-iscomposing+xml";

}  // namespace parley::ua
