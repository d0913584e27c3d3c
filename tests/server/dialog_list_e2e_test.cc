// Busy-lamp lists end to end (RFC 4662 with RFC 4235): one SUBSCRIBE for
// `Event: dialog` to a list (a group, a user's own service over XCAP)
// watches the calls of every member, as a desk phone's BLF list key does;
// each member's part is its full dialog-info document, numbered with the
// NOTIFY, and its presence rules decide what the subscriber sees.

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "call_fixture.h"
#include "rls_fixture.h"

namespace parley::server {
namespace {

constexpr std::string_view kDialogInfo = "application/dialog-info+xml";

class DialogLists : public CallFixture<PresenceLists> {
 protected:
  using Docs = std::map<std::string, std::string>;  // member -> its latest dialog-info document

  ListSubscription Lamps(SipClient& c, const std::string& user, const std::string& list, const std::string& call_id) {
    return SubscribeList(c, user, list, call_id,
                         "Supported: eventlist\nAccept: application/dialog-info+xml, application/rlmi+xml, "
                         "multipart/related\n",
                         "dialog", kDialogInfo);
  }

  // Reads `c`'s NOTIFYs (each answered) until `done` holds for the latest
  // document of each member (at most eight): what they said last. Every
  // part is a full document numbered with its NOTIFY.
  static Docs Follow(SipClient& c, const std::vector<std::string>& members, const std::function<bool(Docs&)>& done) {
    Docs docs;
    for (int i = 0; i < 8 && !done(docs); ++i) {
      auto n = NextNotify(c);
      if (!n) break;
      EXPECT_EQ(n->Value(sip::HeaderId::kEvent), "dialog");
      auto body = Parse(n, kDialogInfo);
      if (!body) {
        ADD_FAILURE() << "not a dialog list NOTIFY: " << n->body();
        break;
      }
      for (const std::string& m : members) {
        if (body->State(m) == "absent") continue;
        std::string doc = body->Doc(m);
        EXPECT_NE(doc.find("state=\"full\""), std::string::npos) << doc;
        EXPECT_NE(doc.find(" version=\"" + std::to_string(body->Version()) + "\""), std::string::npos) << doc;
        EXPECT_EQ(doc.find("<duration>"), std::string::npos) << "a kept part tells no stale duration";
        docs[m] = std::move(doc);
      }
    }
    return docs;
  }
  static bool Says(const Docs& docs, const std::string& member, std::string_view text) {
    auto it = docs.find(member);
    return it != docs.end() && it->second.find(text) != std::string::npos;
  }
  static bool Idle(const Docs& docs, const std::string& member) {
    auto it = docs.find(member);
    return it != docs.end() && it->second.find("<dialog ") == std::string::npos;
  }

  static std::string BlfService(const std::string& service, const std::string& entries, const std::string& package) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\" "
           "xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\"><service uri=\"" +
           service + "\"><rl:list>" + entries + "</rl:list><packages><package>" + package +
           "</package></packages></service></rls-services>";
  }
};

TEST_F(DialogLists, ABusyLampListOfAGroupFollowsEachMembersCalls) {
  MakeTeam();
  SipClient carol(false, udp_);
  auto lamps = Lamps(carol, "carol", "team", "blf-1");
  ASSERT_EQ(lamps.status, 200);
  EXPECT_EQ(lamps.response->Value(sip::HeaderId::kRequire), "eventlist");
  ASSERT_TRUE(lamps.body) << (lamps.notify ? std::string(lamps.notify->body()) : "no NOTIFY");
  EXPECT_EQ(lamps.notify->Value(sip::HeaderId::kEvent), "dialog");
  EXPECT_EQ(lamps.notify->Value(sip::HeaderId::kRequire), "eventlist");
  EXPECT_TRUE(lamps.body->Full());
  for (const std::string u : {"alice", "bob", "carol"}) {
    EXPECT_EQ(lamps.body->State(u), "active") << u;
    const std::string doc = lamps.body->Doc(u);
    EXPECT_NE(doc.find("entity=\"sip:" + u + "@example.com\""), std::string::npos) << doc;
    EXPECT_NE(doc.find("version=\"0\" state=\"full\""), std::string::npos) << doc;
    EXPECT_EQ(doc.find("<dialog "), std::string::npos) << "nobody is in a call: " << doc;
  }

  // alice calls bob, bob's phone rings: both lamps show it.
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "blf-call");
  ASSERT_TRUE(inv);
  bob.Reply(Answer(*inv, 180, "Ringing", "bob-1"));
  ASSERT_TRUE(Next(alice));
  const std::vector<std::string> members{"alice", "bob", "carol"};
  Docs ringing = Follow(carol, members, [](Docs& d) {
    return Says(d, "alice", ">early</state>") && Says(d, "bob", ">early</state>");
  });
  ASSERT_TRUE(Says(ringing, "bob", "call-id=\"blf-call\" local-tag=\"bob-1\"")) << ringing["bob"];
  EXPECT_TRUE(Says(ringing, "bob", "direction=\"recipient\""));
  // What a pickup key needs: the dialog's ids and where to send the INVITE with Replaces.
  EXPECT_TRUE(Says(ringing, "bob", "<local><identity>sip:bob@example.com</identity><target uri=\"sip:bob@example.com\"/>"));
  EXPECT_TRUE(Says(ringing, "alice", "direction=\"initiator\""));
  EXPECT_TRUE(Says(ringing, "alice", "remote-tag=\"bob-1\""));
  EXPECT_TRUE(!ringing.count("carol") || Idle(ringing, "carol")) << "carol is in no call";

  auto answered = Answered(bob, alice, *inv, "bob-1");
  ASSERT_TRUE(answered);
  Docs talking = Follow(carol, members, [](Docs& d) {
    return Says(d, "alice", ">confirmed</state>") && Says(d, "bob", ">confirmed</state>");
  });
  EXPECT_TRUE(Says(talking, "bob", ">confirmed</state>")) << talking["bob"];

  ASSERT_TRUE(AckAndHangUp(alice, bob, *answered, "bob-1"));
  // The call over: both lamps dark (a full document without the dialog).
  Docs idle = Follow(carol, members, [](Docs& d) { return Idle(d, "alice") && Idle(d, "bob"); });
  EXPECT_TRUE(Idle(idle, "alice") && Idle(idle, "bob")) << idle["alice"] << idle["bob"];

  // Without eventlist: 421, as for presence lists.
  SipClient dave(false, udp_);
  auto [no, none] = Subscribe(dave, "alice", "team", "blf-421", 600, "", "dialog");
  ASSERT_TRUE(no);
  EXPECT_EQ(no->status(), 421);
}

// A user's own busy-lamp list (RFC 4826 §4.2 <packages>): a service for the
// dialog package serves dialog subscriptions only; the subscription, its
// list and the answered calls of its members come back after a restart;
// the member's presence rules apply (polite blocking shows no calls).
TEST_F(DialogLists, AUsersOwnBusyLampListOverXcapSurvivesARestart) {
  const std::string path = "/xcap/rls-services/users/sip:alice@example.com/index";
  const std::string entries = "<rl:entry uri=\"sip:bob@example.com\"/><rl:entry uri=\"sip:carol@example.com\"/>";
  ASSERT_EQ(Http("PUT", path, "alice", BlfService("sip:alice-blf@example.com", entries, "dialog"),
                 "application/rls-services+xml")
                .status,
            201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed

  // For presence, the service's URI is no list (an address nobody has).
  SipClient other(false, udp_);
  auto presence = SubscribeList(other, "alice", "alice-blf", "blf-pres");
  ASSERT_TRUE(presence.notify);
  EXPECT_FALSE(presence.body) << "a dialog service is no presence list";
  EXPECT_EQ(presence.notify->Value(sip::HeaderId::kContentType), "application/pidf+xml");

  SipClient alice(false, udp_);
  auto lamps = Lamps(alice, "alice", "alice-blf", "blf-own");
  ASSERT_EQ(lamps.status, 200);
  ASSERT_TRUE(lamps.body);
  EXPECT_EQ(lamps.body->State("bob"), "active");
  EXPECT_EQ(lamps.body->State("carol"), "active");
  EXPECT_EQ(lamps.body->State("alice"), "absent");
  SipClient carol(false, udp_);
  EXPECT_EQ(Lamps(carol, "carol", "alice-blf", "blf-theirs").status, 403);  // only its owner

  // alice calls bob from another phone; he answers: his lamp is lit.
  SipClient bob(false, udp_), dave(false, udp_);
  auto inv = CallBob(bob, dave, "blf-kept");
  ASSERT_TRUE(inv);
  auto answered = Answered(bob, dave, *inv, "bob-2");
  ASSERT_TRUE(answered);
  dave.SendRaw(dave.Fill(testing::ToCrlf(InDialog("ACK", *answered, bob.port(), 2))));
  ASSERT_TRUE(Next(bob));
  const std::vector<std::string> members{"bob", "carol"};
  Docs talking = Follow(alice, members, [](Docs& d) { return Says(d, "bob", ">confirmed</state>"); });
  ASSERT_TRUE(Says(talking, "bob", "call-id=\"blf-kept\"")) << talking["bob"];

  // Over a restart the subscription, its list and bob's call (kept: a
  // list watches him) come back: the full state shows him in the call.
  Restart();
  Docs kept = Follow(alice, members, [](Docs& d) { return Says(d, "bob", ">confirmed</state>"); });
  EXPECT_TRUE(Says(kept, "bob", "call-id=\"blf-kept\"")) << kept["bob"];
  EXPECT_TRUE(Idle(kept, "carol")) << kept["carol"];

  // bob blocks alice politely: his lamp shows no call any more.
  SetRuleOf("bob", "alice", presence::rules::SubHandling::kPoliteBlock);
  Docs hidden = Follow(alice, members, [](Docs& d) { return Idle(d, "bob"); });
  EXPECT_TRUE(Idle(hidden, "bob")) << hidden["bob"];
}

// A phone that carries its list in the SUBSCRIBE (RFC 5367) to the list
// server's URI watches the calls of its entries.
TEST_F(DialogLists, AListCarriedInTheSubscribeWatchesItsEntriesCalls) {
  SipClient alice(false, udp_);
  const std::string uri = "sip:rls@example.com";
  auto ch = SendAuthed(alice, "SUBSCRIBE", uri, "alice", uri, "blf-carried", 1,
                       "Event: dialog\nExpires: 600\nContact: <sip:alice@127.0.0.1:$PORT>\nSupported: eventlist\n"
                       "Require: recipient-list-subscribe\nContent-Disposition: recipient-list\n"
                       "Content-Type: application/resource-lists+xml\n",
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?><resource-lists "
                       "xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list><entry uri=\"sip:bob@example.com\"/>"
                       "</list></resource-lists>");
  ASSERT_TRUE(ch && ch->status() == 407);
  auto [ok, first] = ResponseAndNotify(alice);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->reason();
  auto body = Parse(first, kDialogInfo);
  ASSERT_TRUE(body) << (first ? std::string(first->body()) : "no NOTIFY");
  EXPECT_EQ(first->Value(sip::HeaderId::kEvent), "dialog");
  EXPECT_EQ(body->State("bob"), "active");

  SipClient bob(false, udp_), dave(false, udp_);
  auto inv = CallBob(bob, dave, "blf-carried-call");
  ASSERT_TRUE(inv);
  bob.Reply(Answer(*inv, 180, "Ringing", "bob-3"));
  ASSERT_TRUE(Next(dave));
  Docs ringing = Follow(alice, {"bob"}, [](Docs& d) { return Says(d, "bob", ">early</state>"); });
  EXPECT_TRUE(Says(ringing, "bob", "call-id=\"blf-carried-call\"")) << ringing["bob"];
}

}  // namespace
}  // namespace parley::server
