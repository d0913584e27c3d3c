#pragma once
// Transport internals shared by the UDP, TCP/TLS and routing code. Not part
// of the public API (transport_layer.h is).

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "runtime/asio.h"
#include "runtime/loop_group.h"
#include "transport/config.h"
#include "transport/stats.h"
#include "transport/transport_layer.h"

namespace parley::transport::internal {

namespace asio = boost::asio;
using TcpSocket = asio::ip::tcp::socket;
using TlsStream = asio::ssl::stream<TcpSocket>;

class Acceptor;
class Connection;
class UdpSocket;
struct Core;

inline constexpr size_t kProtocolCount = 5;
inline constexpr size_t kReadBufferSize = 64 * 1024;
inline constexpr unsigned kUdpBatch = 8;  // datagrams per recvmmsg
inline constexpr int kFlowLoopShift = 56;  // FlowId: loop index in the top 8 bits

inline size_t FlowOwner(FlowId flow) { return static_cast<size_t>(flow >> kFlowLoopShift); }

inline std::error_code Errc(std::errc e) { return std::make_error_code(e); }
inline std::error_code ToStd(const boost::system::error_code& ec) {
  if (!ec) return {};
  // Socket errors are errno values: keep them comparable with std::errc.
  if (ec.category() == boost::system::system_category()) return {ec.value(), std::system_category()};
  if (ec.category() == boost::system::generic_category()) return {ec.value(), std::generic_category()};
  return ec;  // Boost's adapter category (SSL and Asio's own errors)
}

template <typename Endpoint>
Endpoint ToEndpoint(const SocketAddress& a) {
  Endpoint e;
  std::memcpy(e.data(), a.sockaddr_ptr(), a.sockaddr_len());
  e.resize(a.sockaddr_len());
  return e;
}

template <typename Endpoint>
SocketAddress FromEndpoint(const Endpoint& e) {
  return SocketAddress::FromSockaddr(e.data(), static_cast<socklen_t>(e.size()));
}

// A Sender::Done bound to the loop it must run on. Invoking it always posts
// (so it never runs inside Send); without a loop it runs in place.
struct Completion {
  runtime::Loop* loop = nullptr;
  Sender::Done fn;
  bool errors_only = false;  // SendReportingErrors: success is not reported

  void operator()(std::error_code ec) {
    if (!fn) return;
    if (!ec && errors_only) {
      fn = nullptr;
      return;
    }
    if (loop == nullptr) {
      fn(ec);
    } else {
      loop->Post([f = std::move(fn), ec] { f(ec); });
    }
    fn = nullptr;
  }
};

// Written only by the owning loop (load + store, no locked instruction),
// read by Stats() from any thread.
struct Counters {
  std::atomic<uint64_t> messages_in{0}, messages_out{0}, bytes_in{0}, bytes_out{0}, parse_drops{0},
      send_errors{0}, opened{0}, closed{0}, accepted{0}, connected{0}, refused{0}, failed{0}, pings{0},
      stun_answers{0};
};

inline void Bump(std::atomic<uint64_t>& c, uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct OutboundKey {
  Protocol protocol;
  SocketAddress address;
  std::string server_name;  // TLS only
  bool operator==(const OutboundKey&) const = default;
};

struct OutboundKeyHash {
  size_t operator()(const OutboundKey& k) const {
    return k.address.Hash() ^ (std::hash<std::string>()(k.server_name) * 31) ^ static_cast<size_t>(k.protocol);
  }
};

// Everything one loop owns. Touched only on that loop's thread (or by Start
// and Stop while the loop is not running).
struct alignas(64) Shard {
  Shard(Core& c, runtime::Loop& l, size_t i) : core(c), loop(l), index(i), read_buffer(new char[kReadBufferSize]) {}

  Counters& counters(Protocol p) { return stats[static_cast<size_t>(p)]; }
  FlowId NewFlowId() { return (static_cast<FlowId>(index) << kFlowLoopShift) | ++last_flow; }

  Result<SocketAddress> Bind(size_t listen_index, const SocketAddress& address);
  void StartListening();
  void Shutdown();

  // `bytes` are copied only if they must wait for socket buffer room.
  void SendUdp(const SocketAddress& to, const SocketAddress& local, std::string_view bytes, Completion done);
  void SendOnFlow(const Destination& to, std::string bytes, Completion done);
  void SendOutbound(const Destination& to, std::string bytes, Completion done);
  void OnAccepted(Protocol protocol, TcpSocket socket, const SocketAddress& local);

  Core& core;
  runtime::Loop& loop;
  const size_t index;
  bool stopped = false;
  uint64_t last_flow = 0;
  std::unordered_map<FlowId, std::shared_ptr<Connection>> flows;
  std::unordered_map<OutboundKey, FlowId, OutboundKeyHash> outbound;  // to addresses hashed to this loop
  std::vector<std::shared_ptr<UdpSocket>> udp;        // by listen index; null for other protocols
  std::vector<std::shared_ptr<Acceptor>> acceptors;  // by listen index; null for UDP
  // Plain TCP reads land here; consumers copy what they keep.
  std::unique_ptr<char[]> read_buffer;
  // kUdpBatch datagram slots of kReadBufferSize for recvmmsg, allocated at
  // the first UDP read (pages a datagram never reached stay unmapped).
  std::unique_ptr<char[]> udp_slots;
  std::array<Counters, kProtocolCount> stats;
};

// State shared by the loops. Immutable after Start except the atomics and
// each Shard (owned by its loop). Connections, sockets and acceptors hold a
// shared_ptr to it, so handlers that complete after Stop() still find it.
struct Core : std::enable_shared_from_this<Core> {
  Core(runtime::LoopGroup& g, TransportConfig c, TransportLayer::Handler h);

  Shard& shard(size_t i) { return *shards[i]; }
  // The loop that owns outbound connections to `address`.
  Shard& OutboundShard(const SocketAddress& address) { return shard(address.Hash() % shards.size()); }
  // Listen point a message to `to` leaves from: same protocol and family,
  // the one bound to `local` if there is one and it can reach the address,
  // else preferring one that can (loopback or not). -1: none.
  int PickListen(Protocol protocol, const SocketAddress& to, const SocketAddress& local = {}) const;
  bool ReserveConnection();  // false when max_connections are open
  void ReleaseConnection() { connections.fetch_sub(1, std::memory_order_relaxed); }

  runtime::LoopGroup& group;
  const TransportConfig config;
  const TransportLayer::Handler handler;
  std::vector<ListenPoint> bound;    // config.listen with actual ports
  std::vector<std::string> sent_by;  // by listen index
  std::unique_ptr<asio::ssl::context> tls_server;
  std::unique_ptr<asio::ssl::context> tls_client;
  std::vector<std::unique_ptr<Shard>> shards;
  std::atomic<size_t> connections{0};  // changes per connection, not per message
  std::atomic<bool> stopped{false};
  // Written by loop 0 while Start waits for it.
  size_t steered_groups = 0;   // UDP listen points with a steering program
  std::string steering_error;  // why it could not be attached, if it could not
};

// Runs `fn` on `shard`'s loop: in place when already there, else posted.
template <typename F>
void RunOn(Shard& shard, F&& fn) {
  if (shard.loop.IsCurrent()) {
    fn();
  } else {
    shard.loop.Post(std::forward<F>(fn));
  }
}

// Socket setup shared by UDP sockets and TCP acceptors: SO_REUSEPORT (one
// socket per loop on the same address; the kernel spreads datagrams and
// connections by 4-tuple), IPV6_V6ONLY so [::] and 0.0.0.0 can both be bound.
boost::system::error_code SetListenOptions(int fd, bool v6);

}  // namespace parley::transport::internal
