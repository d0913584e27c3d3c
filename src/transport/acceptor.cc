#include "transport/acceptor.h"

#include <chrono>
#include <string>

namespace parley::transport::internal {

namespace {
constexpr int kBacklog = 1024;
// After an accept error such as EMFILE, wait before trying again rather
// than spin on a socket that stays readable.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
}  // namespace

Acceptor::Acceptor(std::shared_ptr<Core> core, Shard& shard, Protocol protocol)
    : core_(std::move(core)), shard_(shard), protocol_(protocol), acceptor_(shard.loop.io()) {}

Result<SocketAddress> Acceptor::Bind(const SocketAddress& address) {
  auto endpoint = ToEndpoint<asio::ip::tcp::endpoint>(address);
  boost::system::error_code ec;
  const char* step = "socket";
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    step = "setsockopt";
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) ec = SetListenOptions(acceptor_.native_handle(), address.is_v6());
  if (!ec) {
    step = "bind";
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    step = "listen";
    acceptor_.listen(kBacklog, ec);
  }
  if (!ec) local_ = FromEndpoint(acceptor_.local_endpoint(ec));
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Error(ec.value(), std::string(step) + ": " + ec.message());
  }
  return local_;
}

void Acceptor::Start() { Accept(); }

void Acceptor::Close() {
  closed_ = true;
  if (retry_timer_ != 0) shard_.loop.Cancel(retry_timer_);
  retry_timer_ = 0;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void Acceptor::Accept() {
  acceptor_.async_accept([self = shared_from_this()](const boost::system::error_code& ec, TcpSocket socket) {
    if (self->closed_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      self->shard_.OnAccepted(self->protocol_, std::move(socket), self->local_);
    } else if (ec != asio::error::connection_aborted) {
      std::weak_ptr<Acceptor> weak = self;
      self->retry_timer_ = self->shard_.loop.Schedule(kAcceptRetry, [weak] {
        if (auto a = weak.lock()) {
          a->retry_timer_ = 0;
          if (!a->closed_) a->Accept();
        }
      });
      return;
    }
    if (!self->closed_) self->Accept();
  });
}

}  // namespace parley::transport::internal
