// The presence agent end to end (RFC 3903 PUBLISH, RFC 3856 presence
// SUBSCRIBE/NOTIFY, RFC 6665, RFC 6446, authorization, persistence): a real
// parleyd driven by raw SIP.

#include <gtest/gtest.h>

#include <thread>

#include "common/strings.h"
#include "presence_fixture.h"

namespace parley::server {
namespace {

TEST_F(Presence, PublishCreateRefreshModifyRemove) {
  SipClient alice(false, udp_);
  auto created = Publish(alice, "alice", "", 600, Pidf("alice", "open", "at work"));
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status(), 200) << created->reason();
  std::string e1(created->Value(sip::HeaderId::kSipETag));
  EXPECT_FALSE(e1.empty());
  EXPECT_EQ(created->Value(sip::HeaderId::kExpires), "600");

  auto refreshed = Publish(alice, "alice", e1, 600, "");
  ASSERT_TRUE(refreshed);
  ASSERT_EQ(refreshed->status(), 200);
  std::string e2(refreshed->Value(sip::HeaderId::kSipETag));
  EXPECT_NE(e2, e1);  // a new entity-tag for every successful PUBLISH

  auto stale = Publish(alice, "alice", e1, 600, "");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status(), 412);

  auto modified = Publish(alice, "alice", e2, 600, Pidf("alice", "closed", "gone home"));
  ASSERT_TRUE(modified);
  ASSERT_EQ(modified->status(), 200);
  std::string e3(modified->Value(sip::HeaderId::kSipETag));

  auto removed = Publish(alice, "alice", e3, 0, "");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status(), 200);
  EXPECT_EQ(removed->Value(sip::HeaderId::kExpires), "0");
  auto again = Publish(alice, "alice", e3, 0, "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status(), 412);
  auto stored = store_->LoadPublications();
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
}

TEST_F(Presence, PublishErrorsAreNamed) {
  SipClient alice(false, udp_);
  auto no_body = Publish(alice, "alice", "", 600, "");
  ASSERT_TRUE(no_body);
  EXPECT_EQ(no_body->status(), 400);
  EXPECT_EQ(no_body->reason(), "PUBLISH Without Body");

  auto text = Publish(alice, "alice", "", 600, "I am here", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status(), 415);
  EXPECT_EQ(text->Value(sip::HeaderId::kAccept), "application/pidf+xml, application/pidf-diff+xml");

  auto broken = Publish(alice, "alice", "", 600, "<presence entity=\"sip:alice@example.com\"");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status(), 400);
  EXPECT_TRUE(broken->reason().starts_with("PIDF")) << broken->reason();

  auto wrong_entity = Publish(alice, "alice", "", 600, Pidf("bob", "open", "x"));
  ASSERT_TRUE(wrong_entity);
  EXPECT_EQ(wrong_entity->status(), 400);
  EXPECT_EQ(wrong_entity->reason(), "PIDF entity does not match the presentity");

  auto brief = Publish(alice, "alice", "", 5, Pidf("alice", "open", "x"));
  ASSERT_TRUE(brief);
  EXPECT_EQ(brief->status(), 423);
  EXPECT_EQ(brief->Value(sip::HeaderId::kMinExpires), "60");

  auto other_event = Publish(alice, "alice", "", 600, Pidf("alice", "open", "x"), "application/pidf+xml", "dialog");
  ASSERT_TRUE(other_event);
  EXPECT_EQ(other_event->status(), 489);

  // bob may not publish alice's presence.
  SipClient bob(false, udp_);
  std::string uri = "sip:alice@example.com";
  auto ch = SendAuthed(bob, "PUBLISH", uri, "bob", uri, "pub-x", 1,
                       "Event: presence\nContent-Type: application/pidf+xml\n", Pidf("alice", "open", "x"));
  ASSERT_TRUE(ch && ch->status() == 407);
  auto forbidden = bob.Receive();
  ASSERT_TRUE(forbidden);
  EXPECT_EQ(forbidden->status(), 403);
}

TEST_F(Presence, WatcherSeesEveryChange) {
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "sub-1");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Value(sip::HeaderId::kEvent), "presence");
  EXPECT_TRUE(first->Value(sip::HeaderId::kSubscriptionState).starts_with("active;expires="));
  EXPECT_EQ(first->content_type()->Essence(), "application/pidf+xml");
  EXPECT_TRUE(Has(first, "<basic>closed</basic>"));  // nothing published, nothing registered

  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "at work"))->status(), 200);
  auto changed = NextNotify(bob);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(Has(changed, "<basic>open</basic>"));
  EXPECT_TRUE(Has(changed, "at work"));
  EXPECT_GT(changed->cseq()->number, first->cseq()->number);
}

TEST_F(Presence, NotifiesGoToTheContactNotTheSourcePort) {
  // A watcher whose SUBSCRIBE leaves from another port than the one its
  // Contact names (a UA with a separate listening socket, SIPp's NOTIFY
  // sink): NOTIFYs are in-dialog requests and go to the Contact.
  SipClient sender(false, udp_), listener(false, udp_);
  std::string hdrs =
      "Event: presence\nExpires: 600\nContact: <sip:bob@127.0.0.1:" + std::to_string(listener.port()) + ">\n";
  auto ch = SendAuthed(sender, "SUBSCRIBE", "sip:alice@example.com", "bob", "sip:alice@example.com", "to-contact", 1,
                       hdrs);
  ASSERT_TRUE(ch && ch->status() == 407);
  auto ok = sender.Receive();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  auto first = NextNotify(listener);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->call_id(), "to-contact");
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "to the contact"))->status(), 200);
  auto changed = NextNotify(listener);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(Has(changed, "to the contact"));
  EXPECT_FALSE(Quiet(sender));  // nothing went to the SUBSCRIBE's source port
}

TEST_F(Presence, InDialogSubscribeToTheAorFindsItsDialog) {
  // RFC 3261 says in-dialog requests go to the remote target (our
  // Contact); some UAs (SIPp's stock scenarios among them) keep the AOR.
  // The dialog identifiers still find the subscription, on whichever shard
  // the watcher's requests land.
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "to-aor");
  ASSERT_TRUE(ok && ok->status() == 200);
  ASSERT_TRUE(first);
  std::string to = "<sip:alice@example.com>;tag=" + std::string(ok->to()->tag());
  std::string hdrs = "Event: presence\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  auto refresh = SendAuthed(bob, "SUBSCRIBE", "sip:alice@example.com", "bob", to, "to-aor", 3, hdrs + "Expires: 300\n");
  ASSERT_TRUE(refresh);
  if (refresh->status() == 407) refresh = ResponseAndNotify(bob).first;
  ASSERT_TRUE(refresh && refresh->is_response());
  EXPECT_EQ(refresh->status(), 200);

  auto gone = SendAuthed(bob, "SUBSCRIBE", "sip:alice@example.com", "bob", to, "to-aor", 5, hdrs + "Expires: 0\n");
  ASSERT_TRUE(gone);
  if (gone->status() == 407) gone = ResponseAndNotify(bob).first;
  ASSERT_TRUE(gone && gone->is_response());
  EXPECT_EQ(gone->status(), 200);
  // A dialog that never existed is still 481.
  auto none = SendAuthed(bob, "SUBSCRIBE", "sip:alice@example.com", "bob", "<sip:alice@example.com>;tag=nope",
                         "to-aor-x", 1, hdrs + "Expires: 0\n");
  ASSERT_TRUE(none);
  if (none->status() == 407) none = bob.Receive();
  ASSERT_TRUE(none && none->is_response());
  EXPECT_EQ(none->status(), 481);
}

TEST_F(Presence, RegistrationIsTheImplicitSource) {
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "sub-reg");
  ASSERT_TRUE(ok && ok->status() == 200);
  EXPECT_TRUE(Has(first, "<basic>closed</basic>"));
  SipClient phone(false, udp_);
  ASSERT_EQ(Register(phone, "alice", "alice-pw")->status(), 200);
  auto open = NextNotify(bob);
  ASSERT_TRUE(open);
  EXPECT_TRUE(Has(open, "<basic>open</basic>"));
  EXPECT_TRUE(Has(open, "sip:alice@127.0.0.1:" + std::to_string(phone.port())));
}

TEST_F(Presence, FetchIsAOneTimeQuery) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "lunch"))->status(), 200);
  SipClient bob(false, udp_);
  auto [ok, state] = Subscribe(bob, "bob", "alice", "fetch-1", 0);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  EXPECT_EQ(ok->Value(sip::HeaderId::kExpires), "0");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=timeout");
  EXPECT_TRUE(Has(state, "lunch"));
  EXPECT_TRUE(store_->LoadSubscriptions()->empty());  // a fetch leaves nothing behind
}

TEST_F(Presence, AcceptWithoutPidfIs406) {
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "acc-1", 600, "Accept: application/xml\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 406);
  EXPECT_EQ(r->Value(sip::HeaderId::kAccept), "application/pidf+xml");
  EXPECT_FALSE(n);
}

class PresenceConfirm : public Presence {
 protected:
  void SetUp() override {
    default_rule_ = "confirm";
    Presence::SetUp();
  }
};

TEST_F(PresenceConfirm, WatcherWaitsUntilTheDomainRuleAllows) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "secret"))->status(), 200);
  SipClient bob(false, udp_);
  auto [r, pending] = Subscribe(bob, "bob", "alice", "conf-1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 202);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->Value(sip::HeaderId::kSubscriptionState).starts_with("pending"));
  EXPECT_TRUE(pending->body().empty());  // a pending watcher learns nothing

  // alice herself is always allowed.
  SipClient self(false, udp_);
  auto [own, own_state] = Subscribe(self, "alice", "alice", "conf-self");
  ASSERT_TRUE(own && own->status() == 200);
  EXPECT_TRUE(Has(own_state, "secret"));

  ASSERT_TRUE(store_->SetOption({"example.com", "presence-default-rule", "allow"}).ok());
  auto active = NextNotify(bob);
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->Value(sip::HeaderId::kSubscriptionState).starts_with("active"));
  EXPECT_TRUE(Has(active, "secret"));
}

TEST_F(Presence, PoliteBlockAndInvisibleLookOffline) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "busy day"))->status(), 200);
  ASSERT_TRUE(store_->SetOption({"alice@example.com", "presence-invisible", "1"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // change feed
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "inv-1");
  ASSERT_TRUE(r && r->status() == 200);
  EXPECT_TRUE(Has(n, "<basic>closed</basic>"));
  EXPECT_FALSE(Has(n, "busy day"));
  SipClient self(false, udp_);
  auto [own, own_state] = Subscribe(self, "alice", "alice", "inv-self");
  EXPECT_TRUE(Has(own_state, "busy day"));  // not hidden from herself

  // Visible again: bob sees the real state at once.
  ASSERT_TRUE(store_->SetOption({"alice@example.com", "presence-invisible", ""}).ok());
  auto visible = NextNotify(bob);
  ASSERT_TRUE(visible);
  EXPECT_TRUE(Has(visible, "busy day"));

  // Polite blocking: carol is told alice is offline, whatever alice does.
  ASSERT_TRUE(store_->SetOption({"example.com", "presence-default-rule", "polite-block"}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  SipClient carol(false, udp_);
  auto [cr, cn] = Subscribe(carol, "carol", "alice", "pol-1");
  ASSERT_TRUE(cr && cr->status() == 200);
  EXPECT_TRUE(Has(cn, "<basic>closed</basic>"));
  EXPECT_FALSE(Has(cn, "busy day"));
}

TEST_F(Presence, SubscriptionsAndPublicationsSurviveRestart) {
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "keep-1");
  ASSERT_TRUE(ok && ok->status() == 200);
  SipClient alice(false, udp_);
  auto pub = Publish(alice, "alice", "", 600, Pidf("alice", "open", "before"));
  ASSERT_TRUE(pub && pub->status() == 200);
  std::string etag(pub->Value(sip::HeaderId::kSipETag));
  auto before = NextNotify(bob);
  ASSERT_TRUE(Has(before, "before"));

  Restart();  // new ports; bob's dialog and alice's publication are in the store
  auto restored = NextNotify(bob);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->call_id(), "keep-1");
  EXPECT_TRUE(Has(restored, "before"));
  EXPECT_GT(restored->cseq()->number, before->cseq()->number);

  SipClient alice2(false, udp_);
  auto modify = Publish(alice2, "alice", etag, 600, Pidf("alice", "open", "after"));
  ASSERT_TRUE(modify);
  EXPECT_EQ(modify->status(), 200);  // the entity-tag survived too
  auto after = NextNotify(bob);
  ASSERT_TRUE(after);
  EXPECT_TRUE(Has(after, "after"));
}

TEST_F(Presence, ARefreshToAContactFromBeforeARestartWithOtherLoopsFindsItsDialog) {
  // The Contact of a subscription dialog names the shard that held it; a
  // restart with another number of loops restores it on its resource's
  // shard under the new count. A watcher that keeps the old Contact as its
  // remote target (instead of the one in the restored NOTIFY) still
  // refreshes it.
  size_t loops = 2;
  while (ShardHash("alice@example.com") % loops == 0) ++loops;
  threads_ = 1;
  Restart();
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "moved-1");
  ASSERT_TRUE(ok && ok->status() == 200);
  ASSERT_TRUE(first);
  std::string contact(ok->Value(sip::HeaderId::kContact));
  ASSERT_TRUE(contact.starts_with("<sip:ev-0-")) << contact;
  std::string user = contact.substr(5, contact.find('@') - 5);

  threads_ = loops;
  Restart();  // new ports: the test keeps the user part and takes the new one
  auto restored = NextNotify(bob);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->call_id(), "moved-1");
  EXPECT_EQ(restored->Value(sip::HeaderId::kContact).find("<sip:ev-0-"), std::string_view::npos)
      << "restored on the resource's shard under " << loops << " loops";

  SipClient bob2(false, udp_);
  std::string ruri = "sip:" + user + "@127.0.0.1:" + std::to_string(udp_);
  std::string to = "<sip:alice@example.com>;tag=" + std::string(ok->to()->tag());
  std::string hdrs = "Event: presence\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  auto refresh = SendAuthed(bob2, "SUBSCRIBE", ruri, "bob", to, "moved-1", 3, hdrs + "Expires: 300\n");
  ASSERT_TRUE(refresh);
  if (refresh->status() == 407) refresh = bob2.ReceiveResponse();
  ASSERT_TRUE(refresh && refresh->is_response());
  EXPECT_EQ(refresh->status(), 200);
  auto renewed = NextNotify(bob);  // to where the dialog's NOTIFYs go
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->Value(sip::HeaderId::kSubscriptionState), "active;expires=300");
  // Another dialog's tags through the same Contact: still 481.
  auto none = SendAuthed(bob2, "SUBSCRIBE", ruri, "bob", "<sip:alice@example.com>;tag=nope", "moved-1", 4,
                         hdrs + "Expires: 0\n");
  ASSERT_TRUE(none);
  if (none->status() == 407) none = bob2.Receive();
  ASSERT_TRUE(none && none->is_response());
  EXPECT_EQ(none->status(), 481);
}

TEST_F(Presence, ANewDialogFromTheSameContactReplacesTheOld) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Subscribe(bob, "bob", "alice", "old-dialog").first->status(), 200);
  ASSERT_EQ(Subscribe(bob, "bob", "alice", "new-dialog").first->status(), 200);
  EXPECT_EQ(store_->LoadSubscriptions()->size(), 1u);
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "x"))->status(), 200);
  auto n = NextNotify(bob);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->call_id(), "new-dialog");
  EXPECT_FALSE(Quiet(bob));  // the old dialog gets nothing
}

TEST_F(Presence, MaxRateCoalescesABurstIntoTheLastState) {
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "rate-1", 600, "", "presence;max-rate=1");
  ASSERT_TRUE(ok && ok->status() == 200);
  ASSERT_TRUE(first);
  EXPECT_NE(first->Value(sip::HeaderId::kSubscriptionState).find(";max-rate=1"), std::string_view::npos);
  SipClient alice(false, udp_);
  auto p = Publish(alice, "alice", "", 600, Pidf("alice", "open", "one"));
  std::string etag(p->Value(sip::HeaderId::kSipETag));
  p = Publish(alice, "alice", etag, 600, Pidf("alice", "open", "two"));
  etag = std::string(p->Value(sip::HeaderId::kSipETag));
  p = Publish(alice, "alice", etag, 600, Pidf("alice", "open", "three"));
  ASSERT_EQ(p->status(), 200);
  // The burst came within the 1 s window after the first NOTIFY: one more
  // NOTIFY carries the last state, the intermediate ones are skipped.
  std::vector<sip::MessagePtr> got;
  for (auto m = NextNotify(bob); m; m = NextNotify(bob)) got.push_back(std::move(m));
  ASSERT_FALSE(got.empty());
  EXPECT_LE(got.size(), 2u);
  EXPECT_TRUE(Has(got.back(), "three"));
  for (const auto& m : got) EXPECT_FALSE(Has(m, "two"));
}

TEST_F(Presence, BadRateParameterIs400) {
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "rate-bad", 600, "", "presence;max-rate=fast");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 400);
  EXPECT_EQ(r->reason(), "Bad Event max-rate Parameter");
}

TEST_F(Presence, A481ToNotifyEndsTheSubscription) {
  SipClient bob(false, udp_);
  std::string hdrs = "Event: presence\nExpires: 600\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  auto ch = SendAuthed(bob, "SUBSCRIBE", "sip:alice@example.com", "bob", "sip:alice@example.com", "gone-1", 1, hdrs);
  ASSERT_TRUE(ch && ch->status() == 407);
  sip::MessagePtr resp;
  for (int i = 0; i < 4; ++i) {
    auto m = bob.Receive();
    if (!m) break;
    if (m->is_response()) resp = std::move(m);
    else bob.Reply(sip::MakeResponse(*m, 481, "Call/Transaction Does Not Exist")->Serialize());
    if (resp && i >= 1) break;
  }
  ASSERT_TRUE(resp && resp->status() == 200);
  // The record leaves the store (written behind: wait a bounded while).
  size_t left = 1;
  for (int i = 0; i < 100 && left != 0; ++i) {
    left = store_->LoadSubscriptions()->size();
    if (left != 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(left, 0u);
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "x"))->status(), 200);
  EXPECT_FALSE(Quiet(bob));
}


class PresenceShortExpiry : public Presence {
 protected:
  void Configure(ServerConfig& c) override {
    Presence::Configure(c);
    c.presence_min_expires = 1;
  }
};

// Subscriptions that are not refreshed end with a final NOTIFY
// (RFC 6665 §4.1.2.4, reason=timeout), each at its own time; one held
// longer keeps getting changes until then.
TEST_F(PresenceShortExpiry, EachSubscriptionEndsWhenItExpires) {
  SipClient bob(false, udp_);
  SipClient carol(false, udp_);
  auto [bok, bfirst] = Subscribe(bob, "bob", "alice", "exp-bob", 1);
  ASSERT_TRUE(bok && bfirst);
  ASSERT_EQ(bok->status(), 200);
  auto [cok, cfirst] = Subscribe(carol, "carol", "alice", "exp-carol", 4);
  ASSERT_TRUE(cok && cfirst);
  ASSERT_EQ(cok->status(), 200);

  auto bend = NextNotify(bob);
  ASSERT_TRUE(bend);
  EXPECT_EQ(bend->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=timeout");
  // Carol's subscription outlives Bob's: she still sees a change.
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "still here"))->status(), 200);
  auto changed = NextNotify(carol);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(changed->Value(sip::HeaderId::kSubscriptionState).starts_with("active;expires="));
  EXPECT_TRUE(Has(changed, "still here"));
  sip::MessagePtr cend;
  for (int i = 0; i < 3 && !cend; ++i) cend = NextNotify(carol);  // (Receive waits a bounded while)
  ASSERT_TRUE(cend);
  EXPECT_EQ(cend->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=timeout");
  // Both records leave the store (written behind: wait a bounded while).
  size_t left = 1;
  for (int i = 0; i < 100 && left != 0; ++i) {
    left = store_->LoadSubscriptions()->size();
    if (left != 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(left, 0u);
  EXPECT_FALSE(Quiet(bob));
}

}  // namespace
}  // namespace parley::server
