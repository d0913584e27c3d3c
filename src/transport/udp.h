#pragma once
// One UDP socket of one listen point on one loop.

#include <deque>
#include <memory>
#include <string>

#include "transport/internal.h"

namespace parley::transport::internal {

class UdpSocket : public std::enable_shared_from_this<UdpSocket> {
 public:
  UdpSocket(std::shared_ptr<Core> core, Shard& shard);

  Result<SocketAddress> Bind(const SocketAddress& address);
  void Start();
  void Close();
  // `bytes` are copied only into the backlog.
  void Send(const SocketAddress& to, std::string_view bytes, Completion done);

 private:
  struct Pending {
    SocketAddress to;
    std::string bytes;
    Completion done;
  };

  void WaitReadable();
  void OnReadable();
  // `datagram`: what was read of a datagram of `size` bytes (less when it
  // did not fit, and then it is dropped).
  void Deliver(std::string_view datagram, size_t size, const SocketAddress& from);
  // A STUN message on the SIP port: answered (Binding keep-alives) or dropped.
  void AnswerStun(std::string_view datagram, const SocketAddress& from);
  // false: the socket buffer is full (EAGAIN); anything else completes `done`.
  bool TrySend(const SocketAddress& to, std::string_view bytes, Completion& done);
  void WaitWritable();

  std::shared_ptr<Core> core_;
  Shard& shard_;
  asio::ip::udp::socket socket_;
  SocketAddress local_;
  std::deque<Pending> backlog_;  // sends waiting for room in the socket buffer
  bool waiting_writable_ = false;
  bool closed_ = false;
};

}  // namespace parley::transport::internal
