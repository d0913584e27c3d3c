// parleyd end to end: a real Server on 127.0.0.1 (port 0), driven over UDP
// and TCP with raw SIP, plus its HTTP listener.

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "aaa/authenticator.h"
#include "server/dispatch.h"
#include "sip/response.h"
#include "server/server.h"
#include "stun/message.h"
#include "http_client.h"
#include "sip_client.h"

namespace parley::server {
namespace {

using testing::SipClient;

std::string Req(std::string_view method, std::string_view ruri, std::string_view extra = "",
                std::string_view body = "") {
  std::string s;
  s.append(method).append(" ").append(ruri).append(" SIP/2.0\n");
  s.append("Via: SIP/2.0/$TRANSPORT 127.0.0.1:$PORT;branch=z9hG4bK").append(sip::RandomToken(6)).append(";rport\n");
  s.append("Max-Forwards: 70\nTo: <sip:bob@localhost>\nFrom: <sip:alice@localhost>;tag=a1\n");
  s.append("Call-ID: ").append(sip::RandomToken(8)).append("@test\n");
  s.append("CSeq: 1 ").append(method).append("\n").append(extra);
  s.append("Content-Length: ").append(std::to_string(body.size())).append("\n\n").append(body);
  return s;
}

class ServerE2E : public ::testing::TestWithParam<bool> {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("parley-e2e-" + sip::RandomToken(4));
    ServerConfig c;
    c.listen = {*ListenSpec::Parse("udp:127.0.0.1:0"), *ListenSpec::Parse("tcp:127.0.0.1:0"),
                *ListenSpec::Parse("tls:127.0.0.1:0")};
    c.domains = {"localhost"};
    c.data_dir = dir_.string();
    c.threads = 2;
    c.http_listen = "127.0.0.1:0";
    c.log_level = "off";
    server_ = new Server(c);
    auto r = server_->Start();
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const auto& b : server_->bound()) {
      if (b.protocol == transport::Protocol::kUdp) udp_port_ = b.address.port();
      if (b.protocol == transport::Protocol::kTcp) tcp_port_ = b.address.port();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    std::filesystem::remove_all(dir_);
  }
  SipClient Client() { return SipClient(GetParam(), GetParam() ? tcp_port_ : udp_port_); }
  std::string Self() const {
    return "sip:127.0.0.1:" + std::to_string(GetParam() ? tcp_port_ : udp_port_);
  }

  static inline Server* server_ = nullptr;
  static inline std::filesystem::path dir_;
  static inline uint16_t udp_port_ = 0, tcp_port_ = 0;
};

TEST_P(ServerE2E, OptionsToServerGets200WithCapabilities) {
  auto c = Client();
  ASSERT_TRUE(c.connected());
  auto r = c.Request(Req("OPTIONS", Self()));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_NE(r->Find(sip::HeaderId::kAllow), nullptr);
  EXPECT_NE(r->Value(sip::HeaderId::kAllow).find("OPTIONS"), std::string_view::npos);
  EXPECT_NE(r->Find(sip::HeaderId::kAccept), nullptr);
  EXPECT_NE(r->Find(sip::HeaderId::kSupported), nullptr);
  EXPECT_EQ(r->Value(sip::HeaderId::kSupported), "path, gruu, outbound, eventlist");
  EXPECT_EQ(r->Value(sip::HeaderId::kAllowEvents), "reg, presence, presence.winfo, dialog, dialog.winfo");
  EXPECT_EQ(r->Value(sip::HeaderId::kServer), "Parley/0.1");
  EXPECT_TRUE(r->to()->has_tag());
  // Via got received/rport stamped by the transport and echoed back.
  EXPECT_TRUE(r->top_via()->received().has_value());
}

TEST_P(ServerE2E, OptionsByDomainNameIsForTheServer) {
  auto c = Client();
  auto r = c.Request(Req("OPTIONS", "sip:localhost"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
}

TEST_P(ServerE2E, MaxForwardsZero) {
  auto c = Client();
  std::string zero = Req("MESSAGE", "sip:bob@example.org", "Content-Type: text/plain\n", "hi");
  zero.replace(zero.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  auto r = c.Request(zero);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 483);
  // OPTIONS to the server itself is answered even with Max-Forwards 0.
  std::string opt = Req("OPTIONS", Self());
  opt.replace(opt.find("Max-Forwards: 70"), 16, "Max-Forwards: 0");
  auto o = c.Request(opt);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->status(), 200);
}

TEST_P(ServerE2E, UnsupportedRequireGets420WithUnsupported) {
  auto c = Client();
  auto r = c.Request(Req("OPTIONS", Self(), "Require: foo, 100rel\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 420);
  EXPECT_EQ(r->Value(sip::HeaderId::kUnsupported), "foo, 100rel");
  auto p = c.Request(Req("MESSAGE", "sip:bob@localhost", "Proxy-Require: bar\n"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status(), 420);
  EXPECT_EQ(p->Value(sip::HeaderId::kUnsupported), "bar");
  // The option tags served are no reason for a 420.
  auto ok = c.Request(Req("OPTIONS", Self(), "Require: path, gruu, outbound, eventlist\n"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
}

TEST_P(ServerE2E, UnknownSchemeGets416) {
  auto c = Client();
  auto r = c.Request(Req("OPTIONS", "nobodyKnowsThisScheme:totallyopaquecontent"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 416);
}

TEST_P(ServerE2E, MalformedGets400NamingTheFault) {
  auto c = Client();
  std::string bad = Req("OPTIONS", Self());
  bad.replace(bad.find("CSeq: 1 OPTIONS"), 15, "CSeq: 99999999999 OPTIONS");
  auto r = c.Request(bad);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 400);
  EXPECT_EQ(r->reason(), "CSeq Number Out Of Range");
  std::string nofrom = Req("OPTIONS", Self());
  nofrom.erase(nofrom.find("From:"), nofrom.find("\n", nofrom.find("From:")) - nofrom.find("From:") + 1);
  auto r2 = c.Request(nofrom);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status(), 400);
  EXPECT_EQ(r2->reason(), "Missing From Header");
}

TEST_P(ServerE2E, WrongVersionGets505) {
  auto c = Client();
  std::string v = Req("OPTIONS", Self());
  v.replace(v.find(" SIP/2.0\n"), 9, " SIP/7.0\n");
  auto r = c.Request(v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 505);
}

TEST_P(ServerE2E, MethodsTheServerDoesNotDo) {
  auto c = Client();
  auto r = c.Request(Req("INVITE", Self(), "Content-Type: application/sdp\n", "v=0\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 405);
  EXPECT_NE(r->Value(sip::HeaderId::kAllow).find("OPTIONS"), std::string_view::npos);
  auto u = c.Request(Req("FROBNICATE", Self()));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status(), 501);
}

TEST_P(ServerE2E, RequestsForUsersNeedCredentials) {
  // Without credentials nothing is routed, to our users or elsewhere: the
  // sender is challenged (tests/server/hsp_e2e_test.cc goes on from there).
  auto c = Client();
  auto r = c.Request(Req("MESSAGE", "sip:nobody@localhost", "Content-Type: text/plain\n", "hi"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 407);
  EXPECT_NE(r->Find(sip::HeaderId::kProxyAuthenticate), nullptr);
  auto f = c.Request(Req("MESSAGE", "sip:bob@example.org", "Content-Type: text/plain\n", "hi"));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status(), 407);
}

INSTANTIATE_TEST_SUITE_P(Transports, ServerE2E, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) { return p.param ? "Tcp" : "Udp"; });

// Over UDP only: on TCP a client never retransmits and a non-INVITE server
// transaction ends with its final response (Timer J = 0).
TEST_F(ServerE2E, UdpRetransmissionGetsTheSameAnswer) {
  SipClient c(false, udp_port_);
  std::string m = c.Fill(testing::ToCrlf(Req("OPTIONS", "sip:localhost", "", "")));
  c.SendRaw(m);
  auto a = c.Receive();
  c.SendRaw(m);
  auto b = c.Receive();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status(), 200);
  EXPECT_EQ(a->Serialize(), b->Serialize());
}

// A digest challenge keeps no transaction state (it would hold Timer J's 32 s
// for every unauthenticated request): a retransmission is challenged again,
// with the same To tag and a nonce that is just as good.
TEST_F(ServerE2E, UdpRetransmittedChallengeIsChallengedAgain) {
  SipClient c(false, udp_port_);
  std::string m = c.Fill(testing::ToCrlf(Req("MESSAGE", "sip:nobody@localhost", "Content-Type: text/plain\n", "x")));
  c.SendRaw(m);
  auto a = c.Receive();
  c.SendRaw(m);
  auto b = c.Receive();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status(), 407);
  EXPECT_EQ(b->status(), 407);
  ASSERT_TRUE(a->to() && b->to());
  EXPECT_EQ(a->to()->tag(), b->to()->tag());
  EXPECT_NE(b->Find(sip::HeaderId::kProxyAuthenticate), nullptr);
}

TEST_F(ServerE2E, TcpManyMessagesPerSegmentAndSplitMessages) {
  SipClient c(true, tcp_port_);
  ASSERT_TRUE(c.connected());
  std::string batch;
  for (int i = 0; i < 40; ++i) batch += c.Fill(testing::ToCrlf(Req("OPTIONS", "sip:localhost")));
  c.SendRaw(batch);
  for (int i = 0; i < 40; ++i) {
    auto r = c.Receive();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status(), 200);
  }
  // One message dribbled in 7-byte pieces.
  std::string one = c.Fill(testing::ToCrlf(Req("OPTIONS", "sip:localhost")));
  for (size_t i = 0; i < one.size(); i += 7) {
    c.SendRaw(one.substr(i, 7));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  auto r = c.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  // CRLF keep-alive ping gets a CRLF pong (RFC 5626 §3.5.1).
  c.SendRaw("\r\n\r\n");
  EXPECT_EQ(c.ReceiveRaw(), "\r\n");
}

TEST_F(ServerE2E, HealthzAndMetrics) {
  EXPECT_TRUE(testing::HttpGet(server_->http_port(), "/healthz").starts_with("HTTP/1.1 200"));
  SipClient c(false, udp_port_);
  ASSERT_TRUE(c.Request(Req("OPTIONS", "sip:localhost")));
  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("# TYPE parley_sip_requests_received_total counter"), std::string::npos) << m;
  EXPECT_NE(m.find("parley_sip_requests_received_total{method=\"OPTIONS\"} "), std::string::npos);
  EXPECT_NE(m.find("parley_transport_messages_total{proto=\"udp\",dir=\"in\"}"), std::string::npos);
  EXPECT_NE(m.find("parley_sip_transactions_created_total{kind="), std::string::npos);
  EXPECT_NE(m.find("\nparley_store_pending "), std::string::npos);
  EXPECT_NE(m.find("\nparley_store_writer_wakeups_total "), std::string::npos);
  EXPECT_NE(m.find("\nparley_dispatch_handoffs_total{kind=\"request\"} "), std::string::npos);
  EXPECT_NE(m.find("\nparley_dispatch_handoffs_total{kind=\"response\"} "), std::string::npos);
  EXPECT_NE(m.find("\nparley_user_cache_loads_total "), std::string::npos);
  EXPECT_NE(m.find("\nparley_user_cache_entries "), std::string::npos);
  EXPECT_NE(m.find("\nparley_store_wal_checkpoints_total{by=\"thread\"} "), std::string::npos);
  EXPECT_NE(m.find("\nparley_store_wal_checkpoints_total{by=\"commit\"} "), std::string::npos);

  // A SIP Outbound keep-alive over UDP (RFC 5626 §4.4.2) is answered and counted.
  c.SendRaw(stun::BindingRequest("keepalive-01", false));
  std::string raw = c.ReceiveRaw();  // the parsed message points into it
  auto answer = stun::Parse(raw);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->cls, stun::Class::kSuccess);
  EXPECT_EQ(answer->transaction_id, "keepalive-01");
  EXPECT_NE(answer->Find(stun::attr::kXorMappedAddress), nullptr);
  m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_transport_stun_answers_total{proto=\"udp\"} 1\n"), std::string::npos) << m;

  // The text exposition format: a family's TYPE comes once, before its
  // samples, and its samples are not interleaved with another family's.
  std::set<std::string> done;
  std::string current;
  std::istringstream lines(m.substr(m.find("\r\n\r\n") + 4));
  for (std::string l; std::getline(lines, l);) {
    if (l.empty() || l.starts_with("# HELP")) continue;
    if (l.starts_with("# TYPE ")) {
      std::string name = l.substr(7, l.find(' ', 7) - 7);
      EXPECT_FALSE(done.contains(name)) << "second TYPE for " << name;
      if (!current.empty()) done.insert(current);
      current = name;
      continue;
    }
    std::string name = l.substr(0, l.find_first_of("{ "));
    EXPECT_EQ(name, current) << "sample outside its family's group: " << l;
  }
}

TEST(Dispatch, ResponsesFollowOurBranchRequestsTheCallId) {
  std::string b = NewShardBranch(5);
  EXPECT_TRUE(b.starts_with("z9hG4bK-s5-"));
  auto resp = sip::ParseDatagram(testing::ToCrlf("SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=" + b +
                                                 "\nTo: <sip:a@b>;tag=1\nFrom: <sip:c@d>;tag=2\nCall-ID: x\n"
                                                 "CSeq: 1 NOTIFY\nContent-Length: 0\n\n"),
                                 sip::ParserLimits());
  EXPECT_EQ(ShardOf(*resp, 8), 5u);
  EXPECT_EQ(ShardOf(*resp, 4), ShardHash("x") % 4);  // shard 5 does not exist: Call-ID
  EXPECT_EQ(ShardOf(*resp, 1), 0u);
}

TEST(Dispatch, RequestsGoToTheShardOfTheirUser) {
  auto parse = [](const std::string& method, const std::string& from, const std::string& to,
                  const std::string& ruri = "sip:x@B") {
    return sip::ParseDatagram(testing::ToCrlf(method + " " + ruri + " SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: " + to +
                                              "\nFrom: " + from + ";tag=2\nCall-ID: cid\nCSeq: 1 " + method +
                                              "\nMax-Forwards: 70\nContent-Length: 0\n\n"),
                              sip::ParserLimits());
  };
  auto reg = parse("REGISTER", "<sip:admin@b>", "<sip:Alice@B>");
  ASSERT_TRUE(reg);
  EXPECT_EQ(ShardOf(*reg, 8), ShardHash("Alice@b") % 8);  // the registrar's AOR key: host case-folded
  // A MESSAGE goes to its recipient's shard (policy, location, mailbox).
  auto msg = parse("MESSAGE", "\"A\" <sip:alice@b>", "<sip:bob@b>");
  ASSERT_TRUE(msg);
  EXPECT_EQ(ShardOf(*msg, 8), ShardHash("x@b") % 8);
  auto to_server = parse("MESSAGE", "<sip:alice@b>", "<sip:b>", "sip:b");
  ASSERT_TRUE(to_server);
  EXPECT_EQ(ShardOf(*to_server, 8), ShardHash("alice@b") % 8);
  // A SUBSCRIBE or PUBLISH goes to its resource's shard (subscriptions,
  // publications); inside a subscription dialog, to the shard our Contact
  // names.
  for (const char* method : {"SUBSCRIBE", "PUBLISH"}) {
    auto sub = parse(method, "<sip:alice@b>", "<sip:bob@b>");
    ASSERT_TRUE(sub);
    EXPECT_EQ(ShardOf(*sub, 8), ShardHash("x@b") % 8) << method;
  }
  auto refresh = parse("SUBSCRIBE", "<sip:alice@b>", "<sip:bob@b>;tag=7", "sip:ev-6-42@127.0.0.1:5060");
  ASSERT_TRUE(refresh);
  EXPECT_EQ(ShardOf(*refresh, 8), 6u);
  // No shard 6: an AOR like any other.
  EXPECT_EQ(ShardOf(*refresh, 4), ShardHash(sip::AorKey(*refresh->request_uri())) % 4);
  auto notify = parse("NOTIFY", "<sip:alice@b>", "<sip:bob@b>");
  ASSERT_TRUE(notify);
  EXPECT_EQ(ShardOf(*notify, 8), ShardHash("alice@b") % 8);
  auto anon = parse("OPTIONS", "<sip:b>", "<sip:b>");
  ASSERT_TRUE(anon);
  EXPECT_EQ(ShardOf(*anon, 8), ShardHash("cid") % 8);
  // A temporary GRUU (RFC 5627): the shard of the user it stands for, when
  // the codec that sealed it opens it.
  registrar::GruuCodec codec("k");
  std::string temp = codec.Mint("bob@b", "<urn:uuid:1>", "c", {});
  for (const char* method : {"MESSAGE", "SUBSCRIBE"}) {
    auto to_gruu = parse(method, "<sip:alice@b>", "<" + temp + ">", temp);
    ASSERT_TRUE(to_gruu);
    size_t as_user = ShardHash(sip::AorKey(*to_gruu->request_uri())) % 64;
    ASSERT_NE(as_user, ShardHash("bob@b") % 64);  // the test tells them apart
    EXPECT_EQ(ShardOf(*to_gruu, 64, &codec), ShardHash("bob@b") % 64) << method;
    EXPECT_EQ(ShardOf(*to_gruu, 64, nullptr), as_user) << method;
    registrar::GruuCodec other("other key");
    EXPECT_EQ(ShardOf(*to_gruu, 64, &other), as_user) << method;
  }
}

// The first request of a digest exchange is challenged on the loop that
// received it; credentials, dialogs, INVITE (its ACK and CANCEL) and
// responses go to their owner.
TEST(Dispatch, RequestsWithoutCredentialsStayWhereTheyArrive) {
  auto parse = [](const std::string& method, const std::string& to, const std::string& extra = "") {
    return sip::ParseDatagram(testing::ToCrlf(method + " sip:bob@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: " +
                                              to + "\nFrom: <sip:alice@b>;tag=2\nCall-ID: cid\nCSeq: 1 " + method +
                                              "\nMax-Forwards: 70\n" + extra + "Content-Length: 0\n\n"),
                              sip::ParserLimits());
  };
  size_t bob = ShardHash("bob@b") % 8, alice = ShardHash("alice@b") % 8;
  size_t elsewhere = (std::max(bob, alice) + 1) % 8;
  ASSERT_NE(elsewhere, bob);
  ASSERT_NE(elsewhere, alice);
  for (const char* method : {"REGISTER", "MESSAGE", "SUBSCRIBE", "PUBLISH", "INFO"}) {
    auto m = parse(method, "<sip:bob@b>");
    ASSERT_TRUE(m) << method;
    EXPECT_TRUE(aaa::Authenticator::ChallengedAnywhere(*m)) << method;
    EXPECT_EQ(HandlingShard(*m, 8, elsewhere), elsewhere) << method;
  }
  for (const std::string header : {"Authorization", "Proxy-Authorization"}) {
    std::string h = header + ": Digest username=\"bob\", realm=\"b\", nonce=\"n\", uri=\"sip:b\", response=\"r\"\n";
    auto reg = parse("REGISTER", "<sip:bob@b>", h);
    ASSERT_TRUE(reg) << header;
    EXPECT_FALSE(aaa::Authenticator::ChallengedAnywhere(*reg)) << header;
    EXPECT_EQ(HandlingShard(*reg, 8, elsewhere), bob) << header;
  }
  for (const char* method : {"INVITE", "ACK", "CANCEL", "OPTIONS"}) {
    auto m = parse(method, "<sip:bob@b>");
    ASSERT_TRUE(m) << method;
    EXPECT_FALSE(aaa::Authenticator::ChallengedAnywhere(*m)) << method;
    EXPECT_EQ(HandlingShard(*m, 8, elsewhere), alice) << method;
  }
  // An OPTIONS to the server itself, answered from nobody's state, too.
  auto ping = sip::ParseDatagram(testing::ToCrlf("OPTIONS sip:b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\n"
                                                 "To: <sip:b>\nFrom: <sip:alice@b>;tag=2\nCall-ID: cid\n"
                                                 "CSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n"),
                                 sip::ParserLimits());
  ASSERT_TRUE(ping);
  EXPECT_EQ(HandlingShard(*ping, 8, elsewhere), elsewhere);
  auto in_dialog = parse("SUBSCRIBE", "<sip:bob@b>;tag=9");
  ASSERT_TRUE(in_dialog);
  EXPECT_EQ(HandlingShard(*in_dialog, 8, elsewhere), bob);  // its resource
  auto reg = parse("REGISTER", "<sip:bob@b>");
  EXPECT_EQ(HandlingShard(*reg, 8, 8), bob);  // no such loop
  EXPECT_EQ(HandlingShard(*reg, 1, 0), 0u);
}

TEST(Shutdown, StopsCleanlyAndRefusesNewWork) {
  auto dir = std::filesystem::temp_directory_path() / ("parley-stop-" + sip::RandomToken(4));
  ServerConfig c;
  c.listen = {*ListenSpec::Parse("udp:127.0.0.1:0")};
  c.data_dir = dir.string();
  c.threads = 1;
  c.http_listen = "";
  c.log_level = "off";
  c.shutdown_grace_ms = 2000;
  Server s(c);
  ASSERT_TRUE(s.Start().ok());
  auto start = std::chrono::steady_clock::now();
  s.RequestShutdown();
  s.RequestShutdown();  // idempotent
  s.Wait();
  // Nothing in flight: no need to wait for the grace period.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1500));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace parley::server
