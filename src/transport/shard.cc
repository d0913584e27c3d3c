// What each loop does with its share of the transport: binding, accepting,
// routing sends to sockets and connections, shutting down.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "transport/acceptor.h"
#include "transport/connection.h"
#include "transport/internal.h"
#include "transport/udp.h"

namespace parley::transport::internal {

boost::system::error_code SetListenOptions(int fd, bool v6) {
  int one = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
      (v6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)) {
    return {errno, boost::system::system_category()};
  }
  return {};
}

Result<SocketAddress> Shard::Bind(size_t listen_index, const SocketAddress& address) {
  const size_t n = core.config.listen.size();
  udp.resize(n);
  acceptors.resize(n);
  const Protocol protocol = core.config.listen[listen_index].protocol;
  if (protocol == Protocol::kUdp) {
    auto socket = std::make_shared<UdpSocket>(core.shared_from_this(), *this);
    auto bound = socket->Bind(address);
    if (bound.ok()) udp[listen_index] = std::move(socket);
    return bound;
  }
  auto acceptor = std::make_shared<Acceptor>(core.shared_from_this(), *this, protocol);
  auto bound = acceptor->Bind(address);
  if (bound.ok()) acceptors[listen_index] = std::move(acceptor);
  return bound;
}

void Shard::StartListening() {
  for (auto& u : udp) {
    if (u) u->Start();
  }
  for (auto& a : acceptors) {
    if (a) a->Start();
  }
}

void Shard::Shutdown() {
  stopped = true;
  for (auto& u : udp) {
    if (u) u->Close();
  }
  for (auto& a : acceptors) {
    if (a) a->Close();
  }
  udp.clear();
  acceptors.clear();
  auto open = std::move(flows);
  flows.clear();
  outbound.clear();
  for (auto& [id, connection] : open) connection->Close(Errc(std::errc::operation_canceled));
}

void Shard::OnAccepted(Protocol protocol, TcpSocket socket, const SocketAddress& local) {
  if (stopped || !core.ReserveConnection()) {
    if (!stopped) Bump(counters(protocol).refused);
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto connection =
      std::make_shared<Connection>(core.shared_from_this(), *this, protocol, NewFlowId(), std::move(socket), local);
  flows.emplace(connection->id(), connection);
  connection->Start();
}

void Shard::SendUdp(const SocketAddress& to, const SocketAddress& local, std::string_view bytes, Completion done) {
  if (stopped) return done(Errc(std::errc::operation_canceled));
  int listen = core.PickListen(Protocol::kUdp, to, local);
  if (listen < 0 || !udp[static_cast<size_t>(listen)]) {
    Bump(counters(Protocol::kUdp).send_errors);
    return done(Errc(std::errc::address_family_not_supported));
  }
  udp[static_cast<size_t>(listen)]->Send(to, bytes, std::move(done));
}

void Shard::SendOnFlow(const Destination& to, std::string bytes, Completion done) {
  if (stopped) return done(Errc(std::errc::operation_canceled));
  if (auto it = flows.find(to.flow); it != flows.end() && it->second->usable()) {
    return it->second->Write(std::move(bytes), std::move(done));
  }
  // The flow has gone. RFC 3261 §18.2.2: open a new connection to the
  // address, if the caller gave one (not to a WebSocket client: it has no
  // server to connect to).
  if (to.flow_only || !to.address.valid() || to.address.IsUnroutable() || to.protocol == Protocol::kWs ||
      to.protocol == Protocol::kWss) {
    Bump(counters(to.protocol).send_errors);
    return done(Errc(std::errc::not_connected));
  }
  Shard& owner = core.OutboundShard(to.address);
  Destination fresh = to;
  fresh.flow = 0;
  RunOn(owner, [&owner, fresh, bytes = std::move(bytes), done = std::move(done)]() mutable {
    owner.SendOutbound(fresh, std::move(bytes), std::move(done));
  });
}

void Shard::SendOutbound(const Destination& to, std::string bytes, Completion done) {
  if (stopped) return done(Errc(std::errc::operation_canceled));
  OutboundKey key{to.protocol, to.address, to.protocol == Protocol::kTls ? to.tls_server_name : std::string()};
  if (auto it = outbound.find(key); it != outbound.end()) {
    auto flow = flows.find(it->second);
    if (flow != flows.end() && flow->second->usable()) return flow->second->Write(std::move(bytes), std::move(done));
    outbound.erase(it);
  }
  Counters& c = counters(to.protocol);
  if (!core.ReserveConnection()) {
    Bump(c.refused);
    Bump(c.send_errors);
    return done(Errc(std::errc::too_many_files_open));
  }
  auto connection =
      std::make_shared<Connection>(core.shared_from_this(), *this, to.protocol, NewFlowId(), to.address, key.server_name);
  flows.emplace(connection->id(), connection);
  outbound.emplace(std::move(key), connection->id());
  connection->Write(std::move(bytes), std::move(done));
  connection->Start();
}

}  // namespace parley::transport::internal
