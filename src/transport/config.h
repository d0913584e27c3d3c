#pragma once
// Configuration of the transport layer.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sip/parser.h"
#include "transport/address.h"
#include "transport/types.h"

namespace parley::transport {

struct ListenPoint {
  Protocol protocol = Protocol::kUdp;  // UDP, TCP or TLS
  SocketAddress address;               // IPv4 or IPv6; port 0 = any free port
  // Host (and port, 0 = the bound port) to put in a Via sent-by for requests
  // leaving from here. Needed for wildcard binds and behind NAT; empty = the
  // bound IP (for a wildcard bind: the first non-loopback interface address).
  std::string advertised_host;
  uint16_t advertised_port = 0;
};

// How outbound TLS connections check the server's certificate.
enum class TlsVerify : uint8_t {
  kSystemCas,  // the system trust store, and the name (SNI or IP)
  kCaFile,     // `tls_ca_file`, and the name
  kNone,       // no verification (tests only)
};

struct TransportConfig {
  std::vector<ListenPoint> listen;
  sip::ParserLimits limits;

  // Stream connections with no traffic either way for this long are closed;
  // zero disables the timeout.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(600);
  // Outbound connect plus TLS handshake (inbound: the TLS handshake).
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  // Open TCP/TLS connections, inbound and outbound together; accepts beyond
  // the limit are closed at once, connects fail.
  size_t max_connections = 10'000;
  // Bytes queued on one connection before sends on it fail (back-pressure).
  size_t max_write_queue_bytes = 4 * 1024 * 1024;

  // Server certificate chain and key (PEM) for TLS listen points.
  std::string tls_cert_file;
  std::string tls_key_file;
  TlsVerify tls_verify = TlsVerify::kSystemCas;
  std::string tls_ca_file;  // for TlsVerify::kCaFile

  // Larger datagrams are dropped on receipt and refused by Send.
  size_t udp_max_datagram = 65'507;
  // SO_RCVBUF / SO_SNDBUF of each UDP socket: large enough to absorb a
  // burst while the loop is busy (0 keeps the kernel default). As root the
  // net.core.rmem_max cap is bypassed (SO_RCVBUFFORCE).
  size_t udp_socket_buffer = 8 * 1024 * 1024;
  // Answer STUN Binding requests on UDP listen points (the keep-alives of
  // SIP Outbound, RFC 5626 §4.4.2); off, they are dropped like noise.
  bool answer_stun = true;
  // With several loops, datagrams that name their loop go straight to its
  // socket (transport/steering.h) instead of the one the kernel's hash picks:
  // responses whose top Via branch is `udp_response_steering`, one hex digit
  // d and '-'; requests that start with `udp_request_steering`, d and '-';
  // requests that start with one of `udp_uri_steering` (up to the request
  // URI's user, e.g. "MESSAGE sip:"), or with `udp_to_steering` (its To
  // URI's), to loop ShardHash(user@host) % loops. Empty: off.
  std::string udp_response_steering;
  std::string udp_request_steering;
  std::vector<std::string> udp_uri_steering;
  std::string udp_to_steering;
};

}  // namespace parley::transport
