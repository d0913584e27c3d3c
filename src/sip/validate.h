#pragma once
// The syntax gate every received message passes before any processing:
// parse errors, mandatory fields (RFC 3261 §8.1.1), single-valued fields,
// and the syntax of the fields every element reads. Policy checks (schemes,
// extensions, methods) belong to the element, not here.

#include <cstdint>
#include <optional>
#include <string_view>

#include "sip/message.h"

namespace parley::sip {

struct Rejection {
  uint16_t status;
  std::string_view reason;  // static text naming the fault
};

// nullopt when the request may be processed; otherwise the response to send.
std::optional<Rejection> ValidateRequest(const Message& m);

// false when a response must be silently dropped (RFC 3261 §18.1.2; RFC
// 4475 §3.1.2.5, §3.1.2.19). Via, CSeq and Call-ID must parse (they match
// the transaction); From and To only be there: they echo the request, and
// from()/to() answer nullptr to a reader if one is malformed.
bool ValidResponse(const Message& m);

}  // namespace parley::sip
