// STUN: parse arbitrary bytes as a datagram on a SIP UDP port. Whatever
// parses gets an answer (or none); every answer must itself parse, keep the
// transaction id, and a success must give back the address it was built for.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "stun/message.h"

using namespace parley::stun;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  bool framed = IsStun(bytes);
  auto m = Parse(bytes);
  if (!m.ok()) {
    if (m.error().code != 400) __builtin_trap();
    return 0;
  }
  if (!framed) __builtin_trap();  // Parse accepts nothing IsStun refuses
  TransportAddress from;
  from.v6 = size % 2 == 1;
  for (size_t i = 0; i < from.ip.size(); ++i) from.ip[i] = static_cast<uint8_t>(i * 37 + size);
  if (!from.v6) std::fill(from.ip.begin() + 4, from.ip.end(), 0);
  from.port = static_cast<uint16_t>(size * 131);
  std::string answer = Answer(*m, from, "parley");
  if (answer.empty()) {
    if (m->cls == Class::kRequest) __builtin_trap();
    return 0;
  }
  auto r = Parse(answer);
  if (!r.ok() || r->transaction_id != m->transaction_id || r->fingerprint != m->fingerprint) __builtin_trap();
  if (r->cls == Class::kSuccess) {
    const Attribute* a = r->Find(attr::kXorMappedAddress);
    if (a == nullptr) __builtin_trap();
    auto back = DecodeAddress(*a, r->transaction_id);
    if (!back.ok() || !(*back == from)) __builtin_trap();
  } else if (r->cls != Class::kError || r->Find(attr::kErrorCode) == nullptr ||
             ErrorCodeOf(*r->Find(attr::kErrorCode)) == 0) {
    __builtin_trap();
  }
  return 0;
}
