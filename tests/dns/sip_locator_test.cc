// RFC 3263 §4 server location against a DNS server of the test's own:
// NAPTR → SRV → A/AAAA, the shortcuts a port, a transport parameter or a
// numeric host take, sips, failures, and the cache.

#include "dns/sip_locator.h"

#include <gtest/gtest.h>

#include <future>

#include "dns/fake_dns_server.h"
#include "runtime/loop_group.h"

namespace parley::dns {
namespace {

using namespace std::chrono_literals;
using transport::Protocol;

class SipLocatorTest : public ::testing::Test {
 protected:
  void SetUp() override { loops_.Start(); }
  void TearDown() override {
    loops_.loop(0).Invoke([this] {
      locator_.reset();
      resolver_.reset();
    });
    loops_.Stop();
    loops_.Join();
  }

  void Start(std::chrono::milliseconds timeout = 1500ms) {
    ResolverConfig c;
    c.servers = {dns_.address()};
    c.timeout = timeout;
    c.tries = 1;
    loops_.loop(0).Invoke([&] {
      auto r = Resolver::Create(loops_.loop(0), c);
      ASSERT_TRUE(r.ok()) << r.error().message;
      resolver_ = std::move(*r);
      locator_ = std::make_unique<SipLocator>(*resolver_);
    });
  }

  Result<std::vector<transport::Destination>> Locate(const std::string& uri) {
    std::promise<Result<std::vector<transport::Destination>>> p;
    auto f = p.get_future();
    loops_.loop(0).Post([&, uri] {
      auto u = sip::ParseUri(uri);
      ASSERT_TRUE(u.ok());
      locator_->Locate(*u, [&](Result<std::vector<transport::Destination>> r) { p.set_value(std::move(r)); });
    });
    if (f.wait_for(10s) != std::future_status::ready) return Error(-1, "no answer");
    return f.get();
  }

  static std::string Show(const transport::Destination& d) {
    return std::string(transport::ProtocolName(d.protocol)) + " " + d.address.ToString();
  }
  static std::vector<std::string> Show(const std::vector<transport::Destination>& v) {
    std::vector<std::string> out;
    for (const auto& d : v) out.push_back(Show(d));
    return out;
  }

  testing::FakeDnsServer dns_;
  runtime::LoopGroup loops_{1};
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<SipLocator> locator_;
};

TEST_F(SipLocatorTest, NaptrPicksTheTransportThenSrvThenAddresses) {
  dns_.AddNaptr("example.test", 20, 10, "s", "SIP+D2U", "_sip._udp.example.test");
  dns_.AddNaptr("example.test", 10, 10, "S", "SIP+D2T", "_sip._tcp.example.test");
  dns_.AddNaptr("example.test", 5, 10, "s", "XMPP+D2T", "_xmpp._tcp.example.test");  // not ours
  dns_.AddSrv("_sip._tcp.example.test", 20, 0, 5071, "b.example.test");
  dns_.AddSrv("_sip._tcp.example.test", 10, 0, 5070, "a.example.test");
  dns_.AddSrv("_sip._udp.example.test", 10, 0, 5060, "a.example.test");
  dns_.AddA("a.example.test", "127.0.0.2");
  dns_.AddA("b.example.test", "127.0.0.3");
  Start();
  auto r = Locate("sip:bob@example.test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Show(*r), (std::vector<std::string>{"TCP 127.0.0.2:5070", "TCP 127.0.0.3:5071"}));
  EXPECT_TRUE((*r)[0].tls_server_name.empty());
}

TEST_F(SipLocatorTest, WithoutNaptrAnSrvPerTransportThenTheAddressOnThePort) {
  dns_.AddSrv("_sip._tcp.srv-only.test", 0, 0, 5080, "host.srv-only.test");
  dns_.AddA("host.srv-only.test", "127.0.0.4");
  dns_.AddA("plain.test", "127.0.0.5");
  dns_.AddAaaa("six.test", "::1");
  Start();
  auto srv = Locate("sip:srv-only.test");
  ASSERT_TRUE(srv.ok()) << srv.error().message;
  EXPECT_EQ(Show(*srv), std::vector<std::string>{"TCP 127.0.0.4:5080"});
  auto plain = Locate("sip:carol@plain.test");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(Show(*plain), std::vector<std::string>{"UDP 127.0.0.5:5060"});
  auto six = Locate("sip:six.test");
  ASSERT_TRUE(six.ok()) << six.error().message;
  EXPECT_EQ(Show(*six), std::vector<std::string>{"UDP [::1]:5060"});
}

TEST_F(SipLocatorTest, ATransportParameterAsksOnlyItsSrvAndAPortNone) {
  dns_.AddNaptr("both.test", 10, 10, "s", "SIP+D2U", "_sip._udp.both.test");
  dns_.AddSrv("_sip._udp.both.test", 0, 0, 5090, "h.both.test");
  dns_.AddSrv("_sip._tcp.both.test", 0, 0, 5091, "h.both.test");
  dns_.AddA("h.both.test", "127.0.0.6");
  dns_.AddA("both.test", "127.0.0.7");
  Start();
  auto tcp = Locate("sip:both.test;transport=TCP");
  ASSERT_TRUE(tcp.ok()) << tcp.error().message;
  EXPECT_EQ(Show(*tcp), std::vector<std::string>{"TCP 127.0.0.6:5091"});
  auto port = Locate("sip:both.test:5099");
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(Show(*port), std::vector<std::string>{"UDP 127.0.0.7:5099"});
  auto maddr = Locate("sip:bob@elsewhere.test;maddr=h.both.test;transport=udp");
  ASSERT_TRUE(maddr.ok()) << maddr.error().message;
  // No SRV under the maddr host: its address on the default port.
  EXPECT_EQ(Show(*maddr), std::vector<std::string>{"UDP 127.0.0.6:5060"});
}

TEST_F(SipLocatorTest, SipsTakesOnlyTlsAndVerifiesTheUrisDomain) {
  dns_.AddNaptr("secure.test", 10, 10, "s", "SIP+D2U", "_sip._udp.secure.test");
  dns_.AddNaptr("secure.test", 20, 10, "s", "SIPS+D2T", "_sips._tcp.secure.test");
  dns_.AddSrv("_sips._tcp.secure.test", 0, 0, 5061, "edge.provider.test");
  dns_.AddA("edge.provider.test", "127.0.0.8");
  Start();
  auto r = Locate("sips:alice@secure.test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Show(*r), std::vector<std::string>{"TLS 127.0.0.8:5061"});
  EXPECT_EQ((*r)[0].tls_server_name, "secure.test");
  EXPECT_FALSE(Locate("sips:alice@secure.test;transport=udp").ok());
}

TEST_F(SipLocatorTest, SrvOrderIsByPriorityWithEveryTargetKept) {
  dns_.AddSrv("_sip._udp.pool.test", 20, 0, 5001, "z.pool.test");
  dns_.AddSrv("_sip._udp.pool.test", 10, 60, 5002, "x.pool.test");
  dns_.AddSrv("_sip._udp.pool.test", 10, 40, 5003, "y.pool.test");
  dns_.AddA("x.pool.test", "127.0.0.9");
  dns_.AddA("y.pool.test", "127.0.0.10");
  dns_.AddA("z.pool.test", "127.0.0.11");
  Start();
  int x_first = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = Locate("sip:pool.test;transport=udp");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ(Show((*r)[2]), "UDP 127.0.0.11:5001");  // priority 20 last
    if (Show((*r)[0]) == "UDP 127.0.0.9:5002") ++x_first;
  }
  // Weighted choice within priority 10: both orders occur.
  EXPECT_GT(x_first, 0);
  EXPECT_LT(x_first, 40);
}

TEST_F(SipLocatorTest, AnUnknownNameIsNotFoundAndADeadServerUnavailable) {
  Start(200ms);
  auto none = Locate("sip:bob@nowhere.test");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, kNotFound);
  dns_.set_silent(true);
  auto dead = Locate("sip:bob@silent.test");  // no more questions after the first unanswered one
  ASSERT_FALSE(dead.ok());
  EXPECT_EQ(dead.error().code, kUnavailable) << dead.error().message;
}

// A server that refuses NAPTR questions (dnsmasq without upstream does)
// still answers SRV: a refusal is no reason to stop.
TEST_F(SipLocatorTest, ARefusedNaptrQuestionGoesOnToSrv) {
  dns_.set_refused_type(testing::FakeDnsServer::kNaptr);
  dns_.AddSrv("_sip._tcp.strict.test", 0, 0, 5110, "h.strict.test");
  dns_.AddA("h.strict.test", "127.0.0.13");
  Start();
  auto r = Locate("sip:strict.test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(Show(*r), std::vector<std::string>{"TCP 127.0.0.13:5110"});
  dns_.set_refused_type(testing::FakeDnsServer::kSrv);
  auto refused = Locate("sip:other.test;transport=tcp");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, kFailed) << refused.error().message;
}

// Lookups of one name while its answer is on its way wait for that answer
// instead of asking again.
TEST_F(SipLocatorTest, LookupsUnderWayAreShared) {
  dns_.AddSrv("_sip._tcp.busy.test", 0, 0, 5120, "h.busy.test");
  dns_.AddA("h.busy.test", "127.0.0.14");
  Start();
  constexpr int kLookups = 5;
  std::promise<std::vector<std::string>> all;
  auto f = all.get_future();
  auto got = std::make_shared<std::vector<std::string>>();
  loops_.loop(0).Post([&, got] {
    auto u = sip::ParseUri("sip:busy.test;transport=tcp");
    ASSERT_TRUE(u.ok());
    for (int i = 0; i < kLookups; ++i) {
      locator_->Locate(*u, [&, got](Result<std::vector<transport::Destination>> r) {
        got->push_back(r.ok() ? Show(r->front()) : r.error().message);
        if (got->size() == kLookups) all.set_value(*got);
      });
    }
  });
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), std::vector<std::string>(kLookups, "TCP 127.0.0.14:5120"));
  EXPECT_EQ(dns_.questions(), 2);  // one SRV, one A
}

TEST_F(SipLocatorTest, AnswersAreKeptAndAnIpHostAsksNothing) {
  dns_.AddSrv("_sip._tcp.cached.test", 0, 0, 5100, "h.cached.test");
  dns_.AddA("h.cached.test", "127.0.0.12");
  Start();
  ASSERT_TRUE(Locate("sip:cached.test;transport=tcp").ok());
  int asked = dns_.questions();
  auto again = Locate("sip:cached.test;transport=tcp");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Show(*again), std::vector<std::string>{"TCP 127.0.0.12:5100"});
  EXPECT_EQ(dns_.questions(), asked);
  auto ip = Locate("sip:bob@192.0.2.1:5070;transport=tcp");
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(Show(*ip), std::vector<std::string>{"TCP 192.0.2.1:5070"});
  EXPECT_EQ(dns_.questions(), asked);
}

}  // namespace
}  // namespace parley::dns
