// SIP over WebSocket (RFC 7118), server side: a Beast client stands in for
// a browser UA (JsSIP, SIP.js).

#include <gtest/gtest.h>

#include <filesystem>
#include <utility>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "sip/response.h"
#include "test_util.h"
#include "transport/certificate.h"

namespace parley::transport::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

TransportConfig WsConfig(Protocol p, const std::string& cert_dir = "") {
  TransportConfig c;
  c.listen = {Listen(p, "127.0.0.1")};
  c.tls_verify = TlsVerify::kNone;
  if (!cert_dir.empty()) {
    c.tls_cert_file = cert_dir + "/cert.pem";
    c.tls_key_file = cert_dir + "/key.pem";
  }
  return c;
}

tcp::endpoint Endpoint(const SocketAddress& a) { return {asio::ip::make_address(a.ip()), a.port()}; }

// Upgrades `ws` (a connected stream) offering `protocols`; returns the
// server's Sec-WebSocket-Protocol.
template <typename Ws>
std::string Upgrade(Ws& ws, const std::string& protocols) {
  websocket::response_type res;
  ws.set_option(websocket::stream_base::decorator(
      [protocols](websocket::request_type& r) { r.set(http::field::sec_websocket_protocol, protocols); }));
  ws.handshake(res, "127.0.0.1", "/");
  return std::string(res[http::field::sec_websocket_protocol]);
}

template <typename Ws>
std::string ReadMessage(Ws& ws, bool* text = nullptr) {
  beast::flat_buffer b;
  ws.read(b);
  if (text) *text = ws.got_text();
  return beast::buffers_to_string(b.data());
}

// One request in, one response out, each a WebSocket message of its own;
// the request carries its Source (WS, a flow) and a stamped Via.
template <typename Ws>
void RoundTrip(Node& node, Ws& ws, Protocol protocol) {
  ws.write(asio::buffer(Request(1, ProtocolName(protocol), "df7jal23ls0d.invalid", "hello")));
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->source.protocol, protocol);
  EXPECT_NE(in->source.flow, 0u);
  EXPECT_EQ(in->message->body(), "hello");
  EXPECT_EQ(in->message->top_via()->received(), "127.0.0.1");

  auto to = ResponseDestination(*in->message->top_via(), in->source);
  ASSERT_TRUE(to);
  EXPECT_EQ(to->protocol, protocol);
  EXPECT_EQ(to->flow, in->source.flow);
  std::string response = sip::MakeResponse(*in->message, 200)->Serialize();
  EXPECT_FALSE(node.Send(*to, response));
  bool text = false;
  EXPECT_EQ(ReadMessage(ws, &text), response);
  EXPECT_TRUE(text);

  // Two requests in one go: two messages, delivered one by one.
  ws.write(asio::buffer(Request(2, ProtocolName(protocol), "df7jal23ls0d.invalid")));
  ws.write(asio::buffer(Request(3, ProtocolName(protocol), "df7jal23ls0d.invalid")));
  auto second = node.inbox.Pop();
  auto third = node.inbox.Pop();
  ASSERT_TRUE(second && third);
  EXPECT_EQ(second->message->cseq()->number, 2u);
  EXPECT_EQ(third->message->cseq()->number, 3u);
}

TEST(WsTest, RequestsAndResponsesAreWebSocketMessages) {
  Node node(WsConfig(Protocol::kWs));
  ASSERT_TRUE(node.Start().ok());
  asio::io_context io;
  websocket::stream<tcp::socket> ws(io);
  ws.next_layer().connect(Endpoint(node.bound(Protocol::kWs)));
  EXPECT_EQ(Upgrade(ws, "sip"), "sip");
  RoundTrip(node, ws, Protocol::kWs);

  // A body that is not UTF-8 goes out in a binary message, byte for byte.
  ws.write(asio::buffer(Request(4, "WS", "df7jal23ls0d.invalid")));
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  std::string response = sip::MakeResponse(*in->message, 200)->Serialize();
  response.replace(response.find("Content-Length: 0"), 17, "Content-Length: 2");
  response += "\xff\xfe";
  EXPECT_FALSE(node.Send(*ResponseDestination(*in->message->top_via(), in->source), response));
  bool text = true;
  EXPECT_EQ(ReadMessage(ws, &text), response);
  EXPECT_FALSE(text);

  auto stats = node.transport().Stats()[Protocol::kWs];
  EXPECT_EQ(stats.messages_in, 4u);
  EXPECT_EQ(stats.messages_out, 2u);
  EXPECT_EQ(stats.connections_open, 1u);
}

TEST(WsTest, OfferingSipAmongOtherProtocolsIsAccepted) {
  Node node(WsConfig(Protocol::kWs));
  ASSERT_TRUE(node.Start().ok());
  asio::io_context io;
  websocket::stream<tcp::socket> ws(io);
  ws.next_layer().connect(Endpoint(node.bound(Protocol::kWs)));
  EXPECT_EQ(Upgrade(ws, "chat, SIP"), "sip");
}

// Without the "sip" subprotocol, or without an upgrade at all: 400 naming
// the fault, then the connection closes.
TEST(WsTest, HttpWithoutTheSipSubprotocolGets400) {
  Node node(WsConfig(Protocol::kWs));
  ASSERT_TRUE(node.Start().ok());
  SocketAddress server = node.bound(Protocol::kWs);
  const std::string no_sip =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: chat\r\n\r\n";
  const std::string plain = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (const auto& [request, reason] : {std::pair{no_sip, "Sec-WebSocket-Protocol must offer sip"},
                                        std::pair{plain, "upgrade to websocket"}}) {
    RawSocket client = RawSocket::Tcp(server);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Write(request));
    std::string got;
    EXPECT_TRUE(client.WaitClosed(kWait, &got));
    EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
    EXPECT_NE(got.find(reason), std::string::npos) << got;
  }
  EXPECT_EQ(node.inbox.size(), 0u);
  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kWs].connections_open == 0; }));
}

// The upgrade request is bounded: a header over 8 KiB, or any body, closes
// the connection at once (nothing is buffered for it).
TEST(WsTest, AnOversizedUpgradeRequestIsDropped) {
  Node node(WsConfig(Protocol::kWs));
  ASSERT_TRUE(node.Start().ok());
  for (const std::string& request :
       {"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + std::string(9000, 'a') + "\r\n\r\n",
        std::string("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n") + std::string(1000, 'b')}) {
    RawSocket client = RawSocket::Tcp(node.bound(Protocol::kWs));
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Write(request));
    std::string got;
    EXPECT_TRUE(client.WaitClosed(std::chrono::milliseconds(1000), &got)) << request.substr(0, 60);
    EXPECT_TRUE(got.empty()) << got;
  }
}

TEST(WsTest, SecureWebSocket) {
  std::string pattern = (fs::temp_directory_path() / "parley-wss-XXXXXX").string();
  std::string dir = ::mkdtemp(pattern.data());
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir, {"localhost", "127.0.0.1"}).ok());
  {
    Node node(WsConfig(Protocol::kWss, dir));
    ASSERT_TRUE(node.Start().ok());
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(dir + "/cert.pem");
    websocket::stream<asio::ssl::stream<tcp::socket>> wss(io, ctx);
    wss.next_layer().set_verify_mode(asio::ssl::verify_peer);
    wss.next_layer().set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    wss.next_layer().next_layer().connect(Endpoint(node.bound(Protocol::kWss)));
    wss.next_layer().handshake(asio::ssl::stream_base::client);
    EXPECT_EQ(Upgrade(wss, "sip"), "sip");
    RoundTrip(node, wss, Protocol::kWss);
  }
  fs::remove_all(dir);
}

// A WebSocket client can be reached only on its own connection: without
// one (or once it closed), sends fail instead of dialling out.
TEST(WsTest, NoConnectionNoSend) {
  Node node(WsConfig(Protocol::kWs));
  ASSERT_TRUE(node.Start().ok());
  EXPECT_EQ(node.Send({Protocol::kWs, Addr("127.0.0.1", 5062), 0, {}, {}}, "x"), std::errc::protocol_not_supported);

  FlowId flow = 0;
  {
    asio::io_context io;
    websocket::stream<tcp::socket> ws(io);
    ws.next_layer().connect(Endpoint(node.bound(Protocol::kWs)));
    Upgrade(ws, "sip");
    ws.write(asio::buffer(Request(1, "WS", "df7jal23ls0d.invalid")));
    auto in = node.inbox.Pop();
    ASSERT_TRUE(in);
    flow = in->source.flow;
    ws.close(websocket::close_code::normal);
  }
  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kWs].connections_open == 0; }));
  EXPECT_EQ(node.Send({Protocol::kWs, Addr("127.0.0.1", 5062), flow, {}, {}}, "x"), std::errc::not_connected);
}

}  // namespace
}  // namespace parley::transport::testing
