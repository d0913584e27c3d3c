#pragma once
// The isComposing indication (RFC 3994): application/im-iscomposing+xml.
// Pure: no clock.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "im/format/xml_load.h"

namespace parley::im {

inline constexpr std::string_view kIsComposingType = "application/im-iscomposing+xml";
inline constexpr std::string_view kIsComposingNs = "urn:ietf:params:xml:ns:im-iscomposing";

struct IsComposing {
  bool active = false;       // <state> active / idle
  std::string content_type;  // <contenttype>; "" when absent (text/plain is meant)
  uint32_t refresh = 0;      // <refresh> seconds; 0 when absent
  std::string last_active;   // <lastactive>, RFC 3339; "" when absent
  bool operator==(const IsComposing&) const = default;
};

// Errors: 413 for the XmlLimits, 400 "isComposing: <reason>": not XML, root
// not <isComposing> in its namespace, missing or repeated <state>, a state
// other than active/idle, lastactive not RFC 3339, refresh not a positive
// integer (below 2^32), a repeated element.
Result<IsComposing> ParseIsComposing(std::string_view xml, const XmlLimits& limits = {});
// Writes every field that is set (refresh when non-zero). Error 400 for a
// last_active that is not RFC 3339 or a content type with characters XML
// cannot carry.
Result<std::string> BuildIsComposing(const IsComposing& indication);

}  // namespace parley::im
