// Hard state (RFC 4827): a user's pidf-manipulation document over XCAP is a
// source of the composed presence, so watchers see it with or without the
// user's devices, follow its edits, and get it back after a restart.

#include <gtest/gtest.h>

#include <thread>

#include "presence_fixture.h"

namespace parley::server {
namespace {

constexpr const char* kHardPath = "/xcap/pidf-manipulation/users/sip:alice@example.com/index";
constexpr const char* kPidfType = "application/pidf+xml";

std::string HardStateDoc(const std::string& entity_user, const std::string& note) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
         "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" "
         "entity=\"sip:" +
         entity_user + "@example.com\"><tuple id=\"vm\"><status><basic>open</basic></status>"
                       "<contact>sip:alice-vm@example.com</contact></tuple><dm:person id=\"hard\"><rpid:activities><rpid:vacation/></rpid:activities>"
                       "<dm:note>" +
         note + "</dm:note></dm:person></presence>";
}

class HardState : public Presence {};

TEST_F(HardState, APidfManipulationDocumentIsComposedWithThePublications) {
  // Only about its owner, only by its owner.
  auto other = Http("PUT", kHardPath, "alice", HardStateDoc("bob", "x"), kPidfType);
  EXPECT_EQ(other.status, 409);
  EXPECT_NE(other.body.find("constraint-failure"), std::string::npos) << other.body;
  EXPECT_EQ(Http("PUT", kHardPath, "alice", "<presence", kPidfType).status, 409);  // not well-formed
  EXPECT_EQ(Http("PUT", kHardPath, "bob", HardStateDoc("alice", "x"), kPidfType).status, 403);
  ASSERT_EQ(Http("PUT", kHardPath, "alice", HardStateDoc("alice", "back on Monday"), kPidfType).status, 201);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed

  // Nothing published, nothing registered: the hard state is what shows.
  SipClient bob(false, udp_);
  auto [ok, first] = Subscribe(bob, "bob", "alice", "hard-1");
  ASSERT_TRUE(ok && ok->status() == 200);
  EXPECT_TRUE(Has(first, "back on Monday")) << (first ? first->body() : "");
  EXPECT_TRUE(Has(first, "vacation"));
  EXPECT_NE(testing::HttpGet(server_->http_port(), "/metrics").find("\nparley_presence_hard_states 1\n"),
            std::string::npos);

  // Edited: the watcher gets the new document.
  ASSERT_EQ(HttpReplace(kHardPath, "alice", HardStateDoc("alice", "back on Tuesday"), kPidfType), 200);
  auto edited = NextNotify(bob);
  EXPECT_TRUE(Has(edited, "back on Tuesday")) << (edited ? edited->body() : "");

  // A device publishing its own person wins over it; its tuple joins.
  SipClient alice(false, udp_);
  const std::string soft =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
      "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" "
      "entity=\"sip:alice@example.com\"><tuple id=\"desk\"><status><basic>open</basic></status></tuple>"
      "<dm:person id=\"soft\"><rpid:activities><rpid:meeting/></rpid:activities></dm:person></presence>";
  ASSERT_EQ(Publish(alice, "alice", "", 600, soft)->status(), 200);
  auto published = NextNotify(bob);
  ASSERT_TRUE(published);
  EXPECT_TRUE(Has(published, "meeting"));
  EXPECT_FALSE(Has(published, "back on Tuesday"));
  EXPECT_TRUE(Has(published, "alice-vm"));
  EXPECT_TRUE(Has(published, "\"desk\""));

  // A restart reads it again (and the publication).
  Restart();
  SipClient bob2(false, udp_);
  auto [ok2, again] = Subscribe(bob2, "bob", "alice", "hard-2");
  ASSERT_TRUE(ok2 && ok2->status() == 200);
  EXPECT_TRUE(Has(again, "meeting")) << (again ? again->body() : "");
  EXPECT_TRUE(Has(again, "alice-vm"));

  // Deleted: gone from what watchers see.
  ASSERT_EQ(Http("DELETE", kHardPath, "alice").status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  SipClient bob3(false, udp_);
  auto [ok3, after] = Subscribe(bob3, "bob", "alice", "hard-3");
  ASSERT_TRUE(ok3 && ok3->status() == 200);
  EXPECT_FALSE(Has(after, "alice-vm")) << (after ? after->body() : "");
  EXPECT_NE(testing::HttpGet(server_->http_port(), "/metrics").find("\nparley_presence_hard_states 0\n"),
            std::string::npos);
  EXPECT_TRUE(Has(after, "meeting"));
}

}  // namespace
}  // namespace parley::server
