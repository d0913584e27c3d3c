#include "transport/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/strings.h"

namespace parley::transport {

SocketAddress::SocketAddress() { std::memset(&storage_, 0, sizeof(storage_)); }

std::optional<SocketAddress> SocketAddress::Parse(std::string_view ip, uint16_t port) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  if (ip.empty() || ip.size() > 45) return std::nullopt;
  SocketAddress a;
  if (ParseIpv4(ip, reinterpret_cast<uint8_t*>(&a.storage_.v4.sin_addr))) {
    a.storage_.v4.sin_family = AF_INET;
    a.storage_.v4.sin_port = htons(port);
    return a;
  }
  char buf[46];  // inet_pton wants a terminated string
  ip.copy(buf, ip.size());
  buf[ip.size()] = '\0';
  if (inet_pton(AF_INET6, buf, &a.storage_.v6.sin6_addr) == 1) {
    a.storage_.v6.sin6_family = AF_INET6;
    a.storage_.v6.sin6_port = htons(port);
    return a;
  }
  return std::nullopt;
}

std::optional<SocketAddress> SocketAddress::ParseHostPort(std::string_view text, uint16_t default_port) {
  std::string_view host = text;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
    }
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint16_t port = default_port;
  if (!port_text.empty()) {
    auto p = ParseUint(port_text, 65535);
    if (!p) return std::nullopt;
    port = static_cast<uint16_t>(*p);
  }
  return Parse(host, port);
}

SocketAddress SocketAddress::FromSockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&a.storage_.v4, sa, sizeof(sockaddr_in));
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&a.storage_.v6, sa, sizeof(sockaddr_in6));
  }
  return a;
}

uint16_t SocketAddress::port() const {
  return ntohs(is_v6() ? storage_.v6.sin6_port : storage_.v4.sin_port);
}

void SocketAddress::set_port(uint16_t port) {
  if (is_v6()) {
    storage_.v6.sin6_port = htons(port);
  } else {
    storage_.v4.sin_port = htons(port);
  }
}

std::string SocketAddress::ip() const {
  if (is_v6()) {
    char buf[INET6_ADDRSTRLEN] = {0};
    inet_ntop(AF_INET6, &storage_.v6.sin6_addr, buf, sizeof(buf));
    return buf;
  }
  if (!valid()) return {};
  // By hand: glibc's inet_ntop formats IPv4 with sprintf, and the
  // authenticator asks for every request's source.
  const auto* b = reinterpret_cast<const unsigned char*>(&storage_.v4.sin_addr);
  char buf[16];
  size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) buf[n++] = '.';
    unsigned v = b[i];
    if (v >= 100) buf[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) buf[n++] = static_cast<char>('0' + v / 10 % 10);
    buf[n++] = static_cast<char>('0' + v % 10);
  }
  return std::string(buf, n);
}

std::string SocketAddress::HostForUri() const { return is_v6() ? "[" + ip() + "]" : ip(); }

std::string SocketAddress::ToString() const { return HostForUri() + ":" + std::to_string(port()); }

bool SocketAddress::IsUnroutable() const {
  if (!valid() || port() == 0) return true;
  if (is_v6()) {
    const in6_addr& a = storage_.v6.sin6_addr;
    return IN6_IS_ADDR_UNSPECIFIED(&a) || IN6_IS_ADDR_MULTICAST(&a);
  }
  uint32_t ip = ntohl(storage_.v4.sin_addr.s_addr);
  return ip == 0 || ip == 0xFFFFFFFFu || (ip >> 28) == 0xE;  // unspecified, broadcast, 224/4
}

bool SocketAddress::IsLoopback() const {
  if (is_v6()) return IN6_IS_ADDR_LOOPBACK(&storage_.v6.sin6_addr);
  return (ntohl(storage_.v4.sin_addr.s_addr) >> 24) == 127;
}

bool SocketAddress::IsUnspecified() const {
  if (is_v6()) return IN6_IS_ADDR_UNSPECIFIED(&storage_.v6.sin6_addr);
  return valid() && storage_.v4.sin_addr.s_addr == 0;
}

socklen_t SocketAddress::sockaddr_len() const {
  return is_v6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  if (storage_.sa.sa_family != o.storage_.sa.sa_family) return false;
  if (is_v6()) {
    return storage_.v6.sin6_port == o.storage_.v6.sin6_port &&
           std::memcmp(&storage_.v6.sin6_addr, &o.storage_.v6.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return storage_.v4.sin_port == o.storage_.v4.sin_port && storage_.v4.sin_addr.s_addr == o.storage_.v4.sin_addr.s_addr;
}

size_t SocketAddress::Hash() const {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 1099511628211ULL;
    }
  };
  if (is_v6()) {
    mix(&storage_.v6.sin6_addr, sizeof(in6_addr));
    mix(&storage_.v6.sin6_port, 2);
  } else {
    mix(&storage_.v4.sin_addr, 4);
    mix(&storage_.v4.sin_port, 2);
  }
  return static_cast<size_t>(h);
}

}  // namespace parley::transport
