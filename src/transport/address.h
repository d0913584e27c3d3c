#pragma once
// An IPv4 or IPv6 socket address (IP + port) without any I/O library types,
// so layers above the transport can hold and compare addresses cheaply.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace parley::transport {

class SocketAddress {
 public:
  SocketAddress();
  // `ip` is a literal IPv4 or IPv6 address (IPv6 with or without brackets).
  static std::optional<SocketAddress> Parse(std::string_view ip, uint16_t port);
  // "1.2.3.4:5060", "[::1]:5060"; a missing port gives `default_port`.
  static std::optional<SocketAddress> ParseHostPort(std::string_view text, uint16_t default_port = 5060);
  static SocketAddress FromSockaddr(const sockaddr* sa, socklen_t len);

  bool is_v6() const { return storage_.sa.sa_family == AF_INET6; }
  bool valid() const { return storage_.sa.sa_family == AF_INET || storage_.sa.sa_family == AF_INET6; }
  uint16_t port() const;
  void set_port(uint16_t port);
  std::string ip() const;        // "1.2.3.4", "::1" (no brackets)
  std::string ToString() const;  // "1.2.3.4:5060", "[::1]:5060"
  // Host as it belongs in a Via sent-by or URI ("[::1]" for IPv6).
  std::string HostForUri() const;

  // Destinations a server must never send a response to (RFC 4475 §3.3.10):
  // broadcast, multicast, unspecified, port 0.
  bool IsUnroutable() const;
  bool IsLoopback() const;
  // 0.0.0.0 or :: (a wildcard bind).
  bool IsUnspecified() const;

  const sockaddr* sockaddr_ptr() const { return &storage_.sa; }
  socklen_t sockaddr_len() const;

  bool operator==(const SocketAddress& o) const;
  bool operator!=(const SocketAddress& o) const { return !(*this == o); }
  size_t Hash() const;

 private:
  union Storage {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } storage_;
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const { return a.Hash(); }
};

}  // namespace parley::transport
