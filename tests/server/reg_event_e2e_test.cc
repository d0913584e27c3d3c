// The reg event package (RFC 3680) end to end: a user watches their own
// registrations (full state, then partial state per change, unsubscribe),
// others may not, unknown packages get 489.

#include <gtest/gtest.h>

#include "hsp_fixture.h"
#include "sip/response.h"
#include "sip_client.h"

namespace parley::server {
namespace {

using testing::SipClient;

TEST_F(Hsp, RegEventFullThenPartialState) {
  SipClient phone1(false, udp_);
  ASSERT_EQ(Register(phone1, "bob", "bob-pw")->status(), 200);
  SipClient watcher(false, udp_);
  std::string call_id = "regsub-" + sip::RandomToken(4);
  std::string hdrs = "Event: reg\nAccept: application/reginfo+xml\nExpires: 600\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  watcher.SendRaw(Request(watcher, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", call_id, 1, hdrs));
  auto ch = watcher.Receive();
  ASSERT_TRUE(ch && ch->status() == 407);
  std::string auth = testing::AnswerChallenge(*ch, "SUBSCRIBE", "sip:bob@example.com", "bob", "bob-pw");
  watcher.SendRaw(Request(watcher, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", call_id, 2,
                          hdrs + "Proxy-Authorization: " + auth + "\n"));
  auto [ok, full] = ResponseAndNotify(watcher);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  EXPECT_EQ(ok->Value(sip::HeaderId::kExpires), "600");
  ASSERT_EQ(ok->contacts().size(), 1u);
  std::string dialog_target(ok->contacts()[0].uri_text);
  EXPECT_TRUE(ok->contacts()[0].uri.user.starts_with("ev-"));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->Value(sip::HeaderId::kEvent), "reg");
  EXPECT_TRUE(full->Value(sip::HeaderId::kSubscriptionState).starts_with("active;expires="));
  EXPECT_EQ(full->content_type()->Essence(), "application/reginfo+xml");
  EXPECT_NE(full->body().find("state=\"full\""), std::string_view::npos);
  EXPECT_NE(full->body().find("aor=\"sip:bob@example.com\""), std::string_view::npos);
  EXPECT_NE(full->body().find("event=\"registered\""), std::string_view::npos);
  EXPECT_EQ(full->to()->tag(), "bobt");  // our dialog: To is the watcher
  EXPECT_EQ(full->from()->tag(), ok->to()->tag());
  // Our 200 for that NOTIFY is on its way to the subscription's loop before
  // the server answers what we send after it: a change arriving while the
  // NOTIFY was still unanswered would be coalesced into full state.
  watcher.SendRaw(Request(watcher, "OPTIONS", "sip:example.com", "bob", "sip:example.com", call_id + "-ping", 1));
  auto pong = watcher.ReceiveResponse();
  ASSERT_TRUE(pong && pong->status() == 200);

  // A second phone registers: a partial NOTIFY names only it.
  SipClient phone2(false, udp_);
  ASSERT_EQ(Register(phone2, "bob", "bob-pw")->status(), 200);
  auto partial = NextNotify(watcher);
  ASSERT_TRUE(partial);
  EXPECT_NE(partial->body().find("state=\"partial\""), std::string_view::npos);
  EXPECT_NE(partial->body().find("version=\"1\""), std::string_view::npos);
  EXPECT_NE(partial->body().find(std::to_string(phone2.port())), std::string_view::npos);
  EXPECT_EQ(partial->body().find(std::to_string(phone1.port())), std::string_view::npos);

  // Unsubscribe inside the dialog: 200, then a final NOTIFY.
  std::string unsub = "SUBSCRIBE " + dialog_target + " SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:$PORT;branch=z9hG4bKu" +
                      sip::RandomToken(4) + ";rport\nMax-Forwards: 70\nTo: <sip:bob@example.com>;tag=" +
                      std::string(ok->to()->tag()) + "\nFrom: <sip:bob@example.com>;tag=bobt\nCall-ID: " + call_id +
                      "\nCSeq: 3 SUBSCRIBE\nEvent: reg\nExpires: 0\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  watcher.SendRaw(watcher.Fill(testing::ToCrlf(unsub + "Content-Length: 0\n\n")));
  auto uch = watcher.Receive();
  ASSERT_TRUE(uch && uch->status() == 407);
  std::string uauth = testing::AnswerChallenge(*uch, "SUBSCRIBE", dialog_target, "bob", "bob-pw");
  std::string again = unsub;
  again.replace(again.find("CSeq: 3"), 7, "CSeq: 4");
  again.replace(again.find(";branch=z9hG4bKu"), 16, ";branch=z9hG4bKv");
  watcher.SendRaw(watcher.Fill(testing::ToCrlf(again + "Proxy-Authorization: " + uauth + "\nContent-Length: 0\n\n")));
  auto [uok, last] = ResponseAndNotify(watcher);
  ASSERT_TRUE(uok);
  EXPECT_EQ(uok->status(), 200);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=timeout");
}

TEST_F(Hsp, RegEventForOthersIsForbiddenAndUnknownPackagesGet489) {
  SipClient c(false, udp_);
  std::string hdrs = "Event: reg\nContact: <sip:carol@127.0.0.1:$PORT>\n";
  c.SendRaw(Request(c, "SUBSCRIBE", "sip:bob@example.com", "carol", "sip:bob@example.com", "s1", 1, hdrs));
  auto ch = c.Receive();
  ASSERT_TRUE(ch && ch->status() == 407);
  std::string auth = testing::AnswerChallenge(*ch, "SUBSCRIBE", "sip:bob@example.com", "carol", "carol-pw");
  c.SendRaw(Request(c, "SUBSCRIBE", "sip:bob@example.com", "carol", "sip:bob@example.com", "s1", 2,
                    hdrs + "Proxy-Authorization: " + auth + "\n"));
  auto r = c.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 403);

  std::string bad = "Event: no-such-package\nContact: <sip:carol@127.0.0.1:$PORT>\n";
  c.SendRaw(Request(c, "SUBSCRIBE", "sip:bob@example.com", "carol", "sip:bob@example.com", "s2", 1, bad));
  auto ch2 = c.Receive();
  ASSERT_TRUE(ch2 && ch2->status() == 407);
  std::string auth2 = testing::AnswerChallenge(*ch2, "SUBSCRIBE", "sip:bob@example.com", "carol", "carol-pw");
  c.SendRaw(Request(c, "SUBSCRIBE", "sip:bob@example.com", "carol", "sip:bob@example.com", "s2", 2,
                    bad + "Proxy-Authorization: " + auth2 + "\n"));
  auto r2 = c.Receive();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status(), 489);
  EXPECT_EQ(r2->Value(sip::HeaderId::kAllowEvents), "reg, presence, presence.winfo, dialog, dialog.winfo");
}

}  // namespace
}  // namespace parley::server
