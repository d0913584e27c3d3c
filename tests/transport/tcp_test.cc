#include <gtest/gtest.h>

#include "sip/response.h"
#include "test_util.h"

namespace parley::transport::testing {
namespace {

TransportConfig TcpConfig(const char* ip = "127.0.0.1") {
  TransportConfig c;
  c.listen = {Listen(Protocol::kTcp, ip)};
  c.tls_verify = TlsVerify::kNone;
  return c;
}

TransportConfig ClientConfig() {
  TransportConfig c;
  c.tls_verify = TlsVerify::kNone;
  return c;
}

TEST(TcpTest, ManyMessagesInOneWriteAndAResponseOnTheFlow) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
  ASSERT_TRUE(client.connected());
  std::string batch;
  for (int i = 1; i <= 50; ++i) batch += Request(i, "TCP", "client.invalid", i % 2 ? "" : "body!");
  ASSERT_TRUE(client.Write(batch));

  std::optional<IncomingMessage> first;
  for (uint32_t i = 1; i <= 50; ++i) {
    auto in = node.inbox.Pop();
    ASSERT_TRUE(in) << "message " << i;
    EXPECT_EQ(in->message->cseq()->number, i);
    EXPECT_EQ(in->message->body(), i % 2 ? "" : "body!");
    EXPECT_EQ(in->source.protocol, Protocol::kTcp);
    EXPECT_EQ(in->source.remote, client.local());
    EXPECT_EQ(in->source.local, node.bound(Protocol::kTcp));
    EXPECT_NE(in->source.flow, 0u);
    EXPECT_EQ(in->message->top_via()->received(), "127.0.0.1");
    if (first) {
      EXPECT_EQ(in->source.flow, first->source.flow);
    } else {
      first = std::move(in);
    }
  }
  auto to = ResponseDestination(*first->message->top_via(), first->source);
  ASSERT_TRUE(to);
  EXPECT_EQ(to->flow, first->source.flow);
  std::string response = sip::MakeResponse(*first->message, 200)->Serialize();
  EXPECT_FALSE(node.Send(*to, response));
  EXPECT_EQ(client.ReadAtLeast(response.size()), response);

  auto stats = node.transport().Stats()[Protocol::kTcp];
  EXPECT_EQ(stats.messages_in, 50u);
  EXPECT_EQ(stats.messages_out, 1u);
  EXPECT_EQ(stats.bytes_in, batch.size());
  EXPECT_EQ(stats.connections_accepted, 1u);
  EXPECT_EQ(stats.connections_open, 1u);
}

TEST(TcpTest, MessageSplitByteByByte) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
  std::string message = Request(3, "TCP", "client.invalid", "split body");
  for (size_t i = 0; i < message.size(); ++i) {
    ASSERT_TRUE(client.Write(message.substr(i, 1)));
    if (i % 64 == 0) std::this_thread::sleep_for(1ms);  // let some bytes arrive alone
  }
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->message->cseq()->number, 3u);
  EXPECT_EQ(in->message->body(), "split body");
  EXPECT_EQ(node.inbox.size(), 0u);
}

TEST(TcpTest, KeepAlivePingGetsAPong) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
  ASSERT_TRUE(client.Write("\r\n\r\n"));
  EXPECT_EQ(client.Read(), "\r\n");  // RFC 5626 §3.5.1: a single CRLF
  // Still usable afterwards.
  ASSERT_TRUE(client.Write(Request(1, "TCP")));
  ASSERT_TRUE(node.inbox.Pop());
  auto stats = node.transport().Stats()[Protocol::kTcp];
  EXPECT_EQ(stats.keepalive_pings, 1u);
  EXPECT_EQ(stats.messages_out, 0u) << "a pong is not a message";
}

TEST(TcpTest, LostFramingGetsA400AndClose) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
  std::string bad = Request(1, "TCP");
  bad.replace(bad.find("Content-Length: 0"), 17, "Content-Length: -1");  // RFC 4475 ncl
  ASSERT_TRUE(client.Write(bad));
  std::string seen;
  EXPECT_TRUE(client.WaitClosed(kWait, &seen));
  EXPECT_EQ(seen.rfind("SIP/2.0 400 ", 0), 0u) << seen;
  EXPECT_NE(seen.find("CSeq: 1 OPTIONS"), std::string::npos) << seen;
  EXPECT_EQ(node.inbox.size(), 0u);
  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kTcp].connections_open == 0; }));
  EXPECT_EQ(node.transport().Stats()[Protocol::kTcp].parse_drops, 1u);
}

TEST(TcpTest, LostFramingWithoutAnAnswerableRequestJustCloses) {
  TransportConfig config = TcpConfig();
  config.limits.max_header_bytes = 1024;
  Node node(std::move(config));
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
  ASSERT_TRUE(client.Write(std::string(2000, 'a')));  // no header section end in sight
  std::string seen;
  EXPECT_TRUE(client.WaitClosed(kWait, &seen));
  EXPECT_EQ(seen, "");
}

TEST(TcpTest, IdleConnectionsAreClosed) {
  TransportConfig config = TcpConfig();
  config.idle_timeout = 150ms;
  Node node(std::move(config));
  ASSERT_TRUE(node.Start().ok());
  RawSocket idle = RawSocket::Tcp(node.bound(Protocol::kTcp));
  RawSocket busy = RawSocket::Tcp(node.bound(Protocol::kTcp));
  // Traffic every 50 ms keeps `busy` open well past the timeout.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(busy.Write("\r\n\r\n"));
    ASSERT_EQ(busy.Read(), "\r\n") << i;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(idle.WaitClosed(1s));
  EXPECT_TRUE(busy.WaitClosed(1s)) << "closed once traffic stops";
}

TEST(TcpTest, ConnectionsBeyondTheLimitAreRefused) {
  TransportConfig config = TcpConfig();
  config.max_connections = 2;
  Node node(std::move(config));
  ASSERT_TRUE(node.Start().ok());
  auto stats = [&] { return node.transport().Stats()[Protocol::kTcp]; };
  std::vector<RawSocket> clients;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(RawSocket::Tcp(node.bound(Protocol::kTcp)));
    ASSERT_TRUE(clients.back().Write(Request(i, "TCP")));
    ASSERT_TRUE(node.inbox.Pop());
  }
  RawSocket third = RawSocket::Tcp(node.bound(Protocol::kTcp));
  EXPECT_TRUE(third.WaitClosed());
  EXPECT_EQ(stats().connections_refused, 1u);
  EXPECT_EQ(stats().connections_open, 2u);

  clients.front().Close();  // frees a slot
  ASSERT_TRUE(WaitFor([&] { return stats().connections_open == 1; }));
  RawSocket fourth = RawSocket::Tcp(node.bound(Protocol::kTcp));
  ASSERT_TRUE(fourth.Write(Request(9, "TCP")));
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->message->cseq()->number, 9u);
}

TEST(TcpTest, OutboundSendsReuseOneConnectionAndDoneRunsOnTheCaller) {
  Node server(TcpConfig());
  ASSERT_TRUE(server.Start().ok());
  Node client(ClientConfig());
  ASSERT_TRUE(client.Start().ok());
  Destination to{Protocol::kTcp, server.bound(Protocol::kTcp), 0, {}, {}};

  // Send from each client loop in turn; the connection belongs to one of them.
  for (size_t l = 0; l < client.loops().size(); ++l) {
    std::promise<size_t> done_on;
    client.loops().loop(l).Post([&, l] {
      client.transport().Send(to, Request(static_cast<int>(l) + 1, "TCP"), [&](std::error_code ec) {
        EXPECT_FALSE(ec) << ec.message();
        done_on.set_value(runtime::LoopGroup::CurrentIndex());
      });
    });
    auto f = done_on.get_future();
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    EXPECT_EQ(f.get(), l);
  }
  auto a = server.inbox.Pop();
  auto b = server.inbox.Pop();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->source.flow, b->source.flow);
  EXPECT_EQ(a->source.remote, b->source.remote);
  EXPECT_EQ(client.transport().Stats()[Protocol::kTcp].connections_connected, 1u);
  EXPECT_EQ(server.transport().Stats()[Protocol::kTcp].connections_accepted, 1u);

  // The server answers on the flow; the client reads it on its connection.
  EXPECT_FALSE(
      server.Send({Protocol::kTcp, {}, a->source.flow, {}, {}}, sip::MakeResponse(*a->message, 200)->Serialize()));
  auto response = client.inbox.Pop();
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->message->is_response());
  EXPECT_EQ(response->source.remote, server.bound(Protocol::kTcp));
}

TEST(TcpTest, ConnectFailureIsReportedThroughDone) {
  uint16_t port;
  {
    RawSocket probe = RawSocket::TcpListen("127.0.0.1");
    port = probe.local().port();
  }  // closed: nothing listens there now
  Node client(ClientConfig());
  ASSERT_TRUE(client.Start().ok());
  EXPECT_EQ(client.Send({Protocol::kTcp, Addr("127.0.0.1", port), 0, {}, {}}, Request(1, "TCP")),
            std::errc::connection_refused);
  auto stats = client.transport().Stats()[Protocol::kTcp];
  EXPECT_EQ(stats.connections_failed, 1u);
  EXPECT_EQ(stats.connections_open, 0u);
}

TEST(TcpTest, ConnectTimeoutIsReportedThroughDone) {
  // A listener whose backlog is full leaves further SYNs unanswered.
  RawSocket full = RawSocket::TcpListen("127.0.0.1");
  ::listen(full.fd(), 0);
  std::vector<RawSocket> fillers;
  for (int i = 0; i < 4; ++i) fillers.push_back(RawSocket::TcpNonBlocking(full.local()));
  std::this_thread::sleep_for(20ms);
  TransportConfig config = ClientConfig();
  config.connect_timeout = 200ms;
  Node client(std::move(config));
  ASSERT_TRUE(client.Start().ok());
  auto ec = client.Send({Protocol::kTcp, full.local(), 0, {}, {}}, Request(1, "TCP"));
  if (!ec) GTEST_SKIP() << "the kernel accepted the connection anyway";
  EXPECT_EQ(ec, std::errc::timed_out);
}

TEST(TcpTest, GoneFlowFallsBackToANewConnectionToTheAddress) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  FlowId flow;
  {
    RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
    ASSERT_TRUE(client.Write(Request(1, "TCP")));
    auto in = node.inbox.Pop();
    ASSERT_TRUE(in);
    flow = in->source.flow;
  }
  ASSERT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kTcp].connections_open == 0; }));

  // No address: nothing to fall back to.
  EXPECT_EQ(node.Send({Protocol::kTcp, {}, flow, {}, {}}, "x"), std::errc::not_connected);
  // With an address (§18.2.2): a new connection to it.
  RawSocket listener = RawSocket::TcpListen("127.0.0.1");
  EXPECT_FALSE(node.Send({Protocol::kTcp, listener.local(), flow, {}, {}}, "SIP/2.0 200 OK\r\n\r\n"));
  RawSocket accepted = listener.Accept();
  ASSERT_TRUE(accepted.connected());
  EXPECT_EQ(accepted.Read(), "SIP/2.0 200 OK\r\n\r\n");
}

// RFC 5626 §5.3: an outbound UA's flow is that connection or nothing: when
// it has gone, or was never known here (a binding restored after a
// restart: flow 0), the send fails and nobody is connected to.
TEST(TcpTest, AGoneOutboundFlowIsNeverReplacedByANewConnection) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  FlowId flow;
  {
    RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
    ASSERT_TRUE(client.Write(Request(1, "TCP")));
    auto in = node.inbox.Pop();
    ASSERT_TRUE(in);
    flow = in->source.flow;
    // While it is open, it is used.
    Destination open{Protocol::kTcp, in->source.remote, flow, {}, {}};
    open.flow_only = true;
    EXPECT_FALSE(node.Send(open, "SIP/2.0 200 OK\r\n\r\n"));
    EXPECT_EQ(client.Read(), "SIP/2.0 200 OK\r\n\r\n");
  }
  ASSERT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kTcp].connections_open == 0; }));
  RawSocket listener = RawSocket::TcpListen("127.0.0.1");
  Destination gone{Protocol::kTcp, listener.local(), flow, {}, {}};
  gone.flow_only = true;
  EXPECT_EQ(node.Send(gone, "x"), std::errc::not_connected);
  Destination restored{Protocol::kTcp, listener.local(), 0, {}, {}};
  restored.flow_only = true;
  EXPECT_EQ(node.Send(restored, "x"), std::errc::not_connected);
  EXPECT_EQ(node.transport().Stats()[Protocol::kTcp].connections_open, 0u);
}

TEST(TcpTest, Ipv6) {
  Node node(TcpConfig("::1"));
  auto started = node.Start();
  if (!started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started.error().message;
  SocketAddress server = node.bound(Protocol::kTcp, true);
  RawSocket client = RawSocket::Tcp(server);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Write(Request(1, "TCP", "[::1]:5070", "", "")));
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_TRUE(in->source.remote.is_v6());
  EXPECT_EQ(in->message->top_via()->received(), std::nullopt) << "host matches, no rport";
  auto to = ResponseDestination(*in->message->top_via(), in->source);
  ASSERT_TRUE(to);
  EXPECT_EQ(node.transport().ViaSentBy(*to), "[::1]:" + std::to_string(server.port()));
  std::string response = sip::MakeResponse(*in->message, 200)->Serialize();
  EXPECT_FALSE(node.Send(*to, response));
  EXPECT_EQ(client.ReadAtLeast(response.size()), response);
}

TEST(TcpTest, StopClosesConnectionsAndFailsLaterSends) {
  Node node(TcpConfig());
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Tcp(node.bound(Protocol::kTcp));
  ASSERT_TRUE(client.Write(Request(1, "TCP")));
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  node.transport().Stop();
  EXPECT_TRUE(client.WaitClosed());
  EXPECT_EQ(node.Send({Protocol::kTcp, {}, in->source.flow, {}, {}}, "x"), std::errc::operation_canceled);
  node.transport().Stop();  // idempotent
}

}  // namespace
}  // namespace parley::transport::testing
