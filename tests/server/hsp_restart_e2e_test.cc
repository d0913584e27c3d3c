// What the home serving proxy keeps over a restart and learns while it
// runs: bindings come back, soft state that expired meanwhile is deleted,
// users added or changed by another process (the change feed) are seen, a
// server behind the feed's retention reads its users again.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/timer.h"
#include "hsp_fixture.h"
#include "sip_client.h"
#include "store/store.h"

namespace parley::server {
namespace {

using testing::SipClient;

TEST_F(Hsp, BindingsSurviveRestart) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  uint16_t old_udp = udp_;
  Restart();
  // The new server listens elsewhere (port 0); bob's binding still points
  // at bob's socket.
  ASSERT_NE(udp_, 0);
  (void)old_udp;
  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "after restart", &bob);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "after restart");
}

// Soft state that expired while no server held it is never deleted by key
// (nobody is left to expire it): a start deletes it.
TEST_F(Hsp, ARestartDeletesBindingsPublicationsAndCallsThatExpiredMeanwhile) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  const int64_t past = UnixNow() - 60;
  store::Binding gone;
  gone.aor = "carol@example.com";
  gone.contact_uri = "sip:carol@192.0.2.1:5060";
  gone.expires_at = past;
  gone.call_id = "old-call";
  gone.cseq = 1;
  gone.source = "udp:192.0.2.1:5060";
  ASSERT_TRUE(store_->UpsertBinding(gone).ok());
  store::Publication old_pub{"etag-old", "carol@example.com", "presence", "application/pidf+xml",
                             "<presence/>", UnixNowMs() - 120000, past};
  ASSERT_TRUE(store_->UpsertPublication(old_pub).ok());
  ASSERT_EQ(store_->LoadBindings()->size(), 2u);
  // An answered call as old as a dialog may live, and a recent one.
  const int64_t max_age = ServerConfig{}.dialog_max_age_s;
  store::CallDialog old_call{"bob@example.com", "call-old", "b1", "a1", false, false, "sip:bob@example.com",
                             "", "sip:alice@example.com", "", false, UnixNow() - max_age - 60};
  store::CallDialog new_call = old_call;
  new_call.call_id = "call-new";
  new_call.created_at = UnixNow() - 60;
  ASSERT_TRUE(store_->SaveCallDialog(old_call).ok());
  ASSERT_TRUE(store_->SaveCallDialog(new_call).ok());

  Restart();
  auto bindings = store_->LoadBindings();
  ASSERT_TRUE(bindings.ok());
  ASSERT_EQ(bindings->size(), 1u);  // bob's, still live
  EXPECT_EQ(bindings->front().aor, "bob@example.com");
  auto pubs = store_->LoadPublications();
  ASSERT_TRUE(pubs.ok());
  EXPECT_TRUE(pubs->empty());
  auto calls = store_->LoadCallDialogs();
  ASSERT_TRUE(calls.ok());
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ(calls->front().call_id, "call-new");
}

TEST_F(Hsp, UserAddedWhileRunningCanRegister) {
  AddUser("dave", "dave-pw");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  SipClient c(false, udp_);
  auto r = Register(c, "dave", "dave-pw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
}

// A node that falls behind the change feed's retention (pruned past what it
// has seen) cannot know what it missed: it forgets what it caches. Here the
// user is added and the feed pruned past her in one transaction, so the
// server never sees her change; its preloaded directory, complete until
// then, would call her unknown.
TEST_F(Hsp, AServerBehindAPrunedChangeFeedReadsItsUsersAgain) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(false, udp_);
  ASSERT_EQ(SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "before", &bob)->status(), 200);
  const int64_t later = UnixNowMs() + 30LL * 24 * 3600 * 1000;
  ASSERT_TRUE(store_->Begin().ok());
  AddUser("erin", "erin-pw");
  ASSERT_TRUE(store_->SetPolicyEntry("bob@example.com", {"alice@example.com", store::PolicyAction::kBlock}).ok());
  ASSERT_TRUE(store_->PruneChanges(later, 1).ok());  // marks erin's change (maybe pruning older ones)
  auto n = store_->PruneChanges(later + 1, 1);
  ASSERT_TRUE(n.ok());
  EXPECT_GE(*n, 1u);
  ASSERT_TRUE(store_->Commit().ok());
  ASSERT_TRUE(store_->ChangesSince(0)->empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  SipClient c(false, udp_);
  auto r = Register(c, "erin", "erin-pw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  auto a = Register(c, "alice", "alice-pw");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status(), 200);
  auto unknown = Register(c, "nobody", "pw");
  ASSERT_TRUE(unknown);
  EXPECT_NE(unknown->status(), 200);
  // bob's cached policy (nothing blocked) is gone with the rest.
  auto blocked = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "after");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status(), 403);
}

}  // namespace
}  // namespace parley::server
