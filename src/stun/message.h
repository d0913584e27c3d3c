#pragma once
// STUN (RFC 5389) as far as a SIP server needs it: clients that use SIP
// Outbound over UDP (RFC 5626 §4.4.2, §8) send Binding requests to the SIP
// port as keep-alives and learn from the answer whether their NAT mapping
// changed. Pure: no I/O, no clock. Views point into the bytes given to Parse.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442;
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kTransactionIdSize = 12;
// Attributes one message may carry; more is refused, so a datagram of
// zero-length attributes cannot make the parser build a long list.
inline constexpr size_t kMaxAttributes = 32;

enum class Class : uint8_t { kRequest = 0, kIndication = 1, kSuccess = 2, kError = 3 };
inline constexpr uint16_t kBinding = 0x001;

namespace attr {
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kAlternateServer = 0x8023;
inline constexpr uint16_t kFingerprint = 0x8028;
}  // namespace attr

struct Attribute {
  uint16_t type = 0;
  std::string_view value;  // without padding
};

struct Message {
  Class cls = Class::kRequest;
  uint16_t method = 0;
  std::string_view transaction_id;  // 12 bytes
  std::vector<Attribute> attributes;  // in order; FINGERPRINT is not listed
  bool fingerprint = false;           // it had one (Parse checked its value)

  const Attribute* Find(uint16_t type) const;
};

// Whether `bytes` are framed like an RFC 5389 message: the two leading zero
// bits, a length that is a multiple of 4 and covers exactly the rest, and
// the magic cookie. Cheap; tells STUN from SIP and noise on a shared port.
bool IsStun(std::string_view bytes);

// Parses one whole message (a datagram). Error code 400 with the fault named:
// bad framing, an attribute overrunning the message, more than
// kMaxAttributes, anything after FINGERPRINT, a FINGERPRINT that does not
// match (RFC 5389 §7.3: such a message is discarded).
Result<Message> Parse(std::string_view bytes);

struct TransportAddress {
  bool v6 = false;
  std::array<uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;

  bool operator==(const TransportAddress&) const = default;
};

// What a server sends back for `request`, received from `from` (RFC 5389
// §7.3.1), or "" when nothing is due: indications and responses get no
// answer. A Binding request gets a success response with
// XOR-MAPPED-ADDRESS; one with comprehension-required attributes this
// server does not know gets 420 listing them; another method gets 400. The
// answer carries SOFTWARE when `software` is not empty, and FINGERPRINT
// when the request did.
std::string Answer(const Message& request, const TransportAddress& from, std::string_view software);

// Building blocks (for Answer, tests and clients).
std::string BindingSuccess(std::string_view transaction_id, const TransportAddress& mapped,
                           std::string_view software, bool fingerprint);
std::string ErrorResponse(uint16_t method, std::string_view transaction_id, int code, std::string_view reason,
                          std::span<const uint16_t> unknown, std::string_view software, bool fingerprint);
// A Binding request with the given transaction id (12 bytes).
std::string BindingRequest(std::string_view transaction_id, bool fingerprint);
// The (XOR-)MAPPED-ADDRESS value decoded; error 400 when malformed.
Result<TransportAddress> DecodeAddress(const Attribute& a, std::string_view transaction_id);
// CRC-32 (ISO-HDLC) of `bytes`, XORed with 0x5354554e (RFC 5389 §15.5).
uint32_t Fingerprint(std::string_view bytes);
// The error code of an ERROR-CODE value (300..699), or 0 when malformed.
int ErrorCodeOf(const Attribute& a);

}  // namespace parley::stun
