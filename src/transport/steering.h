#pragma once
// Response steering for the UDP sockets of one listen point (Linux).
//
// Every loop has its own socket on the listen address (SO_REUSEPORT), and the
// kernel picks one per datagram by hashing the 4-tuple. A response belongs to
// the loop that holds its client transaction, which our Via branch names
// ("<prefix><hex digit>-…"); when the hash picks another loop, that loop must
// hand the response over (a cross-CPU wake-up). A classic BPF program attached
// to the group (SO_ATTACH_REUSEPORT_CBPF) reads the branch out of the datagram
// and returns that loop's socket instead. Requests, and responses whose branch
// is not ours or not found near the start, fall back to the hash (the program
// returns an index past the group's end). The group's sockets are in the order
// they were bound, which is the loops' order.

#include <linux/filter.h>

#include <string_view>
#include <system_error>
#include <vector>

namespace parley::transport::internal {

// Offsets scanned for the branch: the top Via is the first field of almost
// every response, well inside this.
inline constexpr size_t kSteeringWindow = 512;

// The program for `prefix` (4 to 32 bytes, e.g. "z9hG4bK-s"); pure.
std::vector<sock_filter> ResponseSteeringProgram(std::string_view prefix, size_t window = kSteeringWindow);

// Attaches it to the reuseport group of `fd` (a bound UDP socket).
std::error_code AttachResponseSteering(int fd, std::string_view prefix);

}  // namespace parley::transport::internal
