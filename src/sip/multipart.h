#pragma once
// multipart/* bodies (RFC 2046 §5.1): parts as views into the body.

#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "sip/fields.h"

namespace parley::sip {

struct BodyPart {
  std::vector<std::pair<std::string_view, std::string_view>> headers;  // name, value
  std::string_view body;
  std::string_view Header(std::string_view name) const;
};

// Splits `body` by `boundary` (the unquoted boundary parameter). Errors when
// the delimiter or the close delimiter is missing or a part header is bad.
Result<std::vector<BodyPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                             size_t max_parts = 64);

}  // namespace parley::sip
