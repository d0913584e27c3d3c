#pragma once
// One TCP/TLS listening socket of one listen point on one loop. Every loop
// has its own acceptor on the same address (SO_REUSEPORT): the kernel
// spreads incoming connections over the loops, and each connection starts
// life on the loop that owns it, with no hand-off between threads.

#include <memory>

#include "transport/internal.h"

namespace parley::transport::internal {

class Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  Acceptor(std::shared_ptr<Core> core, Shard& shard, Protocol protocol);

  Result<SocketAddress> Bind(const SocketAddress& address);
  void Start();
  void Close();

 private:
  void Accept();

  std::shared_ptr<Core> core_;
  Shard& shard_;
  const Protocol protocol_;
  asio::ip::tcp::acceptor acceptor_;
  SocketAddress local_;
  TimerId retry_timer_ = 0;
  bool closed_ = false;
};

}  // namespace parley::transport::internal
