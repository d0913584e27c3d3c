#pragma once
// A small HTTP/1.1 server (Boost.Beast) on one io_context: /healthz,
// /metrics, and the JSON APIs later components register. Handlers reply
// asynchronously, so they can post work to the loop owning the data and
// answer when it is done.

#include "runtime/asio.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "transport/address.h"

namespace parley::server {

struct HttpRequest {
  std::string method;  // "GET"
  std::string path;    // "/v1/messages"
  std::string query;   // after '?', undecoded
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  transport::SocketAddress peer;

  std::string Header(const std::string& lower_name) const;
  // Decoded value of query parameter `name`, or "".
  std::string QueryParam(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
};

using HttpReply = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(const HttpRequest&, HttpReply)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, transport::SocketAddress listen);
  ~HttpServer();

  // Routes match on method and exact path, or a path prefix ending in '/'.
  void Route(std::string method, std::string path, HttpHandler handler);
  Result<void> Start();
  void Stop();
  uint16_t port() const;

 private:
  class Session;
  void Accept();
  void Dispatch(const HttpRequest& req, HttpReply reply) const;

  boost::asio::io_context& io_;
  transport::SocketAddress listen_;
  boost::asio::ip::tcp::acceptor acceptor_;
  struct RouteEntry {
    std::string method, path;
    HttpHandler handler;
  };
  std::vector<RouteEntry> routes_;
  std::shared_ptr<bool> alive_;
};

}  // namespace parley::server
