// What a REGISTER or SUBSCRIBE carries that the store cannot keep as text
// (not UTF-8, which PostgreSQL refuses and so every backend refuses): an
// informational User-Agent is mended, what the dialog or the 200 must
// repeat byte for byte gets a 400 naming the header. The same on SQLite
// (here) as on PostgreSQL.

#include <gtest/gtest.h>

#include "server_fixture.h"
#include "sip_client.h"
#include "store/store.h"

namespace parley::server {
namespace {

using testing::SipClient;

class StoredText : public ServerFixture {};

TEST_F(StoredText, AUserAgentThatIsNotUtf8IsKeptWithReplacementCharacters) {
  SipClient c(false, udp_);
  const std::string contact = "Contact: <sip:alice@127.0.0.1:$PORT>;expires=600\n";
  auto ch = SendAuthed(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "ua-latin1", 1,
                       contact + "User-Agent: Caf\xe9Phone/1.0\n");
  ASSERT_TRUE(ch && ch->status() == 401);
  auto ok = c.ReceiveResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status(), 200);
  auto stored = store_->LoadBindingsOf("alice@example.com");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->at(0).user_agent, "Caf\xef\xbf\xbdPhone/1.0");
}

TEST_F(StoredText, AContactThatIsNotUtf8Is400AndNothingIsBound) {
  SipClient c(false, udp_);
  auto ch = SendAuthed(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "contact-latin1", 1,
                       "Contact: <sip:alice@127.0.0.1:$PORT>;+sip.instance=\"<urn:caf\xe9>\"\n");
  ASSERT_TRUE(ch && ch->status() == 401);
  auto refused = c.ReceiveResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 400);
  EXPECT_EQ(refused->reason(), "Contact Is Not UTF-8");
  EXPECT_TRUE(store_->LoadBindingsOf("alice@example.com")->empty());
}

TEST_F(StoredText, ASubscriptionWhoseRouteSetIsNotUtf8Is400) {
  SipClient c(false, udp_);
  auto ch = SendAuthed(c, "SUBSCRIBE", "sip:bob@example.com", "alice", "sip:bob@example.com", "sub-latin1", 1,
                       "Event: presence\nExpires: 600\nContact: <sip:alice@127.0.0.1:$PORT>\n"
                       "Record-Route: \"Caf\xe9\" <sip:127.0.0.1:$PORT;lr>\n");
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->status(), 407) << ch->reason();
  auto refused = c.ReceiveResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status(), 400);
  EXPECT_EQ(refused->reason(), "Record-Route Is Not UTF-8");
}

}  // namespace
}  // namespace parley::server
