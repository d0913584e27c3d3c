#pragma once
// Building responses to a request (RFC 3261 §8.2.6.2).

#include <string_view>

#include "sip/message.h"

namespace parley::sip {

// Default reason phrase for a status code ("" for unknown codes).
std::string_view DefaultReason(int status);

// A response with Via (all, in order), From, To, Call-ID and CSeq copied
// from the request. `to_tag` is added to To when the request's To has no
// tag and the status is above 100. Timestamp is echoed on 100 (§8.2.6.1).
MessagePtr MakeResponse(const Message& request, int status, std::string_view reason = {},
                        std::string_view to_tag = {});

// A random token suitable for tags and branches (hex, `bytes` random bytes).
std::string RandomToken(size_t bytes = 8);

// The RFC 3261 magic cookie that marks a compliant branch.
inline constexpr std::string_view kMagicCookie = "z9hG4bK";

}  // namespace parley::sip
