// A browser-style UA over WebSocket (RFC 7118) against parleyd: it
// registers with digest auth from a Contact in ".invalid" (it has no address
// of its own) and is reached on its WebSocket connection.

#include <gtest/gtest.h>

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "server_fixture.h"

namespace parley::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

class WsE2E : public ServerFixture {
 protected:
  void Configure(ServerConfig& c) override { c.listen.push_back(*ListenSpec::Parse("ws:127.0.0.1:0")); }

  uint16_t WsPort() {
    for (const auto& b : server_->bound()) {
      if (b.protocol == transport::Protocol::kWs) return b.address.port();
    }
    return 0;
  }
};

// A SIP message in, then the next message out; timeouts fail the read.
class WsUa {
 public:
  explicit WsUa(uint16_t port) : ws_(io_) {
    ws_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::request_type& r) { r.set(beast::http::field::sec_websocket_protocol, "sip"); }));
    ws_.handshake("127.0.0.1", "/");
    timeval tv{3, 0};
    ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  void Send(const std::string& text) { ws_.write(asio::buffer(testing::ToCrlf(text))); }
  sip::MessagePtr Receive() {
    beast::flat_buffer b;
    beast::error_code ec;
    ws_.read(b, ec);
    if (ec) return nullptr;
    return sip::ParseDatagram(beast::buffers_to_string(b.data()), sip::ParserLimits());
  }
  void Reply(const sip::Message& request, int status) { ws_.write(asio::buffer(sip::MakeResponse(request, status, "", "ws1")->Serialize())); }

 private:
  asio::io_context io_;
  websocket::stream<asio::ip::tcp::socket> ws_;
};

std::string WsRequest(const std::string& method, const std::string& ruri, int cseq, const std::string& extra,
                      const std::string& call_id) {
  return method + " " + ruri + " SIP/2.0\n" +
         "Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK" + sip::RandomToken(6) + "\n" +
         "Max-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:bob@example.com>;tag=ws" + call_id + "\n" +
         "Call-ID: " + call_id + "\nCSeq: " + std::to_string(cseq) + " " + method + "\n" + extra +
         "Content-Length: 0\n\n";
}

TEST_F(WsE2E, AWebSocketUaRegistersAndReceivesAMessage) {
  ASSERT_NE(WsPort(), 0);
  WsUa bob(WsPort());
  const std::string contact =
      "Contact: <sip:bob-ws@df7jal23ls0d.invalid;transport=ws>;expires=600\nSupported: path, outbound\n";
  bob.Send(WsRequest("REGISTER", "sip:example.com", 1, contact, "ws-reg"));
  auto challenge = bob.Receive();
  ASSERT_TRUE(challenge);
  ASSERT_EQ(challenge->status(), 401);
  std::string auth = testing::AnswerChallenge(*challenge, "REGISTER", "sip:example.com", "bob", "bob-pw");
  bob.Send(WsRequest("REGISTER", "sip:example.com", 2, contact + "Authorization: " + auth + "\n", "ws-reg"));
  auto ok = bob.Receive();
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  ASSERT_EQ(ok->contacts().size(), 1u);

  // alice over UDP: parleyd relays to bob's only way in, his WebSocket.
  SipClient alice(false, udp_);
  sip::MessagePtr relayed;
  std::thread ua([&] {
    relayed = bob.Receive();
    if (relayed && relayed->method() == sip::Method::kMessage) bob.Reply(*relayed, 200);
  });
  auto answer = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "hello over websocket");
  ua.join();
  ASSERT_TRUE(relayed);
  EXPECT_EQ(relayed->method(), sip::Method::kMessage);
  EXPECT_EQ(relayed->body(), "hello over websocket");
  EXPECT_EQ(relayed->request_uri()->host, "df7jal23ls0d.invalid");
  EXPECT_EQ(relayed->top_via()->transport, "WS");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status(), 200);

  // The WebSocket transport's counters are on /metrics with the others.
  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_transport_connections_open{proto=\"ws\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\nparley_transport_messages_total{proto=\"ws\",dir=\"in\"} 3\n"), std::string::npos) << m;
}

}  // namespace
}  // namespace parley::server
