// The stateful proxy with INVITE end to end (RFC 3261 §16.6–16.10): a call
// from alice to bob's registered UA through parleyd — provisional and final
// responses upstream, Record-Route, the ACK for the 2xx routed through us,
// BYE in the dialog, CANCEL of a ringing call, and forking to two devices
// where the answer cancels the other branch.

#include <gtest/gtest.h>

#include "dns/fake_dns_server.h"
#include "call_fixture.h"

namespace parley::server {
namespace {

using Invite = CallFixture<ServerFixture>;

TEST_F(Invite, CallIsRingingAnsweredAcknowledgedAndHungUp) {
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "call-1");
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->max_forwards(), 69u);
  EXPECT_EQ(inv->Find(sip::HeaderId::kProxyAuthorization), nullptr);
  ASSERT_NE(inv->Find(sip::HeaderId::kRecordRoute), nullptr);  // dialog-creating: we stay on the path
  EXPECT_NE(inv->Value(sip::HeaderId::kRecordRoute).find(";lr"), std::string_view::npos);
  EXPECT_EQ(inv->body(), "v=0\r\n");

  bob.Reply(Answer(*inv, 180, "Ringing", "bobtag"));
  auto ringing = Next(alice);
  ASSERT_TRUE(ringing);
  EXPECT_EQ(ringing->status(), 180);
  EXPECT_EQ(ringing->vias().size(), 1u);  // ours removed

  std::string bob_contact = "<sip:bob@127.0.0.1:" + std::to_string(bob.port()) + ">";
  auto ok = sip::MakeResponse(*inv, 200, "OK", "bobtag");
  ok->AddHeader(sip::HeaderId::kRecordRoute, inv->Value(sip::HeaderId::kRecordRoute));  // the UAS copies it (§12.1.1)
  ok->AddHeader(sip::HeaderId::kContact, bob_contact);
  ok->SetBody("application/sdp", "v=0\r\n");
  bob.Reply(ok->Serialize());
  auto answered = Next(alice);
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status(), 200);
  std::string rr(answered->Value(sip::HeaderId::kRecordRoute));
  ASSERT_FALSE(rr.empty());  // Record-Route comes back to the caller

  // The ACK for the 2xx is end to end, through our Record-Route (§16.12).
  std::string ack = InDialog("ACK", *answered, bob.port(), 2);
  alice.SendRaw(alice.Fill(testing::ToCrlf(ack)));
  auto got_ack = Next(bob);
  ASSERT_TRUE(got_ack);
  EXPECT_EQ(got_ack->method(), sip::Method::kAck);
  EXPECT_EQ(got_ack->cseq()->number, 2u);

  // BYE in the dialog, through us again.
  std::string bye = InDialog("BYE", *answered, bob.port(), 3);
  alice.SendRaw(alice.Fill(testing::ToCrlf(bye)));
  auto got_bye = Next(bob);
  ASSERT_TRUE(got_bye);
  ASSERT_EQ(got_bye->method(), sip::Method::kBye);
  bob.Reply(Answer(*got_bye, 200, "OK", "bobtag"));
  auto bye_ok = Next(alice);
  ASSERT_TRUE(bye_ok);
  EXPECT_EQ(bye_ok->status(), 200);
  EXPECT_EQ(bye_ok->cseq()->method_text, "BYE");
}

// A To tag and a Route naming us are no proof of a dialog we are on: only
// a Record-Route we inserted in that dialog (its token fits the Call-ID)
// lets an in-dialog request through unchallenged, and only such an ACK is
// relayed at all. Otherwise anyone could have us send anything anywhere.
TEST_F(Invite, ForgedInDialogRequestsThroughUsAreNotRelayed) {
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "call-rr");
  ASSERT_TRUE(inv);
  const std::string rr(inv->Value(sip::HeaderId::kRecordRoute));
  EXPECT_NE(rr.find(";rrt="), std::string::npos);

  SipClient victim(false, udp_);
  SipClient mallory(false, udp_);
  const std::string target = "sip:victim@127.0.0.1:" + std::to_string(victim.port());
  auto forged = [&](const std::string& method, const std::string& route, const std::string& call_id) {
    return mallory.Fill(testing::ToCrlf(method + " " + target + " SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:$PORT;branch=z9hG4bK" +
                                        sip::RandomToken(6) + ";rport\nMax-Forwards: 70\nRoute: " + route +
                                        "\nFrom: <sip:mallory@example.org>;tag=m1\nTo: <" + target +
                                        ">;tag=v1\nCall-ID: " + call_id + "\nCSeq: 5 " + method +
                                        "\nContent-Type: text/plain\nContent-Length: 4\n\nspam"));
  };
  const std::string unsigned_route = "<sip:127.0.0.1:" + std::to_string(udp_) + ";lr>";
  // No token, and the token of another dialog: challenged like any request.
  for (const auto& [route, call_id] : {std::pair{unsigned_route, std::string("forged-1")}, std::pair{rr, std::string("forged-2")}}) {
    SCOPED_TRACE(route + " " + call_id);
    mallory.SendRaw(forged("MESSAGE", route, call_id));
    auto r = mallory.Receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status(), 407);
    mallory.SendRaw(forged("ACK", route, call_id));
  }
  // The token of the dialog it names: on its way (the Request-URI is the
  // next hop after our Route).
  mallory.SendRaw(forged("ACK", rr, "call-rr"));
  auto relayed = victim.Receive();
  ASSERT_TRUE(relayed);
  EXPECT_EQ(relayed->method(), sip::Method::kAck);
  EXPECT_EQ(relayed->call_id(), "call-rr");
  EXPECT_FALSE(victim.Receive());  // and nothing else came

  // A user of ours who preloads our Route on a new request, to a foreign
  // target or with a foreign hop after ours, is refused like one who names
  // the target alone.
  const std::string next_hop = "<sip:127.0.0.1:" + std::to_string(victim.port()) + ";lr>";
  SipClient user(false, udp_);  // alice's other device: nothing of the call pending on it
  int cseq = 1;
  for (const std::string& routes : {unsigned_route, unsigned_route + ", " + next_hop}) {
    SCOPED_TRACE(routes);
    auto ch = SendAuthed(user, "MESSAGE", target, "alice", target, "preload-" + std::to_string(cseq), cseq,
                         "Route: " + routes + "\nContent-Type: text/plain\n", "hi");
    ASSERT_TRUE(ch && ch->status() == 407);
    auto r = user.Receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status(), 403);
    EXPECT_EQ(r->reason(), "Federation Disabled");
    cseq += 2;
  }
  EXPECT_FALSE(victim.Receive());
}

TEST_F(Invite, CancelOfARingingCall) {
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "call-2");
  ASSERT_TRUE(inv);
  bob.Reply(Answer(*inv, 180, "Ringing", "bobtag2"));
  auto ringing = Next(alice);
  ASSERT_TRUE(ringing && ringing->status() == 180);

  // CANCEL: same Request-URI, Call-ID, From, CSeq number and top Via as the INVITE (§9.1).
  std::string via(ringing->Value(sip::HeaderId::kVia));
  std::string cancel = "CANCEL sip:bob@example.com SIP/2.0\nVia: " + via +
                       "\nMax-Forwards: 70\nFrom: " + std::string(ringing->Value(sip::HeaderId::kFrom)) +
                       "\nTo: <sip:bob@example.com>\nCall-ID: call-2\nCSeq: 2 CANCEL\nContent-Length: 0\n\n";
  alice.SendRaw(alice.Fill(testing::ToCrlf(cancel)));
  // alice: 200 for the CANCEL (§16.10) ...
  auto cancel_ok = Next(alice);
  ASSERT_TRUE(cancel_ok);
  EXPECT_EQ(cancel_ok->status(), 200);
  EXPECT_EQ(cancel_ok->cseq()->method_text, "CANCEL");
  // ... bob: a CANCEL for his INVITE branch, which he answers and ends with 487.
  auto got_cancel = Next(bob);
  ASSERT_TRUE(got_cancel);
  ASSERT_EQ(got_cancel->method(), sip::Method::kCancel);
  EXPECT_EQ(got_cancel->vias()[0].branch(), inv->vias()[0].branch());
  bob.Reply(Answer(*got_cancel, 200, "OK", "bobtag2"));
  bob.Reply(Answer(*inv, 487, "Request Terminated", "bobtag2"));
  auto terminated = Next(alice);
  ASSERT_TRUE(terminated);
  EXPECT_EQ(terminated->status(), 487);
}

TEST_F(Invite, ForkingAnswerCancelsTheOtherDevice) {
  SipClient desk(false, udp_), phone(false, udp_);
  ASSERT_EQ(Register(desk, "bob", "bob-pw", 600, "reg-desk")->status(), 200);
  ASSERT_EQ(Register(phone, "bob", "bob-pw", 600, "reg-phone")->status(), 200);
  SipClient alice(false, udp_);
  Call(alice, "call-3");
  auto inv_desk = Next(desk), inv_phone = Next(phone);
  ASSERT_TRUE(inv_desk && inv_phone);
  ASSERT_EQ(inv_desk->method(), sip::Method::kInvite);
  ASSERT_EQ(inv_phone->method(), sip::Method::kInvite);
  desk.Reply(Answer(*inv_desk, 180, "Ringing", "desk"));
  phone.Reply(Answer(*inv_phone, 180, "Ringing", "phone"));
  phone.Reply(Answer(*inv_phone, 200, "OK", "phone", "<sip:bob@127.0.0.1:" + std::to_string(phone.port()) + ">"));
  // alice gets the phone's 200; the desk gets a CANCEL.
  sip::MessagePtr answered;
  for (int i = 0; i < 4 && !answered; ++i) {
    auto m = Next(alice);
    if (m && m->status() == 200) answered = std::move(m);
  }
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->to()->tag(), "phone");
  auto got_cancel = Next(desk);
  ASSERT_TRUE(got_cancel);
  EXPECT_EQ(got_cancel->method(), sip::Method::kCancel);
}


// Next hops named by host names (RFC 3263) through a DNS server of the
// test's own: a UA whose Contact is a name gets the ACK of its dialog, a
// proxy named in the route set after us the BYE; a name that does not
// resolve is 502.
class InviteDns : public Invite {
 protected:
  void Configure(ServerConfig& c) override { c.dns_servers = {dns_.address()}; }

  static std::string InDialog(const std::string& method, const std::string& ruri, const std::string& rr,
                              const sip::Message& answered, int cseq) {
    return "" + method + " " + ruri + " SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:$PORT;branch=z9hG4bK" + method +
           sip::RandomToken(4) + ";rport\nMax-Forwards: 70\nRoute: " + rr + "\nFrom: " +
           std::string(answered.Value(sip::HeaderId::kFrom)) + "\nTo: " +
           std::string(answered.Value(sip::HeaderId::kTo)) + "\nCall-ID: " +
           std::string(answered.Value(sip::HeaderId::kCallId)) + "\nCSeq: " + std::to_string(cseq) + " " + method +
           "\nContent-Length: 0\n\n";
  }

  // alice calls bob, whose UA answers 200 with `contact`: the 200 as alice
  // got it (nullptr if the call did not get that far).
  sip::MessagePtr AnsweredWithContact(SipClient& bob, SipClient& alice, const std::string& call_id,
                                      const std::string& contact) {
    auto inv = CallBob(bob, alice, call_id);
    if (!inv) return nullptr;
    auto ok = sip::MakeResponse(*inv, 200, "OK", "bobtag");
    ok->AddHeader(sip::HeaderId::kRecordRoute, inv->Value(sip::HeaderId::kRecordRoute));
    ok->AddHeader(sip::HeaderId::kContact, contact);
    bob.Reply(ok->Serialize());
    auto answered = Next(alice);
    return answered && answered->status() == 200 ? std::move(answered) : nullptr;
  }

  // bob's UA gets the BYE (with `route` left in it) and answers; alice gets the 200.
  void ByeAnswered(SipClient& bob, SipClient& alice, std::string_view route = "") {
    auto got_bye = Next(bob);
    ASSERT_TRUE(got_bye);
    ASSERT_EQ(got_bye->method(), sip::Method::kBye);
    EXPECT_EQ(got_bye->Value(sip::HeaderId::kRoute), route);
    bob.Reply(Answer(*got_bye, 200, "OK", "bobtag"));
    auto bye_ok = Next(alice);
    ASSERT_TRUE(bye_ok);
    EXPECT_EQ(bye_ok->status(), 200);
  }

  dns::testing::FakeDnsServer dns_;
};

TEST_F(InviteDns, InDialogRequestsReachAContactNamedByDns) {
  SipClient bob(false, udp_), alice(false, udp_);
  dns_.AddSrv("_sip._udp.bob-pc.example.test", 0, 0, bob.port(), "pc17.example.test");
  dns_.AddA("pc17.example.test", "127.0.0.1");
  auto answered = AnsweredWithContact(bob, alice, "call-dns", "<sip:bob@bob-pc.example.test>");
  ASSERT_TRUE(answered);
  std::string rr(answered->Value(sip::HeaderId::kRecordRoute));

  alice.SendRaw(alice.Fill(testing::ToCrlf(InDialog("ACK", "sip:bob@bob-pc.example.test", rr, *answered, 1))));
  auto got_ack = Next(bob);
  ASSERT_TRUE(got_ack);
  EXPECT_EQ(got_ack->method(), sip::Method::kAck);
  EXPECT_EQ(got_ack->request_uri_text(), "sip:bob@bob-pc.example.test");

  // A route set with a proxy after us (as a peer's Record-Route would
  // leave it): its name is the next hop.
  dns_.AddSrv("_sip._udp.edge.example.test", 0, 0, bob.port(), "pc17.example.test");
  std::string routes = rr + ", <sip:edge.example.test;lr>";
  alice.SendRaw(alice.Fill(testing::ToCrlf(InDialog("BYE", "sip:bob@bob-pc.example.test", routes, *answered, 2))));
  ByeAnswered(bob, alice, "<sip:edge.example.test;lr>");
  // NAPTR, SRV and A for each of the two names (the second A, of the same
  // host, asked again or cached), on /metrics.
  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  auto count = [&m](const std::string& result) -> unsigned long {
    const std::string name = "parley_dns_lookups_total{result=\"" + result + "\"} ";
    auto at = m.find(name);
    return at == std::string::npos ? 0 : std::stoul(m.substr(at + name.size()));
  };
  EXPECT_GE(count("queried"), 5u) << m;
  EXPECT_EQ(count("queried") + count("cached"), 6u) << m;
}

TEST_F(InviteDns, ANextHopThatDoesNotResolveIs502) {
  SipClient bob(false, udp_), alice(false, udp_);
  auto answered = AnsweredWithContact(bob, alice, "call-nxdomain", "<sip:bob@gone.example.test>");
  ASSERT_TRUE(answered);
  std::string rr(answered->Value(sip::HeaderId::kRecordRoute));
  alice.SendRaw(alice.Fill(testing::ToCrlf(InDialog("BYE", "sip:bob@gone.example.test", rr, *answered, 2))));
  auto refused = Next(alice);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 502);
  EXPECT_EQ(refused->reason(), "Next Hop Not Resolvable");
  EXPECT_GT(dns_.questions(), 0);
}

TEST_F(InviteDns, AServerThatAnswers503IsPassedForTheNextSrvTarget) {
  SipClient bob(false, udp_), alice(false, udp_), busy(false, udp_);
  // RFC 3263 §4.3: the first place (priority 10) is overloaded.
  dns_.AddSrv("_sip._udp.pool.example.test", 10, 0, busy.port(), "pc1.example.test");
  dns_.AddSrv("_sip._udp.pool.example.test", 20, 0, bob.port(), "pc2.example.test");
  dns_.AddA("pc1.example.test", "127.0.0.1");
  dns_.AddA("pc2.example.test", "127.0.0.1");
  auto answered = AnsweredWithContact(bob, alice, "call-failover", "<sip:bob@pool.example.test>");
  ASSERT_TRUE(answered);
  std::string rr(answered->Value(sip::HeaderId::kRecordRoute));
  alice.SendRaw(alice.Fill(testing::ToCrlf(InDialog("BYE", "sip:bob@pool.example.test", rr, *answered, 2))));
  auto first = Next(busy);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->method(), sip::Method::kBye);
  busy.Reply(Answer(*first, 503, "Service Unavailable", "busytag"));
  ByeAnswered(bob, alice);
}

}  // namespace
}  // namespace parley::server
