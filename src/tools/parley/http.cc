#include "tools/parley/http.h"

#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "runtime/asio.h"

namespace parley::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

namespace {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;
};

Result<Url> ParseUrl(const std::string& url) {
  Url u;
  std::string_view s = url;
  if (IStartsWith(s, "http://")) {
    s.remove_prefix(7);
  } else if (IStartsWith(s, "https://")) {
    s.remove_prefix(8);
    u.tls = true;
  } else {
    return Error(2, "not an http(s) URL: " + url);
  }
  size_t slash = s.find('/');
  std::string_view hostport = s.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(s.substr(slash));
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Error(2, "bad URL: " + url);
    u.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size() && hostport[close + 1] == ':') u.port = std::string(hostport.substr(close + 2));
  } else {
    size_t colon = hostport.rfind(':');
    u.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(hostport.substr(colon + 1));
  }
  if (u.host.empty()) return Error(2, "bad URL: " + url);
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  return u;
}

// A connected TCP socket, within `timeout`.
Result<int> Connect(const Url& u, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &res);
  if (rc != 0) return Error(5, "cannot resolve " + u.host + ": " + gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (r == 1) {
        int err = 0;
        socklen_t len = sizeof(err);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        r = err == 0 ? 0 : -1;
        errno = err;
      } else {
        if (r == 0) errno = ETIMEDOUT;
        r = -1;
      }
    }
    if (r == 0) {
      freeaddrinfo(res);
      int flags = 0;
      ::ioctl(fd, FIONBIO, &flags);  // back to blocking; reads are bounded by SO_RCVTIMEO
      timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      return fd;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  return Error(5, "cannot connect to " + u.host + ":" + u.port + ": " + last);
}

template <typename Stream>
Result<HttpReply> Exchange(Stream& stream, const Url& u, const HttpCall& call) {
  http::request<http::string_body> req;
  req.method_string(call.method);
  req.target(u.target);
  req.version(11);
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "parley/0.1");
  req.set(http::field::connection, "close");
  for (const auto& [n, v] : call.headers) req.set(n, v);
  if (!call.body.empty() || call.method == "PUT" || call.method == "POST") req.body() = call.body;
  req.prepare_payload();
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return Error(5, "HTTP " + u.host + ": " + ec.message());
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 * 1024 * 1024);
  http::read(stream, buf, parser, ec);
  if (ec && ec != http::error::end_of_stream) return Error(5, "HTTP " + u.host + ": " + ec.message());
  const auto& res = parser.get();
  HttpReply out;
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.content_type = std::string(res[http::field::content_type]);
  out.etag = std::string(res[http::field::etag]);
  return out;
}

}  // namespace

Result<HttpReply> Fetch(const HttpCall& call) {
  auto u = ParseUrl(call.url);
  if (!u.ok()) return u.take_error();
  auto fd = Connect(*u, call.timeout);
  if (!fd.ok()) return fd.take_error();
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  boost::system::error_code ec;
  // The protocol only picks the family for assign(); either works for a connected fd.
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  ::getsockname(*fd, reinterpret_cast<sockaddr*>(&ss), &len);
  sock.assign(ss.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), *fd, ec);
  if (ec) {
    ::close(*fd);
    return Error(5, "socket: " + ec.message());
  }
  if (!u->tls) return Exchange(sock, *u, call);
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  if (call.insecure) {
    ctx.set_verify_mode(asio::ssl::verify_none, ec);
  } else {
    if (!call.ca_file.empty()) ctx.load_verify_file(call.ca_file, ec);
    else ctx.set_default_verify_paths(ec);
    if (ec) return Error(6, "TLS trust store: " + ec.message());
    ctx.set_verify_mode(asio::ssl::verify_peer, ec);
  }
  asio::ssl::stream<asio::ip::tcp::socket&> tls(sock, ctx);
  if (!call.insecure) tls.set_verify_callback(asio::ssl::host_name_verification(u->host), ec);
  SSL_set_tlsext_host_name(tls.native_handle(), u->host.c_str());
  tls.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return Error(6, "TLS handshake with " + u->host + ": " + ec.message());
  return Exchange(tls, *u, call);
}


std::string UrlEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (IsAlnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace parley::cli
