// One user's dialogs as the proxy's reports change them, and the
// dialog-info documents (RFC 4235) that carry them.

#include <gtest/gtest.h>

#include <pugixml.hpp>

#include "dialoginfo/user_dialogs.h"
#include "ua/dialog_info.h"

namespace parley::dialoginfo {
namespace {

DialogUpdate Response(int status, const std::string& call, const std::string& local, const std::string& remote,
                      Direction dir = Direction::kRecipient) {
  DialogUpdate u;
  u.kind = DialogUpdate::Kind::kResponse;
  u.status = status;
  u.dialog.call_id = call;
  u.dialog.local_tag = local;
  u.dialog.remote_tag = remote;
  u.dialog.direction = dir;
  u.dialog.local = {"sip:bob@example.com", "", "sip:bob@192.0.2.2;transport=tcp"};
  u.dialog.remote = {"sip:alice@example.com", "Alice \"A\" & Co", "sip:alice@192.0.2.1"};
  return u;
}

TEST(UserDialogs, RingingAnsweredAndHungUp) {
  UserDialogs d;
  DialogLimits limits;
  auto early = d.Apply(Response(180, "c1", "b", "a"), 100, limits);
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].state, DialogState::kEarly);
  EXPECT_EQ(early[0].code, 180);
  EXPECT_TRUE(d.Apply(Response(183, "c1", "b", "a"), 101, limits).empty());  // no change
  auto confirmed = d.Apply(Response(200, "c1", "b", "a"), 102, limits);
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].state, DialogState::kConfirmed);
  EXPECT_EQ(confirmed[0].created_at, 100);  // the dialog's age counts from the first response
  EXPECT_TRUE(d.Apply(Response(200, "c1", "b", "a"), 103, limits).empty());  // a retransmitted 2xx

  DialogUpdate bye;
  bye.kind = DialogUpdate::Kind::kBye;
  bye.dialog.call_id = "c1";
  bye.dialog.local_tag = "a";  // the wrong way round: not this dialog
  bye.dialog.remote_tag = "b";
  EXPECT_TRUE(d.Apply(bye, 104, limits).empty());
  std::swap(bye.dialog.local_tag, bye.dialog.remote_tag);
  auto ended = d.Apply(bye, 105, limits);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].state, DialogState::kTerminated);
  EXPECT_EQ(ended[0].event, EndEvent::kRemoteBye);
  EXPECT_TRUE(d.empty());
}

TEST(UserDialogs, TheAnswerEndsTheCallsOtherEarlyDialogsAndAFailureEndsTheRest) {
  UserDialogs d;
  DialogLimits limits;
  // alice (initiator) calls: two of bob's devices ring.
  d.Apply(Response(180, "c1", "a", "desk", Direction::kInitiator), 1, limits);
  d.Apply(Response(180, "c1", "a", "phone", Direction::kInitiator), 1, limits);
  d.Apply(Response(180, "c2", "a2", "x", Direction::kInitiator), 1, limits);  // another call
  auto answer = d.Apply(Response(200, "c1", "a", "phone", Direction::kInitiator), 2, limits);
  ASSERT_EQ(answer.size(), 2u);
  EXPECT_EQ(answer[0].remote_tag, "phone");
  EXPECT_EQ(answer[0].state, DialogState::kConfirmed);
  EXPECT_EQ(answer[1].remote_tag, "desk");
  EXPECT_EQ(answer[1].event, EndEvent::kCancelled);
  ASSERT_EQ(d.dialogs().size(), 2u);

  DialogUpdate failed;
  failed.kind = DialogUpdate::Kind::kCallFailed;
  failed.status = 486;
  failed.dialog.call_id = "c2";
  failed.dialog.local_tag = "a2";
  failed.dialog.direction = Direction::kInitiator;
  auto rejected = d.Apply(failed, 3, limits);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].event, EndEvent::kRejected);
  EXPECT_EQ(rejected[0].code, 486);
  ASSERT_EQ(d.dialogs().size(), 1u);
  EXPECT_EQ(d.dialogs()[0].state, DialogState::kConfirmed);  // a failure upstream never ends an answered dialog
}

TEST(UserDialogs, ABranchFailureEndsItsDialogWithTheMatchingEvent) {
  UserDialogs d;
  DialogLimits limits;
  d.Apply(Response(180, "c1", "b", "a"), 1, limits);
  d.Apply(Response(180, "c2", "b", "a"), 1, limits);
  d.Apply(Response(180, "c3", "b", "a"), 1, limits);
  EXPECT_EQ(d.Apply(Response(487, "c1", "b", "a"), 2, limits)[0].event, EndEvent::kCancelled);
  EXPECT_EQ(d.Apply(Response(408, "c2", "b", "a"), 2, limits)[0].event, EndEvent::kTimeout);
  EXPECT_EQ(d.Apply(Response(603, "c3", "b", "a"), 2, limits)[0].event, EndEvent::kRejected);
  EXPECT_TRUE(d.Apply(Response(486, "c4", "b", "a"), 2, limits).empty());  // never seen: nothing to end
  EXPECT_TRUE(d.empty());
}

DialogUpdate Trying(const std::string& call, const std::string& local) {
  DialogUpdate u = Response(0, call, local, "", Direction::kInitiator);
  u.kind = DialogUpdate::Kind::kTrying;
  return u;
}

// RFC 4235 §3.7.1 from the caller's side: trying, proceeding, then the
// first dialog of the call keeps the id; a fork is a dialog of its own.
TEST(UserDialogs, ACallersTryingCallBecomesItsFirstDialog) {
  UserDialogs d;
  DialogLimits limits;
  auto trying = d.Apply(Trying("c1", "a"), 1, limits);
  ASSERT_EQ(trying.size(), 1u);
  EXPECT_EQ(trying[0].state, DialogState::kTrying);
  const std::string id = DialogId(trying[0]);
  EXPECT_TRUE(d.Apply(Trying("c1", "a"), 1, limits).empty());  // the same INVITE again
  auto proceeding = d.Apply(Response(183, "c1", "a", "", Direction::kInitiator), 2, limits);
  ASSERT_EQ(proceeding.size(), 1u);
  EXPECT_EQ(proceeding[0].state, DialogState::kProceeding);
  EXPECT_EQ(proceeding[0].code, 183);
  // A branch refused with a tag: the call goes on trying its others.
  EXPECT_TRUE(d.Apply(Response(486, "c1", "a", "busy", Direction::kInitiator), 3, limits).empty());
  auto desk = d.Apply(Response(180, "c1", "a", "desk", Direction::kInitiator), 4, limits);
  ASSERT_EQ(desk.size(), 1u);
  EXPECT_EQ(desk[0].state, DialogState::kEarly);
  EXPECT_EQ(desk[0].remote_tag, "desk");
  EXPECT_EQ(DialogId(desk[0]), id);
  EXPECT_EQ(desk[0].created_at, 1);
  auto phone = d.Apply(Response(180, "c1", "a", "phone", Direction::kInitiator), 5, limits);
  ASSERT_EQ(phone.size(), 1u);
  EXPECT_NE(DialogId(phone[0]), id);
  ASSERT_EQ(d.dialogs().size(), 2u);
  auto answered = d.Apply(Response(200, "c1", "a", "phone", Direction::kInitiator), 6, limits);
  ASSERT_EQ(answered.size(), 2u);
  EXPECT_EQ(answered[0].state, DialogState::kConfirmed);
  EXPECT_EQ(answered[1].state, DialogState::kTerminated);
  EXPECT_EQ(DialogId(answered[1]), id);

  // Answered at once: trying becomes confirmed.
  d.Apply(Trying("c2", "a2"), 7, limits);
  auto at_once = d.Apply(Response(200, "c2", "a2", "b2", Direction::kInitiator), 8, limits);
  ASSERT_EQ(at_once.size(), 1u);
  EXPECT_EQ(at_once[0].state, DialogState::kConfirmed);
  EXPECT_TRUE(at_once[0].from_trying);
  // Never a dialog: the call's failure ends the trying one.
  d.Apply(Trying("c3", "a3"), 9, limits);
  DialogUpdate failed = Trying("c3", "a3");
  failed.kind = DialogUpdate::Kind::kCallFailed;
  failed.status = 487;
  auto ended = d.Apply(failed, 10, limits);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].state, DialogState::kTerminated);
  EXPECT_EQ(ended[0].event, EndEvent::kCancelled);
  EXPECT_EQ(d.dialogs().size(), 2u);  // c1's and c2's confirmed dialogs
  // The callee's side has no trying state: a tagless provisional is nothing.
  EXPECT_TRUE(d.Apply(Response(180, "c4", "", "x"), 11, limits).empty());
}

TEST(UserDialogs, RestoredCallsKeepTheNewestWithinTheLimit) {
  UserDialogs d;
  DialogLimits limits;
  limits.max_dialogs = 2;
  for (int i = 1; i <= 3; ++i) {
    Dialog c = Response(200, "c" + std::to_string(i), "b", "a").dialog;
    c.state = DialogState::kConfirmed;
    c.created_at = i;
    auto dropped = d.Restore(c, limits);
    EXPECT_EQ(dropped.has_value(), i == 3);
    if (dropped) {  // c1 made room, and the store must forget it
      EXPECT_EQ(dropped->call_id, "c1");
      EXPECT_EQ(dropped->state, DialogState::kTerminated);
    }
    EXPECT_FALSE(d.Restore(c, limits));  // held already
  }
  ASSERT_EQ(d.dialogs().size(), 2u);
  EXPECT_EQ(d.dialogs()[0].call_id, "c2");
  EXPECT_EQ(d.dialogs()[1].call_id, "c3");
  // The restored call ends as any other.
  DialogUpdate bye;
  bye.kind = DialogUpdate::Kind::kBye;
  bye.dialog.call_id = "c3";
  bye.dialog.local_tag = "b";
  bye.dialog.remote_tag = "a";
  auto ended = d.Apply(bye, 10, DialogLimits{});
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].event, EndEvent::kRemoteBye);
}

TEST(UserDialogs, DialogsWhoseEndWasNeverSeenAreBounded) {
  UserDialogs d;
  DialogLimits limits;
  limits.max_dialogs = 3;
  limits.max_age_s = 60;
  for (int i = 0; i < 5; ++i) {
    auto changed = d.Apply(Response(200, "c" + std::to_string(i), "b", "a"), 10 + i, limits);
    // Beyond the limit the oldest goes, and its watchers are told it ended.
    ASSERT_EQ(changed.size(), i < 3 ? 1u : 2u);
    EXPECT_EQ(changed.back().call_id, "c" + std::to_string(i));
    if (i >= 3) {
      EXPECT_EQ(changed[0].call_id, "c" + std::to_string(i - 3));
      EXPECT_EQ(changed[0].state, DialogState::kTerminated);
      EXPECT_EQ(changed[0].event, EndEvent::kNone);
    }
  }
  ASSERT_EQ(d.dialogs().size(), 3u);
  EXPECT_EQ(d.dialogs().front().call_id, "c2");  // the oldest went
  EXPECT_TRUE(d.Prune(72, limits).empty());      // c2 is 60 s old: kept; 61 s: gone
  EXPECT_EQ(d.dialogs().size(), 3u);
  auto aged = d.Prune(73, limits);
  ASSERT_EQ(aged.size(), 1u);
  EXPECT_EQ(aged[0].call_id, "c2");
  EXPECT_EQ(aged[0].state, DialogState::kTerminated);
  ASSERT_EQ(d.dialogs().size(), 2u);
  EXPECT_EQ(d.dialogs().front().call_id, "c3");
  // A report that comes later tells the watchers the rest aged out.
  auto later = d.Apply(Response(180, "c9", "b", "z"), 200, limits);
  ASSERT_EQ(later.size(), 3u);  // c3 and c4 gone, c9 early
  EXPECT_EQ(later[0].state, DialogState::kTerminated);
  EXPECT_EQ(later[2].state, DialogState::kEarly);
}

TEST(DialogInfoDocument, IsWellFormedAndCarriesEveryField) {
  UserDialogs d;
  DialogLimits limits;
  d.Apply(Response(180, "c<1>", "b", "a&z"), 100, limits);
  Dialog ended = d.Apply(Response(486, "c<1>", "b", "a&z"), 130, limits)[0];
  Dialog answered = d.Apply(Response(200, "c2", "b", "a"), 130, limits)[0];
  answered.remote_hidden = true;
  answered.referred_by = {"sip:dave@example.com", "Dave", ""};  // hidden with the caller
  ended.replaces = {"c0", "b0", "a<0>"};
  ended.referred_by = {"sip:dave@example.com", "Dave & Co", ""};
  std::vector<Dialog> both{ended, answered};
  std::string doc = DialogInfoDocument("sip:bob@example.com", 7, false, both, 145);
  pugi::xml_document x;
  ASSERT_TRUE(x.load_string(doc.c_str())) << doc;
  pugi::xml_node root = x.child("dialog-info");
  EXPECT_STREQ(root.attribute("xmlns").value(), "urn:ietf:params:xml:ns:dialog-info");
  EXPECT_STREQ(root.attribute("version").value(), "7");
  EXPECT_STREQ(root.attribute("state").value(), "partial");
  EXPECT_STREQ(root.attribute("entity").value(), "sip:bob@example.com");
  pugi::xml_node first = root.child("dialog");
  EXPECT_STREQ(first.attribute("call-id").value(), "c<1>");
  EXPECT_STREQ(first.attribute("remote-tag").value(), "a&z");
  EXPECT_STREQ(first.attribute("direction").value(), "recipient");
  EXPECT_STREQ(first.child("state").attribute("event").value(), "rejected");
  EXPECT_STREQ(first.child("state").attribute("code").value(), "486");
  EXPECT_STREQ(first.child_value("state"), "terminated");
  EXPECT_STREQ(first.child_value("duration"), "45");
  EXPECT_STREQ(first.child("remote").child("identity").attribute("display").value(), "Alice \"A\" & Co");
  EXPECT_STREQ(first.child("remote").child_value("identity"), "sip:alice@example.com");
  EXPECT_STREQ(first.child("remote").child("target").attribute("uri").value(), "sip:alice@192.0.2.1");
  EXPECT_STREQ(first.child("local").child("target").attribute("uri").value(), "sip:bob@192.0.2.2;transport=tcp");
  EXPECT_STREQ(first.child("replaces").attribute("call-id").value(), "c0");
  EXPECT_STREQ(first.child("replaces").attribute("local-tag").value(), "b0");
  EXPECT_STREQ(first.child("replaces").attribute("remote-tag").value(), "a<0>");
  EXPECT_STREQ(first.child_value("referred-by"), "sip:dave@example.com");
  EXPECT_STREQ(first.child("referred-by").attribute("display").value(), "Dave & Co");
  // RFC 4235's order: state, duration, replaces, referred-by, local, remote.
  EXPECT_STREQ(first.child("duration").next_sibling().name(), "replaces");
  EXPECT_STREQ(first.child("replaces").next_sibling().name(), "referred-by");
  EXPECT_STREQ(first.child("referred-by").next_sibling().name(), "local");
  pugi::xml_node second = first.next_sibling("dialog");
  EXPECT_STREQ(second.child_value("state"), "confirmed");
  EXPECT_FALSE(second.child("state").attribute("code"));
  EXPECT_FALSE(second.child("remote"));  // privacy
  EXPECT_FALSE(second.child("referred-by"));
  EXPECT_FALSE(second.child("replaces"));
  EXPECT_STREQ(second.child("local").child_value("identity"), "sip:bob@example.com");
  // Ids are unique among the dialogs and the same in every document.
  EXPECT_STRNE(first.attribute("id").value(), second.attribute("id").value());
  EXPECT_EQ(DialogId(ended), first.attribute("id").value());
}

// A list's part (RFC 4662): kept without a duration, numbered as it is sent.
TEST(DialogInfoDocument, AKeptDocumentTakesTheVersionOfEachNotify) {
  UserDialogs d;
  DialogLimits limits;
  std::vector<Dialog> calls = d.Apply(Response(200, "c1", "b", "a"), 100, limits);
  const std::string kept = DialogInfoDocument("sip:bob@example.com", 0, true, calls, 130, /*with_duration=*/false);
  EXPECT_EQ(kept.find("<duration>"), std::string::npos) << kept;
  for (uint32_t version : {0u, 7u, 4294967295u}) {
    const std::string sent = WithVersion(kept, version);
    pugi::xml_document x;
    ASSERT_TRUE(x.load_string(sent.c_str())) << sent;
    pugi::xml_node root = x.child("dialog-info");
    EXPECT_EQ(root.attribute("version").value(), std::to_string(version));
    EXPECT_STREQ(root.attribute("state").value(), "full");
    EXPECT_STREQ(root.child("dialog").attribute("call-id").value(), "c1");
    EXPECT_EQ(WithVersion(sent, 0), kept);  // nothing else changed
  }
  EXPECT_EQ(WithVersion("<presence/>", 3), "<presence/>");  // not ours: as it was
}

// What the parley client makes of our documents: full, then partial ones.
TEST(DialogInfoDocument, TheClientReadsWhatTheServerWrites) {
  UserDialogs d;
  DialogLimits limits;
  ua::DialogInfoState client;
  auto full = client.Apply(DialogInfoDocument("sip:bob@example.com", 0, true, {}, 10));
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_TRUE(client.dialogs().empty());
  uint32_t version = 1;
  for (int status : {180, 200}) {
    auto changed = d.Apply(Response(status, "c1", "b", "a"), 10, limits);
    ASSERT_TRUE(client.Apply(DialogInfoDocument("sip:bob@example.com", version++, false, changed, 12)).ok());
  }
  ASSERT_EQ(client.dialogs().size(), 1u);
  const ua::DialogEntry& e = client.dialogs().begin()->second;
  EXPECT_EQ(e.state, "confirmed");
  EXPECT_EQ(e.direction, "recipient");
  EXPECT_EQ(e.call_id, "c1");
  EXPECT_EQ(e.remote_identity, "sip:alice@example.com");
  EXPECT_EQ(e.remote_display, "Alice \"A\" & Co");
  EXPECT_EQ(e.duration, 2u);
  DialogUpdate bye;
  bye.kind = DialogUpdate::Kind::kBye;
  bye.dialog.call_id = "c1";
  bye.dialog.local_tag = "b";
  bye.dialog.remote_tag = "a";
  bye.by_user = true;
  auto ended = client.Apply(DialogInfoDocument("sip:bob@example.com", version++, false, d.Apply(bye, 20, limits), 20));
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ((*ended)[0].event, "local-bye");
  EXPECT_TRUE(client.dialogs().empty());
}

}  // namespace
}  // namespace parley::dialoginfo
