#pragma once
// Element policy checks as pure functions: what a UAS does before acting on
// a request (RFC 3261 §8.2.1–8.2.3) and what a proxy does before forwarding
// (§16.3). The element describes what it supports; the checks say which
// response to send, with the header fields that response must carry.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"

namespace parley::sip {

struct Capabilities {
  std::vector<Method> methods;                 // understood and allowed
  std::vector<std::string> extensions;         // option tags (Supported)
  std::vector<Scheme> schemes = {Scheme::kSip, Scheme::kSips};
  std::vector<std::string> accepted_types;     // request bodies, "type/subtype"
  std::vector<std::string> accepted_encodings = {"identity"};
  std::vector<std::string> events;             // event packages served (Allow-Events, RFC 6665)

  bool Allows(Method m) const;
  bool Supports(std::string_view option_tag) const;
  bool Accepts(const MediaType& t) const;
  std::string AllowHeader() const;   // "INVITE, ACK, …"
  std::string AcceptHeader() const;  // "application/sdp, …"
  std::string SupportedHeader() const;
  std::string AllowEventsHeader() const;  // "reg, presence"
};

struct CheckFailure {
  uint16_t status;
  std::string_view reason;
  // Extra header field to put in the response (Allow, Unsupported, Accept,
  // Accept-Encoding), if any.
  HeaderId header = HeaderId::kUnknown;
  std::string header_value;
};

// §8.2: 405/501 method, 416 scheme, 420 Require, 415 body type or encoding,
// 406 when `response_types` (what a response to this request would carry)
// and the request's Accept have nothing in common.
std::optional<CheckFailure> CheckAsUas(const Message& request, const Capabilities& caps,
                                       const std::vector<std::string>& response_types = {});

// §16.3: 416 scheme, 483 Max-Forwards (OPTIONS excepted when
// `options_to_self`), 420 Proxy-Require.
std::optional<CheckFailure> CheckAsProxy(const Message& request, const Capabilities& caps,
                                         bool options_to_self = false);

// Builds the response for a failed check (MakeResponse + the extra header).
MessagePtr MakeFailureResponse(const Message& request, const CheckFailure& f, std::string_view to_tag);

}  // namespace parley::sip
