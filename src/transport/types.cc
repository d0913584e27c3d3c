#include "transport/types.h"

#include "common/strings.h"

namespace parley::transport {

std::string_view ProtocolName(Protocol p) {
  switch (p) {
    case Protocol::kUdp: return "UDP";
    case Protocol::kTcp: return "TCP";
    case Protocol::kTls: return "TLS";
    case Protocol::kWs: return "WS";
    case Protocol::kWss: return "WSS";
  }
  return "UDP";
}

std::optional<Protocol> ParseProtocol(std::string_view s) {
  if (IEquals(s, "udp")) return Protocol::kUdp;
  if (IEquals(s, "tcp")) return Protocol::kTcp;
  if (IEquals(s, "tls")) return Protocol::kTls;
  if (IEquals(s, "ws")) return Protocol::kWs;
  if (IEquals(s, "wss")) return Protocol::kWss;
  return std::nullopt;
}

std::optional<Destination> ResponseDestination(const sip::Via& via, const Source& source) {
  Destination d;
  d.protocol = source.protocol;
  d.local = source.local;
  const uint16_t sent_by_port = via.has_port ? via.port : (IsSecure(source.protocol) ? 5061 : 5060);
  // The sender's IP: received (which the transport adds whenever the
  // sent-by host is not the source IP, §18.2.1), else the source IP.
  SocketAddress sender = source.remote;
  if (auto received = via.received(); received && !received->empty()) {
    auto a = SocketAddress::Parse(*received, 0);
    if (!a) return std::nullopt;
    sender = *a;
  }
  auto with_port = [](SocketAddress a, uint16_t port) {
    a.set_port(port);
    return a;
  };
  if (IsReliable(source.protocol)) {
    // The request's connection; if it has gone, a new one to the received
    // IP and the sent-by port (§18.2.2).
    d.flow = source.flow;
    d.address = with_port(sender, sent_by_port);
  } else if (auto maddr = via.maddr(); maddr && !maddr->empty()) {
    auto a = SocketAddress::Parse(*maddr, sent_by_port);
    if (!a) return std::nullopt;
    d.address = *a;
  } else if (auto rport = via.rport(); rport.has_value()) {
    // RFC 3581 §4: the received IP and the rport port (the source port when
    // rport was left empty, i.e. never stamped).
    auto port = ParseUint(*rport, 65535);
    d.address = with_port(sender, port ? static_cast<uint16_t>(*port) : source.remote.port());
  } else if (via.received().has_value()) {
    d.address = with_port(sender, sent_by_port);
  } else if (auto literal = SocketAddress::Parse(via.host, sent_by_port)) {
    // No received: the sender's IP is the sent-by host. RFC 4475 §3.3.10
    // (bcast) is refused below.
    d.address = *literal;
  } else {
    // A host name that was never checked against the source (the request
    // did not go through StampVia): the source IP is the best answer.
    d.address = with_port(sender, sent_by_port);
  }
  // With a flow the connection decides; Send refuses the fallback address
  // if it is unroutable.
  if (d.flow == 0 && d.address.IsUnroutable()) return std::nullopt;
  return d;
}

}  // namespace parley::transport
