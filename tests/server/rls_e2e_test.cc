// Presence lists end to end (RFC 4662; seed 003 §7.5.2): a SUBSCRIBE to a
// group's URI with `Supported: eventlist` gets the presence of every member
// in one multipart/related NOTIFY (RLMI first), then a partial notification
// per member change, only what that watcher may see of each member.

#include <gtest/gtest.h>

#include <thread>

#include "presence/rules/edit.h"
#include "rls_fixture.h"

namespace parley::server {
namespace {

TEST_F(PresenceLists, OneSubscriptionSeesEveryMemberThenEachChange) {
  MakeTeam();
  SipClient carol(false, udp_);
  ASSERT_EQ(Publish(carol, "carol", "", 600, Pidf("carol", "open", "at my desk"))->status(), 200);

  SipClient alice(false, udp_);
  auto [ok, first] = Subscribe(alice, "alice", "team", "rls-1", 600, kListHeaders);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  EXPECT_EQ(ok->Value(sip::HeaderId::kRequire), "eventlist");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Value(sip::HeaderId::kRequire), "eventlist");
  EXPECT_EQ(first->Value(sip::HeaderId::kEvent), "presence");
  auto full = Parse(first);
  ASSERT_TRUE(full) << first->body();
  EXPECT_TRUE(full->Full());
  EXPECT_EQ(full->Version(), 0);
  EXPECT_NE(full->rlmi.find("uri=\"sip:team@example.com\""), std::string::npos);
  // Every member has its instance, each with the document alice may see.
  for (const char* u : {"alice", "bob", "carol"}) EXPECT_EQ(full->State(u), "active") << u;
  EXPECT_NE(full->Doc("carol").find("at my desk"), std::string::npos);
  EXPECT_NE(full->Doc("bob").find("<basic>closed</basic>"), std::string::npos);  // not registered, nothing published

  // bob publishes: one partial notification, bob only.
  SipClient bob(false, udp_);
  ASSERT_EQ(Publish(bob, "bob", "", 600, Pidf("bob", "open", "in a meeting"))->status(), 200);
  auto change = Parse(NextNotify(alice));
  ASSERT_TRUE(change);
  EXPECT_FALSE(change->Full());
  EXPECT_EQ(change->Version(), 1);
  EXPECT_EQ(change->State("bob"), "active");
  EXPECT_EQ(change->State("carol"), "absent");
  EXPECT_NE(change->Doc("bob").find("in a meeting"), std::string::npos);

  // carol turns invisible: alice sees her offline, and nothing of her note.
  ASSERT_TRUE(store_->SetOption({"carol@example.com", "presence-invisible", "1"}).ok());
  auto hidden = Parse(NextNotify(alice));
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->Version(), 2);
  EXPECT_NE(hidden->Doc("carol").find("<basic>closed</basic>"), std::string::npos);
  EXPECT_EQ(hidden->Doc("carol").find("at my desk"), std::string::npos);
  EXPECT_EQ(hidden->State("bob"), "absent");

  // Unsubscribe: the final NOTIFY still lists everybody; the view goes.
  auto gone = SendAuthed(alice, "SUBSCRIBE", "sip:team@example.com", "alice",
                         "<sip:team@example.com>;tag=" + std::string(ok->to()->tag()), "rls-1", 3,
                         std::string("Event: presence\nExpires: 0\nContact: <sip:alice@127.0.0.1:$PORT>\n") +
                             kListHeaders);
  sip::MessagePtr last;
  if (gone && gone->status() == 407) std::tie(gone, last) = ResponseAndNotify(alice);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status(), 200);
  auto final_state = Parse(last);
  ASSERT_TRUE(final_state);
  EXPECT_TRUE(last->Value(sip::HeaderId::kSubscriptionState).starts_with("terminated"));
  EXPECT_TRUE(final_state->Full());
  EXPECT_EQ(Quiet(alice), nullptr);
  // Nothing of the list is held any more.
  EXPECT_EQ(ListMetricsWhenIdle(), "views=0 feeds=0");
}

TEST_F(PresenceLists, WithoutEventlistIs421AndStrangersAre403) {
  MakeTeam();
  SipClient alice(false, udp_);
  auto [r, n] = Subscribe(alice, "alice", "team", "rls-421", 600, "Accept: multipart/related\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 421);
  EXPECT_EQ(r->Value(sip::HeaderId::kRequire), "eventlist");
  EXPECT_FALSE(n);

  AddUser("dave", "dave-pw");
  SipClient dave(false, udp_);
  auto no = SubscribeList(dave, "dave", "team", "rls-403");
  EXPECT_EQ(no.status, 403);
  EXPECT_FALSE(no.notify);

  // A list open to every user: dave may watch it, and sees each member as
  // the member's own rules let him (the domain's default: allow).
  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com", .ack = store::GroupAck::kSingle,
                                 .posting = store::GroupPosting::kUsers, .members = {}})
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  auto yes = SubscribeList(dave, "dave", "team", "rls-open");
  EXPECT_EQ(yes.status, 200);
  ASSERT_TRUE(yes.body);
  EXPECT_EQ(yes.body->State("alice"), "active");
}

TEST_F(PresenceLists, AMemberAddedShowsUpAndTheListSurvivesARestart) {
  MakeTeam();
  AddUser("dave", "dave-pw");
  SipClient alice(false, udp_);
  auto before = SubscribeList(alice, "alice", "team", "rls-grow");
  ASSERT_EQ(before.status, 200);
  ASSERT_TRUE(before.body);
  EXPECT_EQ(before.body->State("dave"), "absent");

  ASSERT_TRUE(store_->AddGroupMember("team@example.com", "dave@example.com").ok());
  auto grown = Parse(NextNotify(alice));
  ASSERT_TRUE(grown);
  EXPECT_TRUE(grown->Full());
  EXPECT_EQ(grown->State("dave"), "active");
  EXPECT_EQ(grown->State("bob"), "active");

  // After a restart the subscription is still a list subscription.
  Restart();
  auto restored = Parse(NextNotify(alice));
  ASSERT_TRUE(restored);
  EXPECT_TRUE(restored->Full());
  EXPECT_EQ(restored->State("dave"), "active");
  SipClient bob(false, udp_);
  ASSERT_EQ(Publish(bob, "bob", "", 600, Pidf("bob", "open", "back again"))->status(), 200);
  auto change = Parse(NextNotify(alice));
  ASSERT_TRUE(change);
  EXPECT_FALSE(change->Full());
  EXPECT_NE(change->Doc("bob").find("back again"), std::string::npos);

  // The group deleted: the subscription ends (noresource).
  ASSERT_TRUE(*store_->DeleteGroup("team@example.com"));
  auto end = NextNotify(alice);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=noresource");
}

// A user's own list (RFC 4826): alice's rls-services document over XCAP.
TEST_F(PresenceLists, AUsersOwnListOverXcap) {
  const std::string path = "/xcap/rls-services/users/sip:alice@example.com/index";
  const std::string type = "application/rls-services+xml";
  auto doc = [](const std::string& service, const std::string& entries) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\" "
           "xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\"><service uri=\"" +
           service + "\"><rl:list>" + entries + "</rl:list><packages><package>presence</package></packages></service>"
                     "</rls-services>";
  };
  const std::string bob_carol = "<rl:entry uri=\"sip:bob@example.com\"/><rl:entry uri=\"sip:carol@example.com\"/>";
  // A service URI must be ours and nobody's: a user's, another domain's -> 409.
  auto taken = Http("PUT", path, "alice", doc("sip:carol@example.com", bob_carol), type);
  EXPECT_EQ(taken.status, 409);
  EXPECT_NE(taken.body.find("uniqueness-failure"), std::string::npos) << taken.body;
  EXPECT_EQ(Http("PUT", path, "alice", doc("sip:buddies@example.org", bob_carol), type).status, 409);
  EXPECT_EQ(Http("PUT", path, "alice", "<rls-services", type).status, 409);  // not-well-formed
  ASSERT_EQ(Http("PUT", path, "alice", doc("sip:alice-buddies@example.com", bob_carol), type).status, 201);
  EXPECT_EQ(Http("GET", path, "alice").status, 200);
  EXPECT_EQ(Http("GET", path, "bob").status, 403);  // not bob's document
  // bob may not claim alice's service URI.
  EXPECT_EQ(Http("PUT", "/xcap/rls-services/users/sip:bob@example.com/index", "bob",
                 doc("sip:alice-buddies@example.com", "<rl:entry uri=\"sip:alice@example.com\"/>"), type)
                .status,
            409);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed

  SipClient carol(false, udp_);
  ASSERT_EQ(Publish(carol, "carol", "", 600, Pidf("carol", "open", "reading"))->status(), 200);
  SipClient alice(false, udp_);
  auto own = SubscribeList(alice, "alice", "alice-buddies", "own-1");
  ASSERT_EQ(own.status, 200);
  ASSERT_TRUE(own.body);
  EXPECT_EQ(own.body->State("bob"), "active");
  EXPECT_NE(own.body->Doc("carol").find("reading"), std::string::npos);
  EXPECT_EQ(own.body->State("alice"), "absent");
  // Only its owner subscribes to it.
  SipClient bob(false, udp_);
  EXPECT_EQ(SubscribeList(bob, "bob", "alice-buddies", "own-2").status, 403);

  // alice edits her list: carol out; the subscription gets the new full state.
  ASSERT_EQ(HttpReplace(path, "alice", doc("sip:alice-buddies@example.com", "<rl:entry uri=\"sip:bob@example.com\"/>"),
                        type),
            200);
  auto edited = Parse(NextNotify(alice));
  ASSERT_TRUE(edited);
  EXPECT_TRUE(edited->Full());
  EXPECT_EQ(edited->State("bob"), "active");
  EXPECT_EQ(edited->State("carol"), "absent");
  // The document deleted: the list is gone, so is the subscription.
  ASSERT_EQ(Http("DELETE", path, "alice").status, 200);
  auto end = NextNotify(alice);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=noresource");
}

// A service naming a list of the user's resource-lists document (RFC 4826
// §3, §4.2), as XCAP clients that keep their buddies there write it.
TEST_F(PresenceLists, AServiceNamingAListOfTheUsersResourceLists) {
  AddUser("dave", "dave-pw");
  const std::string lists_path = "/xcap/resource-lists/users/sip:alice@example.com/index";
  auto lists = [](const std::string& friends) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><resource-lists "
           "xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"friends\">" +
           friends + "</list><list name=\"work\"><entry uri=\"sip:dave@example.com\"/></list></resource-lists>";
  };
  const std::string type = "application/resource-lists+xml";
  auto twice = Http("PUT", lists_path, "alice",
                    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"a\"/>"
                    "<list name=\"a\"/></resource-lists>",
                    type);
  EXPECT_EQ(twice.status, 409);
  EXPECT_NE(twice.body.find("list a given twice"), std::string::npos) << twice.body;
  ASSERT_EQ(Http("PUT", lists_path, "alice",
                 lists("<entry uri=\"sip:bob@example.com\"/><entry uri=\"sip:carol@example.com\"/>"), type)
                .status,
            201);
  auto service = [](const std::string& xui) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\">"
           "<service uri=\"sip:alice-friends@example.com\"><resource-list>http://xcap.example.com/xcap/resource-lists/"
           "users/sip:" +
           xui + "/index/~~/resource-lists/list%5b@name=%22friends%22%5d</resource-list></service></rls-services>";
  };
  const std::string services_path = "/xcap/rls-services/users/sip:alice@example.com/index";
  // A reference to anything but a top-level list of a resource-lists document here: 409.
  auto elsewhere = Http("PUT", services_path, "alice",
                        "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"><service "
                        "uri=\"sip:alice-friends@example.com\"><resource-list>http://x/rl</resource-list></service>"
                        "</rls-services>",
                        "application/rls-services+xml");
  EXPECT_EQ(elsewhere.status, 409);
  EXPECT_NE(elsewhere.body.find("is no list of a resource-lists document"), std::string::npos) << elsewhere.body;
  // Another user's lists are not hers to name.
  auto theirs = Http("PUT", services_path, "alice", service("bob@example.com"), "application/rls-services+xml");
  EXPECT_EQ(theirs.status, 409);
  EXPECT_NE(theirs.body.find("another user's resource-lists"), std::string::npos) << theirs.body;
  ASSERT_EQ(Http("PUT", services_path, "alice", service("alice@example.com"), "application/rls-services+xml").status,
            201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed

  SipClient alice(false, udp_);
  auto first = SubscribeList(alice, "alice", "alice-friends", "ref-1");
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(first.body);
  EXPECT_EQ(first.body->State("bob"), "active");
  EXPECT_EQ(first.body->State("carol"), "active");
  EXPECT_EQ(first.body->State("dave"), "absent");  // on her other list

  // She edits the list itself: the subscription follows.
  ASSERT_EQ(HttpReplace(lists_path, "alice",
                        lists("<entry uri=\"sip:bob@example.com\"/><entry uri=\"sip:dave@example.com\"/>"), type),
            200);
  auto edited = Parse(NextNotify(alice));
  ASSERT_TRUE(edited);
  EXPECT_TRUE(edited->Full());
  EXPECT_EQ(edited->State("dave"), "active");
  EXPECT_EQ(edited->State("carol"), "absent");
}

// References inside lists (RFC 4826 §3.2), as OMA's buddy list names a
// user's groups: <external> to another list of hers, <entry-ref> to one
// entry; a cycle ends, what is not hers adds nothing.
TEST_F(PresenceLists, ListsThatReferToOtherListsAndEntries) {
  AddUser("dave", "dave-pw");
  AddUser("erin", "erin-pw");
  const std::string xcap = "http://xcap.example.com/xcap/";
  auto list_of = [&](const std::string& xui, const std::string& name) {
    return xcap + "resource-lists/users/sip:" + xui + "/index/~~/resource-lists/list%5b@name=%22" + name + "%22%5d";
  };
  const std::string others_carol =
      "resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5b@name=%22others%22%5d/"
      "entry%5b@uri=%22sip:carol@example.com%22%5d";
  const std::string lists_path = "/xcap/resource-lists/users/sip:alice@example.com/index";
  const std::string type = "application/resource-lists+xml";
  auto lists = [&](const std::string& work) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><resource-lists "
           "xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
           "<list name=\"buddies\"><external anchor=\"" +
           list_of("alice@example.com", "friends") + "\"/><external anchor=\"" + list_of("alice@example.com", "work") +
           "\"/><entry-ref ref=\"" + others_carol + "\"/><external anchor=\"" + list_of("bob@example.com", "friends") +
           "\"/></list>"
           "<list name=\"friends\"><entry uri=\"sip:bob@example.com\"/><external anchor=\"" +
           list_of("alice@example.com", "buddies") + "\"/></list>"  // a cycle
           "<list name=\"work\">" +
           work +
           "</list>"
           "<list name=\"others\"><entry uri=\"sip:carol@example.com\"/><entry uri=\"tel:+15551234\"/>"
           "<list name=\"inner\"><entry uri=\"sip:dave@example.com\"/></list></list>"
           "</resource-lists>";
  };
  ASSERT_EQ(Http("PUT", lists_path, "alice", lists("<entry uri=\"sip:dave@example.com\"/>"), type).status, 201);
  // bob's own friends list holds erin: not alice's to see through a reference.
  ASSERT_EQ(Http("PUT", "/xcap/resource-lists/users/sip:bob@example.com/index", "bob",
                 "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"friends\">"
                 "<entry uri=\"sip:erin@example.com\"/></list></resource-lists>",
                 type)
                .status,
            201);
  const std::string services_path = "/xcap/rls-services/users/sip:alice@example.com/index";
  auto services = [&](const std::string& inline_list) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\" "
           "xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\"><service uri=\"sip:alice-buddies@example.com\">"
           "<resource-list>" +
           list_of("alice@example.com", "buddies") +
           "</resource-list></service><service uri=\"sip:alice-few@example.com\"><rl:list>" + inline_list +
           "</rl:list></service></rls-services>";
  };
  // A service's own references name her lists only: 409.
  auto theirs = Http("PUT", services_path, "alice",
                     services("<rl:external anchor=\"" + list_of("bob@example.com", "friends") + "\"/>"),
                     "application/rls-services+xml");
  EXPECT_EQ(theirs.status, 409);
  EXPECT_NE(theirs.body.find("another user's resource-lists"), std::string::npos) << theirs.body;
  auto nowhere = Http("PUT", services_path, "alice", services("<rl:entry-ref ref=\"users/x\"/>"),
                      "application/rls-services+xml");
  EXPECT_EQ(nowhere.status, 409);
  EXPECT_NE(nowhere.body.find("is no entry of a list"), std::string::npos) << nowhere.body;
  ASSERT_EQ(Http("PUT", services_path, "alice",
                 services("<rl:entry uri=\"sip:erin@example.com\"/><rl:entry-ref ref=\"" + others_carol +
                          "\"/><rl:external anchor=\"" + list_of("alice@example.com", "others") +
                          "/list%5b@name=%22inner%22%5d\"/>"),
                 "application/rls-services+xml")
                .status,
            201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed

  SipClient alice(false, udp_);
  auto buddies = SubscribeList(alice, "alice", "alice-buddies", "refs-1");
  ASSERT_EQ(buddies.status, 200);
  ASSERT_TRUE(buddies.body);
  EXPECT_EQ(buddies.body->State("bob"), "active");    // friends, through <external>
  EXPECT_EQ(buddies.body->State("dave"), "active");   // work
  EXPECT_EQ(buddies.body->State("carol"), "active");  // the <entry-ref>
  EXPECT_EQ(buddies.body->State("erin"), "absent");   // only on bob's list
  EXPECT_EQ(buddies.body->State("alice"), "absent");
  SipClient alice2(false, udp_);
  auto few = SubscribeList(alice2, "alice", "alice-few", "refs-2");
  ASSERT_EQ(few.status, 200);
  ASSERT_TRUE(few.body);
  EXPECT_EQ(few.body->State("erin"), "active");
  EXPECT_EQ(few.body->State("carol"), "active");
  EXPECT_EQ(few.body->State("dave"), "active");  // a list nested in "others", by its path
  EXPECT_EQ(few.body->State("bob"), "absent");

  // A list referred to changes: the subscription through the reference follows.
  ASSERT_EQ(HttpReplace(lists_path, "alice", lists("<entry uri=\"sip:erin@example.com\"/>"), type), 200);
  auto edited = Parse(NextNotify(alice));
  ASSERT_TRUE(edited);
  EXPECT_TRUE(edited->Full());
  EXPECT_EQ(edited->State("erin"), "active");
  EXPECT_EQ(edited->State("dave"), "absent");
  EXPECT_EQ(edited->State("bob"), "active");
}

TEST_F(PresenceLists, AUserWhoTakesAServicesUriIsAUserAgain) {
  const std::string doc =
      "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"><service uri=\"sip:erin@example.com\">"
      "<list xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><entry uri=\"sip:bob@example.com\"/></list>"
      "</service></rls-services>";
  ASSERT_EQ(Http("PUT", "/xcap/rls-services/users/sip:alice@example.com/index", "alice", doc,
                 "application/rls-services+xml")
                .status,
            201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  SipClient alice(false, udp_);
  EXPECT_EQ(Subscribe(alice, "alice", "erin", "erin-1", 600).first->status(), 421);  // a list: eventlist needed
  AddUser("erin", "erin-pw");  // the administrator makes erin a user
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto [ok, state] = Subscribe(alice, "alice", "erin", "erin-2", 600);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);  // erin's presence, not alice's list
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->Value(sip::HeaderId::kContentType).starts_with("application/pidf+xml"));
}

class PresenceListsConfirm : public PresenceLists {
 protected:
  void SetUp() override {
    default_rule_ = "confirm";
    PresenceLists::SetUp();
  }
};

TEST_F(PresenceListsConfirm, MembersWhoHaveNotDecidedArePendingUntilTheRulesAllow) {
  MakeTeam();
  SipClient bob(false, udp_);
  ASSERT_EQ(Publish(bob, "bob", "", 600, Pidf("bob", "open", "do not tell"))->status(), 200);
  SipClient alice(false, udp_);
  auto first = SubscribeList(alice, "alice", "team", "rls-confirm");
  ASSERT_EQ(first.status, 200);  // the list is alice's to watch; its members decide each
  ASSERT_TRUE(first.body);
  EXPECT_EQ(first.body->State("alice"), "active");  // a presentity always sees itself
  EXPECT_EQ(first.body->State("bob"), "pending");
  EXPECT_EQ(first.body->State("carol"), "pending");
  EXPECT_EQ(first.body->Doc("bob"), "");
  EXPECT_EQ(first.notify->body().find("do not tell"), std::string_view::npos);

  // The domain's rule turns to allow: bob's and carol's instances turn
  // active, with their documents (in partial or full notifications).
  ASSERT_TRUE(store_->SetOption({"example.com", "presence-default-rule", "allow"}).ok());
  std::map<std::string, std::string> seen;
  for (int i = 0; i < 6 && !(seen["bob"] == "active" && seen["carol"] == "active"); ++i) {
    auto n = Parse(NextNotify(alice));
    if (!n) break;
    for (const char* u : {"bob", "carol"}) {
      if (n->State(u) != "absent") seen[u] = n->State(u);
    }
    if (n->State("bob") == "active") {
      EXPECT_NE(n->Doc("bob").find("do not tell"), std::string::npos);
    }
  }
  EXPECT_EQ(seen["bob"], "active");
  EXPECT_EQ(seen["carol"], "active");
}

TEST_F(PresenceListsConfirm, TheListSubscriberIsAWatcherTheMemberApproves) {
  MakeTeam();
  SipClient bob(false, udp_);
  auto [w, full_winfo] = Subscribe(bob, "bob", "bob", "bob-winfo", 600, "", "presence.winfo");
  ASSERT_TRUE(w && w->status() == 200);
  ASSERT_TRUE(full_winfo);
  EXPECT_EQ(full_winfo->body().find("sip:alice@example.com"), std::string_view::npos);

  SipClient alice(false, udp_);
  auto first = SubscribeList(alice, "alice", "team", "rls-approve");
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(first.body);
  EXPECT_EQ(first.body->State("bob"), "pending");
  // bob's watcher information shows alice waiting (RFC 3858 partial state).
  auto waiting = NextNotify(bob);
  ASSERT_TRUE(waiting);
  EXPECT_TRUE(Has(waiting, "state=\"partial\""));
  EXPECT_TRUE(Has(waiting, "status=\"pending\" event=\"subscribe\""));
  EXPECT_TRUE(Has(waiting, ">sip:alice@example.com</watcher>"));
  // A new winfo subscription lists her too.
  SipClient bob2(false, udp_);
  auto [w2, listed] = Subscribe(bob2, "bob", "bob", "bob-winfo-2", 600, "", "presence.winfo");
  ASSERT_TRUE(w2 && w2->status() == 200);
  EXPECT_TRUE(Has(listed, ">sip:alice@example.com</watcher>"));

  // bob allows alice (his pres-rules over XCAP): the list shows him, his
  // watcher information shows alice approved.
  const std::string path = "/xcap/pres-rules/users/sip:bob@example.com/index";
  auto doc = presence::rules::SetWatcherRule("", "sip:alice@example.com", presence::rules::SubHandling::kAllow);
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(Http("PUT", path, "bob", *doc, "application/auth-policy+xml", "If-None-Match: *\r\n").status, 201);
  auto active = Parse(NextNotify(alice));
  ASSERT_TRUE(active);
  EXPECT_EQ(active->State("bob"), "active");
  bool approved = false;
  for (int i = 0; i < 3 && !approved; ++i) {
    auto n = NextNotify(bob);
    if (!n) break;
    approved = Has(n, "status=\"active\" event=\"approved\"") && Has(n, ">sip:alice@example.com</watcher>");
  }
  EXPECT_TRUE(approved);
  // So does bob's other watcher-info subscription.
  EXPECT_TRUE(Has(NextNotify(bob2), "status=\"active\" event=\"approved\""));
}

}  // namespace
}  // namespace parley::server
