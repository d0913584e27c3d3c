// An administrator's removal of registrations or of a user while parleyd
// runs (`parleyctl user unregister`, `user del`): the change feed brings it
// to the server, which drops the bindings at once, routes as if they were
// never there and tells reg event watchers (RFC 3680 §5.1: deactivated,
// rejected); a deleted user's subscriptions and publications end too.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "presence_fixture.h"
#include "sip_client.h"
#include "store/store.h"

namespace parley::server {
namespace {

using testing::SipClient;

class RegistrarAdmin : public ServerFixture {
 protected:
  // bob watches his own registrations; returns the first (full) NOTIFY.
  sip::MessagePtr SubscribeReg(SipClient& watcher) {
    const std::string call_id = "regadm-" + sip::RandomToken(4);
    const std::string hdrs =
        "Event: reg\nAccept: application/reginfo+xml\nExpires: 600\nContact: <sip:bob@127.0.0.1:$PORT>\n";
    auto ch = SendAuthed(watcher, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", call_id, 1, hdrs);
    if (!ch || ch->status() != 407) return nullptr;
    auto [ok, full] = ResponseAndNotify(watcher);
    if (!ok || ok->status() != 200) return nullptr;
    // Our 200 for the NOTIFY reaches the subscription before what follows
    // (a change while it is unanswered would be coalesced into full state).
    watcher.SendRaw(Request(watcher, "OPTIONS", "sip:example.com", "bob", "sip:example.com", call_id + "-ping", 1));
    auto pong = watcher.ReceiveResponse();
    return pong && pong->status() == 200 ? std::move(full) : nullptr;
  }
};

TEST_F(RegistrarAdmin, AnUnregisteredContactIsGoneAtOnceAndWatchersHearDeactivated) {
  SipClient phone1(false, udp_);
  ASSERT_EQ(Register(phone1, "bob", "bob-pw")->status(), 200);
  SipClient phone2(false, udp_);
  ASSERT_EQ(Register(phone2, "bob", "bob-pw")->status(), 200);
  SipClient watcher(false, udp_);
  auto full = SubscribeReg(watcher);
  ASSERT_TRUE(full);
  EXPECT_NE(full->body().find(std::to_string(phone1.port())), std::string_view::npos);

  // parleyctl user unregister bob@example.com <phone1's contact>
  auto stored = store_->LoadBindingsOf("bob@example.com");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 2u);
  std::string phone1_contact;
  for (const auto& b : *stored) {
    if (b.contact_uri.find(":" + std::to_string(phone1.port())) != std::string::npos) phone1_contact = b.contact_uri;
  }
  ASSERT_FALSE(phone1_contact.empty());
  ASSERT_EQ(store_->EvictBindings("bob@example.com", phone1_contact).value_or(0), 1u);
  auto partial = NextNotify(watcher);
  ASSERT_TRUE(partial);
  const std::string body(partial->body());
  EXPECT_NE(body.find("state=\"partial\""), std::string::npos) << body;
  EXPECT_NE(body.find("state=\"terminated\" event=\"deactivated\""), std::string::npos) << body;
  EXPECT_NE(body.find(phone1_contact), std::string::npos) << body;
  EXPECT_EQ(body.find(std::to_string(phone2.port())), std::string::npos) << body;

  // A MESSAGE reaches the phone left only.
  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "only phone2", &phone2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "only phone2");
  phone1.SetReceiveTimeout(std::chrono::milliseconds(300));
  EXPECT_FALSE(phone1.Receive());

  // Then every registration: a MESSAGE is stored (202), nothing reaches a phone.
  ASSERT_EQ(store_->EvictBindings("bob@example.com", "").value_or(0), 1u);
  auto last = NextNotify(watcher);
  ASSERT_TRUE(last);
  EXPECT_NE(last->body().find("event=\"deactivated\""), std::string_view::npos) << last->body();
  EXPECT_NE(last->body().find(std::to_string(phone2.port())), std::string_view::npos) << last->body();
  auto offline = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "later");
  ASSERT_TRUE(offline);
  EXPECT_EQ(offline->status(), 202);
  EXPECT_TRUE(store_->LoadBindingsOf("bob@example.com")->empty());
}

// A user logs a device out over HTTP (GET/DELETE /v1/registrations): the
// same removal, effective at once on this node.
TEST_F(RegistrarAdmin, AUserLogsOutADeviceOverHttp) {
  SipClient phone1(false, udp_);
  ASSERT_EQ(Register(phone1, "bob", "bob-pw")->status(), 200);
  SipClient phone2(false, udp_);
  ASSERT_EQ(Register(phone2, "bob", "bob-pw")->status(), 200);
  EXPECT_EQ(Http("GET", "/v1/registrations", "").status, 401);
  auto listed = Http("GET", "/v1/registrations", "bob");
  ASSERT_EQ(listed.status, 200);
  auto list = nlohmann::json::parse(listed.body)["registrations"];
  ASSERT_EQ(list.size(), 2u) << listed.body;
  std::string phone1_contact;
  for (const auto& b : list) {
    const std::string c = b["contact"];
    if (c.find(":" + std::to_string(phone1.port())) != std::string::npos) phone1_contact = c;
    EXPECT_GT(b["expires_in"].get<int64_t>(), 0);
  }
  ASSERT_FALSE(phone1_contact.empty()) << listed.body;
  EXPECT_EQ(nlohmann::json::parse(Http("GET", "/v1/registrations", "alice").body)["registrations"].size(), 0u);

  auto removed = Http("DELETE", "/v1/registrations?contact=" + phone1_contact, "bob");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(nlohmann::json::parse(removed.body)["removed"], 1);
  EXPECT_EQ(Http("DELETE", "/v1/registrations?contact=sip:nobody@192.0.2.1", "bob").status, 404);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the owner shard drops it
  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "to the phone left", &phone2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "to the phone left");
  phone1.SetReceiveTimeout(std::chrono::milliseconds(300));
  EXPECT_FALSE(phone1.Receive());

  auto all = Http("DELETE", "/v1/registrations", "bob");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(nlohmann::json::parse(all.body)["removed"], 1);
  EXPECT_EQ(nlohmann::json::parse(Http("GET", "/v1/registrations", "bob").body)["registrations"].size(), 0u);
}

// A deleted user's devices stop being reached, even before their
// registrations would have expired; its watchers hear `rejected`.
TEST_F(RegistrarAdmin, ADeletedUsersRegistrationsAreRejected) {
  SipClient phone(false, udp_);
  ASSERT_EQ(Register(phone, "bob", "bob-pw")->status(), 200);
  SipClient watcher(false, udp_);
  ASSERT_TRUE(SubscribeReg(watcher));
  ASSERT_TRUE(store_->DeleteUser("bob@example.com").value_or(false));
  sip::MessagePtr rejected;
  for (int i = 0; i < 3 && !rejected; ++i) {  // the subscription may end in between
    auto m = NextNotify(watcher);
    if (!m) break;
    if (m->body().find("event=\"rejected\"") != std::string_view::npos) rejected = std::move(m);
  }
  ASSERT_TRUE(rejected);
  EXPECT_NE(rejected->body().find(std::to_string(phone.port())), std::string_view::npos);
  // Then the subscription itself: bob is no resource any more.
  auto end = NextNotify(watcher);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=noresource");
  // Added again under the same name: no old device is reached.
  AddUser("bob", "bob-pw2");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "new bob?");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 202);
  phone.SetReceiveTimeout(std::chrono::milliseconds(300));
  EXPECT_FALSE(phone.Receive());
}

// A deleted user's presence: its watchers' subscriptions end (noresource),
// its own end (rejected), its publications are gone for whoever watches a
// user of that name later.
TEST_F(Presence, ADeletedUsersSubscriptionsAndPublicationsEnd) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "still here"))->status(), 200);
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "del-1");
  ASSERT_TRUE(ok && ok->status() == 200);
  EXPECT_TRUE(Has(first, "still here"));
  SipClient alice_watching(false, udp_);
  auto [ok2, first2] = Subscribe(alice_watching, "alice", "bob", "del-2");
  ASSERT_TRUE(ok2 && ok2->status() == 200);
  ASSERT_TRUE(first2);

  ASSERT_TRUE(store_->DeleteUser("alice@example.com").value_or(false));
  auto gone = NextNotify(bob);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=noresource");
  auto hers = NextNotify(alice_watching);
  ASSERT_TRUE(hers);
  EXPECT_EQ(hers->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=rejected");

  // A new alice: nothing of the old one's publication shows.
  AddUser("alice", "alice-pw");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  SipClient bob2(false, udp_);
  auto [ok3, fresh] = Subscribe(bob2, "bob", "alice", "del-3");
  ASSERT_TRUE(ok3 && ok3->status() == 200);
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(Has(fresh, "still here")) << fresh->body();
  EXPECT_FALSE(Has(fresh, "<basic>open</basic>")) << fresh->body();
}

}  // namespace
}  // namespace parley::server
