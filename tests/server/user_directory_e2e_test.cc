// The user directory end to end: which loop reads a user's credentials and
// when the store is asked. One loop or two, preloaded or a cache of the
// users asked for, copies of a sender's credentials on the recipient's loop
// and what takes them away (a changed password, a lockout).

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "aaa/authenticator.h"
#include "auth/digest.h"
#include "server/server.h"
#include "server_fixture.h"
#include "sip/response.h"
#include "sip_client.h"
#include "store/store.h"

namespace parley::server {
namespace {

using testing::SipClient;
namespace fs = std::filesystem;

// One loop: every request is received on the shard that owns its user.
// Without the preload: the user directory is a cache of the active users.
class HspOneLoop : public ServerFixture {
 protected:
  void Configure(ServerConfig& c) override {
    c.threads = 1;
    c.preload_users = 0;
  }
  uint64_t Metric(const std::string& name) {
    std::string m = testing::HttpGet(server_->http_port(), "/metrics");
    const std::string key = "\n" + name + " ";
    size_t p = m.find(key);
    EXPECT_NE(p, std::string::npos) << m;
    return p == std::string::npos ? 0 : std::stoull(m.substr(p + key.size()));
  }
  uint64_t UserLoads() { return Metric("parley_user_cache_loads_total"); }
  bool LoadsReach(uint64_t n) {
    for (int i = 0; i < 250; ++i) {
      if (UserLoads() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

TEST_F(HspOneLoop, AChallengeReadsTheUserWhileTheClientAnswers) {
  uint64_t before = UserLoads();
  SipClient c(false, udp_);
  const std::string contact = "Contact: <sip:alice@127.0.0.1:$PORT>\n";
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "r-warm", 1, contact));
  auto ch = c.Receive();
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->status(), 401);
  EXPECT_TRUE(LoadsReach(before + 1));  // the 401 alone read alice
  std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "alice", "alice-pw");
  c.SendRaw(Request(c, "REGISTER", "sip:example.com", "alice", "sip:alice@example.com", "r-warm", 2,
                    contact + "Authorization: " + auth + "\n"));
  auto r = c.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(UserLoads(), before + 1);  // the credentials found alice cached
  // The same for a MESSAGE's sender (bob) on its 407.
  c.SendRaw(Request(c, "MESSAGE", "sip:alice@example.com", "bob", "sip:alice@example.com", "m-warm", 1,
                    "Content-Type: text/plain\n", "hi"));
  ch = c.Receive();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->status(), 407);
  EXPECT_TRUE(LoadsReach(before + 2));
  // The challenge of a MESSAGE also reads what its recipient's shard will
  // need (server::Prefetcher): carol's record (she is offline).
  c.SendRaw(Request(c, "MESSAGE", "sip:carol@example.com", "bob", "sip:carol@example.com", "m-warm2", 1,
                    "Content-Type: text/plain\n", "hi"));
  ch = c.Receive();
  ASSERT_TRUE(ch);
  EXPECT_EQ(ch->status(), 407);
  EXPECT_TRUE(LoadsReach(before + 3));
  // Bob's next challenge and his credentials find both cached.
  auto sent = SendMessage(c, "bob", "bob-pw", "sip:carol@example.com", "hello");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status() / 100, 2);
  EXPECT_EQ(UserLoads(), before + 3);
}

// Preloaded (the default): every user's credentials are in memory once the
// server has started, so neither a REGISTER, nor a MESSAGE to an offline
// user, nor a name nobody has reads the store for a user; one added while
// it runs is read once, when the change feed names them.
class HspPreloaded : public HspOneLoop {
 protected:
  void Configure(ServerConfig& c) override { c.threads = 2; }
};

TEST_F(HspPreloaded, RequestsNeverWaitForTheStoreForAUser) {
  bool complete = false;
  for (int i = 0; i < 250 && !complete; ++i) {
    complete = Metric("parley_users_preloaded") == 1;
    if (!complete) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(complete);
  SipClient c(false, udp_);
  auto r = Register(c, "alice", "alice-pw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  auto sent = SendMessage(c, "bob", "bob-pw", "sip:carol@example.com", "stored for carol");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status(), 202);
  auto unknown = SendMessage(c, "bob", "bob-pw", "sip:nobody@example.com", "to nobody");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status(), 404);
  auto wrong = Register(c, "nobody", "pw");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status(), 403);
  EXPECT_EQ(UserLoads(), 0u);
  AddUser("dave", "dave-pw");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  r = Register(c, "dave", "dave-pw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(UserLoads(), 1u);
}

// More users than preload_users: nothing is preloaded, the directory is a
// cache of the users asked for (read from the store), and they register.
class HspTooManyToPreload : public HspOneLoop {
 protected:
  void Configure(ServerConfig& c) override {
    c.threads = 2;
    c.preload_users = 1;
  }
};

TEST_F(HspTooManyToPreload, UsersAreReadWhenAskedFor) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // a preload of these few would be done
  EXPECT_EQ(Metric("parley_users_preloaded"), 0u);
  SipClient c(false, udp_);
  auto r = Register(c, "alice", "alice-pw");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  uint64_t loads = UserLoads();
  EXPECT_GE(loads, 1u);
  // Not complete: an unknown name takes a read (a preloaded directory knows).
  auto unknown = Register(c, "nobody", "pw");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status(), 403);
  EXPECT_GT(UserLoads(), loads);
}

// Two loops: a MESSAGE is handled on its recipient's loop, its sender's
// credentials belong to the sender's. Once the sender's loop accepted them,
// the recipient's loop checks the sender's next request against its copy:
// no hop. A wrong password is still the owner's to count, a lockout and a
// changed password take the copy away.
class HspTwoLoops : public HspOneLoop {
 protected:
  void Configure(ServerConfig& c) override { c.threads = 2; }
  // Two users of different loops: the sender and the recipient.
  std::pair<std::string, std::string> UsersOfTwoLoops(const std::string& prefix) {
    std::vector<std::string> made;
    for (int i = 0; i < 64; ++i) {
      std::string u = prefix + std::to_string(i);
      AddUser(u, u + "-pw");
      for (const auto& o : made) {
        if (ShardHash(u + "@example.com") % 2 != ShardHash(o + "@example.com") % 2) return {u, o};
      }
      made.push_back(u);
    }
    ADD_FAILURE() << "no two users on different loops";
    return {};
  }
  uint64_t ReplicaHits() { return Metric("parley_auth_replica_hits_total"); }
  // A new password for `user`: once the change feed has it, the old one is
  // refused on the recipient's loop (no copy or snapshot speaks for it any
  // more) and the new one accepted.
  void ChangePassword(SipClient& c, const std::string& user, const std::string& to) {
    AddUser(user, "changed-pw");
    int status = 0;
    for (int i = 0; i < 250 && status != 403; ++i) {
      auto r = SendMessage(c, user, user + "-pw", to, "old password");
      ASSERT_TRUE(r);
      status = r->status();
      if (status != 403) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(status, 403);
    auto now_ok = SendMessage(c, user, "changed-pw", to, "new password");
    ASSERT_TRUE(now_ok);
    EXPECT_EQ(now_ok->status(), 202);
  }
  // aaa::AuthConfig::max_failures_per_user wrong guesses lock `user` out:
  // the right password is refused on the recipient's loop too.
  void LockOut(SipClient& c, const std::string& user, const std::string& to) {
    for (uint32_t i = 0; i < aaa::AuthConfig{}.max_failures_per_user; ++i) {
      auto wrong = SendMessage(c, user, "guess", to, "guess");
      ASSERT_TRUE(wrong);
      ASSERT_EQ(wrong->status(), 403);
    }
    auto locked = SendMessage(c, user, user + "-pw", to, "right password, locked user");
    ASSERT_TRUE(locked);
    EXPECT_EQ(locked->status(), 403);
    EXPECT_EQ(locked->reason(), "Too Many Failed Attempts");
  }
  // `user` is known to the server and the change feed has brought every
  // change made so far (a late "user" change would take a copy of its
  // credentials away again).
  bool Known(const std::string& user) {
    bool known = false;
    for (int i = 0; i < 250 && !known; ++i) {
      SipClient c(false, udp_);
      auto r = SendMessage(c, user, user + "-pw", "sip:" + user + "@example.com", "known?");
      known = r && r->status() / 100 == 2;
      if (!known) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto latest = store_->LatestChange();
    if (!known || !latest.ok()) return false;
    for (int i = 0; i < 250; ++i) {
      if (Metric("parley_change_feed_seq") >= static_cast<uint64_t>(*latest)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

TEST_F(HspTwoLoops, ASendersCredentialsAreCheckedOnTheRecipientsLoopOnceItsOwnerAcceptedThem) {
  auto [sender, recipient] = UsersOfTwoLoops("rep");
  ASSERT_TRUE(Known(sender) && Known(recipient));  // the change feed has them
  const std::string to = "sip:" + recipient + "@example.com";
  SipClient c(false, udp_);
  uint64_t hits = ReplicaHits();
  auto first = SendMessage(c, sender, sender + "-pw", to, "one");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status(), 202);
  EXPECT_EQ(ReplicaHits(), hits);  // the owner checked these
  auto second = SendMessage(c, sender, sender + "-pw", to, "two");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status(), 202);
  EXPECT_EQ(ReplicaHits(), hits + 1);
  auto wrong = SendMessage(c, sender, "not-the-pw", to, "three");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status(), 403);
  EXPECT_EQ(ReplicaHits(), hits + 1);

  // A new password: the change feed takes the copy away, the old one fails.
  ChangePassword(c, sender, to);
}

TEST_F(HspTwoLoops, ALockoutOnTheOwnerReachesTheCopies) {
  auto [sender, recipient] = UsersOfTwoLoops("lock");
  ASSERT_TRUE(Known(sender) && Known(recipient));
  const std::string to = "sip:" + recipient + "@example.com";
  SipClient c(false, udp_);
  ASSERT_EQ(SendMessage(c, sender, sender + "-pw", to, "fills the copy")->status(), 202);
  uint64_t hits = ReplicaHits();
  ASSERT_EQ(SendMessage(c, sender, sender + "-pw", to, "from the copy")->status(), 202);
  ASSERT_EQ(ReplicaHits(), hits + 1);
  LockOut(c, sender, to);
  EXPECT_EQ(ReplicaHits(), hits + 1);
}

// Users there at start are in the preload's snapshot, shared by both
// loops: even a sender's first request is checked on its recipient's loop.
// Once the change feed names the sender (a new password) or the owner locks
// them out, the snapshot no longer speaks for them.
TEST_F(HspTwoLoops, APreloadedSendersFirstRequestIsCheckedOnTheRecipientsLoop) {
  auto [sender, recipient] = UsersOfTwoLoops("snap");
  auto [locked, recipient2] = UsersOfTwoLoops("snaplock");
  Restart();
  bool complete = false;
  for (int i = 0; i < 250 && !complete; ++i) {
    complete = Metric("parley_users_preloaded") == 1;
    if (!complete) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(complete);
  const std::string to = "sip:" + recipient + "@example.com";
  SipClient c(false, udp_);
  uint64_t snapshot_hits = Metric("parley_auth_snapshot_hits_total");
  uint64_t copy_hits = ReplicaHits();
  auto first = SendMessage(c, sender, sender + "-pw", to, "one");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status(), 202);
  EXPECT_EQ(Metric("parley_auth_snapshot_hits_total"), snapshot_hits + 1);
  EXPECT_EQ(ReplicaHits(), copy_hits);
  auto wrong = SendMessage(c, sender, "not-the-pw", to, "two");  // the owner's to count
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status(), 403);
  EXPECT_EQ(Metric("parley_auth_snapshot_hits_total"), snapshot_hits + 1);

  ChangePassword(c, sender, to);

  // A lockout: the right password no longer passes on the recipient's loop.
  const std::string to2 = "sip:" + recipient2 + "@example.com";
  uint64_t before_lock = Metric("parley_auth_snapshot_hits_total");
  ASSERT_EQ(SendMessage(c, locked, locked + "-pw", to2, "from the snapshot")->status(), 202);
  ASSERT_EQ(Metric("parley_auth_snapshot_hits_total"), before_lock + 1);
  LockOut(c, locked, to2);
  EXPECT_EQ(Metric("parley_auth_snapshot_hits_total"), before_lock + 1);
}

}  // namespace
}  // namespace parley::server
