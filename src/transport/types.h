#pragma once
// What the layers above the transport see of it: protocols, where a message
// came from, where one goes, and the Sender interface. No Asio types here.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "sip/message.h"
#include "transport/address.h"

namespace parley::transport {

enum class Protocol : uint8_t { kUdp, kTcp, kTls, kWs, kWss };

std::string_view ProtocolName(Protocol p);                 // "UDP", "TCP", "TLS", "WS", "WSS"
std::optional<Protocol> ParseProtocol(std::string_view s);  // case-insensitive
constexpr bool IsReliable(Protocol p) { return p != Protocol::kUdp; }
constexpr bool IsSecure(Protocol p) { return p == Protocol::kTls || p == Protocol::kWss; }

// Identifies one connection (a "flow", RFC 5626). 0 = none (UDP). The
// transport encodes the owning loop in it so a send can be posted there.
using FlowId = uint64_t;

// Where a received message came from.
struct Source {
  Protocol protocol = Protocol::kUdp;
  SocketAddress remote;
  SocketAddress local;  // the listening address it arrived on
  FlowId flow = 0;
};

// Where to send a message.
struct Destination {
  Protocol protocol = Protocol::kUdp;
  SocketAddress address;
  FlowId flow = 0;              // use this connection if it is still open
  std::string tls_server_name;  // TLS: SNI and the name to verify
  // UDP: send from the listen point bound to this address when there is one
  // — the one the peer sent to, so that a response, or a request to a
  // registered UA, comes from where it expects (NAT bindings, §18.2.2).
  SocketAddress local;
  // RFC 5626 §5.3: a SIP Outbound UA's flow — that connection or nothing.
  // When it has gone (or `flow` is 0: a binding restored after a restart),
  // the send fails at once instead of connecting to `address`, which is
  // only where the UA's connection came from.
  bool flow_only = false;
};

struct IncomingMessage {
  sip::MessagePtr message;
  Source source;
};

class Sender {
 public:
  // Result of a send; invoked on the loop that called Send. An error means
  // the message did not leave (connect failure, closed flow, ICMP refusal
  // where detectable, unroutable destination) — a transport error in the
  // sense of RFC 3261 §17.1.4 / §17.2.4.
  using Done = std::function<void(std::error_code)>;

  virtual ~Sender() = default;
  virtual void Send(const Destination& to, std::string bytes, Done done = {}) = 0;
  // As Send, but `on_error` runs only when the send failed: a send that
  // succeeds schedules nothing. `bytes` need to live only during the call:
  // a datagram sent at once from the calling loop is never copied (the
  // transaction layer's case: it keeps the bytes for retransmission).
  virtual void SendReportingErrors(const Destination& to, std::string_view bytes, Done on_error) {
    Send(to, std::string(bytes), [f = std::move(on_error)](std::error_code ec) {
      if (ec && f) f(ec);
    });
  }
  // The sent-by ("host:port") and transport token to put in a Via for a
  // request going to `to` (RFC 3261 §18.1.1).
  virtual std::string ViaSentBy(const Destination& to) const = 0;
};

// Back to where a message came from: its flow (while it lives), its source
// address, and over UDP from the listen point it arrived on.
inline Destination BackTo(const Source& s) { return Destination{s.protocol, s.remote, s.flow, {}, s.local}; }

// RFC 3261 §18.2.2 with RFC 3581: where a response to a request that
// arrived from `source` with top Via `via` goes. Reliable transports reuse
// the request's flow; otherwise received/rport/sent-by decide.
std::optional<Destination> ResponseDestination(const sip::Via& via, const Source& source);

}  // namespace parley::transport
