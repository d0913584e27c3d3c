#pragma once
// Counters for monitoring, summed over the loops on demand.

#include <array>
#include <cstdint>

#include "transport/types.h"

namespace parley::transport {

struct ProtocolStats {
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  // Datagrams that were not SIP (CRLF keep-alives, garbage, oversize, STUN
  // not answered) and streams whose framing was lost.
  uint64_t parse_drops = 0;
  uint64_t send_errors = 0;
  uint64_t connections_open = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_connected = 0;  // outbound, established
  uint64_t connections_refused = 0;    // over max_connections
  uint64_t connections_failed = 0;     // outbound connect/handshake failures
  uint64_t keepalive_pings = 0;        // CRLFCRLF received (and answered)
  uint64_t stun_answers = 0;           // STUN requests answered (UDP; bytes counted, not messages)
};

struct TransportStats {
  std::array<ProtocolStats, 5> protocols{};
  const ProtocolStats& operator[](Protocol p) const { return protocols[static_cast<size_t>(p)]; }
  ProtocolStats& operator[](Protocol p) { return protocols[static_cast<size_t>(p)]; }
};

}  // namespace parley::transport
