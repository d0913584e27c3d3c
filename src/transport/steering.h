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
//   gave ("SUBSCRIBE sip:ev-<shard>-<id>@…");
// * a request about a user, the loop owning that user: ShardHash(user@host)
//   % loops (common/strings.h), of its request URI for the methods that
//   name the user there ("MESSAGE sip:…"), of its To URI for REGISTER.
// A classic BPF program attached to the group (SO_ATTACH_REUSEPORT_CBPF)
// reads that digit, or hashes that URI, out of the datagram and returns that
// loop's socket. Other requests, and those the program cannot read simply
// (a display name, an escaped or unusual character, a field not near the
// start: see SteeringProgram), and responses whose branch is not ours or not
// found near the start, fall back to the hash (the program returns an index
// past the group's end); the loop that gets them hands them over as before,
// so a datagram the program misplaces costs a hand-off, never a wrong
// answer. The group's sockets are in the order they were bound, which is the
// loops' order.

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace parley::transport::internal {

// Offsets of a response scanned for the branch, and of a request for its To
// field ("\nTo:" in any case, then optional spaces and "<sip:" or "sip:").
inline constexpr size_t kSteeringWindow = 384;
inline constexpr size_t kToWindow = 256;
// The longest user@host the program hashes (a longer one: hash).
inline constexpr size_t kSteeredUriBytes = 40;

struct SteeringMarkers {
  std::string_view branch_prefix;   // 4 to 32 bytes, e.g. "z9hG4bK-s"; empty: responses hash
  std::string_view request_prefix;  // up to 32 bytes from the first; empty: none
  // Start lines up to the request URI's user, e.g. "MESSAGE sip:" (up to 32
  // bytes each, at most 4), and the start of the requests placed by their To
  // URI (e.g. "REGISTER "); both need `loops`.
  std::span<const std::string> uri_requests;
  std::string_view to_request;
  uint32_t loops = 0;  // sockets in the group (loops); 0 or 1: no hashing
};

// The program; pure.
std::vector<sock_filter> SteeringProgram(const SteeringMarkers& markers, size_t window = kSteeringWindow);

// Attaches it to the reuseport group of `fd` (a bound UDP socket).
std::error_code AttachSteering(int fd, const SteeringMarkers& markers);

}  // namespace parley::transport::internal
