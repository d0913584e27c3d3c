#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <vector>

#include <netinet/in.h>

#include <cstring>

#include "sip/response.h"
#include "stun/message.h"
#include "test_util.h"

namespace parley::transport::testing {
namespace {

TransportConfig UdpConfig(std::vector<ListenPoint> listen) {
  TransportConfig c;
  c.listen = std::move(listen);
  c.tls_verify = TlsVerify::kNone;
  return c;
}

// A request from a plain UDP socket reaches the handler with its Source and
// the Via stamped; the response goes back where ResponseDestination says.
void RoundTrip(bool v6) {
  const char* ip = v6 ? "::1" : "127.0.0.1";
  Node node(UdpConfig({Listen(Protocol::kUdp, ip)}));
  auto started = node.Start();
  if (v6 && !started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started.error().message;
  ASSERT_TRUE(started.ok()) << started.error().message;
  SocketAddress server = node.bound(Protocol::kUdp, v6);
  ASSERT_NE(server.port(), 0);

  RawSocket client = RawSocket::Udp(v6);
  ASSERT_TRUE(client.SendTo(server, Request(1, "UDP", "client.invalid:5070")));
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->source.protocol, Protocol::kUdp);
  EXPECT_EQ(in->source.remote, client.local());
  EXPECT_EQ(in->source.local, server);
  EXPECT_EQ(in->source.flow, 0u);
  ASSERT_TRUE(in->message->is_request());
  const sip::Via* via = in->message->top_via();
  ASSERT_NE(via, nullptr);
  EXPECT_EQ(via->received(), client.local().ip());
  EXPECT_EQ(via->rport(), std::to_string(client.local().port()));

  auto to = ResponseDestination(*via, in->source);
  ASSERT_TRUE(to);
  EXPECT_EQ(to->address, client.local());
  EXPECT_EQ(node.transport().ViaSentBy(*to), server.HostForUri() + ":" + std::to_string(server.port()));
  auto response = sip::MakeResponse(*in->message, 200);
  EXPECT_FALSE(node.Send(*to, response->Serialize()));

  SocketAddress from;
  auto got = client.Read(kWait, &from);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->rfind("SIP/2.0 200 OK\r\n", 0), 0u) << *got;
  EXPECT_EQ(from, server) << "sent from the listening socket";

  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kUdp].messages_out == 1; }));
  auto stats = node.transport().Stats()[Protocol::kUdp];
  EXPECT_EQ(stats.messages_in, 1u);
  EXPECT_EQ(stats.messages_out, 1u);
  EXPECT_GT(stats.bytes_in, 0u);
  EXPECT_EQ(stats.bytes_out, got->size());
}

TEST(UdpTest, RoundTripIpv4) { RoundTrip(false); }
TEST(UdpTest, RoundTripIpv6) { RoundTrip(true); }

TEST(UdpTest, DatagramsThatAreNotSipAreDroppedAndCounted) {
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  SocketAddress server = node.bound(Protocol::kUdp);
  RawSocket client = RawSocket::Udp();
  client.SendTo(server, "\r\n\r\n");                                            // keep-alive
  client.SendTo(server, std::string("\x00\x01\x00\x00\x21\x12\xa4\x42", 8));  // STUN header
  client.SendTo(server, "\r\n");
  client.SendTo(server, Request(7));  // same socket on the server: read after the others
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  ASSERT_NE(in->message->cseq(), nullptr) << in->message->start_line();
  EXPECT_EQ(in->message->cseq()->number, 7u);
  EXPECT_EQ(node.inbox.size(), 0u);
  EXPECT_EQ(node.transport().Stats()[Protocol::kUdp].parse_drops, 3u);
}

// RFC 5626 §4.4.2: a Binding request on the SIP port is a keep-alive; the
// answer carries the address it came from. Not handed to the SIP layers.
void StunKeepAlive(bool v6) {
  const char* ip = v6 ? "::1" : "127.0.0.1";
  Node node(UdpConfig({Listen(Protocol::kUdp, ip)}));
  auto started = node.Start();
  if (v6 && !started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started.error().message;
  ASSERT_TRUE(started.ok()) << started.error().message;
  SocketAddress server = node.bound(Protocol::kUdp, v6);
  RawSocket client = RawSocket::Udp(v6);
  const std::string tid = "0123456789ab";
  ASSERT_TRUE(client.SendTo(server, stun::BindingRequest(tid, /*fingerprint=*/true)));
  SocketAddress from;
  auto got = client.Read(kWait, &from);
  ASSERT_TRUE(got);
  EXPECT_EQ(from, server);
  auto answer = stun::Parse(*got);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->cls, stun::Class::kSuccess);
  EXPECT_EQ(answer->transaction_id, tid);
  EXPECT_TRUE(answer->fingerprint);
  const stun::Attribute* xor_mapped = answer->Find(stun::attr::kXorMappedAddress);
  ASSERT_NE(xor_mapped, nullptr);
  auto mapped = stun::DecodeAddress(*xor_mapped, answer->transaction_id);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->v6, v6);
  EXPECT_EQ(mapped->port, client.local().port());
  auto mapped_ip = SocketAddress::Parse(client.local().ip(), mapped->port);
  ASSERT_TRUE(mapped_ip);
  const auto* sa = mapped_ip->sockaddr_ptr();
  const void* raw = v6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr)
                       : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr);
  EXPECT_EQ(std::memcmp(mapped->ip.data(), raw, v6 ? 16 : 4), 0);

  // The loop counts the answer after sending it: the client may read it first.
  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kUdp].stun_answers == 1; }));
  auto stats = node.transport().Stats()[Protocol::kUdp];
  EXPECT_EQ(stats.stun_answers, 1u);
  EXPECT_EQ(stats.messages_in, 0u);
  EXPECT_EQ(stats.messages_out, 0u) << "STUN is not counted as SIP";
  EXPECT_EQ(stats.bytes_out, got->size());
  EXPECT_EQ(stats.parse_drops, 0u);
  EXPECT_EQ(node.inbox.size(), 0u);
}

TEST(UdpTest, StunBindingRequestsAreAnsweredWithTheirSourceIpv4) { StunKeepAlive(false); }
TEST(UdpTest, StunBindingRequestsAreAnsweredWithTheirSourceIpv6) { StunKeepAlive(true); }

TEST(UdpTest, StunThatIsBrokenOrNotARequestOrTurnedOffIsDropped) {
  for (bool answer_stun : {true, false}) {
    auto config = UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")});
    config.answer_stun = answer_stun;
    Node node(std::move(config));
    ASSERT_TRUE(node.Start().ok());
    SocketAddress server = node.bound(Protocol::kUdp);
    RawSocket client = RawSocket::Udp();
    std::string bad_fingerprint = stun::BindingRequest("0123456789ab", true);
    bad_fingerprint.back() ^= 1;
    std::string indication = stun::BindingRequest("0123456789ab", false);
    indication[1] = 0x11;
    client.SendTo(server, bad_fingerprint);
    client.SendTo(server, indication);
    client.SendTo(server, stun::BindingRequest("0123456789ab", false));
    client.SendTo(server, Request(3));  // read after the others
    ASSERT_TRUE(node.inbox.Pop());
    auto stats = node.transport().Stats()[Protocol::kUdp];
    EXPECT_EQ(stats.stun_answers, answer_stun ? 1u : 0u);
    EXPECT_EQ(stats.parse_drops, answer_stun ? 2u : 3u);
    auto got = client.Read(answer_stun ? kWait : std::chrono::milliseconds(200));
    EXPECT_EQ(got.has_value(), answer_stun);
    if (got) {
      EXPECT_EQ(stun::Parse(*got)->cls, stun::Class::kSuccess);
    }
  }
}

TEST(UdpTest, MalformedSipIsDeliveredWithItsParseError) {
  // Answering it (400) is the validation layer's job, not the transport's.
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Udp();
  std::string bad = Request(1);
  bad.replace(bad.find("Content-Length: 0"), 17, "Content-Length: 99");
  client.SendTo(node.bound(Protocol::kUdp), bad);
  auto in = node.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->message->parse_error().status, 400);
}

TEST(UdpTest, UnroutableDestinationsAreRefused) {
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  for (const char* ip : {"255.255.255.255", "224.0.0.1", "0.0.0.0"}) {
    EXPECT_EQ(node.Send({Protocol::kUdp, Addr(ip, 5060), 0, {}, {}}, "x"), std::errc::address_not_available) << ip;
  }
  EXPECT_EQ(node.Send({Protocol::kUdp, Addr("127.0.0.1", 0), 0, {}, {}}, "x"), std::errc::address_not_available);
  EXPECT_EQ(node.Send({Protocol::kTcp, Addr("255.255.255.255", 5060), 0, {}, {}}, "x"), std::errc::address_not_available);
  // No IPv6 UDP socket to send from.
  EXPECT_EQ(node.Send({Protocol::kUdp, Addr("::1", 5060), 0, {}, {}}, "x"), std::errc::address_family_not_supported);
}

// Datagrams that queued while the loops were busy are read several at a
// time (recvmmsg): each keeps its own bytes and source.
TEST(UdpTest, DatagramsReadInABatchKeepTheirOwnBytesAndSources) {
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  const SocketAddress server = node.bound(Protocol::kUdp);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (size_t i = 0; i < node.loops().size(); ++i) node.loops().loop(i).Post([released] { released.wait(); });
  std::vector<RawSocket> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(RawSocket::Udp());
  constexpr int kPerClient = 15;  // two batches and a bit per client
  for (int n = 0; n < kPerClient; ++n) {
    for (size_t c = 0; c < clients.size(); ++c) {
      ASSERT_TRUE(clients[c].SendTo(server, Request(static_cast<int>(c * 100 + n) + 1)));
      if (n == 5) {
        ASSERT_TRUE(clients[c].SendTo(server, "\r\n\r\n"));  // a keep-alive among them
      }
    }
  }
  release.set_value();
  std::map<uint32_t, SocketAddress> got;
  for (size_t i = 0; i < clients.size() * kPerClient; ++i) {
    auto in = node.inbox.Pop();
    ASSERT_TRUE(in);
    ASSERT_NE(in->message->cseq(), nullptr);
    const uint32_t cseq = in->message->cseq()->number;
    EXPECT_TRUE(got.emplace(cseq, in->source.remote).second) << "twice: " << cseq;
    const sip::Via* via = in->message->top_via();
    ASSERT_NE(via, nullptr);
    EXPECT_EQ(via->rport(), std::to_string(in->source.remote.port())) << cseq;
  }
  for (size_t c = 0; c < clients.size(); ++c) {
    for (int n = 0; n < kPerClient; ++n) {
      auto it = got.find(static_cast<uint32_t>(c * 100 + n) + 1);
      ASSERT_NE(it, got.end()) << c << " " << n;
      EXPECT_EQ(it->second, clients[c].local());
    }
  }
  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kUdp].parse_drops == clients.size(); }));
  EXPECT_EQ(node.inbox.size(), 0u);
}

TEST(UdpTest, OversizedDatagramsAreRefused) {
  auto config = UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")});
  config.udp_max_datagram = 100;
  Node node(std::move(config));
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Udp();
  EXPECT_EQ(node.Send({Protocol::kUdp, client.local(), 0, {}, {}}, std::string(101, 'x')), std::errc::message_size);
  client.SendTo(node.bound(Protocol::kUdp), Request(1));  // well over 100 bytes
  EXPECT_TRUE(WaitFor([&] { return node.transport().Stats()[Protocol::kUdp].parse_drops == 1; }));
  EXPECT_EQ(node.inbox.size(), 0u);
}

TEST(UdpTest, DoneRunsOnTheLoopThatCalledSend) {
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Udp();
  for (size_t l = 0; l < node.loops().size(); ++l) {
    std::promise<bool> on_caller;
    runtime::Loop& loop = node.loops().loop(l);
    loop.Post([&] {
      auto inside_send = std::make_shared<bool>(true);
      node.transport().Send({Protocol::kUdp, client.local(), 0, {}, {}}, "hello",
                            [&on_caller, inside_send, l](std::error_code ec) {
                              EXPECT_FALSE(ec);
                              EXPECT_FALSE(*inside_send) << "Done must not run inside Send";
                              on_caller.set_value(runtime::LoopGroup::CurrentIndex() == l);
                            });
      *inside_send = false;
    });
    auto f = on_caller.get_future();
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(f.get());
    EXPECT_EQ(client.Read(), "hello");
  }
}

TEST(UdpTest, SendReportingErrorsIsSilentOnSuccessAndReportsFailures) {
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  RawSocket client = RawSocket::Udp();
  std::promise<std::error_code> failed;
  auto calls = std::make_shared<std::atomic<int>>(0);
  node.loops().loop(0).Post([&] {
    node.transport().SendReportingErrors({Protocol::kUdp, client.local(), 0, {}, {}}, "hello",
                                         [calls](std::error_code) { ++*calls; });
    auto inside_send = std::make_shared<bool>(true);
    node.transport().SendReportingErrors({Protocol::kUdp, Addr("224.0.0.1", 5060), 0, {}, {}}, "x",
                                         [&failed, inside_send](std::error_code ec) {
                                           EXPECT_FALSE(*inside_send) << "must not run inside Send";
                                           failed.set_value(ec);
                                         });
    *inside_send = false;
  });
  auto f = failed.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(f.get(), std::errc::address_not_available);
  EXPECT_EQ(client.Read(), "hello");
  // Anything the success had scheduled would have run before the failure's
  // report, which was posted after it.
  EXPECT_EQ(calls->load(), 0);
}

TEST(UdpTest, StartNamesTheListenPointThatFailed) {
  RawSocket squatter = RawSocket::Udp();  // bound without SO_REUSEPORT
  SocketAddress taken = squatter.local();
  auto config = UdpConfig({Listen(Protocol::kUdp, "127.0.0.1"), ListenPoint{Protocol::kUdp, taken, {}, 0}});
  Node node(std::move(config));
  auto r = node.Start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, EADDRINUSE);
  EXPECT_NE(r.error().message.find("UDP " + taken.ToString()), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("bind"), std::string::npos) << r.error().message;
}

// Several UDP listen points: a response leaves from the one its request
// arrived on (RFC 3261 §18.2.2, RFC 3581 §4: a peer may only accept it from
// there — sipsak, a NAT), and so does a request to a Destination naming it.
TEST(UdpTest, AnswersLeaveFromTheListenPointTheRequestArrivedOn) {
  Node node(UdpConfig({Listen(Protocol::kUdp, "127.0.0.1"), Listen(Protocol::kUdp, "127.0.0.1")}));
  ASSERT_TRUE(node.Start().ok());
  auto bound = node.transport().bound();
  ASSERT_EQ(bound.size(), 2u);
  for (size_t i : {1u, 0u}) {
    const SocketAddress server = bound[i].address;
    RawSocket client = RawSocket::Udp(false);
    ASSERT_TRUE(client.SendTo(server, Request(1, "UDP", "client.invalid:5070")));
    auto in = node.inbox.Pop();
    ASSERT_TRUE(in);
    EXPECT_EQ(in->source.local, server);
    auto to = ResponseDestination(*in->message->top_via(), in->source);
    ASSERT_TRUE(to);
    EXPECT_EQ(to->local, server);
    EXPECT_EQ(node.transport().ViaSentBy(*to), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_FALSE(node.Send(*to, sip::MakeResponse(*in->message, 200)->Serialize()));
    SocketAddress from;
    ASSERT_TRUE(client.Read(kWait, &from));
    EXPECT_EQ(from, server) << "listen point " << i;
    // Without a local address: the first that fits.
    Destination plain = *to;
    plain.local = SocketAddress();
    EXPECT_FALSE(node.Send(plain, "ping"));
    ASSERT_TRUE(client.Read(kWait, &from));
    EXPECT_EQ(from, bound[0].address);
  }
}

// The listen point asked for is used only when it can reach the destination.
TEST(UdpTest, ALocalAddressThatCannotReachTheDestinationIsIgnored) {
  TransportConfig config = UdpConfig({Listen(Protocol::kUdp, "127.0.0.1"), Listen(Protocol::kUdp, "127.0.0.1"),
                                      ListenPoint{Protocol::kUdp, Addr("0.0.0.0"), "sip.example.com", 5080}});
  Node node(std::move(config));
  ASSERT_TRUE(node.Start().ok());
  auto bound = node.transport().bound();
  ASSERT_EQ(bound.size(), 3u);
  auto sent_by = [&](const char* to, const SocketAddress& local) {
    Destination d{Protocol::kUdp, Addr(to, 5060), 0, {}, local};
    return node.transport().ViaSentBy(d);
  };
  const std::string second = "127.0.0.1:" + std::to_string(bound[1].address.port());
  EXPECT_EQ(sent_by("127.0.0.1", bound[1].address), second);
  // A loopback bind cannot reach another host, and no IPv4 socket an IPv6 one.
  EXPECT_EQ(sent_by("192.0.2.1", bound[1].address), "sip.example.com:5080");
  EXPECT_EQ(sent_by("::1", bound[1].address), "");
  // A wildcard bind reaches both kinds.
  EXPECT_EQ(sent_by("127.0.0.1", bound[2].address), "sip.example.com:5080");
  // An address that is none of ours: the usual choice.
  EXPECT_EQ(sent_by("127.0.0.1", Addr("127.0.0.2", 9)), "127.0.0.1:" + std::to_string(bound[0].address.port()));
}

TEST(UdpTest, ViaSentByFollowsProtocolFamilyAndAdvertisedHost) {
  TransportConfig config = UdpConfig({Listen(Protocol::kUdp, "127.0.0.1"), Listen(Protocol::kTcp, "127.0.0.1"),
                                      ListenPoint{Protocol::kUdp, Addr("0.0.0.0"), "sip.example.com", 5080}});
  Node node(std::move(config));
  ASSERT_TRUE(node.Start().ok());
  auto bound = node.transport().bound();
  ASSERT_EQ(bound.size(), 3u);
  EXPECT_EQ(node.transport().ViaSentBy({Protocol::kUdp, Addr("127.0.0.1", 5060), 0, {}, {}}),
            "127.0.0.1:" + std::to_string(bound[0].address.port()));
  EXPECT_EQ(node.transport().ViaSentBy({Protocol::kTcp, Addr("127.0.0.1", 5060), 0, {}, {}}),
            "127.0.0.1:" + std::to_string(bound[1].address.port()));
  // Another host: the wildcard bind, with its advertised name and port.
  EXPECT_EQ(node.transport().ViaSentBy({Protocol::kUdp, Addr("192.0.2.1", 5060), 0, {}, {}}), "sip.example.com:5080");
  EXPECT_EQ(node.transport().ViaSentBy({Protocol::kUdp, Addr("::1", 5060), 0, {}, {}}), "") << "no IPv6 listen point";
  EXPECT_EQ(node.transport().ViaSentBy({Protocol::kTls, Addr("127.0.0.1", 5061), 0, {}, {}}), "");
}

}  // namespace
}  // namespace parley::transport::testing
