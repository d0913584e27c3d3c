#include "server/http_server.h"

#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.h"
#include "common/strings.h"
#include "sip/lex.h"

namespace parley::server {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string HttpRequest::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::QueryParam(std::string_view name) const {
  std::string_view q(query);
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    if (k == name) {
      std::string v(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
      for (char& c : v) {
        if (c == '+') c = ' ';
      }
      return sip::PercentDecode(v);
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

// One connection: read a request, dispatch, write the reply, repeat while
// keep-alive. Owns itself through shared_ptr captured by its handlers.
class HttpServer::Session : public std::enable_shared_from_this<HttpServer::Session> {
 public:
  Session(tcp::socket socket, const HttpServer* server, std::weak_ptr<bool> alive)
      : stream_(std::move(socket)), server_(server), alive_(std::move(alive)) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(1024 * 1024);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      if (ec != http::error::end_of_stream && ec != beast::error::timeout && ec != asio::error::operation_aborted) {
        // Malformed request: answer 400 once and close.
        if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
          Write(HttpResponse::Text(ec == http::error::body_limit ? 413 : 400, ec.message() + "\n"), false);
          return;
        }
      }
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      return;
    }
    if (alive_.expired()) return;
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    std::string target(msg.target());
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    for (const auto& f : msg) req.headers[ToLower(std::string(f.name_string()))] = std::string(f.value());
    req.body = std::move(msg.body());
    beast::error_code pec;
    auto ep = stream_.socket().remote_endpoint(pec);
    if (!pec) {
      req.peer = transport::SocketAddress::Parse(ep.address().to_string(), ep.port()).value_or(transport::SocketAddress());
    }
    bool keep_alive = msg.keep_alive();
    // The reply may come later from another loop: post it back here. The
    // session is moved into that post, so that the last reference is never
    // dropped on the replying thread (destroying the stream off its loop,
    // maybe after the io_context is gone).
    auto slot = std::make_shared<std::shared_ptr<Session>>(shared_from_this());
    auto& io = server_->io_;
    server_->Dispatch(req, [slot, keep_alive, &io](HttpResponse resp) {
      std::shared_ptr<Session> self = std::move(*slot);
      if (!self) return;  // replied twice
      asio::post(io, [self = std::move(self), keep_alive, resp = std::move(resp)]() mutable {
        self->Write(std::move(resp), keep_alive);
      });
    });
  }

  void Write(HttpResponse resp, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(resp.status));
    res->set(http::field::server, "Parley/0.1");
    res->set(http::field::content_type, resp.content_type);
    for (auto& [k, v] : resp.headers) res->set(k, v);
    res->body() = std::move(resp.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec || !keep_alive) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        return;
      }
      self->Read();
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpServer* server_;
  std::weak_ptr<bool> alive_;
};

HttpServer::HttpServer(asio::io_context& io, transport::SocketAddress listen)
    : io_(io), listen_(listen), acceptor_(io), alive_(std::make_shared<bool>(true)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route(std::string method, std::string path, HttpHandler handler) {
  routes_.push_back({std::move(method), std::move(path), std::move(handler)});
}

Result<void> HttpServer::Start() {
  beast::error_code ec;
  auto addr = asio::ip::make_address(listen_.ip(), ec);
  if (ec) return Error(1, "http: bad address " + listen_.ToString());
  tcp::endpoint ep(addr, listen_.port());
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error(1, "http: cannot listen on " + listen_.ToString() + ": " + ec.message());
  Accept();
  return Ok();
}

void HttpServer::Stop() {
  alive_.reset();
  beast::error_code ec;
  acceptor_.close(ec);
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::Accept() {
  acceptor_.async_accept(io_, [this, alive = std::weak_ptr<bool>(alive_)](beast::error_code ec, tcp::socket socket) {
    if (alive.expired()) return;
    if (!ec) std::make_shared<Session>(std::move(socket), this, alive)->Start();
    if (ec == asio::error::operation_aborted) return;
    Accept();
  });
}

void HttpServer::Dispatch(const HttpRequest& req, HttpReply reply) const {
  const RouteEntry* best = nullptr;
  bool path_known = false;
  for (const auto& r : routes_) {
    bool match = r.path == req.path || (!r.path.empty() && r.path.back() == '/' && req.path.starts_with(r.path));
    if (!match) continue;
    path_known = true;
    if (r.method == req.method && (!best || r.path.size() > best->path.size())) best = &r;
  }
  if (best) {
    best->handler(req, std::move(reply));
    return;
  }
  reply(path_known ? HttpResponse::Text(405, "method not allowed\n") : HttpResponse::Text(404, "not found\n"));
}

}  // namespace parley::server
