#pragma once
// One TCP, TLS, WS or WSS connection, owned by one loop (the Shard that
// holds it in its flow table). TCP/TLS reads feed a sip::MessageParser;
// writes go through a queue that is flushed as one gather-write (TCP) or one
// coalesced record write (TLS). WebSocket (RFC 7118): the server side of the
// "sip" subprotocol, one SIP message per WebSocket message each way.

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "sip/parser.h"
#include "transport/internal.h"

namespace parley::transport::internal {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using WsStream = boost::beast::websocket::stream<TcpSocket>;
  using WssStream = boost::beast::websocket::stream<TlsStream>;
  using Stream = std::variant<TcpSocket, TlsStream, WsStream, WssStream>;

  // Accepted on `local`; TLS starts with the server handshake.
  Connection(std::shared_ptr<Core> core, Shard& shard, Protocol protocol, FlowId id, TcpSocket socket,
             const SocketAddress& local);
  // Outbound to `remote`; connects (and handshakes) on Start(), writes
  // queued meanwhile go out once it is open. `server_name`: TLS SNI and the
  // name to verify (the IP when empty).
  Connection(std::shared_ptr<Core> core, Shard& shard, Protocol protocol, FlowId id, const SocketAddress& remote,
             std::string server_name);
  ~Connection();

  void Start();
  // Queues `bytes`; `done` completes when they were written or failed.
  // `message` = false for keep-alive pongs (not counted as messages).
  void Write(std::string bytes, Completion done, bool message = true);
  // Closes now; queued and unwritten sends fail with `why`.
  void Close(std::error_code why);

  FlowId id() const { return id_; }
  // Still accepting writes (connecting, handshaking or open).
  bool usable() const { return state_ != State::kClosing && state_ != State::kClosed; }

 private:
  enum class State { kConnecting, kHandshaking, kOpen, kClosing, kClosed };
  struct Outgoing {
    std::string bytes;
    Completion done;
    bool message;
  };

  TcpSocket& Tcp();
  // The TLS layer (TLS, WSS), else null.
  TlsStream* Tls();
  bool IsTls() const { return std::holds_alternative<TlsStream>(stream_); }
  bool IsWs() const { return std::holds_alternative<WsStream>(stream_) || std::holds_alternative<WssStream>(stream_); }
  // Runs `fn(ws)` on the WebSocket stream (WS or WSS).
  template <typename F>
  void WithWs(F&& fn);
  // WebSocket opening handshake (RFC 6455 §4.2) for the "sip" subprotocol.
  void WsAccept();
  void WsAccepted(const boost::system::error_code& ec);
  void WsRefuse(const std::string& why);
  void WsReadNext();
  void OnWsRead(const boost::system::error_code& ec, size_t size);
  void OnConnected(const boost::system::error_code& ec);
  void Handshake(asio::ssl::stream_base::handshake_type type);
  void Opened();
  void ReadNext();
  void OnRead(const boost::system::error_code& ec, const char* data, size_t size);
  // Feeds the parser; false once the connection stops reading.
  bool Consume(std::string_view data);
  void Deliver(sip::MessagePtr message);
  void OnFramingError();
  void Flush();
  void OnWritten(const boost::system::error_code& ec);
  // Closes once everything queued is written (after a 400 for lost framing).
  void CloseAfterFlush();
  void Touch() { last_activity_ = shard_.loop.Now(); }
  void ScheduleIdleCheck(Clock::duration after);
  void CheckIdle();

  std::shared_ptr<Core> core_;
  Shard& shard_;
  Counters& counters_;
  const Protocol protocol_;
  const FlowId id_;
  const bool outbound_;
  const std::string server_name_;
  State state_;
  Stream stream_;
  SocketAddress remote_;
  SocketAddress local_;
  sip::MessageParser parser_;
  std::unique_ptr<char[]> tls_read_buffer_;  // TLS cannot share the loop's buffer
  boost::beast::flat_buffer ws_buffer_;       // WebSocket: the upgrade request, then messages
  // The upgrade request: a header of at most 8 KiB, no body.
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> ws_upgrade_;
  boost::beast::http::response<boost::beast::http::string_body> ws_refusal_;

  std::deque<Outgoing> queue_;
  std::vector<Outgoing> in_flight_;
  std::vector<asio::const_buffer> gather_;
  std::string tls_coalesced_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;

  Clock::time_point last_activity_;
  TimerId idle_timer_ = 0;
  TimerId setup_timer_ = 0;  // connect + handshake deadline
};

}  // namespace parley::transport::internal
