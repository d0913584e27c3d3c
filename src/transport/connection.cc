#include "transport/connection.h"

#include <openssl/ssl.h>

#include <iterator>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "common/strings.h"
#include "sip/lex.h"
#include "sip/response.h"
#include "transport/via.h"

namespace parley::transport::internal {

namespace {

constexpr size_t kTlsReadSize = 16 * 1024;  // one TLS record

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using Stream = Connection::Stream;

// `socket`: an accepted socket, or the io_context of a new one.
template <typename Socket>
Stream MakeStream(Core& core, Protocol protocol, Socket&& socket, bool outbound) {
  // Only secure transports have (and may touch) a TLS context.
  auto ctx = [&]() -> asio::ssl::context& { return outbound ? *core.tls_client : *core.tls_server; };
  switch (protocol) {
    case Protocol::kTls:
      return Stream(std::in_place_type<TlsStream>, std::forward<Socket>(socket), ctx());
    case Protocol::kWs:
      return Stream(std::in_place_type<Connection::WsStream>, std::forward<Socket>(socket));
    case Protocol::kWss:
      return Stream(std::in_place_type<Connection::WssStream>, std::forward<Socket>(socket), ctx());
    default:
      return Stream(std::in_place_type<TcpSocket>, std::forward<Socket>(socket));
  }
}

// Sec-WebSocket-Protocol lists "sip" (RFC 7118 §4; tokens are case-insensitive).
bool OffersSip(std::string_view protocols) {
  bool found = false;
  sip::ForEachListElement(protocols, [&](std::string_view p) { return !(found = IEquals(p, "sip")); });
  return found;
}

// A request whose framing was lost can be answered only when the fields a
// response copies arrived (RFC 3261 §8.2.6.2).
bool Answerable(const sip::Message& m) {
  using sip::HeaderId;
  return m.is_request() && m.Find(HeaderId::kVia) && m.Find(HeaderId::kFrom) && m.Find(HeaderId::kTo) &&
         m.Find(HeaderId::kCallId) && m.Find(HeaderId::kCSeq);
}

std::error_code ReadError(const boost::system::error_code& ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated || ec == websocket::error::closed ||
      ec == http::error::end_of_stream) {
    return Errc(std::errc::not_connected);
  }
  return ToStd(ec);
}

}  // namespace

Connection::Connection(std::shared_ptr<Core> core, Shard& shard, Protocol protocol, FlowId id, TcpSocket socket,
                       const SocketAddress& local)
    : core_(std::move(core)),
      shard_(shard),
      counters_(shard.counters(protocol)),
      protocol_(protocol),
      id_(id),
      outbound_(false),
      state_(State::kHandshaking),
      stream_(MakeStream(*core_, protocol, std::move(socket), false)),
      local_(local),
      parser_(core_->config.limits) {
  boost::system::error_code ec;
  remote_ = FromEndpoint(Tcp().remote_endpoint(ec));
  Bump(counters_.opened);
  Bump(counters_.accepted);
}

Connection::Connection(std::shared_ptr<Core> core, Shard& shard, Protocol protocol, FlowId id,
                       const SocketAddress& remote, std::string server_name)
    : core_(std::move(core)),
      shard_(shard),
      counters_(shard.counters(protocol)),
      protocol_(protocol),
      id_(id),
      outbound_(true),
      server_name_(std::move(server_name)),
      state_(State::kConnecting),
      stream_(MakeStream(*core_, protocol, shard.loop.io(), true)),
      remote_(remote),
      parser_(core_->config.limits) {
  Bump(counters_.opened);
}

Connection::~Connection() = default;

TcpSocket& Connection::Tcp() {
  if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
  if (auto* ws = std::get_if<WsStream>(&stream_)) return ws->next_layer();
  if (auto* wss = std::get_if<WssStream>(&stream_)) return wss->next_layer().next_layer();
  return std::get<TcpSocket>(stream_);
}

TlsStream* Connection::Tls() {
  if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls;
  if (auto* wss = std::get_if<WssStream>(&stream_)) return &wss->next_layer();
  return nullptr;
}

template <typename F>
void Connection::WithWs(F&& fn) {
  if (auto* ws = std::get_if<WsStream>(&stream_)) return fn(*ws);
  if (auto* wss = std::get_if<WssStream>(&stream_)) return fn(*wss);
}

void Connection::Start() {
  if (outbound_ || Tls() != nullptr || IsWs()) {  // a connect and/or a handshake to bound in time
    std::weak_ptr<Connection> weak = weak_from_this();
    setup_timer_ = shard_.loop.Schedule(core_->config.connect_timeout, [weak] {
      if (auto self = weak.lock()) {
        self->setup_timer_ = 0;
        self->Close(Errc(std::errc::timed_out));
      }
    });
  }
  boost::system::error_code ec;
  if (!outbound_) {
    Tcp().set_option(asio::ip::tcp::no_delay(true), ec);
    Tcp().non_blocking(true, ec);
    if (Tls() != nullptr) {
      Handshake(asio::ssl::stream_base::server);
    } else if (IsWs()) {
      WsAccept();
    } else {
      Opened();
    }
    return;
  }
  auto endpoint = ToEndpoint<asio::ip::tcp::endpoint>(remote_);
  Tcp().open(endpoint.protocol(), ec);
  if (ec) return Close(ToStd(ec));
  Tcp().async_connect(endpoint, [self = shared_from_this()](const boost::system::error_code& e) {
    self->OnConnected(e);
  });
}

void Connection::OnConnected(const boost::system::error_code& ec) {
  if (state_ != State::kConnecting) return;  // closed meanwhile (timeout, Stop)
  if (ec) return Close(ToStd(ec));
  boost::system::error_code ignored;
  local_ = FromEndpoint(Tcp().local_endpoint(ignored));
  Tcp().set_option(asio::ip::tcp::no_delay(true), ignored);
  Tcp().non_blocking(true, ignored);
  if (!IsTls()) return Opened();

  auto& tls = std::get<TlsStream>(stream_);
  // SNI carries host names only (RFC 6066 §3).
  if (!server_name_.empty() && !SocketAddress::Parse(server_name_, 0)) {
    SSL_set_tlsext_host_name(tls.native_handle(), server_name_.c_str());
  }
  if (core_->config.tls_verify != TlsVerify::kNone) {
    tls.set_verify_mode(asio::ssl::verify_peer, ignored);
    tls.set_verify_callback(asio::ssl::host_name_verification(server_name_.empty() ? remote_.ip() : server_name_),
                            ignored);
  }
  Handshake(asio::ssl::stream_base::client);
}

void Connection::Handshake(asio::ssl::stream_base::handshake_type type) {
  state_ = State::kHandshaking;
  Tls()->async_handshake(type, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (self->state_ != State::kHandshaking) return;
    if (ec) return self->Close(ToStd(ec));
    if (self->IsWs()) return self->WsAccept();
    self->Opened();
  });
}

void Connection::WsAccept() {
  state_ = State::kHandshaking;
  auto on_request = [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
    if (self->state_ != State::kHandshaking) return;
    if (ec) return self->Close(ReadError(ec));
    const auto& req = self->ws_upgrade_->get();
    if (!websocket::is_upgrade(req)) return self->WsRefuse("This is a SIP WebSocket server (RFC 7118): upgrade to websocket");
    if (!OffersSip(req[http::field::sec_websocket_protocol])) {
      return self->WsRefuse("Sec-WebSocket-Protocol must offer sip (RFC 7118)");
    }
    self->WithWs([&](auto& ws) {
      ws.set_option(websocket::stream_base::decorator(
          [](websocket::response_type& r) { r.set(http::field::sec_websocket_protocol, "sip"); }));
      ws.read_message_max(self->core_->config.udp_max_datagram);
      ws.async_accept(req, [self](const boost::system::error_code& e) { self->WsAccepted(e); });
    });
  };
  ws_upgrade_.emplace();
  ws_upgrade_->header_limit(8 * 1024);
  ws_upgrade_->body_limit(0);
  WithWs([&](auto& ws) { http::async_read(ws.next_layer(), ws_buffer_, *ws_upgrade_, std::move(on_request)); });
}

void Connection::WsAccepted(const boost::system::error_code& ec) {
  if (state_ != State::kHandshaking) return;
  if (ec) return Close(ToStd(ec));
  ws_buffer_.consume(ws_buffer_.size());
  ws_upgrade_.reset();
  // Pings and pongs (answered by Beast) count as traffic for the idle timeout.
  std::weak_ptr<Connection> weak = weak_from_this();
  WithWs([&](auto& ws) {
    ws.control_callback([weak](websocket::frame_type, boost::beast::string_view) {
      if (auto self = weak.lock()) self->Touch();
    });
  });
  Opened();
}

// An HTTP request that is not a SIP WebSocket upgrade: 400 naming the fault, then close.
void Connection::WsRefuse(const std::string& why) {
  Bump(counters_.parse_drops);
  state_ = State::kClosing;
  ws_refusal_ = {http::status::bad_request, ws_upgrade_->get().version()};
  ws_refusal_.set(http::field::content_type, "text/plain");
  ws_refusal_.set(http::field::connection, "close");
  ws_refusal_.body() = why + "\r\n";
  ws_refusal_.prepare_payload();
  WithWs([&](auto& ws) {
    http::async_write(ws.next_layer(), ws_refusal_, [self = shared_from_this()](const boost::system::error_code&, size_t) {
      self->Close(Errc(std::errc::connection_refused));
    });
  });
}

void Connection::WsReadNext() {
  WithWs([&](auto& ws) {
    ws.async_read(ws_buffer_, [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
      self->OnWsRead(ec, n);
    });
  });
}

// RFC 7118 §5: one WebSocket message carries one SIP message, framed like a
// datagram (Content-Length optional).
void Connection::OnWsRead(const boost::system::error_code& ec, size_t size) {
  if (state_ != State::kOpen) return;
  if (ec) return Close(ReadError(ec));
  Touch();
  Bump(counters_.bytes_in, size);
  std::string bytes = boost::beast::buffers_to_string(ws_buffer_.data());
  ws_buffer_.consume(ws_buffer_.size());
  sip::MessagePtr m = sip::ParseDatagram(std::move(bytes), core_->config.limits);
  if (m) {
    Deliver(std::move(m));
  } else {
    Bump(counters_.parse_drops);
  }
  if (state_ == State::kOpen) WsReadNext();
}

void Connection::Opened() {
  if (setup_timer_ != 0) shard_.loop.Cancel(setup_timer_);
  setup_timer_ = 0;
  state_ = State::kOpen;
  if (outbound_) Bump(counters_.connected);
  Touch();
  if (core_->config.idle_timeout.count() > 0) ScheduleIdleCheck(core_->config.idle_timeout);
  ReadNext();
  if (!queue_.empty() && !writing_) Flush();
}

void Connection::ReadNext() {
  if (IsWs()) return WsReadNext();
  if (auto* tls = std::get_if<TlsStream>(&stream_)) {
    if (!tls_read_buffer_) tls_read_buffer_ = std::make_unique<char[]>(kTlsReadSize);
    tls->async_read_some(asio::buffer(tls_read_buffer_.get(), kTlsReadSize),
                         [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                           self->OnRead(ec, self->tls_read_buffer_.get(), n);
                         });
    return;
  }
  // Plain TCP: wait for readability, then read into the loop's shared
  // buffer, so an idle connection holds no read buffer of its own.
  Tcp().async_wait(asio::socket_base::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
    if (ec) return self->OnRead(ec, nullptr, 0);
    if (self->state_ != State::kOpen) return;
    char* buf = self->shard_.read_buffer.get();
    boost::system::error_code rec;
    size_t n = self->Tcp().read_some(asio::buffer(buf, kReadBufferSize), rec);
    if (rec == asio::error::would_block || rec == asio::error::try_again) return self->ReadNext();
    self->OnRead(rec, buf, n);
  });
}

void Connection::OnRead(const boost::system::error_code& ec, const char* data, size_t size) {
  if (state_ != State::kOpen) return;  // closing or closed: stop reading
  if (ec) return Close(ReadError(ec));
  Touch();
  Bump(counters_.bytes_in, size);
  if (Consume(std::string_view(data, size))) ReadNext();
}

bool Connection::Consume(std::string_view data) {
  while (!data.empty()) {
    auto step = parser_.Feed(data);
    data.remove_prefix(step.consumed);
    switch (step.status) {
      case sip::MessageParser::Status::kNeedMore:
        if (step.consumed == 0) return state_ == State::kOpen;  // cannot happen; never spin
        break;
      case sip::MessageParser::Status::kMessage:
        Deliver(parser_.TakeMessage());
        break;
      case sip::MessageParser::Status::kKeepAlive:
        // RFC 5626 §3.5.1: answer a CRLFCRLF ping with a CRLF pong.
        Bump(counters_.pings);
        Write("\r\n", {}, false);
        break;
      case sip::MessageParser::Status::kError:
        OnFramingError();
        return false;
    }
    if (state_ != State::kOpen) return false;
  }
  return true;
}

void Connection::Deliver(sip::MessagePtr message) {
  if (!message) return;
  if (message->is_request()) StampVia(*message, remote_);
  Bump(counters_.messages_in);
  core_->handler(IncomingMessage{std::move(message), Source{protocol_, remote_, local_, id_}});
}

void Connection::OnFramingError() {
  // The stream cannot be resynchronized: answer what can be answered, close.
  Bump(counters_.parse_drops);
  sip::MessagePtr partial = parser_.TakeMessage();
  const sip::ParseError& error = parser_.error();
  if (partial && Answerable(*partial)) {
    auto response = sip::MakeResponse(*partial, error.status != 0 ? error.status : 400, error.reason);
    Write(response->Serialize(), {});
  }
  CloseAfterFlush();
}

void Connection::Write(std::string bytes, Completion done, bool message) {
  if (!usable()) {
    Bump(counters_.send_errors);
    return done(Errc(std::errc::not_connected));
  }
  if (message && queued_bytes_ + bytes.size() > core_->config.max_write_queue_bytes) {
    Bump(counters_.send_errors);
    return done(Errc(std::errc::no_buffer_space));
  }
  queued_bytes_ += bytes.size();
  queue_.push_back({std::move(bytes), std::move(done), message});
  if (state_ == State::kOpen && !writing_) Flush();
}

void Connection::Flush() {
  writing_ = true;
  auto on_written = [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
    self->OnWritten(ec);
  };
  if (IsWs()) {
    // One WebSocket message per SIP message, one write at a time; text
    // unless the bytes are not UTF-8 (a binary body).
    in_flight_.clear();
    in_flight_.push_back(std::move(queue_.front()));
    queue_.pop_front();
    const std::string& bytes = in_flight_.front().bytes;
    WithWs([&](auto& ws) {
      ws.text(IsUtf8(bytes));
      ws.async_write(asio::buffer(bytes), std::move(on_written));
    });
    return;
  }
  in_flight_.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  if (auto* tls = std::get_if<TlsStream>(&stream_)) {
    // One buffer: Asio's SSL stream would write a gather list one record per
    // buffer.
    if (in_flight_.size() == 1) {
      asio::async_write(*tls, asio::buffer(in_flight_.front().bytes), std::move(on_written));
      return;
    }
    tls_coalesced_.clear();
    for (const auto& o : in_flight_) tls_coalesced_ += o.bytes;
    asio::async_write(*tls, asio::buffer(tls_coalesced_), std::move(on_written));
    return;
  }
  gather_.clear();
  for (const auto& o : in_flight_) gather_.push_back(asio::buffer(o.bytes));
  asio::async_write(std::get<TcpSocket>(stream_), gather_, std::move(on_written));
}

void Connection::OnWritten(const boost::system::error_code& ec) {
  writing_ = false;
  std::vector<Outgoing> batch = std::move(in_flight_);
  in_flight_.clear();
  for (const auto& o : batch) queued_bytes_ -= o.bytes.size();
  if (ec) {
    for (auto& o : batch) {
      Bump(counters_.send_errors);
      o.done(ToStd(ec));
    }
    return Close(ToStd(ec));
  }
  Touch();
  for (auto& o : batch) {
    if (o.message) Bump(counters_.messages_out);
    Bump(counters_.bytes_out, o.bytes.size());
    o.done({});
  }
  if (state_ == State::kClosed) return;
  if (!queue_.empty()) return Flush();
  if (state_ == State::kClosing) CloseAfterFlush();
}

void Connection::CloseAfterFlush() {
  state_ = State::kClosing;
  if (writing_ || !queue_.empty()) return;  // OnWritten comes back here
  // FIN after the last byte, so the peer reads the response before EOF.
  boost::system::error_code ignored;
  Tcp().shutdown(asio::socket_base::shutdown_send, ignored);
  Close(Errc(std::errc::connection_aborted));
}

void Connection::ScheduleIdleCheck(Clock::duration after) {
  std::weak_ptr<Connection> weak = weak_from_this();
  idle_timer_ = shard_.loop.Schedule(after, [weak] {
    if (auto self = weak.lock()) self->CheckIdle();
  });
}

void Connection::CheckIdle() {
  idle_timer_ = 0;
  if (state_ == State::kClosed) return;
  // Traffic moves last_activity_ only; the timer is re-armed for the rest.
  const Clock::duration timeout = core_->config.idle_timeout;
  const Clock::duration idle = shard_.loop.Now() - last_activity_;
  if (idle >= timeout) return Close(Errc(std::errc::timed_out));
  ScheduleIdleCheck(timeout - idle);
}

void Connection::Close(std::error_code why) {
  if (state_ == State::kClosed) return;
  auto self = shared_from_this();  // the flow table may hold the last reference
  if (outbound_ && (state_ == State::kConnecting || state_ == State::kHandshaking)) Bump(counters_.failed);
  state_ = State::kClosed;
  if (idle_timer_ != 0) shard_.loop.Cancel(idle_timer_);
  if (setup_timer_ != 0) shard_.loop.Cancel(setup_timer_);
  idle_timer_ = setup_timer_ = 0;
  boost::system::error_code ignored;
  Tcp().close(ignored);  // pending operations complete with operation_aborted

  shard_.flows.erase(id_);
  if (outbound_) {
    auto it = shard_.outbound.find(OutboundKey{protocol_, remote_, server_name_});
    if (it != shard_.outbound.end() && it->second == id_) shard_.outbound.erase(it);
  }
  core_->ReleaseConnection();
  Bump(counters_.closed);

  // Last: a Done may run in place (Send from a non-loop thread) and should
  // see the connection gone.
  const std::error_code error = why ? why : Errc(std::errc::not_connected);
  for (auto& o : queue_) {
    queued_bytes_ -= o.bytes.size();
    Bump(counters_.send_errors);
    o.done(error);
  }
  queue_.clear();
}

}  // namespace parley::transport::internal
