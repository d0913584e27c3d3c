// The home serving proxy end to end: a real parleyd (in process, port 0)
// with users in its SQLite store, driven by raw SIP over UDP and TCP.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "aaa/authenticator.h"
#include "auth/digest.h"
#include "hsp_fixture.h"
#include "proxy/branch.h"
#include "server/server.h"
#include "sip/response.h"
#include "sip_client.h"
#include "store/store.h"
#include "stun/message.h"

namespace parley::server {
namespace {

using testing::SipClient;
namespace fs = std::filesystem;


TEST_F(Hsp, RegisterIsChallengedThenAccepted) {
  SipClient c(false, udp_);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "r1", 1,
                    "Contact: <sip:alice@127.0.0.1:$PORT>\n"));
  auto ch = c.Receive();
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->status(), 401);
  std::vector<std::string> algs;
  for (const auto& h : ch->headers()) {
    if (h.id == sip::HeaderId::kWwwAuthenticate) algs.push_back(*sip::ParseAuthField(h.value)->Param("algorithm"));
  }
  EXPECT_EQ(algs, (std::vector<std::string>{"MD5", "SHA-256"}));
  auto ok = Register(c, "alice", "alice-pw", 600);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  ASSERT_EQ(ok->contacts().size(), 1u);
  auto exp = ok->contacts()[0].params.Get("expires");
  ASSERT_TRUE(exp);
  EXPECT_GE(std::stoi(std::string(*exp)), 599);
  // RFC 3261 §20.17: rfc1123-date, always GMT.
  std::string date(ok->Value(sip::HeaderId::kDate));
  EXPECT_TRUE(std::regex_match(date, std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)")))
      << date;
}

TEST_F(Hsp, Sha256CredentialsWork) {
  SipClient c(true, tcp_);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "bob", "sip:bob@example.com", "r2", 1,
                    "Contact: <sip:bob@127.0.0.1:$PORT;transport=tcp>\n"));
  auto ch = c.Receive();
  ASSERT_TRUE(ch && ch->status() == 401);
  std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "bob", "bob-pw", 1, "SHA-256");
  ASSERT_FALSE(auth.empty());
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "bob", "sip:bob@example.com", "r2", 2,
                    "Contact: <sip:bob@127.0.0.1:$PORT;transport=tcp>\nAuthorization: " + auth + "\n"));
  auto ok = c.Receive();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
}

class HspOutbound : public ServerFixture {
  void Configure(ServerConfig& c) override { c.flow_timer_s = 25; }
};

// RFC 5626 §6: a REGISTER with +sip.instance and reg-id from a UA that
// supports outbound gets Require: outbound, plus the Flow-Timer when this
// server is its first hop; through an edge proxy only if that edge put "ob"
// in its Path URI. Then the UA's STUN keep-alive on the same flow is answered.
TEST_F(HspOutbound, OutboundRegistrationsGetRequireOutboundAndTheFlowTimer) {
  SipClient c(false, udp_);
  const std::string instance = ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\"";
  auto reg = [&](const std::string& contact_params, const std::string& extra) {
    std::string call_id = "ob-" + sip::RandomToken(4);
    std::string headers = "Contact: <sip:alice@127.0.0.1:$PORT;ob>" + contact_params + "\n" + extra;
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 1, headers));
    auto ch = c.ReceiveResponse();
    if (!ch || ch->status() != 401) return ch;
    std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "alice", "alice-pw");
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 2,
                      headers + "Authorization: " + auth + "\n"));
    return c.ReceiveResponse();
  };
  struct Case {
    const char* what;
    std::string contact_params, extra;
    bool require, flow_timer;
  } cases[] = {
      {"first hop", instance + ";reg-id=1", "Supported: outbound, path\n", true, true},
      {"UA without outbound", instance + ";reg-id=1", "Supported: path\n", false, false},
      {"no reg-id", instance, "Supported: outbound, path\n", false, false},
      {"edge with ob", instance + ";reg-id=1", "Supported: outbound, path\nPath: <sip:edge.example.com;lr;ob>\n", true,
       false},
      {"edge without ob, UA without outbound", instance + ";reg-id=1", "Supported: path\nPath: <sip:edge.example.com;lr>\n",
       false, false},
  };
  for (const auto& k : cases) {
    auto ok = reg(k.contact_params, k.extra);
    ASSERT_TRUE(ok) << k.what;
    ASSERT_EQ(ok->status(), 200) << k.what;
    EXPECT_EQ(ok->Value(sip::HeaderId::kRequire), k.require ? "outbound" : "") << k.what;
    EXPECT_EQ(ok->Value(sip::HeaderId::kFlowTimer), k.flow_timer ? "25" : "") << k.what;
  }

  // A UA that supports outbound behind a first hop that does not: an edge
  // whose Path URI lacks "ob", or a proxy that added no Path at all (a
  // second Via) gets 439 (§11.6).
  const std::pair<const char*, std::string> lacking[] = {
      {"edge without ob", "Supported: outbound, path\nPath: <sip:edge.example.com;lr>\n"},
      {"proxy without Path", "Supported: outbound, path\nVia: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK-edge1\n"},
  };
  for (const auto& [what, extra] : lacking) {
    auto refused = reg(instance + ";reg-id=2", extra);
    ASSERT_TRUE(refused) << what;
    EXPECT_EQ(refused->status(), 439) << what;
    EXPECT_EQ(refused->reason(), "First Hop Lacks Outbound Support") << what;
  }

  // The keep-alive on the registered flow (RFC 5626 §4.4.2).
  c.SendRaw(stun::BindingRequest("ob-keepalive", true));
  std::string raw = c.ReceiveRaw();
  auto answer = stun::Parse(raw);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->cls, stun::Class::kSuccess);
  ASSERT_NE(answer->Find(stun::attr::kXorMappedAddress), nullptr);
  auto mapped = stun::DecodeAddress(*answer->Find(stun::attr::kXorMappedAddress), answer->transaction_id);
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->port, c.port());
  EXPECT_EQ(mapped->ip[0], 127);
}

// Two UDP listen points: whatever parleyd sends to a UA that came in on the
// second one — responses, a relayed MESSAGE to the binding it registered,
// NOTIFYs of its subscription — leaves from that second one (a NAT binding
// or a strict UA accepts nothing else), not from the first.
class HspTwoUdp : public ServerFixture {
  void Configure(ServerConfig& c) override { c.listen.push_back(*ListenSpec::Parse("udp:127.0.0.1:0")); }
};

TEST_F(HspTwoUdp, EverythingToAUaLeavesFromTheListenPointItUsed) {
  uint16_t first = 0, second = 0;
  for (const auto& b : server_->bound()) {
    if (b.protocol != transport::Protocol::kUdp) continue;
    (first == 0 ? first : second) = b.address.port();
  }
  ASSERT_NE(second, 0);
  SipClient bob(false, second);
  auto ok = Register(bob, "bob", "bob-pw");
  ASSERT_TRUE(ok && ok->status() == 200);
  EXPECT_EQ(bob.last_from_port(), second);
  SipClient alice(false, first);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "via the second port", &bob);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "via the second port");
  EXPECT_EQ(alice.last_from_port(), first);  // alice's answers from the port she used

  std::string hdrs = "Event: reg\nExpires: 600\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  ASSERT_EQ(SendAuthed(bob, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", "two-udp", 1, hdrs)
                ->status(),
            407);
  bool answered = false, notified = false;
  for (int i = 0; i < 4 && !(answered && notified); ++i) {
    auto m = bob.Receive();
    ASSERT_TRUE(m);
    EXPECT_EQ(bob.last_from_port(), second) << m->start_line();
    if (m->is_response()) {
      answered = m->status() == 200;
    } else if (m->method() == sip::Method::kNotify) {
      bob.Reply(sip::MakeResponse(*m, 200, "OK")->Serialize());
      notified = true;
    }
  }
  EXPECT_TRUE(answered && notified);
}

TEST_F(Hsp, WrongPasswordAndUnknownUserAre403) {
  SipClient c(false, udp_);
  auto wrong = Register(c, "alice", "not-the-password");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status(), 403);
  auto unknown = Register(c, "mallory", "x");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status(), 403);
}

// Password guessing: after max_failures_per_user (10) failures in the window
// the account is locked for everyone, even with the right password, and
// other users are unaffected.
TEST_F(Hsp, RepeatedWrongPasswordsLockTheAccount) {
  SipClient c(false, udp_);
  for (int i = 0; i < 10; ++i) {
    auto wrong = Register(c, "carol", "guess-" + std::to_string(i));
    ASSERT_TRUE(wrong);
    ASSERT_EQ(wrong->status(), 403) << i;
  }
  auto locked = Register(c, "carol", "carol-pw");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status(), 403);
  EXPECT_EQ(locked->reason(), "Too Many Failed Attempts");
  SipClient other(false, udp_);
  auto ok = Register(other, "alice", "alice-pw");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
}

TEST_F(Hsp, StaleNonceIsRechallengedWithStaleTrue) {
  auto key = store_->GetMeta("digest_nonce_key");
  ASSERT_TRUE(key.ok() && *key);
  auth::NonceService old(**key, 300);
  std::string nonce = old.Issue(UnixNow() - 3600);
  auth::Credentials cr;
  cr.username = "alice";
  cr.realm = "example.com";
  cr.nonce = nonce;
  cr.uri = "sip:example.com";
  std::string ha1 = auth::ComputeHa1(auth::Algorithm::kMd5, "alice", "example.com", "alice-pw");
  std::string value = "Digest username=\"alice\", realm=\"example.com\", nonce=\"" + nonce +
                      "\", uri=\"sip:example.com\", response=\"" + auth::ExpectedResponse(cr, ha1, "REGISTER") +
                      "\", algorithm=MD5";
  SipClient c(false, udp_);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "r3", 1,
                    "Contact: <sip:alice@127.0.0.1:$PORT>\nAuthorization: " + value + "\n"));
  auto r = c.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 401);
  EXPECT_NE(r->Value(sip::HeaderId::kWwwAuthenticate).find("stale=true"), std::string_view::npos);
}

TEST_F(Hsp, UnknownAuthorizationSchemeIsChallengedRfc4475Regaut01) {
  SipClient c(false, udp_);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "r4", 1,
                    "Authorization: NoOneKnowsThisScheme opaque-data=here\n"));
  auto r = c.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 401);
}

TEST_F(Hsp, DigestUriMayNameTheServerButNotAnotherResource) {
  SipClient c(false, udp_);
  for (auto [uri, want] : {std::pair<std::string, int>{"sip:127.0.0.1:" + std::to_string(udp_), 200},
                           std::pair<std::string, int>{"sip:alice@example.com", 400}}) {
    std::string call_id = "u-" + sip::RandomToken(4);
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 1,
                      "Contact: <sip:alice@127.0.0.1:$PORT>\n"));
    auto ch = c.Receive();
    ASSERT_TRUE(ch && ch->status() == 401);
    std::string auth = testing::AnswerChallenge(*ch, "REGISTER", uri, "alice", "alice-pw");
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 2,
                      "Contact: <sip:alice@127.0.0.1:$PORT>\nAuthorization: " + auth + "\n"));
    auto r = c.Receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status(), want) << uri;
  }
}

TEST_F(Hsp, RegistrarRules) {
  SipClient c(false, udp_);
  auto brief = Register(c, "alice", "alice-pw", 10);
  ASSERT_TRUE(brief);
  EXPECT_EQ(brief->status(), 423);
  EXPECT_EQ(brief->Value(sip::HeaderId::kMinExpires), "60");
  auto ok = Register(c, "alice", "alice-pw", 99999, "same-call");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  EXPECT_EQ(ok->contacts()[0].params.Get("expires"), "3600");  // capped at max
  // Contact: * with Expires: 0 removes everything (needs credentials).
  std::string call_id = "star-" + sip::RandomToken(3);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 1,
                    "Contact: *\nExpires: 0\n"));
  auto ch = c.Receive();
  ASSERT_TRUE(ch && ch->status() == 401);
  std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "alice", "alice-pw");
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 2,
                    "Contact: *\nExpires: 0\nAuthorization: " + auth + "\n"));
  auto removed = c.Receive();
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status(), 200);
  EXPECT_TRUE(removed->contacts().empty());

  // At most registrar.max_contacts (default 20) bindings per AOR: a REGISTER
  // that would add the 21st is refused whole.
  std::string many;
  for (int i = 0; i < 21; ++i) many += "Contact: <sip:alice@10.9.0." + std::to_string(i + 1) + ">\n";
  call_id = "many-" + sip::RandomToken(3);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 1, many));
  ch = c.Receive();
  ASSERT_TRUE(ch && ch->status() == 401);
  auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "alice", "alice-pw");
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", call_id, 2,
                    many + "Authorization: " + auth + "\n"));
  auto refused = c.Receive();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 403);
  EXPECT_EQ(refused->reason(), "Too Many Contacts");
  // None of them was bound: the next REGISTER's 200 lists its own contact only.
  auto one = Register(c, "alice", "alice-pw");
  ASSERT_TRUE(one && one->status() == 200);
  EXPECT_EQ(one->contacts().size(), 1u);
}

TEST_F(Hsp, MessageBetweenTwoRegisteredUsers) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(true, tcp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "hello bob", &bob);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "hello bob");
  ASSERT_TRUE(received_msg_);
  EXPECT_EQ(received_msg_->content_type()->Essence(), "text/plain");
  EXPECT_EQ(received_msg_->Find(sip::HeaderId::kProxyAuthorization), nullptr);  // consumed
  EXPECT_EQ(received_msg_->vias().size(), 2u);                                  // ours + alice's
  EXPECT_EQ(received_msg_->max_forwards(), 69u);
}

TEST_F(Hsp, OfflineUnknownAndForeignTargets) {
  SipClient alice(false, udp_);
  EXPECT_EQ(SendMessage(alice, "alice", "alice-pw", "sip:carol@example.com", "x")->status(), 202);  // stored
  EXPECT_EQ(SendMessage(alice, "alice", "alice-pw", "sip:nobody@example.com", "x")->status(), 404);
  auto fed = SendMessage(alice, "alice", "alice-pw", "sip:someone@example.org", "x");
  ASSERT_TRUE(fed);
  EXPECT_EQ(fed->status(), 403);
  EXPECT_EQ(fed->reason(), "Federation Disabled");
  // Without credentials the same request is only challenged: no open relay.
  alice.SendRaw(Request(alice, "MESSAGE", "sip:someone@example.org", "alice", "sip:someone@example.org", "relay", 1));
  auto ch = alice.Receive();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->status(), 407);
}

TEST_F(Hsp, ReceptionPolicyBlocksAndDiscards) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  ASSERT_TRUE(store_->SetPolicyEntry("bob@example.com", {"alice@example.com", store::PolicyAction::kBlock}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // change feed
  SipClient alice(false, udp_);
  auto blocked = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "spam");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status(), 403);
  ASSERT_TRUE(store_->SetPolicyMode("bob@example.com", store::BlockMode::kDiscard).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto dropped = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "spam");
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->status(), 200);
  EXPECT_EQ(bob.Receive(), nullptr);  // nothing reached bob
  // carol is not blocked.
  SipClient carol(false, udp_);
  auto ok = SendMessage(carol, "carol", "carol-pw", "sip:bob@example.com", "hi", &bob);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
}

// Load shedding: one shard, at most one transaction in flight.
class HspOverload : public ServerFixture {
 protected:
  void Configure(ServerConfig& c) override {
    c.threads = 1;
    c.overload_transactions = 1;
    c.overload_store_queue = 0;
  }
};

TEST_F(HspOverload, NewRequestsGet503WhileTransactionsPileUp) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  // alice's MESSAGE reaches bob's UA, which does not answer yet: its server
  // and client transactions stay in flight.
  SipClient alice(false, udp_);
  auto ch = SendAuthed(alice, "MESSAGE", "sip:bob@example.com", "alice", "sip:bob@example.com", "ovl-1", 1,
                       "Content-Type: text/plain\n", "hold on");
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->status(), 407);
  auto held = bob.Receive();
  ASSERT_TRUE(held);
  ASSERT_EQ(held->method(), sip::Method::kMessage);

  SipClient carol(false, udp_);
  carol.SendRaw(Request(carol, "REGISTER", "sip:example.com", "carol", "sip:carol@example.com", "ovl-2", 1,
                        "Contact: <sip:carol@127.0.0.1:$PORT>\n"));
  auto shed = carol.ReceiveResponse();
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status(), 503);
  EXPECT_EQ(shed->reason(), "Server Overloaded");
  EXPECT_EQ(shed->Value(sip::HeaderId::kRetryAfter), "2");
  // In-dialog requests still get through (here: to a dialog nobody knows).
  carol.SendRaw(Request(carol, "NOTIFY", "sip:carol@127.0.0.1", "carol", "<sip:bob@example.com>;tag=zz", "ovl-3", 1,
                        "Event: presence\nSubscription-State: active\n"));
  auto in_dialog = carol.ReceiveResponse();
  ASSERT_TRUE(in_dialog);
  EXPECT_NE(in_dialog->status(), 503);
  // OPTIONS to the server is answered without a transaction: monitoring works.
  carol.SendRaw(Request(carol, "OPTIONS", "sip:example.com", "carol", "sip:example.com", "ovl-4", 1));
  auto options = carol.ReceiveResponse();
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status(), 200);

  // bob answers: nothing in flight any more, carol gets her challenge.
  bob.Reply(sip::MakeResponse(*held, 200, "OK", "b1")->Serialize());
  auto delivered = alice.Receive();
  ASSERT_TRUE(delivered);
  EXPECT_EQ(delivered->status(), 200);
  carol.SendRaw(Request(carol, "REGISTER", "sip:example.com", "carol", "sip:carol@example.com", "ovl-5", 1,
                        "Contact: <sip:carol@127.0.0.1:$PORT>\n"));
  auto normal = carol.ReceiveResponse();
  ASSERT_TRUE(normal);
  EXPECT_EQ(normal->status(), 401);
}

TEST_F(Hsp, IdentityMismatchIs403) {
  // alice authenticates but claims to register bob.
  SipClient c(false, udp_);
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:bob@example.com", "r9", 1,
                    "Contact: <sip:x@127.0.0.1:$PORT>\n"));
  auto ch = c.Receive();
  ASSERT_TRUE(ch && ch->status() == 401);
  std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "alice", "alice-pw");
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:bob@example.com", "r9", 2,
                    "Contact: <sip:x@127.0.0.1:$PORT>\nAuthorization: " + auth + "\n"));
  auto r = c.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 403);
}

// RFC 3327: a REGISTER's Path is kept with the binding and echoed in the
// 200 when the UA supports it (§5.3); a request for the user goes to the
// first Path URI, with the Path values as its Route set (§5.4).
TEST_F(Hsp, PathIsStoredEchoedAndUsedAsRoute) {
  SipClient edge(false, udp_);  // the proxy between bob and us
  SipClient bob(false, udp_);
  const std::string path = "<sip:127.0.0.1:" + std::to_string(edge.port()) + ";lr>, <sip:192.0.2.60;lr>";
  const std::string contact = "Contact: <sip:bob@127.0.0.1:$PORT>;expires=600\n";
  ASSERT_TRUE(SendAuthed(bob, "REGISTER", "sip:example.com", "bob", "sip:bob@example.com", "path-reg", 1,
                         contact + "Supported: path\nPath: " + path + "\n"));
  auto ok = bob.ReceiveResponse();
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  std::vector<std::string> echoed;
  ok->ForEachValue(sip::HeaderId::kPath, [&](std::string_view v) {
    echoed.emplace_back(v);
    return true;
  });
  EXPECT_EQ(echoed, (std::vector<std::string>{"<sip:127.0.0.1:" + std::to_string(edge.port()) + ";lr>",
                                              "<sip:192.0.2.60;lr>"}));

  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "through the edge", &edge);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  ASSERT_TRUE(received_msg_);
  EXPECT_EQ(received_, "through the edge");
  EXPECT_EQ(received_msg_->request_uri_text(), "sip:bob@127.0.0.1:" + std::to_string(bob.port()));
  std::vector<std::string> route;
  received_msg_->ForEachValue(sip::HeaderId::kRoute, [&](std::string_view v) {
    route.emplace_back(v);
    return true;
  });
  EXPECT_EQ(route, echoed);
  EXPECT_FALSE(bob.Receive());  // not straight to bob

  // A UA that does not say it supports Path gets no Path back.
  ASSERT_TRUE(SendAuthed(bob, "REGISTER", "sip:example.com", "bob", "sip:bob@example.com", "path-reg", 3,
                         contact + "Path: " + path + "\n"));
  auto again = bob.ReceiveResponse();
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status(), 200);
  EXPECT_EQ(again->Find(sip::HeaderId::kPath), nullptr);

  // The binding reloaded after a restart still goes through the edge.
  Restart();
  received_msg_.reset();
  SipClient alice2(false, udp_);  // the server's port is new
  r = SendMessage(alice2, "alice", "alice-pw", "sip:bob@example.com", "after the restart", &edge);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "after the restart");
}

TEST_F(Hsp, LargeMessageToUdpContactIs513) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(true, tcp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", std::string(3000, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 513);
}

// §18.1.1: the 1300-byte limit is for UDP; a contact reached over its TCP
// flow gets the large request.
TEST_F(Hsp, LargeMessageGoesOverTheContactsTcpFlow) {
  SipClient bob(true, tcp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(false, udp_);
  const std::string big(3000, 'y');
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", big, &bob);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, big);
}

TEST_F(Hsp, ALoopGets482) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(false, udp_);
  // The request carries a Via of ours whose loop tag matches: it has been
  // through this proxy before, unchanged.
  std::string loop_via = "Via: SIP/2.0/UDP 127.0.0.1:" + std::to_string(udp_) + ";branch=z9hG4bK-s0-feed.";
  std::string orig_via = "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKorigin\n";
  std::string call_id = "loop-" + sip::RandomToken(4);
  auto build = [&](int cseq, const std::string& tag, const std::string& auth) {
    return Request(alice, "MESSAGE", "sip:bob@example.com", "alice", "sip:bob@example.com", call_id, cseq,
                   loop_via + tag + "\n" + orig_via + "Content-Type: text/plain\n" + auth, "x");
  };
  alice.SendRaw(build(1, "00000000", ""));
  auto ch = alice.Receive();
  ASSERT_TRUE(ch && ch->status() == 407);
  std::string auth = "Proxy-Authorization: " +
                     testing::AnswerChallenge(*ch, "MESSAGE", "sip:bob@example.com", "alice", "alice-pw") + "\n";
  auto probe = sip::testing::Parse(build(2, "00000000", ""));
  std::string tag = proxy::LoopTag(*probe);
  alice.SendRaw(build(2, tag, auth));
  auto r = alice.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 482);
}

}  // namespace
}  // namespace parley::server
