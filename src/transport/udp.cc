#include "transport/udp.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/strings.h"
#include "sip/parser.h"
#include "stun/message.h"
#include "transport/steering.h"
#include "transport/via.h"

namespace parley::transport::internal {

namespace {

// A SIP message starts (after any CRLFs) with a method token or "SIP/";
// STUN (RFC 5389 §6: first two bits zero) and binary noise do not.
bool CouldBeSip(std::string_view d) {
  size_t i = 0;
  while (i < d.size() && (d[i] == '\r' || d[i] == '\n')) ++i;
  return i < d.size() && IsTokenChar(d[i]);
}

constexpr int kReadBurst = 32;         // datagrams per readiness event
constexpr size_t kMaxBacklog = 1024;   // datagrams waiting for socket buffer room
}  // namespace

UdpSocket::UdpSocket(std::shared_ptr<Core> core, Shard& shard)
    : core_(std::move(core)), shard_(shard), socket_(shard.loop.io()) {}

namespace {
// Best effort: a smaller buffer than asked for is not an error.
void SetBufferSizes(int fd, size_t bytes) {
  if (bytes == 0) return;
  int v = static_cast<int>(std::min<size_t>(bytes, 1u << 30));
  for (auto [force, plain] : {std::pair{SO_RCVBUFFORCE, SO_RCVBUF}, std::pair{SO_SNDBUFFORCE, SO_SNDBUF}}) {
    if (::setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) != 0) ::setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v));
  }
}
}  // namespace

Result<SocketAddress> UdpSocket::Bind(const SocketAddress& address) {
  auto endpoint = ToEndpoint<asio::ip::udp::endpoint>(address);
  boost::system::error_code ec;
  const char* step = "socket";
  socket_.open(endpoint.protocol(), ec);
  if (!ec) {
    step = "setsockopt";
    ec = SetListenOptions(socket_.native_handle(), address.is_v6());
  }
  if (!ec) SetBufferSizes(socket_.native_handle(), core_->config.udp_socket_buffer);
  if (!ec) {
    step = "bind";
    socket_.bind(endpoint, ec);
  }
  if (!ec) socket_.non_blocking(true, ec);
  if (!ec) local_ = FromEndpoint(socket_.local_endpoint(ec));
  const TransportConfig& tc = core_->config;
  const SteeringMarkers markers{tc.udp_response_steering, tc.udp_request_steering, tc.udp_uri_steering,
                                tc.udp_to_steering, static_cast<uint32_t>(core_->shards.size())};
  if (!ec && shard_.index == 0 && core_->shards.size() > 1 &&
      (!markers.branch_prefix.empty() || !markers.request_prefix.empty() || !markers.uri_requests.empty() ||
       !markers.to_request.empty())) {
    // The group's program; the other loops' sockets join it as they bind.
    if (auto e = AttachSteering(socket_.native_handle(), markers)) {
      core_->steering_error = "SO_ATTACH_REUSEPORT_CBPF: " + e.message();
    } else {
      ++core_->steered_groups;
    }
  }
  if (ec) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    return Error(ec.value(), std::string(step) + ": " + ec.message());
  }
  return local_;
}

void UdpSocket::Start() { WaitReadable(); }

void UdpSocket::Close() {
  closed_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  for (auto& p : backlog_) p.done(Errc(std::errc::operation_canceled));
  backlog_.clear();
}

void UdpSocket::WaitReadable() {
  socket_.async_wait(asio::socket_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_) self->OnReadable();
  });
}

void UdpSocket::OnReadable() {
  const int fd = socket_.native_handle();
  if (!shard_.udp_slots) shard_.udp_slots = std::make_unique_for_overwrite<char[]>(kUdpBatch * kReadBufferSize);
  char* const slots = shard_.udp_slots.get();
  std::array<mmsghdr, kUdpBatch> msgs;
  std::array<iovec, kUdpBatch> iov;
  std::array<sockaddr_storage, kUdpBatch> from;
  // Up to kReadBurst datagrams (or failed reads) per readiness event; a
  // batch that comes back short has drained the socket, so the usual single
  // datagram costs one system call instead of a read and an EAGAIN.
  for (int budget = kReadBurst; budget > 0 && !closed_;) {
    for (unsigned k = 0; k < kUdpBatch; ++k) {
      iov[k] = {slots + k * kReadBufferSize, kReadBufferSize};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_name = &from[k];
      msgs[k].msg_hdr.msg_namelen = sizeof(from[k]);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const unsigned want = std::min<unsigned>(kUdpBatch, static_cast<unsigned>(budget));
    // MSG_TRUNC: msg_len is the datagram's real length even when it did not fit.
    const int n = ::recvmmsg(fd, msgs.data(), want, MSG_TRUNC | MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      --budget;  // e.g. a queued ICMP error: try the next datagram
      continue;
    }
    for (int k = 0; k < n && !closed_; ++k) {
      const auto& h = msgs[k].msg_hdr;
      Deliver(std::string_view(slots + k * kReadBufferSize, std::min<size_t>(msgs[k].msg_len, kReadBufferSize)),
              msgs[k].msg_len, SocketAddress::FromSockaddr(reinterpret_cast<const sockaddr*>(h.msg_name), h.msg_namelen));
    }
    budget -= n;
    if (static_cast<unsigned>(n) < want) break;
  }
  if (!closed_) WaitReadable();
}

void UdpSocket::Deliver(std::string_view datagram, size_t size, const SocketAddress& from) {
  Counters& c = shard_.counters(Protocol::kUdp);
  Bump(c.bytes_in, size);
  if (size > datagram.size() || size > core_->config.udp_max_datagram) {
    Bump(c.parse_drops);
    return;
  }
  const bool maybe_sip = CouldBeSip(datagram);
  if (!maybe_sip && core_->config.answer_stun && stun::IsStun(datagram)) return AnswerStun(datagram, from);
  // A copy of exactly the datagram: the message owns its bytes.
  sip::MessagePtr m = maybe_sip ? sip::ParseDatagram(std::string(datagram), core_->config.limits) : nullptr;
  if (!m) {  // CRLF keep-alive, STUN not answered, garbage
    Bump(c.parse_drops);
    return;
  }
  if (m->is_request()) StampVia(*m, from);
  Bump(c.messages_in);
  core_->handler(IncomingMessage{std::move(m), Source{Protocol::kUdp, from, local_, 0}});
}

void UdpSocket::AnswerStun(std::string_view datagram, const SocketAddress& from) {
  Counters& c = shard_.counters(Protocol::kUdp);
  auto request = stun::Parse(datagram);
  std::string answer;
  if (request.ok()) {
    stun::TransportAddress mapped;
    mapped.v6 = from.is_v6();
    mapped.port = from.port();
    const sockaddr* sa = from.sockaddr_ptr();
    if (mapped.v6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
      std::memcpy(mapped.ip.data(), &in6->sin6_addr, 16);
    } else {
      const auto* in4 = reinterpret_cast<const sockaddr_in*>(sa);
      std::memcpy(mapped.ip.data(), &in4->sin_addr, 4);
    }
    answer = stun::Answer(*request, mapped, "parley");
  }
  // Malformed (bad FINGERPRINT included), indications and responses: dropped.
  if (answer.empty() || from.IsUnroutable()) {
    Bump(c.parse_drops);
    return;
  }
  // Best effort, no backlog: a client repeats a Binding request that got
  // no answer (RFC 5389 §7.2.1).
  ssize_t n = ::sendto(socket_.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       from.sockaddr_ptr(), from.sockaddr_len());
  if (n < 0) {
    Bump(c.send_errors);
    return;
  }
  Bump(c.stun_answers);
  Bump(c.bytes_out, answer.size());
}

void UdpSocket::Send(const SocketAddress& to, std::string_view bytes, Completion done) {
  Counters& c = shard_.counters(Protocol::kUdp);
  if (closed_) {
    Bump(c.send_errors);
    return done(Errc(std::errc::operation_canceled));
  }
  if (bytes.size() > core_->config.udp_max_datagram) {
    Bump(c.send_errors);
    return done(Errc(std::errc::message_size));
  }
  if (backlog_.empty() && TrySend(to, bytes, done)) return;
  if (backlog_.size() >= kMaxBacklog) {
    Bump(c.send_errors);
    return done(Errc(std::errc::no_buffer_space));
  }
  backlog_.push_back({to, std::string(bytes), std::move(done)});
  WaitWritable();
}

bool UdpSocket::TrySend(const SocketAddress& to, std::string_view bytes, Completion& done) {
  Counters& c = shard_.counters(Protocol::kUdp);
  ssize_t n = ::sendto(socket_.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                       to.sockaddr_ptr(), to.sockaddr_len());
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  if (n < 0) {
    Bump(c.send_errors);
    done(std::error_code(errno, std::system_category()));
  } else {
    Bump(c.messages_out);
    Bump(c.bytes_out, bytes.size());
    done({});
  }
  return true;
}

void UdpSocket::WaitWritable() {
  if (waiting_writable_) return;
  waiting_writable_ = true;
  socket_.async_wait(asio::socket_base::wait_write, [self = shared_from_this()](const boost::system::error_code& ec) {
    self->waiting_writable_ = false;
    if (ec || self->closed_) return;
    while (!self->backlog_.empty()) {
      Pending& p = self->backlog_.front();
      if (!self->TrySend(p.to, p.bytes, p.done)) break;
      self->backlog_.pop_front();
    }
    if (!self->backlog_.empty()) self->WaitWritable();
  });
}

}  // namespace parley::transport::internal
