#include <gtest/gtest.h>

#include "sip/test_util.h"
#include "transport/address.h"
#include "transport/types.h"

namespace parley::transport {
namespace {

using sip::testing::Conformance;
using sip::testing::Crlf;
using sip::testing::Parse;

TEST(SocketAddressTest, ParsesAndFormatsBothFamilies) {
  auto v4 = SocketAddress::ParseHostPort("192.0.2.1:5080");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->is_v6());
  EXPECT_EQ(v4->port(), 5080);
  EXPECT_EQ(v4->ToString(), "192.0.2.1:5080");
  // Every octet width, formatted without inet_ntop.
  for (const char* ip : {"0.0.0.0", "9.10.99.100", "255.255.255.255", "127.0.0.1", "10.200.3.45"}) {
    EXPECT_EQ(SocketAddress::Parse(ip, 1)->ip(), ip);
  }
  EXPECT_EQ(SocketAddress().ip(), "");

  auto v6 = SocketAddress::ParseHostPort("[2001:db8::1]:5061");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->ip(), "2001:db8::1");
  EXPECT_EQ(v6->HostForUri(), "[2001:db8::1]");
  EXPECT_EQ(v6->ToString(), "[2001:db8::1]:5061");

  EXPECT_EQ(SocketAddress::ParseHostPort("::1")->ToString(), "[::1]:5060") << "bare IPv6, default port";
  EXPECT_FALSE(SocketAddress::ParseHostPort("example.com:5060")) << "names are not addresses";
  EXPECT_FALSE(SocketAddress::ParseHostPort("[::1]:99999"));
  // Same address, different spelling.
  EXPECT_EQ(*SocketAddress::Parse("0:0::1", 1), *SocketAddress::Parse("[::1]", 1));
  EXPECT_EQ(SocketAddress::Parse("0:0::1", 1)->Hash(), SocketAddress::Parse("::1", 1)->Hash());
  EXPECT_NE(*SocketAddress::Parse("::1", 1), *SocketAddress::Parse("::1", 2));
}

TEST(SocketAddressTest, Unroutable) {
  for (const char* ip : {"255.255.255.255", "224.0.0.1", "239.1.2.3", "0.0.0.0", "::", "ff02::1"}) {
    EXPECT_TRUE(SocketAddress::Parse(ip, 5060)->IsUnroutable()) << ip;
  }
  EXPECT_TRUE(SocketAddress::Parse("192.0.2.1", 0)->IsUnroutable()) << "port 0";
  EXPECT_TRUE(SocketAddress().IsUnroutable()) << "invalid";
  EXPECT_FALSE(SocketAddress::Parse("192.0.2.1", 5060)->IsUnroutable());
  EXPECT_FALSE(SocketAddress::Parse("::1", 5060)->IsUnroutable());
  EXPECT_TRUE(SocketAddress::Parse("::1", 5060)->IsLoopback());
  EXPECT_TRUE(SocketAddress::Parse("127.1.2.3", 5060)->IsLoopback());
}

// The top Via of `via_line` (a full "Via: ..." field value).
struct ViaFixture {
  explicit ViaFixture(const std::string& via_value)
      : message(Parse(Crlf("OPTIONS sip:a@b SIP/2.0\nVia: " + via_value +
                           "\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: x\nCSeq: 1 OPTIONS\n"
                           "Content-Length: 0\n\n"))) {}
  const sip::Via& via() const { return *message->top_via(); }
  sip::MessagePtr message;
};

Source UdpFrom(const char* ip, uint16_t port) { return Source{Protocol::kUdp, *SocketAddress::Parse(ip, port), {}, 0}; }

TEST(ResponseDestinationTest, UdpWithReceivedGoesToReceivedAndSentByPort) {
  ViaFixture f("SIP/2.0/UDP client.example.com:5070;branch=z9hG4bK1;received=192.0.2.7");
  auto d = ResponseDestination(f.via(), UdpFrom("192.0.2.7", 40000));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->protocol, Protocol::kUdp);
  EXPECT_EQ(d->address.ToString(), "192.0.2.7:5070");
  EXPECT_EQ(d->flow, 0u);
}

TEST(ResponseDestinationTest, UdpWithRportGoesToSourcePort) {
  // RFC 3581 §4: received IP, rport port.
  ViaFixture stamped("SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;rport=9988;branch=z9hG4bK1");
  auto d = ResponseDestination(stamped.via(), UdpFrom("192.0.2.1", 9988));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address.ToString(), "192.0.2.1:9988");
  // An rport that was never filled in: the source port.
  ViaFixture empty("SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bK1");
  d = ResponseDestination(empty.via(), UdpFrom("192.0.2.1", 7777));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address.ToString(), "192.0.2.1:7777");
}

TEST(ResponseDestinationTest, UdpWithoutReceivedUsesSentBy) {
  ViaFixture f("SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1");
  auto d = ResponseDestination(f.via(), UdpFrom("192.0.2.9", 33333));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address.ToString(), "192.0.2.9:5060") << "default port";
  ViaFixture v6("SIP/2.0/UDP [2001:db8::9]:5090;branch=z9hG4bK1");
  d = ResponseDestination(v6.via(), UdpFrom("2001:db8::9", 33333));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address.ToString(), "[2001:db8::9]:5090");
}

TEST(ResponseDestinationTest, Maddr) {
  ViaFixture f("SIP/2.0/UDP 192.0.2.9:5070;maddr=192.0.2.200;branch=z9hG4bK1");
  auto d = ResponseDestination(f.via(), UdpFrom("192.0.2.9", 5070));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->address.ToString(), "192.0.2.200:5070");
  // A multicast maddr is not something this server sends to.
  ViaFixture mc("SIP/2.0/UDP 192.0.2.9:5070;maddr=239.255.255.1;branch=z9hG4bK1");
  EXPECT_FALSE(ResponseDestination(mc.via(), UdpFrom("192.0.2.9", 5070)));
}

TEST(ResponseDestinationTest, ReliableReusesTheFlowWithAFallbackAddress) {
  ViaFixture f("SIP/2.0/TCP client.example.com:5070;branch=z9hG4bK1;received=192.0.2.7");
  Source s{Protocol::kTcp, *SocketAddress::Parse("192.0.2.7", 49152), *SocketAddress::Parse("192.0.2.1", 5060), 42};
  auto d = ResponseDestination(f.via(), s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->protocol, Protocol::kTcp);
  EXPECT_EQ(d->flow, 42u);
  // §18.2.2: if the connection has gone, the received IP and sent-by port.
  EXPECT_EQ(d->address.ToString(), "192.0.2.7:5070");

  ViaFixture tls("SIP/2.0/TLS client.example.com;branch=z9hG4bK1;received=192.0.2.7");
  s.protocol = Protocol::kTls;
  d = ResponseDestination(tls.via(), s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->protocol, Protocol::kTls);
  EXPECT_EQ(d->address.ToString(), "192.0.2.7:5061") << "TLS default port";
}

TEST(ResponseDestinationTest, BroadcastViaIsRefused) {
  // RFC 4475 §3.3.10: after the top Via is removed, the next one names
  // 255.255.255.255; the response must not be sent there.
  auto m = Parse(Conformance("rfc4475/bcast.dat"));
  ASSERT_TRUE(m);
  ASSERT_EQ(m->vias().size(), 2u);
  EXPECT_FALSE(ResponseDestination(m->vias()[1], UdpFrom("192.0.2.198", 5060)));
  ViaFixture port0("SIP/2.0/UDP 192.0.2.9:0;branch=z9hG4bK1");
  EXPECT_FALSE(ResponseDestination(port0.via(), UdpFrom("192.0.2.9", 5060)));
}

TEST(ProtocolTest, NamesRoundTrip) {
  for (Protocol p : {Protocol::kUdp, Protocol::kTcp, Protocol::kTls, Protocol::kWs, Protocol::kWss}) {
    EXPECT_EQ(ParseProtocol(ProtocolName(p)), p);
  }
  EXPECT_EQ(ParseProtocol("tls"), Protocol::kTls);
  EXPECT_FALSE(ParseProtocol("sctp"));
}

}  // namespace
}  // namespace parley::transport
