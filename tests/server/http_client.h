#pragma once
// Blocking HTTP/1.1 GET against 127.0.0.1 for tests (Connection: close).

#include "runtime/asio.h"

#include <string>

namespace parley::testing {

inline std::string HttpRaw(uint16_t port, const std::string& raw_request) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(s, asio::buffer(raw_request));
  std::string out;
  boost::system::error_code ec;
  char buf[8192];
  while (true) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

inline std::string HttpGet(uint16_t port, const std::string& path) {
  return HttpRaw(port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

}  // namespace parley::testing
