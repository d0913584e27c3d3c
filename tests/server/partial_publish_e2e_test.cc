// RFC 5264 partial publication end to end: application/pidf-diff+xml
// PUBLISHes (RFC 5262 <pidf-full>, then <pidf-diff> patches of RFC 5261)
// change what watchers see; a patch that fails leaves the publication as it
// was; a version out of sequence ends it with 412, after a restart too.
// And RFC 5263 partial
// notification: a watcher that accepts pidf-diff+xml gets a <pidf-full>,
// then patches that rebuild what a full watcher sees.

#include <gtest/gtest.h>

#include "presence/doc/pidf.h"
#include "presence/doc/pidf_diff.h"
#include "presence_fixture.h"

namespace parley::server {
namespace {

constexpr const char* kPartial = "application/pidf-diff+xml";

// One line each: the test client turns LF into CRLF in the whole message.
std::string PidfFull(int version, const std::string& tuples) {
  return "<p:pidf-full xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" "
         "entity=\"pres:alice@example.com\" version=\"" +
         std::to_string(version) + "\">" + tuples + "</p:pidf-full>";
}

std::string PidfDiff(int version, const std::string& ops) {
  return "<p:pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" "
         "entity=\"sip:alice@example.com\" version=\"" +
         std::to_string(version) + "\">" + ops + "</p:pidf-diff>";
}

const std::string kAtWork =
    "<tuple id=\"t1\"><status><basic>open</basic></status><note>at work</note></tuple>";

std::string ETag(const sip::MessagePtr& m) { return m ? std::string(m->Value(sip::HeaderId::kSipETag)) : ""; }

TEST_F(Presence, PartialPublicationsReachWatchers) {
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "sub-partial");
  ASSERT_TRUE(ok && ok->status() == 200);
  ASSERT_TRUE(Has(first, "<basic>closed</basic>"));

  SipClient alice(false, udp_);
  auto full = Publish(alice, "alice", "", 600, PidfFull(41, kAtWork), kPartial);
  ASSERT_TRUE(full);
  ASSERT_EQ(full->status(), 200) << full->reason();
  std::string e1 = ETag(full);
  auto n1 = NextNotify(bob);
  EXPECT_TRUE(Has(n1, "<basic>open</basic>"));
  EXPECT_TRUE(Has(n1, "at work"));

  auto note = Publish(alice, "alice", e1, 600,
                      PidfDiff(42, "<p:replace sel=\"presence/tuple[@id='t1']/note/text()\">in a meeting</p:replace>"),
                      kPartial);
  ASSERT_TRUE(note);
  ASSERT_EQ(note->status(), 200) << note->reason();
  std::string e2 = ETag(note);
  EXPECT_NE(e2, e1);
  auto n2 = NextNotify(bob);
  EXPECT_TRUE(Has(n2, "in a meeting"));
  EXPECT_FALSE(Has(n2, "at work"));
  EXPECT_TRUE(Has(n2, "<basic>open</basic>"));

  auto added = Publish(alice, "alice", e2, 600,
                       PidfDiff(43, "<p:add sel=\"presence/tuple[@id='t1']\" pos=\"after\"><tuple id=\"t2\"><status>"
                                    "<basic>closed</basic></status><contact>sip:alice@pc.example.com</contact>"
                                    "</tuple></p:add>"),
                       kPartial);
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status(), 200) << added->reason();
  auto n3 = NextNotify(bob);
  EXPECT_TRUE(Has(n3, "sip:alice@pc.example.com"));
  EXPECT_TRUE(Has(n3, "in a meeting"));

  // The store holds the whole document, as a restart reads it.
  auto stored = store_->LoadPublications();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].etag, ETag(added));
  EXPECT_EQ((*stored)[0].content_type, "application/pidf+xml");
  EXPECT_NE((*stored)[0].body.find("in a meeting"), std::string::npos);
  EXPECT_NE((*stored)[0].body.find("id=\"t2\""), std::string::npos);
  EXPECT_TRUE(presence::ParsePidf((*stored)[0].body, "sip:alice@example.com").ok()) << (*stored)[0].body;

  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_presence_partial_total{kind=\"publish_patched\"} 2\n"), std::string::npos) << m;

  // A full document replaces everything, under the same publication.
  auto again = Publish(alice, "alice", ETag(added), 600, PidfFull(1, kAtWork), kPartial);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status(), 200) << again->reason();
  auto n4 = NextNotify(bob);
  EXPECT_TRUE(Has(n4, "at work"));
  EXPECT_FALSE(Has(n4, "t2"));
}

TEST_F(Presence, AFailedPatchLeavesThePublicationAsItWas) {
  SipClient alice(false, udp_);
  auto full = Publish(alice, "alice", "", 600, PidfFull(1, kAtWork), kPartial);
  ASSERT_TRUE(full && full->status() == 200);
  std::string e1 = ETag(full);

  auto no_match = Publish(alice, "alice", "", 600, PidfDiff(2, "<p:remove sel=\"presence/tuple\"/>"), kPartial);
  ASSERT_TRUE(no_match);
  EXPECT_EQ(no_match->status(), 400);
  EXPECT_EQ(no_match->reason(), "Partial Publication Without SIP-If-Match");

  auto unlocated =
      Publish(alice, "alice", e1, 600, PidfDiff(2, "<p:remove sel=\"presence/tuple[@id='t9']\"/>"), kPartial);
  ASSERT_TRUE(unlocated);
  EXPECT_EQ(unlocated->status(), 400);
  EXPECT_EQ(unlocated->reason(), "pidf-diff: unlocated-node: sel \"presence/tuple[@id='t9']\" matches 0 nodes");

  auto invalid =
      Publish(alice, "alice", e1, 600, PidfDiff(2, "<p:remove sel=\"presence/tuple/status/basic\"/>"), kPartial);
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status(), 400);
  EXPECT_EQ(invalid->reason(), "PIDF: missing <basic>");

  auto other = Publish(alice, "alice", e1, 600,
                       "<p:pidf-diff xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" entity=\"sip:bob@example.com\" "
                       "version=\"2\"/>",
                       kPartial);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status(), 400);
  EXPECT_EQ(other->reason(), "pidf-diff: entity does not match the presentity");

  // The entity-tag still names the publication: the next patch applies.
  auto closed = Publish(alice, "alice", e1, 600,
                        PidfDiff(2, "<p:replace sel=\"presence/tuple/status/basic/text()\">closed</p:replace>"),
                        kPartial);
  ASSERT_TRUE(closed);
  ASSERT_EQ(closed->status(), 200) << closed->reason();
  std::string e2 = ETag(closed);

  auto stale = Publish(alice, "alice", e1, 600, PidfDiff(3, ""), kPartial);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status(), 412);

  auto text = Publish(alice, "alice", e2, 600, "closed", "text/plain");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status(), 415);
  EXPECT_EQ(text->Value(sip::HeaderId::kAccept), "application/pidf+xml, application/pidf-diff+xml");

  // Version 5 after 2: the publisher counts documents this server never
  // applied. The publication ends; the publisher starts again.
  auto gap = Publish(alice, "alice", e2, 600, PidfDiff(5, ""), kPartial);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->status(), 412);
  EXPECT_EQ(gap->reason(), "Partial Publication Out Of Sequence");
  auto gone = Publish(alice, "alice", e2, 600, "");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status(), 412);
  auto stored = store_->LoadPublications();
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->empty());
}

// The version the last pidf-full or pidf-diff gave a publication is stored
// with it: after a restart a diff must follow it as before.
TEST_F(Presence, APartialPublicationKeepsItsVersionOverARestart) {
  SipClient alice(false, udp_);
  auto full = Publish(alice, "alice", "", 600, PidfFull(1, kAtWork), kPartial);
  ASSERT_TRUE(full && full->status() == 200);
  auto two = Publish(alice, "alice", ETag(full), 600,
                     PidfDiff(2, "<p:replace sel=\"presence/tuple/note/text()\">in a meeting</p:replace>"), kPartial);
  ASSERT_TRUE(two && two->status() == 200);
  auto stored = store_->LoadPublications();
  ASSERT_TRUE(stored.ok() && stored->size() == 1u);
  EXPECT_EQ((*stored)[0].partial_version, 2);

  Restart();  // the server's port changes: a client of its own
  SipClient alice2(false, udp_);
  auto three = Publish(alice2, "alice", ETag(two), 600,
                       PidfDiff(3, "<p:replace sel=\"presence/tuple/note/text()\">gone home</p:replace>"), kPartial);
  ASSERT_TRUE(three);
  ASSERT_EQ(three->status(), 200) << three->reason();
  EXPECT_EQ(store_->LoadPublications()->at(0).partial_version, 3);

  Restart();
  SipClient alice3(false, udp_);
  auto gap = Publish(alice3, "alice", ETag(three), 600, PidfDiff(5, ""), kPartial);
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->status(), 412);
  EXPECT_EQ(gap->reason(), "Partial Publication Out Of Sequence");
  EXPECT_TRUE(store_->LoadPublications()->empty());
}

TEST_F(Presence, AWatcherThatAcceptsDiffsGetsFullStateThenPatches) {
  SipClient alice(false, udp_);
  auto pub = Publish(alice, "alice", "", 600, PidfFull(1, kAtWork), kPartial);
  ASSERT_TRUE(pub && pub->status() == 200);

  SipClient bob(false, udp_), carol(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "sub-diff", 600,
                               "Accept: application/pidf+xml, application/pidf-diff+xml\n");
  ASSERT_TRUE(ok && ok->status() == 200);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->content_type()->Essence(), "application/pidf-diff+xml");
  auto head = presence::ReadPidfDiff(first->body(), "sip:alice@example.com", {});
  ASSERT_TRUE(head.ok()) << head.error().message << "\n" << first->body();
  ASSERT_TRUE(head->full);
  EXPECT_EQ(head->version, 0u);
  std::string held = head->pidf;  // the document as bob holds it
  auto [ok2, plain] = Subscribe(carol, "carol", "alice", "sub-plain");
  ASSERT_TRUE(ok2 && ok2->status() == 200);
  EXPECT_EQ(plain->content_type()->Essence(), "application/pidf+xml");

  // Each change: bob's patch applied to what he holds is what carol gets.
  uint32_t version = 0;
  std::string etag = ETag(pub);
  for (const char* note : {"in a meeting", "gone home"}) {
    auto changed = Publish(alice, "alice", etag, 600,
                           PidfDiff(static_cast<int>(version) + 2,
                                    std::string("<p:replace sel=\"*/tuple/note/text()\">") + note + "</p:replace>"),
                           kPartial);
    ASSERT_TRUE(changed && changed->status() == 200) << (changed ? changed->reason() : "none");
    etag = ETag(changed);
    auto diff = NextNotify(bob);
    auto full = NextNotify(carol);
    ASSERT_TRUE(diff && full);
    EXPECT_EQ(diff->content_type()->Essence(), "application/pidf-diff+xml");
    auto d = presence::ReadPidfDiff(diff->body(), "sip:alice@example.com", {});
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_FALSE(d->full) << diff->body();
    EXPECT_EQ(d->version, ++version);
    auto patched = presence::ApplyPidfDiff(held, diff->body(), {});
    ASSERT_TRUE(patched.ok()) << patched.error().message << "\n" << diff->body();
    held = *patched;
    auto mine = presence::ParsePidf(held, "");
    auto theirs = presence::ParsePidf(full->body(), "");
    ASSERT_TRUE(mine.ok() && theirs.ok());
    EXPECT_TRUE(*mine == *theirs) << held << "\n" << full->body();
    EXPECT_NE(held.find(note), std::string::npos);
  }

  // After a restart the subscription still asks for diffs: full state
  // first, as after any SUBSCRIBE.
  Restart();
  auto restored = NextNotify(bob);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->content_type()->Essence(), "application/pidf-diff+xml");
  auto r = presence::ReadPidfDiff(restored->body(), "sip:alice@example.com", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->full);
  auto carols = NextNotify(carol);  // answered: nothing left for the shutdown to wait for
  ASSERT_TRUE(carols);
  EXPECT_EQ(carols->content_type()->Essence(), "application/pidf+xml");
  // Since the restart: one full state, no diff, no patch.
  std::string m = testing::HttpGet(server_->http_port(), "/metrics");
  EXPECT_NE(m.find("\nparley_presence_partial_total{kind=\"notify_full\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\nparley_presence_partial_total{kind=\"notify_diff\"} 0\n"), std::string::npos) << m;
}

}  // namespace
}  // namespace parley::server
