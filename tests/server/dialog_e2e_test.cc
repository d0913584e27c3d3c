// The dialog event package (RFC 4235) end to end: watchers of bob (and of
// alice) subscribe to `Event: dialog` and see alice's call to bob ring,
// be answered and end, be cancelled, fork to two devices; a watcher that
// arrives during a call gets it in its full state; privacy hides the
// caller; the presence rules decide who may watch.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "call_fixture.h"
#include "presence_fixture.h"

namespace parley::server {
namespace {

constexpr const char* kDialog = "dialog";

class DialogEvents : public CallFixture<Presence> {
 protected:
  // `watcher` watches `user`'s dialogs: the first NOTIFY (full state).
  sip::MessagePtr Watch(SipClient& c, const std::string& watcher, const std::string& user) {
    auto [ok, first] = Subscribe(c, watcher, user, "dlg-" + sip::RandomToken(4), 600, "", kDialog);
    EXPECT_TRUE(ok && ok->status() == 200) << (ok ? ok->reason() : "no answer");
    if (first) {
      EXPECT_EQ(first->Value(sip::HeaderId::kContentType), "application/dialog-info+xml");
      EXPECT_EQ(first->Value(sip::HeaderId::kEvent), "dialog");
    }
    return std::move(first);
  }
  // `<dialog id="…"` of the first dialog in a NOTIFY's body, or "".
  static std::string IdOfFirstDialog(const sip::Message& notify) {
    const std::string_view body = notify.body();
    const size_t at = body.find("<dialog id=\"");
    if (at == std::string_view::npos) return {};
    const size_t end = body.find('"', at + 12);
    return end == std::string_view::npos ? std::string() : std::string(body.substr(at, end + 1 - at));
  }
};

TEST_F(DialogEvents, WatchersSeeACallRingBeAnsweredAndEnd) {
  SipClient carol(false, udp_), dave(false, udp_);
  auto idle = Watch(carol, "carol", "bob");
  ASSERT_TRUE(idle);
  EXPECT_TRUE(Has(idle, "state=\"full\""));
  EXPECT_TRUE(Has(idle, "entity=\"sip:bob@example.com\""));
  EXPECT_FALSE(Has(idle, "<dialog "));
  ASSERT_TRUE(Watch(dave, "carol", "alice"));

  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "dlg-call-1");
  ASSERT_TRUE(inv);
  // alice's side is trying from the INVITE we forward (RFC 4235 §3.7.1).
  auto trying = NextNotify(dave);
  ASSERT_TRUE(trying);
  EXPECT_TRUE(Has(trying, "call-id=\"dlg-call-1\""));
  EXPECT_TRUE(Has(trying, "direction=\"initiator\""));
  EXPECT_FALSE(Has(trying, "remote-tag="));
  EXPECT_TRUE(Has(trying, "<state>trying</state>"));
  // A party's target is its address (our proxy forks a pickup's INVITE
  // with Replaces to its devices), or the GRUU its Contact is.
  EXPECT_TRUE(Has(trying, "<remote><identity>sip:bob@example.com</identity><target uri=\"sip:bob@example.com\"/>"));
  const std::string alice_at = "<target uri=\"sip:alice@example.com\"/>";
  const std::string bob_gruu = "sip:bob@example.com;gr=urn:uuid:00000000-0000-1000-8000-0000000000b1";
  const std::string bob_at = "<target uri=\"" + bob_gruu + "\"/>";
  EXPECT_TRUE(Has(trying, "<local><identity>sip:alice@example.com</identity>" + alice_at + "</local>"));
  std::string during_trying = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(during_trying.find("\nparley_dialogs{state=\"trying\"} 1\n"), std::string::npos) << during_trying;
  const std::string id = IdOfFirstDialog(*trying);
  ASSERT_FALSE(id.empty());
  // bob's device rings with its GRUU as Contact: that device is the target.
  bob.Reply(Answer(*inv, 180, "Ringing", "bob-1", "<" + bob_gruu + ">"));
  ASSERT_TRUE(Next(alice));
  auto ringing = NextNotify(carol);
  ASSERT_TRUE(ringing);
  EXPECT_TRUE(Has(ringing, "state=\"partial\""));
  EXPECT_TRUE(Has(ringing, "call-id=\"dlg-call-1\" local-tag=\"bob-1\""));
  EXPECT_TRUE(Has(ringing, "direction=\"recipient\""));
  EXPECT_TRUE(Has(ringing, "<state code=\"180\">early</state>"));
  EXPECT_TRUE(Has(ringing, "<remote><identity>sip:alice@example.com</identity>" + alice_at + "</remote>"));
  EXPECT_TRUE(Has(ringing, "<local><identity>sip:bob@example.com</identity>" + bob_at + "</local>"));
  auto calling = NextNotify(dave);
  ASSERT_TRUE(calling);
  EXPECT_TRUE(Has(calling, "remote-tag=\"bob-1\" direction=\"initiator\""));
  EXPECT_TRUE(Has(calling, "<state code=\"180\">early</state>"));
  EXPECT_TRUE(Has(calling, id)) << "the trying dialog became the early one";
  EXPECT_TRUE(Has(calling, "<remote><identity>sip:bob@example.com</identity>" + bob_at + "</remote>"));

  auto answered = Answered(bob, alice, *inv, "bob-1");
  ASSERT_TRUE(answered);
  auto busy = NextNotify(carol);
  EXPECT_TRUE(Has(busy, "<state>confirmed</state>"));
  // The 2xx's Contact is no GRUU: bob's address is the target again.
  EXPECT_TRUE(Has(busy, "<local><identity>sip:bob@example.com</identity><target uri=\"sip:bob@example.com\"/>"));
  auto talking = NextNotify(dave);
  EXPECT_TRUE(Has(talking, "<state>confirmed</state>"));
  EXPECT_TRUE(Has(talking, id));

  std::string during = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(during.find("\nparley_dialogs{state=\"confirmed\"} 2\n"), std::string::npos) << during;

  ASSERT_TRUE(AckAndHangUp(alice, bob, *answered, "bob-1"));
  auto ended = NextNotify(carol);
  EXPECT_TRUE(Has(ended, "<state event=\"remote-bye\">terminated</state>"));
  EXPECT_TRUE(Has(NextNotify(dave), "<state event=\"local-bye\">terminated</state>"));

  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_dialogs{state=\"confirmed\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\nparley_dialogs_ended_total 2\n"), std::string::npos) << m;  // bob's and alice's

  // Nothing left: a new watcher sees bob idle.
  SipClient erin(false, udp_);
  auto after = Watch(erin, "carol", "bob");
  EXPECT_FALSE(Has(after, "<dialog "));
}

TEST_F(DialogEvents, ACancelledCallEndsForBothSides) {
  SipClient carol(false, udp_), dave(false, udp_);
  ASSERT_TRUE(Watch(carol, "carol", "bob"));
  ASSERT_TRUE(Watch(dave, "carol", "alice"));
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "dlg-call-2");
  ASSERT_TRUE(inv);
  // Answered before the next change, or a NOTIFY waiting for its 200 could
  // be sent again and read as the next one.
  EXPECT_TRUE(Has(NextNotify(dave), "trying"));
  bob.Reply(Answer(*inv, 180, "Ringing", "bob-2"));
  auto ringing = Next(alice);
  ASSERT_TRUE(ringing && ringing->status() == 180);
  EXPECT_TRUE(Has(NextNotify(carol), "early"));
  EXPECT_TRUE(Has(NextNotify(dave), "early"));

  std::string cancel = "CANCEL sip:bob@example.com SIP/2.0\nVia: " + std::string(ringing->Value(sip::HeaderId::kVia)) +
                       "\nMax-Forwards: 70\nFrom: " + std::string(ringing->Value(sip::HeaderId::kFrom)) +
                       "\nTo: <sip:bob@example.com>\nCall-ID: dlg-call-2\nCSeq: 2 CANCEL\nContent-Length: 0\n\n";
  alice.SendRaw(alice.Fill(testing::ToCrlf(cancel)));
  auto got_cancel = Next(bob);
  for (int i = 0; i < 3 && got_cancel && got_cancel->method() != sip::Method::kCancel; ++i) got_cancel = Next(bob);
  ASSERT_TRUE(got_cancel && got_cancel->method() == sip::Method::kCancel);
  bob.Reply(Answer(*got_cancel, 200, "OK", "bob-2"));
  bob.Reply(Answer(*inv, 487, "Request Terminated", "bob-2"));
  EXPECT_TRUE(Has(NextNotify(carol), "<state event=\"cancelled\" code=\"487\">terminated</state>"));
  EXPECT_TRUE(Has(NextNotify(dave), "<state event=\"cancelled\" code=\"487\">terminated</state>"));
}

// A caller's call is trying until a dialog of it appears; a refusal
// before any ends it (the id it had, no remote tag).
TEST_F(DialogEvents, ACallerIsTryingUntilTheCallFails) {
  SipClient dave(false, udp_);
  ASSERT_TRUE(Watch(dave, "carol", "alice"));
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "dlg-call-5");
  ASSERT_TRUE(inv);
  auto trying = NextNotify(dave);
  EXPECT_TRUE(Has(trying, "<state>trying</state>"));
  // A provisional without a To tag: proceeding.
  bob.Reply(Answer(*inv, 183, "Session Progress", ""));
  auto proceeding = NextNotify(dave);
  EXPECT_TRUE(Has(proceeding, "<state code=\"183\">proceeding</state>"));
  EXPECT_FALSE(Has(proceeding, "remote-tag="));
  bob.Reply(Answer(*inv, 486, "Busy Here", "bob-5"));
  sip::MessagePtr refused;
  for (int i = 0; i < 4 && !(refused && refused->status() == 486); ++i) refused = Next(alice);
  ASSERT_TRUE(refused && refused->status() == 486);
  auto ended = NextNotify(dave);
  EXPECT_TRUE(Has(ended, "<state event=\"rejected\" code=\"486\">terminated</state>"));
  EXPECT_FALSE(Has(ended, "remote-tag="));
  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_dialogs{state=\"trying\"} 0\n"), std::string::npos) << m;
}

TEST_F(DialogEvents, ForkedEarlyDialogsEndWhenOneDeviceAnswers) {
  SipClient carol(false, udp_);
  ASSERT_TRUE(Watch(carol, "carol", "bob"));
  SipClient desk(false, udp_), phone(false, udp_), alice(false, udp_);
  ASSERT_EQ(Register(desk, "bob", "bob-pw", 600, "reg-desk")->status(), 200);
  ASSERT_EQ(Register(phone, "bob", "bob-pw", 600, "reg-phone")->status(), 200);
  Call(alice, "dlg-call-3");
  auto inv_desk = Next(desk), inv_phone = Next(phone);
  ASSERT_TRUE(inv_desk && inv_phone);
  desk.Reply(Answer(*inv_desk, 180, "Ringing", "desk"));
  EXPECT_TRUE(Has(NextNotify(carol), "local-tag=\"desk\""));
  phone.Reply(Answer(*inv_phone, 180, "Ringing", "phone"));
  EXPECT_TRUE(Has(NextNotify(carol), "local-tag=\"phone\""));
  ASSERT_TRUE(Answered(phone, alice, *inv_phone, "phone"));
  // One NOTIFY: the phone's dialog confirmed, the desk's ended.
  auto n = NextNotify(carol);
  ASSERT_TRUE(n);
  std::string body(n->body());
  size_t phone_at = body.find("local-tag=\"phone\""), desk_at = body.find("local-tag=\"desk\"");
  ASSERT_NE(phone_at, std::string::npos) << body;
  ASSERT_NE(desk_at, std::string::npos) << body;
  EXPECT_NE(body.find("<state>confirmed</state>", phone_at), std::string::npos);
  EXPECT_NE(body.find("<state event=\"cancelled\">terminated</state>", desk_at), std::string::npos);
  auto got_cancel = Next(desk);
  ASSERT_TRUE(got_cancel && got_cancel->method() == sip::Method::kCancel);
  desk.Reply(Answer(*got_cancel, 200, "OK", "desk"));
  desk.Reply(Answer(*inv_desk, 487, "Request Terminated", "desk"));
}

TEST_F(DialogEvents, AWatcherArrivingDuringACallGetsItAndPrivacyHidesTheCaller) {
  SipClient bob(false, udp_), alice(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  Call(alice, "dlg-call-4", "Privacy: session; Id\nReferred-By: <sip:dave@example.com>\n");
  auto inv = Next(bob);
  ASSERT_TRUE(inv && inv->method() == sip::Method::kInvite);
  auto answered = Answered(bob, alice, *inv, "bob-4");
  ASSERT_TRUE(answered);

  SipClient carol(false, udp_);
  auto full = Watch(carol, "carol", "bob");
  ASSERT_TRUE(full);
  EXPECT_TRUE(Has(full, "state=\"full\""));
  EXPECT_TRUE(Has(full, "call-id=\"dlg-call-4\""));
  EXPECT_TRUE(Has(full, "<state>confirmed</state>"));
  EXPECT_TRUE(Has(full, "<local><identity>sip:bob@example.com</identity><target uri=\"sip:bob@example.com\"/></local>"));
  EXPECT_FALSE(Has(full, "sip:alice"));  // Privacy: id
  EXPECT_FALSE(Has(full, "referred-by"));  // nor who sent the caller

  // bob hangs up: his own BYE — once carol's 200 for her first NOTIFY is
  // in (it may reach another loop than the BYE: a change while that NOTIFY
  // still waits is coalesced into a full state, which tells no end event).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string bye = InDialog("BYE", *answered, alice.port(), 1, true, "alice");
  bob.SendRaw(bob.Fill(testing::ToCrlf(bye)));
  auto got = Next(alice);
  ASSERT_TRUE(got && got->method() == sip::Method::kBye);
  alice.Reply(Answer(*got, 200, "OK", "alicet"));
  EXPECT_TRUE(Has(NextNotify(carol), "<state event=\"local-bye\">terminated</state>"));
}

// Answered calls of watched users are kept in the store (written behind):
// a restarted server shows them, with the ids they had, and not those that
// ended.
TEST_F(DialogEvents, AnsweredCallsOutliveARestart) {
  SipClient frank(false, udp_);
  ASSERT_TRUE(Watch(frank, "carol", "bob"));
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "dlg-call-6");
  ASSERT_TRUE(inv);
  auto answered = Answered(bob, alice, *inv, "bob-6");
  ASSERT_TRUE(answered);
  // Each NOTIFY answered before the next change (else one waiting for its
  // 200 makes the next a full state).
  EXPECT_TRUE(Has(NextNotify(frank), "<state>confirmed</state>"));
  ASSERT_TRUE(AckAndHangUp(alice, bob, *answered, "bob-6"));
  ASSERT_TRUE(Next(alice));
  EXPECT_TRUE(Has(NextNotify(frank), "terminated"));

  SipClient dave(false, udp_);
  ASSERT_TRUE(Watch(dave, "carol", "alice"));
  Call(alice, "dlg-call-7");
  auto trying = NextNotify(dave);
  ASSERT_TRUE(Has(trying, "<state>trying</state>"));
  const std::string id = IdOfFirstDialog(*trying);
  ASSERT_FALSE(id.empty());
  auto inv2 = Next(bob);
  ASSERT_TRUE(inv2 && inv2->method() == sip::Method::kInvite);
  ASSERT_TRUE(Answered(bob, alice, *inv2, "bob-7"));
  EXPECT_TRUE(Has(NextNotify(dave), "<state>confirmed</state>"));
  EXPECT_TRUE(Has(NextNotify(frank), "dlg-call-7"));

  Restart();
  SipClient carol(false, udp_), erin(false, udp_);
  auto bobs = Watch(carol, "carol", "bob");
  ASSERT_TRUE(bobs);
  EXPECT_TRUE(Has(bobs, "call-id=\"dlg-call-7\" local-tag=\"bob-7\""));
  EXPECT_TRUE(Has(bobs, "direction=\"recipient\""));
  EXPECT_TRUE(Has(bobs, "<state>confirmed</state>"));
  EXPECT_TRUE(Has(bobs, "<remote><identity>sip:alice@example.com</identity><target uri=\"sip:alice@example.com\"/>"));
  EXPECT_FALSE(Has(bobs, "dlg-call-6"));  // its BYE took it away
  auto alices = Watch(erin, "carol", "alice");
  ASSERT_TRUE(alices);
  EXPECT_TRUE(Has(alices, id)) << "the id it had";
  EXPECT_TRUE(Has(alices, "remote-tag=\"bob-7\" direction=\"initiator\""));
  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_dialogs{state=\"confirmed\"} 2\n"), std::string::npos) << m;
}

// Directed pickup (what phones do with a BLF key): carol's phone reads
// the ringing dialog's target, Call-ID and tags, and its INVITE with
// Replaces (RFC 3891) to that target reaches bob's ringing device through
// us; the device takes carol's call and ends the one it replaced.
TEST_F(DialogEvents, AWatcherPicksARingingCallUpAtItsTarget) {
  SipClient carol(false, udp_);
  ASSERT_TRUE(Watch(carol, "carol", "bob"));
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "dlg-pickup");
  ASSERT_TRUE(inv);
  bob.Reply(Answer(*inv, 180, "Ringing", "bob-p"));
  ASSERT_TRUE(Next(alice));
  auto ringing = NextNotify(carol);
  ASSERT_TRUE(Has(ringing, "<state code=\"180\">early</state>"));
  ASSERT_TRUE(Has(ringing, "<local><identity>sip:bob@example.com</identity><target uri=\"sip:bob@example.com\"/>"));
  const std::string alice_tag(inv->from()->tag());
  ASSERT_TRUE(Has(ringing, "call-id=\"dlg-pickup\" local-tag=\"bob-p\" remote-tag=\"" + alice_tag + "\""));

  const std::string replaces = "dlg-pickup;to-tag=bob-p;from-tag=" + alice_tag;
  SipClient phone(false, udp_);
  Call(phone, "dlg-pickup-2", "Replaces: " + replaces + "\nReferred-By: \"Dave\" <sip:dave@example.com>\n", "carol");
  auto pickup = Next(bob);
  ASSERT_TRUE(pickup && pickup->method() == sip::Method::kInvite);
  const sip::HeaderField* field = pickup->Find("Replaces");
  ASSERT_NE(field, nullptr);
  EXPECT_EQ(field->value, replaces);
  EXPECT_EQ(pickup->call_id(), "dlg-pickup-2");
  auto ok = sip::MakeResponse(*pickup, 200, "OK", "bob-p2");
  ok->AddHeader(sip::HeaderId::kRecordRoute, pickup->Value(sip::HeaderId::kRecordRoute));
  ok->AddHeader(sip::HeaderId::kContact, "<sip:bob@127.0.0.1:" + std::to_string(bob.port()) + ">");
  bob.Reply(ok->Serialize());
  auto taken = Next(phone);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->status(), 200);
  auto talking = NextNotify(carol);
  EXPECT_TRUE(Has(talking, "call-id=\"dlg-pickup-2\" local-tag=\"bob-p2\""));
  EXPECT_TRUE(Has(talking, "<state>confirmed</state>"));
  // The new call says which of bob's calls it replaced, and who sent it.
  EXPECT_TRUE(Has(talking, "<replaces call-id=\"dlg-pickup\" local-tag=\"bob-p\" remote-tag=\"" + alice_tag + "\"/>"));
  EXPECT_TRUE(Has(talking, "<referred-by display=\"Dave\">sip:dave@example.com</referred-by>"));
  bob.Reply(Answer(*inv, 487, "Request Terminated", "bob-p"));
  auto gone = Next(alice);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status(), 487);
  auto ended = NextNotify(carol);
  EXPECT_TRUE(Has(ended, "call-id=\"dlg-pickup\""));
  EXPECT_TRUE(Has(ended, "terminated"));
}

// A call is a source of presence (RFC 4480 "on-the-phone"): bob's presence
// watcher sees him on the phone from the answer to the BYE.
TEST_F(DialogEvents, PresenceWatchersSeeAUserOnThePhone) {
  SipClient carol(false, udp_);
  auto [ok, offline] = Subscribe(carol, "carol", "bob", "otp-1");
  ASSERT_TRUE(ok && ok->status() == 200);
  EXPECT_FALSE(Has(offline, "on-the-phone"));
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "otp-call");
  ASSERT_TRUE(inv);
  auto registered = NextNotify(carol);  // bob's registration: open, no call yet
  EXPECT_TRUE(Has(registered, "<basic>open</basic>"));
  EXPECT_FALSE(Has(registered, "on-the-phone"));
  bob.Reply(Answer(*inv, 180, "Ringing", "bob-o"));
  ASSERT_TRUE(Next(alice));
  auto answered = Answered(bob, alice, *inv, "bob-o");
  ASSERT_TRUE(answered);
  auto talking = NextNotify(carol);
  ASSERT_TRUE(talking) << "no NOTIFY for the answer";
  EXPECT_TRUE(Has(talking, "<rpid:on-the-phone/>")) << talking->body();
  EXPECT_TRUE(Has(talking, "<basic>open</basic>"));
  // A watcher bob's rules show his services only sees no activity.
  const std::string rules =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" "
      "xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"><cr:rule id=\"a\"><cr:conditions><cr:identity>"
      "<cr:one id=\"sip:alice@example.com\"/></cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow"
      "</pr:sub-handling></cr:actions><cr:transformations><pr:provide-services><pr:all-services/>"
      "</pr:provide-services></cr:transformations></cr:rule></cr:ruleset>";
  ASSERT_EQ(Http("PUT", "/xcap/pres-rules/users/sip:bob@example.com/index", "bob", rules,
                 "application/auth-policy+xml")
                .status,
            201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the change feed
  SipClient looker(false, udp_);
  auto [seen, services_only] = Subscribe(looker, "alice", "bob", "otp-look", 0);
  ASSERT_TRUE(seen && seen->status() == 200);
  EXPECT_TRUE(Has(services_only, "<basic>open</basic>"));
  EXPECT_FALSE(Has(services_only, "on-the-phone")) << services_only->body();

  ASSERT_TRUE(AckAndHangUp(alice, bob, *answered, "bob-o"));
  auto free = NextNotify(carol);
  ASSERT_TRUE(free) << "no NOTIFY for the hang-up";
  EXPECT_FALSE(Has(free, "on-the-phone")) << free->body();
  EXPECT_TRUE(Has(free, "<basic>open</basic>"));
}

class NoCallActivity : public DialogEvents {
 protected:
  void Configure(ServerConfig& c) override {
    DialogEvents::Configure(c);
    c.presence_call_activity = false;
  }
};

// presence.call_activity = false: the call tells presence watchers nothing.
TEST_F(NoCallActivity, ACallLeavesPresenceAlone) {
  SipClient carol(false, udp_);
  auto [ok, offline] = Subscribe(carol, "carol", "bob", "otp-off");
  ASSERT_TRUE(ok && ok->status() == 200);
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "otp-off-call");
  ASSERT_TRUE(inv);
  EXPECT_TRUE(Has(NextNotify(carol), "<basic>open</basic>"));  // the registration
  ASSERT_TRUE(Answered(bob, alice, *inv, "bob-f"));
  EXPECT_EQ(Quiet(carol), nullptr);
}

class DialogEventsOfOneCall : public DialogEvents {
 protected:
  void Configure(ServerConfig& c) override {
    DialogEvents::Configure(c);
    c.dialog_max_per_user = 1;
  }
};

// A call the limit drops (its BYE may never come) ends for the watchers
// and leaves the store, like a call that ended.
TEST_F(DialogEventsOfOneCall, ACallBeyondTheLimitEndsTheOldestForWatchersAndTheStore) {
  SipClient frank(false, udp_);
  ASSERT_TRUE(Watch(frank, "carol", "bob"));
  SipClient bob(false, udp_), alice(false, udp_);
  for (const std::string n : {"1", "2"}) {
    auto inv = CallBob(bob, alice, "dlg-limit-" + n);
    ASSERT_TRUE(inv);
    ASSERT_TRUE(Answered(bob, alice, *inv, "bob-l" + n));
    auto notify = NextNotify(frank);
    ASSERT_TRUE(notify);
    EXPECT_TRUE(Has(notify, "call-id=\"dlg-limit-" + n + "\" local-tag=\"bob-l" + n + "\""));
    EXPECT_TRUE(Has(notify, "<state>confirmed</state>"));
    if (n == "2") {
      EXPECT_TRUE(Has(notify, "<state>terminated</state>")) << "the first call, without an event";
    }
  }
  Restart();
  auto calls = store_->LoadCallDialogs();
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ(calls->front().call_id, "dlg-limit-2");
}

class BlockedDialogEvents : public DialogEvents {
 protected:
  BlockedDialogEvents() { default_rule_ = "block"; }
};

TEST_F(BlockedDialogEvents, ThePresenceRulesDecideWhoWatches) {
  SipClient carol(false, udp_);
  auto [refused, none] = Subscribe(carol, "carol", "bob", "dlg-blocked", 600, "", kDialog);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 403);
  // The user always sees their own calls.
  SipClient bob(false, udp_);
  ASSERT_TRUE(Watch(bob, "bob", "bob"));
}

class ConfirmedDialogEvents : public DialogEvents {
 protected:
  ConfirmedDialogEvents() { default_rule_ = "confirm"; }
};

// The presence rules decide dialog watchers like presence watchers, and
// when the user changes them the waiting or watching subscriptions are
// decided again at once.
TEST_F(ConfirmedDialogEvents, AWatcherWaitsForTheUsersRulesAndFollowsThem) {
  // bob learns who waits to watch his calls (RFC 3857's template package).
  SipClient bob(false, udp_);
  auto [wok, wfull] = Subscribe(bob, "bob", "bob", "dlg-winfo", 600, "", "dialog.winfo");
  ASSERT_TRUE(wok && wok->status() == 200 && wfull);
  EXPECT_EQ(wfull->Value(sip::HeaderId::kContentType), "application/watcherinfo+xml");
  EXPECT_TRUE(Has(wfull, "package=\"dialog\""));
  EXPECT_FALSE(Has(wfull, "<watcher "));
  SipClient mallory(false, udp_);  // only bob watches his watchers
  auto [refused, none] = Subscribe(mallory, "alice", "bob", "dlg-winfo-other", 600, "", "dialog.winfo");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 403);

  SipClient carol(false, udp_);
  auto [waiting, first] = Subscribe(carol, "carol", "bob", "dlg-confirm", 600, "", kDialog);
  ASSERT_TRUE(waiting && first);
  EXPECT_EQ(waiting->status(), 202);
  EXPECT_TRUE(first->Value(sip::HeaderId::kSubscriptionState).starts_with("pending"));
  EXPECT_FALSE(Has(first, "dialog-info"));
  auto arrived = NextNotify(bob);
  EXPECT_TRUE(Has(arrived, "status=\"pending\""));
  EXPECT_TRUE(Has(arrived, ">sip:carol@example.com</watcher>"));
  EXPECT_TRUE(Has(arrived, "package=\"dialog\""));

  SetRuleOf("bob", "carol", presence::rules::SubHandling::kAllow);
  auto active = NextNotify(carol);
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->Value(sip::HeaderId::kSubscriptionState).starts_with("active"));
  EXPECT_TRUE(Has(active, "state=\"full\""));
  auto approved = NextNotify(bob);
  EXPECT_TRUE(Has(approved, "status=\"active\""));
  EXPECT_TRUE(Has(approved, "event=\"approved\""));

  SetRuleOf("bob", "carol", presence::rules::SubHandling::kBlock);
  auto ended = NextNotify(carol);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(ended->Value(sip::HeaderId::kSubscriptionState).starts_with("terminated"));
}

class DialogEventsOff : public DialogEvents {
 protected:
  void Configure(ServerConfig& c) override {
    DialogEvents::Configure(c);
    c.dialog_events = false;
  }
};

TEST_F(DialogEventsOff, TheServerThatTracksNoCallsServesNoDialogPackage) {
  SipClient carol(false, udp_);
  auto [refused, none] = Subscribe(carol, "carol", "bob", "dlg-off", 600, "", kDialog);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 489);
  EXPECT_EQ(refused->Value(sip::HeaderId::kAllowEvents), "reg, presence, presence.winfo");
  auto [no_winfo, none2] = Subscribe(carol, "carol", "carol", "dlg-off-winfo", 600, "", "dialog.winfo");
  ASSERT_TRUE(no_winfo);
  EXPECT_EQ(no_winfo->status(), 489);
  // Calls still go through.
  SipClient bob(false, udp_), alice(false, udp_);
  auto inv = CallBob(bob, alice, "dlg-off-call");
  ASSERT_TRUE(inv);
  bob.Reply(Answer(*inv, 486, "Busy Here", "bob-off"));
  auto busy = Next(alice);
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status(), 486);
}

}  // namespace
}  // namespace parley::server
