#include "ua/locate.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace parley::ua {

namespace {

struct Srv {
  uint16_t priority = 0, weight = 0, port = 0;
  std::string target;
};

std::vector<Srv> LookupSrv(const std::string& name) {
  std::vector<Srv> out;
  unsigned char answer[4096];
  int len = res_query(name.c_str(), ns_c_in, ns_t_srv, answer, sizeof(answer));
  if (len <= 0) return out;
  ns_msg msg;
  if (ns_initparse(answer, len, &msg) < 0) return out;
  int count = ns_msg_count(msg, ns_s_an);
  for (int i = 0; i < count; ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 || ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7) continue;
    const unsigned char* rd = ns_rr_rdata(rr);
    Srv s;
    s.priority = static_cast<uint16_t>(ns_get16(rd));
    s.weight = static_cast<uint16_t>(ns_get16(rd + 2));
    s.port = static_cast<uint16_t>(ns_get16(rd + 4));
    char target[NS_MAXDNAME];
    if (dn_expand(ns_msg_base(msg), ns_msg_end(msg), rd + 6, target, sizeof(target)) < 0) continue;
    s.target = target;
    if (s.target == "." || s.target.empty()) continue;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const Srv& a, const Srv& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.weight > b.weight;
  });
  return out;
}

Result<transport::SocketAddress> Resolve(const std::string& host, uint16_t port) {
  if (auto literal = transport::SocketAddress::Parse(host, port)) return *literal;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) return Error(rc, "cannot resolve " + host + ": " + gai_strerror(rc));
  transport::SocketAddress a = transport::SocketAddress::FromSockaddr(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  a.set_port(port);
  return a;
}

// The local address the kernel would use to reach `to`.
Result<std::string> LocalIpFor(const transport::SocketAddress& to) {
  int fd = ::socket(to.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return Error(errno, "socket failed");
  if (::connect(fd, to.sockaddr_ptr(), to.sockaddr_len()) != 0) {
    int e = errno;
    ::close(fd);
    return Error(e, "no route to " + to.ToString() + ": " + std::strerror(e));
  }
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  ::close(fd);
  return transport::SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&local), len).ip();
}

bool IsIpLiteral(const std::string& host) { return transport::SocketAddress::Parse(host, 1).has_value(); }

}  // namespace

Result<Located> Locate(const std::optional<ProxySpec>& proxy, const std::string& domain) {
  ProxySpec spec;
  if (proxy) {
    spec = *proxy;
  } else {
    spec.host = domain;
    spec.port = 0;
  }
  Located out;
  out.host = spec.host;
  out.destination.protocol = spec.protocol;
  std::string target = spec.host;
  uint16_t port = spec.port;
  if (!proxy && !IsIpLiteral(domain)) {
    // RFC 3263 §4.2 without NAPTR: SRV in the order TLS, TCP, UDP.
    struct {
      const char* prefix;
      transport::Protocol protocol;
    } const kTries[] = {{"_sips._tcp.", transport::Protocol::kTls},
                        {"_sip._tcp.", transport::Protocol::kTcp},
                        {"_sip._udp.", transport::Protocol::kUdp}};
    for (const auto& t : kTries) {
      auto srv = LookupSrv(t.prefix + domain);
      if (srv.empty()) continue;
      target = srv.front().target;
      port = srv.front().port;
      out.destination.protocol = t.protocol;
      break;
    }
  }
  if (port == 0) port = out.destination.protocol == transport::Protocol::kTls ? 5061 : 5060;
  auto addr = Resolve(target, port);
  if (!addr.ok()) return addr.take_error();
  out.destination.address = *addr;
  if (out.destination.protocol == transport::Protocol::kTls && !IsIpLiteral(target)) {
    out.destination.tls_server_name = target;
  }
  auto local = LocalIpFor(*addr);
  if (!local.ok()) return local.take_error();
  out.local_ip = *local;
  return out;
}

}  // namespace parley::ua
