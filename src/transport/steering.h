#pragma once
// Steering of datagrams to their loop for the UDP sockets of one listen
// point (Linux).
//
// Every loop has its own socket on the listen address (SO_REUSEPORT), and the
// kernel picks one per datagram by hashing the 4-tuple. Some datagrams name
// the loop whose state they belong to, and when the hash picks another loop,
// that loop must hand them over (a cross-CPU wake-up):
// * a response, the loop holding its client transaction, in our Via branch
//   ("<branch prefix><hex digit>-…", the first field of almost every
//   response);
// * a request whose start line begins with a known prefix followed by a hex
//   digit and '-', e.g. an in-dialog SUBSCRIBE to the Contact our notifier
//   gave ("SUBSCRIBE sip:ev-<shard>-<id>@…").
// A classic BPF program attached to the group (SO_ATTACH_REUSEPORT_CBPF)
// reads that digit out of the datagram and returns that loop's socket. Other
// requests, and responses whose branch is not ours or not found near the
// start, fall back to the hash (the program returns an index past the
// group's end). The group's sockets are in the order they were bound, which
// is the loops' order.

#include <linux/filter.h>

#include <string_view>
#include <system_error>
#include <vector>

namespace parley::transport::internal {

// Offsets of a response scanned for the branch.
inline constexpr size_t kSteeringWindow = 512;

struct SteeringMarkers {
  std::string_view branch_prefix;   // 4 to 32 bytes, e.g. "z9hG4bK-s"; empty: responses hash
  std::string_view request_prefix;  // up to 32 bytes from the first; empty: requests hash
};

// The program; pure.
std::vector<sock_filter> SteeringProgram(const SteeringMarkers& markers, size_t window = kSteeringWindow);

// Attaches it to the reuseport group of `fd` (a bound UDP socket).
std::error_code AttachSteering(int fd, const SteeringMarkers& markers);

}  // namespace parley::transport::internal
