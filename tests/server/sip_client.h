#pragma once
// A minimal blocking SIP test client over UDP or TCP on 127.0.0.1: sends
// raw text (LF line ends are turned into CRLF), returns parsed responses.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <string>

#include "sip/parser.h"
#include "sip/test_util.h"

namespace parley::testing {

using sip::testing::Crlf;
inline std::string ToCrlf(std::string_view s) { return Crlf(s); }

class SipClient {
 public:
  SipClient(bool tcp, uint16_t server_port) : tcp_(tcp) {
    fd_ = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local));
    socklen_t len = sizeof(local);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len);
    port_ = ntohs(local.sin_port);
    timeval tv{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    server_.sin_family = AF_INET;
    server_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server_.sin_port = htons(server_port);
    if (tcp) connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&server_), sizeof(server_)) == 0;
  }
  ~SipClient() { close(fd_); }

  // How long Receive waits (2 s unless set).
  void SetReceiveTimeout(std::chrono::milliseconds ms) {
    timeval tv{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  uint16_t port() const { return port_; }
  // UDP: the port the last message came from.
  uint16_t last_from_port() const { return ntohs(last_from_.sin_port); }
  bool connected() const { return !tcp_ || connected_; }

  // Replaces "$PORT" with our port and "$TRANSPORT" with UDP/TCP.
  std::string Fill(std::string text) const {
    for (size_t p; (p = text.find("$PORT")) != std::string::npos;) text.replace(p, 5, std::to_string(port_));
    for (size_t p; (p = text.find("$TRANSPORT")) != std::string::npos;) text.replace(p, 10, tcp_ ? "TCP" : "UDP");
    return text;
  }

  void SendRaw(const std::string& bytes) {
    if (tcp_) {
      ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    } else {
      sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&server_), sizeof(server_));
    }
  }
  void Send(std::string_view text) { SendRaw(Fill(ToCrlf(text))); }

  // Answers the last received request where it came from (UDP) or on the
  // connection (TCP), as a UAS does.
  void Reply(const std::string& bytes) {
    if (tcp_) return SendRaw(bytes);
    sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&last_from_), sizeof(last_from_));
  }

  // The next message (nullptr on timeout); requests set aside by
  // ReceiveResponse come first.
  sip::MessagePtr Receive() {
    if (!stash_.empty()) {
      sip::MessagePtr m = std::move(stash_.front());
      stash_.pop_front();
      return m;
    }
    return ReceiveFromSocket();
  }

  // The next response; requests arriving before it (the server may send
  // one before it answers ours) are kept for Receive().
  sip::MessagePtr ReceiveResponse() {
    while (true) {
      sip::MessagePtr m = ReceiveFromSocket();
      if (!m || m->is_response()) return m;
      stash_.push_back(std::move(m));
    }
  }

 private:
  sip::MessagePtr ReceiveFromSocket() {
    if (!tcp_) {
      char buf[65536];
      socklen_t len = sizeof(last_from_);
      ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&last_from_), &len);
      if (n <= 0) return nullptr;
      return sip::ParseDatagram(std::string(buf, static_cast<size_t>(n)), sip::ParserLimits());
    }
    while (true) {
      if (!pending_.empty()) {
        std::string_view rest(pending_);
        auto step = parser_.Feed(rest);
        pending_.erase(0, step.consumed);
        if (step.status == sip::MessageParser::Status::kMessage) return parser_.TakeMessage();
        if (step.status == sip::MessageParser::Status::kError) return nullptr;
        if (step.status == sip::MessageParser::Status::kKeepAlive) continue;
      }
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return nullptr;
      pending_.append(buf, static_cast<size_t>(n));
    }
  }


 public:
  // Raw bytes as received (for keep-alive pongs); "" on timeout.
  std::string ReceiveRaw() {
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

  sip::MessagePtr Request(std::string_view text) {
    Send(text);
    return Receive();
  }

 private:
  std::deque<sip::MessagePtr> stash_;
  bool tcp_;
  bool connected_ = false;
  int fd_;
  uint16_t port_ = 0;
  sockaddr_in server_{};
  sockaddr_in last_from_{};
  std::string pending_;
  sip::MessageParser parser_;
};

}  // namespace parley::testing
