#include "transport/transport_layer.h"

#include <ifaddrs.h>
#include <net/if.h>

#include <cassert>
#include <cerrno>

#include "transport/internal.h"
#include "transport/tls_context.h"

namespace parley::transport {

namespace {

using internal::Completion;
using internal::Core;
using internal::Errc;
using internal::Shard;

// The first non-loopback address of this family on an interface that is up,
// else the loopback address: the sent-by of a wildcard bind without an
// advertised host.
std::string InterfaceHost(bool v6) {
  std::string found = v6 ? "[::1]" : "127.0.0.1";
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || !(i->ifa_flags & IFF_UP)) continue;
    if (i->ifa_addr->sa_family != (v6 ? AF_INET6 : AF_INET)) continue;
    auto a = SocketAddress::FromSockaddr(i->ifa_addr, v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    if (a.IsLoopback()) continue;
    if (v6 && IN6_IS_ADDR_LINKLOCAL(&reinterpret_cast<const sockaddr_in6*>(a.sockaddr_ptr())->sin6_addr)) continue;
    found = a.HostForUri();
    break;
  }
  ::freeifaddrs(list);
  return found;
}

std::string SentBy(const ListenPoint& lp) {
  std::string host = lp.advertised_host;
  if (host.empty()) {
    host = lp.address.IsUnspecified() ? InterfaceHost(lp.address.is_v6()) : lp.address.HostForUri();
  } else if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";  // a bare IPv6 literal
  }
  uint16_t port = lp.advertised_port != 0 ? lp.advertised_port : lp.address.port();
  return host + ":" + std::to_string(port);
}

std::string Describe(const ListenPoint& lp) {
  return std::string(ProtocolName(lp.protocol)) + " " + lp.address.ToString();
}

}  // namespace

namespace internal {

Core::Core(runtime::LoopGroup& g, TransportConfig c, TransportLayer::Handler h)
    : group(g), config(std::move(c)), handler(std::move(h)) {
  for (size_t i = 0; i < group.size(); ++i) shards.push_back(std::make_unique<Shard>(*this, group.loop(i), i));
}

int Core::PickListen(Protocol protocol, const SocketAddress& to, const SocketAddress& local) const {
  int best = -1;
  int best_score = -1;
  for (size_t i = 0; i < bound.size(); ++i) {
    const SocketAddress& a = bound[i].address;
    if (bound[i].protocol != protocol) continue;
    if (to.valid() && a.is_v6() != to.is_v6()) continue;
    // A socket bound to loopback cannot reach other hosts; prefer the bind
    // that matches the destination's kind, then a wildcard.
    int score = 1;
    if (a.IsUnspecified()) {
      score = 2;
    } else if (!to.valid() || a.IsLoopback() == to.IsLoopback()) {
      score = 3;
    } else if (a.IsLoopback()) {
      score = 0;
    }
    // The listen point the peer used, above all, if it can reach `to` at all.
    if (score > 0 && local.valid() && a == local) score = 4;
    if (score > best_score) {
      best = static_cast<int>(i);
      best_score = score;
    }
  }
  return best;
}

bool Core::ReserveConnection() {
  if (connections.fetch_add(1, std::memory_order_relaxed) < config.max_connections) return true;
  connections.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

}  // namespace internal

TransportLayer::TransportLayer(runtime::LoopGroup& loops, TransportConfig config, Handler handler)
    : core_(std::make_shared<Core>(loops, std::move(config), std::move(handler))) {
  assert(loops.size() <= 256);
}

TransportLayer::~TransportLayer() { Stop(); }

Result<void> TransportLayer::Start() {
  assert(!started_ && runtime::Loop::Current() == nullptr);
  started_ = true;
  Core& core = *core_;
  const auto& listen = core.config.listen;
  for (const auto& lp : listen) {
    if (IsSecure(lp.protocol) && !core.tls_server) {
      auto ctx = internal::MakeServerTlsContext(core.config);
      if (!ctx.ok()) return Error(ctx.error().code, Describe(lp) + ": " + ctx.error().message);
      core.tls_server = std::move(*ctx);
    }
    if (lp.protocol != Protocol::kUdp && lp.protocol != Protocol::kTcp && lp.protocol != Protocol::kTls &&
        lp.protocol != Protocol::kWs && lp.protocol != Protocol::kWss) {
      return Error(EPROTONOSUPPORT, Describe(lp) + ": not a transport of this layer");
    }
  }
  auto client = internal::MakeClientTlsContext(core.config);
  if (!client.ok()) return client.take_error();
  core.tls_client = std::move(*client);

  // Loop 0 binds first; the others bind the port it got (port 0 binds).
  core.bound = listen;
  Result<void> result;
  for (size_t i = 0; i < listen.size() && result.ok(); ++i) {
    for (size_t l = 0; l < core.shards.size() && result.ok(); ++l) {
      Shard& shard = core.shard(l);
      shard.loop.Invoke([&] {
        auto r = shard.Bind(i, core.bound[i].address);
        if (!r.ok()) {
          result = Error(r.error().code, Describe(core.bound[i]) + ": " + r.error().message);
        } else {
          core.bound[i].address = *r;
        }
      });
    }
  }
  if (!result.ok()) {
    Stop();
    return result;
  }
  for (const auto& lp : core.bound) core.sent_by.push_back(SentBy(lp));
  for (auto& shard : core.shards) shard->loop.Invoke([&] { shard->StartListening(); });
  return Ok();
}

void TransportLayer::Stop() {
  if (!started_ || stopped_) return;
  assert(runtime::Loop::Current() == nullptr);
  stopped_ = true;
  core_->stopped.store(true, std::memory_order_release);
  for (auto& shard : core_->shards) shard->loop.Invoke([&] { shard->Shutdown(); });
  // A barrier: sends a loop posted to another before its own shutdown have
  // run (and failed) once every loop has run this.
  for (auto& shard : core_->shards) shard->loop.Invoke([] {});
}

std::vector<ListenPoint> TransportLayer::bound() const { return core_->bound; }
size_t TransportLayer::steered_udp_listen_points() const { return core_->steered_groups; }
const std::string& TransportLayer::steering_error() const { return core_->steering_error; }

void TransportLayer::Send(const Destination& to, std::string bytes, Done done) {
  SendWith(to, std::move(bytes), std::move(done), /*errors_only=*/false);
}

void TransportLayer::SendReportingErrors(const Destination& to, std::string_view bytes, Done on_error) {
  Core& core = *core_;
  runtime::Loop* here = runtime::Loop::Current();
  if (to.protocol == Protocol::kUdp && here != nullptr && here->index() < core.shards.size() &&
      &core.shard(here->index()).loop == here && started_ && !core.stopped.load(std::memory_order_acquire) &&
      !to.address.IsUnroutable()) {
    // The common case, from the view: the socket copies it into the kernel.
    return core.shard(here->index()).SendUdp(to.address, to.local, bytes, Completion{here, std::move(on_error), true});
  }
  SendWith(to, std::string(bytes), std::move(on_error), /*errors_only=*/true);
}

void TransportLayer::SendWith(const Destination& to, std::string bytes, Done done, bool errors_only) {
  Core& core = *core_;
  runtime::Loop* here = runtime::Loop::Current();
  if (here != nullptr && (here->index() >= core.shards.size() || &core.shard(here->index()).loop != here)) {
    here = nullptr;  // a loop of some other group
  }
  Completion completion{here, std::move(done), errors_only};
  if (!started_ || core.stopped.load(std::memory_order_acquire)) {
    return completion(Errc(std::errc::operation_canceled));
  }
  auto unroutable = [&] {
    if (here) internal::Bump(core.shard(here->index()).counters(to.protocol).send_errors);
    completion(Errc(std::errc::address_not_available));
  };
  switch (to.protocol) {
    case Protocol::kUdp: {
      // RFC 4475 §3.3.10: never to broadcast, multicast or unspecified.
      if (to.address.IsUnroutable()) return unroutable();
      Shard& shard = core.shard(here ? here->index() : 0);
      return internal::RunOn(shard, [&shard, addr = to.address, local = to.local, bytes = std::move(bytes),
                                     completion = std::move(completion)]() mutable {
        shard.SendUdp(addr, local, std::move(bytes), std::move(completion));
      });
    }
    case Protocol::kTcp:
    case Protocol::kTls:
    case Protocol::kWs:
    case Protocol::kWss: {
      if (to.flow != 0) {
        size_t owner = internal::FlowOwner(to.flow);
        if (owner >= core.shards.size()) return completion(Errc(std::errc::invalid_argument));
        Shard& shard = core.shard(owner);
        return internal::RunOn(
            shard, [&shard, to, bytes = std::move(bytes), completion = std::move(completion)]() mutable {
              shard.SendOnFlow(to, std::move(bytes), std::move(completion));
            });
      }
      // A WebSocket peer is reached only on the connection it opened, an
      // outbound UA only on its flow.
      if (to.flow_only) return completion(Errc(std::errc::not_connected));
      if (to.protocol == Protocol::kWs || to.protocol == Protocol::kWss) break;
      if (to.address.IsUnroutable()) return unroutable();
      Shard& shard = core.OutboundShard(to.address);
      return internal::RunOn(shard,
                             [&shard, to, bytes = std::move(bytes), completion = std::move(completion)]() mutable {
                               shard.SendOutbound(to, std::move(bytes), std::move(completion));
                             });
    }
  }
  completion(Errc(std::errc::protocol_not_supported));
}

std::string TransportLayer::ViaSentBy(const Destination& to) const {
  int i = core_->PickListen(to.protocol, to.address, to.local);
  return i < 0 ? std::string() : core_->sent_by[static_cast<size_t>(i)];
}

TransportStats TransportLayer::Stats() const {
  TransportStats out;
  for (const auto& shard : core_->shards) {
    for (size_t p = 0; p < internal::kProtocolCount; ++p) {
      const internal::Counters& c = shard->stats[p];
      ProtocolStats& s = out.protocols[p];
      auto get = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
      s.messages_in += get(c.messages_in);
      s.messages_out += get(c.messages_out);
      s.bytes_in += get(c.bytes_in);
      s.bytes_out += get(c.bytes_out);
      s.parse_drops += get(c.parse_drops);
      s.send_errors += get(c.send_errors);
      // Opened and closed on the same loop: per-loop differences are >= 0.
      s.connections_open += get(c.opened) - std::min(get(c.opened), get(c.closed));
      s.connections_accepted += get(c.accepted);
      s.connections_connected += get(c.connected);
      s.connections_refused += get(c.refused);
      s.connections_failed += get(c.failed);
      s.keepalive_pings += get(c.pings);
      s.stun_answers += get(c.stun_answers);
    }
  }
  return out;
}

}  // namespace parley::transport
