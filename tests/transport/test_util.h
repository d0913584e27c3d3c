#pragma once
// Helpers for transport tests: a transport on its own loops that records
// what it receives, plain POSIX client sockets with bounded waits, and SIP
// text builders. Everything binds 127.0.0.1 / ::1 with port 0.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "runtime/loop_group.h"
#include "transport/transport_layer.h"

namespace parley::transport::testing {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

inline constexpr Millis kWait = 5s;  // bound on every wait; tests take milliseconds

inline SocketAddress Addr(const char* ip, uint16_t port = 0) { return *SocketAddress::Parse(ip, port); }

inline ListenPoint Listen(Protocol p, const char* ip) { return ListenPoint{p, Addr(ip), {}, 0}; }

// Polls `pred` until it holds or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& pred, Millis timeout = kWait) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class Inbox {
 public:
  // Remembers the loop the handler ran on (-1: not on a loop).
  void Push(IncomingMessage&& m) {
    runtime::Loop* loop = runtime::Loop::Current();
    std::lock_guard lock(mu_);
    messages_.push_back({std::move(m), loop != nullptr ? static_cast<int>(loop->index()) : -1});
    cv_.notify_all();
  }
  std::optional<IncomingMessage> Pop(Millis timeout = kWait) {
    auto m = PopWithLoop(timeout);
    if (!m) return std::nullopt;
    return std::move(m->first);
  }
  std::optional<std::pair<IncomingMessage, int>> PopWithLoop(Millis timeout = kWait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !messages_.empty(); })) return std::nullopt;
    auto m = std::move(messages_.front());
    messages_.pop_front();
    return m;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return messages_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<IncomingMessage, int>> messages_;
};

// A TransportLayer on `loops` loops that queues what it receives.
class Node {
 public:
  explicit Node(TransportConfig config, size_t loops = 2)
      : loops_(loops), transport_(loops_, std::move(config), [this](IncomingMessage&& m) { inbox.Push(std::move(m)); }) {
    loops_.Start();
  }

  Result<void> Start() { return transport_.Start(); }
  TransportLayer& transport() { return transport_; }
  runtime::LoopGroup& loops() { return loops_; }

  SocketAddress bound(Protocol p, bool v6 = false) {
    for (const auto& lp : transport_.bound()) {
      if (lp.protocol == p && lp.address.is_v6() == v6) return lp.address;
    }
    return {};
  }

  // Sends from the test thread and waits for Done.
  std::error_code Send(const Destination& to, std::string bytes) {
    std::promise<std::error_code> done;
    auto f = done.get_future();
    transport_.Send(to, std::move(bytes), [&done](std::error_code ec) { done.set_value(ec); });
    if (f.wait_for(kWait) != std::future_status::ready) return std::make_error_code(std::errc::timed_out);
    return f.get();
  }

  Inbox inbox;

 private:
  runtime::LoopGroup loops_;
  TransportLayer transport_;
};

// A blocking POSIX socket used as the far end of a test.
class RawSocket {
 public:
  static RawSocket Udp(bool v6 = false) {
    RawSocket s(::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0));
    auto local = Addr(v6 ? "::1" : "127.0.0.1");
    ::bind(s.fd_, local.sockaddr_ptr(), local.sockaddr_len());
    return s;
  }
  static RawSocket Tcp(const SocketAddress& to) {
    RawSocket s(::socket(to.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
    int one = 1;
    ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s.connected_ = ::connect(s.fd_, to.sockaddr_ptr(), to.sockaddr_len()) == 0;
    return s;
  }
  // Starts a connect without waiting for it.
  static RawSocket TcpNonBlocking(const SocketAddress& to) {
    RawSocket s(::socket(to.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    ::connect(s.fd_, to.sockaddr_ptr(), to.sockaddr_len());
    return s;
  }
  // A listening TCP socket (to accept the transport's outbound connections).
  static RawSocket TcpListen(const char* ip) {
    RawSocket s(::socket(Addr(ip).is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0));
    auto a = Addr(ip);
    ::bind(s.fd_, a.sockaddr_ptr(), a.sockaddr_len());
    ::listen(s.fd_, 16);
    return s;
  }

  RawSocket(RawSocket&& o) noexcept : fd_(o.fd_), connected_(o.connected_) { o.fd_ = -1; }
  ~RawSocket() { Close(); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool connected() const { return connected_; }
  int fd() const { return fd_; }
  SocketAddress local() const {
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    return SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
  }

  bool SendTo(const SocketAddress& to, std::string_view bytes) {
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, to.sockaddr_ptr(), to.sockaddr_len()) ==
           static_cast<ssize_t>(bytes.size());
  }
  bool Write(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One datagram or one read: nullopt on timeout, "" on EOF or reset.
  std::optional<std::string> Read(Millis timeout = kWait, SocketAddress* from = nullptr) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[65536];
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    ssize_t n = ::recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&ss), &len);
    if (n <= 0) return std::string();
    if (from) *from = SocketAddress::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len);
    return std::string(buf, static_cast<size_t>(n));
  }

  // Reads until `text` holds at least `size` bytes; returns what it got.
  std::string ReadAtLeast(size_t size, Millis timeout = kWait) {
    std::string text;
    auto end = std::chrono::steady_clock::now() + timeout;
    while (text.size() < size) {
      auto left = std::chrono::duration_cast<Millis>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto chunk = Read(left);
      if (!chunk || chunk->empty()) break;
      text += *chunk;
    }
    return text;
  }

  // True when the peer closes (EOF or reset) within `timeout`; data read
  // meanwhile is appended to `seen`.
  bool WaitClosed(Millis timeout = kWait, std::string* seen = nullptr) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto left = std::chrono::duration_cast<Millis>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      auto chunk = Read(left);
      if (!chunk) return false;
      if (chunk->empty()) return true;
      if (seen) *seen += *chunk;
    }
  }

  RawSocket Accept(Millis timeout = kWait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return RawSocket(-1);
    RawSocket s(::accept(fd_, nullptr, nullptr));
    s.connected_ = s.fd_ >= 0;
    return s;
  }

 private:
  explicit RawSocket(int fd) : fd_(fd) {}
  int fd_;
  bool connected_ = false;
};

// A SIP request as a UA would send it; `via_transport` and `via_sent_by`
// fill the top Via.
inline std::string Request(int cseq = 1, std::string_view via_transport = "UDP",
                           std::string_view via_sent_by = "client.invalid:5070", std::string_view body = "",
                           std::string_view via_params = ";rport") {
  std::string s;
  s += "OPTIONS sip:parley@127.0.0.1 SIP/2.0\r\n";
  s += "Via: SIP/2.0/" + std::string(via_transport) + " " + std::string(via_sent_by) + ";branch=z9hG4bK-" +
       std::to_string(cseq) + std::string(via_params) + "\r\n";
  s += "Max-Forwards: 70\r\n";
  s += "From: <sip:alice@example.com>;tag=a1\r\n";
  s += "To: <sip:bob@example.com>\r\n";
  s += "Call-ID: call-" + std::to_string(cseq) + "@test\r\n";
  s += "CSeq: " + std::to_string(cseq) + " OPTIONS\r\n";
  if (!body.empty()) s += "Content-Type: text/plain\r\n";
  s += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  s += body;
  return s;
}

}  // namespace parley::transport::testing
