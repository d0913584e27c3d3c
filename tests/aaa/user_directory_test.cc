// The AAA user cache: answers from the store, then from memory; idle users
// and unknown names leave it, so it holds the active users only.

#include "aaa/user_directory.h"

#include <gtest/gtest.h>

#include "aaa/credential_snapshot.h"

#include <filesystem>
#include <functional>

#include "common/manual_timers.h"
#include "common/queue_router.h"
#include "store/store.h"

namespace parley::aaa {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class UserDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-users-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    cfg_ = store::StoreConfig{store::DefaultStoreUrl(dir_.string()), false};
    const store::StoreConfig& cfg = cfg_;
    auto s = store::OpenStore(cfg);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Migrate().ok());
    store::UserRecord u{"alice@example.com", "alice", "example.com", std::string(32, 'a'), std::string(64, 'b'), true};
    ASSERT_TRUE((*s)->AddUser(u).ok());
    executor_ = std::make_unique<store::StoreExecutor>(cfg);
    ASSERT_TRUE(executor_->Start().ok());
    users_ = std::make_unique<UserDirectory>(*executor_, router_, 0, timers_);
  }
  void TearDown() override {
    users_.reset();
    executor_.reset();
    fs::remove_all(dir_);
  }

  UserDirectory::Status Lookup(const std::string& aor) {
    std::optional<UserDirectory::Status> got;
    users_->Get(aor, [&](UserDirectory::Status s, const UserCredentials*) { got = s; });
    EXPECT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(UserDirectory::Status::kError);
  }

  // Another process's edit (parleyctl), on a connection of its own.
  void Edit(const std::function<void(store::Store&)>& fn) {
    auto s = store::OpenStore(cfg_);
    ASSERT_TRUE(s.ok());
    fn(**s);
  }
  static store::UserRecord User(const std::string& name, char hex) {
    return {name + "@example.com", name, "example.com", std::string(32, hex), std::string(64, hex), true};
  }
  // What a preload that read these users hands the directories.
  static std::shared_ptr<const CredentialSnapshot> Snapshot(const std::vector<store::UserRecord>& users) {
    auto snapshot = std::make_shared<CredentialSnapshot>();
    for (const auto& u : users) EXPECT_TRUE(snapshot->Add(u.aor, UserCredentials(u)));
    return snapshot;
  }
  // Get's answer (on a later turn) as the user's MD5 HA1, empty when none.
  std::string LookupMd5(const std::string& aor) {
    std::optional<UserDirectory::Status> got;
    std::string md5;
    users_->Get(aor, [&](UserDirectory::Status s, const UserCredentials* u) {
      got = s;
      if (u) md5 = u->ha1_md5();
    });
    EXPECT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
    return md5;
  }

  // Answered inside the call (from memory), or nullopt (a later answer is
  // dropped).
  std::optional<UserDirectory::Status> ResolveNow(const std::string& aor, std::string* md5 = nullptr) {
    auto got = std::make_shared<std::optional<UserDirectory::Status>>();
    auto ha1 = std::make_shared<std::string>();
    users_->Resolve(aor, [got, ha1](UserDirectory::Status s, const UserCredentials* u) {
      *got = s;
      if (u) *ha1 = u->ha1_md5();
    });
    if (md5) *md5 = *ha1;
    std::optional<UserDirectory::Status> now = *got;
    *got = std::nullopt;
    return now;
  }

  fs::path dir_;
  store::StoreConfig cfg_;
  testing::QueueRouter router_;
  testing::ManualTimers timers_;
  std::unique_ptr<store::StoreExecutor> executor_;
  std::unique_ptr<UserDirectory> users_;
};

TEST_F(UserDirectoryTest, IdleUsersAndUnknownNamesLeaveTheCache) {
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(Lookup("probe" + std::to_string(i) + "@example.com"), UserDirectory::Status::kUnknown);
  }
  EXPECT_EQ(users_->cached(), 101u);
  // A minute later the unknown names are gone; alice, idle for a minute, stays.
  timers_.Advance(UserDirectory::kSweepEvery);
  EXPECT_EQ(users_->cached(), 1u);
  // Used now and then, she stays; idle for the whole TTL, she goes.
  timers_.Advance(5min);
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  timers_.Advance(9min);
  EXPECT_EQ(users_->cached(), 1u);
  timers_.Advance(2min);
  EXPECT_EQ(users_->cached(), 0u);
  EXPECT_EQ(timers_.pending(), 0u);  // nothing cached: no sweep armed
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);  // loaded again
}

// Warm starts the read a request will need: the ask that follows waits for
// it instead of reading again; a user cached or being loaded is left alone.
TEST_F(UserDirectoryTest, WarmReadsOnceForTheAskThatFollows) {
  timers_.Advance(1s);
  users_->Warm("alice@example.com");
  users_->Warm("alice@example.com");
  EXPECT_EQ(users_->loads(), 1u);
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(users_->loads(), 1u);
  users_->Warm("alice@example.com");  // cached
  users_->Warm("probe@example.com");
  EXPECT_EQ(Lookup("probe@example.com"), UserDirectory::Status::kUnknown);
  users_->Warm("probe@example.com");  // a recent miss
  EXPECT_EQ(users_->loads(), 2u);
}

// The server keeps users past its longest refresh interval: a user who
// registered for an hour is still cached when the refresh comes.
TEST_F(UserDirectoryTest, AnIdleTtlLongerThanTheDefaultKeepsUsersUntilTheirRefresh) {
  users_ = std::make_unique<UserDirectory>(*executor_, router_, 0, timers_, /*capacity=*/0, 65min);
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  for (int i = 0; i < 60; ++i) timers_.Advance(1min);
  EXPECT_EQ(users_->cached(), 1u);
  std::optional<UserDirectory::Status> got;
  users_->Resolve("alice@example.com", [&](UserDirectory::Status s, const UserCredentials*) { got = s; });
  EXPECT_EQ(got, UserDirectory::Status::kFound);  // answered inside the call: from memory
  for (int i = 0; i < 66; ++i) timers_.Advance(1min);
  EXPECT_EQ(users_->cached(), 0u);
}

// Resolve answers inside the call when the cache knows (a user, or a recent
// miss), and like Get (later, after a load) when it does not.
TEST_F(UserDirectoryTest, ResolveAnswersAtOnceFromTheCacheOnly) {
  timers_.Advance(1s);  // (a load time of zero reads as "never loaded")
  std::optional<UserDirectory::Status> got;
  const UserCredentials* record = nullptr;
  auto resolve = [&](const std::string& aor) {
    got.reset();
    record = nullptr;
    users_->Resolve(aor, [&](UserDirectory::Status s, const UserCredentials* u) {
      got = s;
      record = u;
    });
  };
  resolve("alice@example.com");
  EXPECT_FALSE(got) << "not cached yet: answered after the load, not inside the call";
  ASSERT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(*got, UserDirectory::Status::kFound);

  resolve("alice@example.com");
  ASSERT_TRUE(got) << "cached: answered inside the call";
  EXPECT_EQ(*got, UserDirectory::Status::kFound);
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->ha1_md5(), std::string(32, 'a'));
  EXPECT_EQ(record->ha1_sha256(), std::string(64, 'b'));

  EXPECT_EQ(Lookup("nobody@example.com"), UserDirectory::Status::kUnknown);
  resolve("nobody@example.com");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, UserDirectory::Status::kUnknown);
  EXPECT_EQ(record, nullptr);
  // The miss is forgotten after kNegativeTtl: asked again, the store is read.
  timers_.Advance(UserDirectory::kNegativeTtl);
  resolve("nobody@example.com");
  EXPECT_FALSE(got);
  ASSERT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(*got, UserDirectory::Status::kUnknown);
}

// With a capacity the cache never holds many more users than that: the
// least recently used leave first, and come back from the store when asked.
TEST_F(UserDirectoryTest, ACapacityKeepsTheMostRecentlyUsed) {
  users_ = std::make_unique<UserDirectory>(*executor_, router_, 0, timers_, /*capacity=*/8);
  timers_.Advance(1s);
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  for (int i = 0; i < 40; ++i) {
    timers_.Advance(1s);
    EXPECT_EQ(Lookup("probe" + std::to_string(i) + "@example.com"), UserDirectory::Status::kUnknown);
    if (i % 4 == 0) {  // alice keeps being asked for
      timers_.Advance(1s);
      EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
    }
    EXPECT_LE(users_->cached(), 9u);
  }
  // She was asked for recently: answered at once from the cache.
  std::optional<UserDirectory::Status> got;
  users_->Resolve("alice@example.com", [&](UserDirectory::Status s, const UserCredentials*) { got = s; });
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, UserDirectory::Status::kFound);
  // probe30's miss, 12 s old, would still be fresh (kNegativeTtl) had it
  // stayed; nine newer names pushed it out, so it takes a store read again.
  got.reset();
  users_->Resolve("probe30@example.com", [&](UserDirectory::Status s, const UserCredentials*) { got = s; });
  EXPECT_FALSE(got);
  ASSERT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
}

// Preloaded, the directory answers for every user of its shard from the
// preload's snapshot: users and unknown names alike from memory, without an
// entry of its own; nobody leaves for being idle, and probing random names
// reads nothing.
TEST_F(UserDirectoryTest, APreloadedDirectoryAnswersEveryoneWithoutTheStore) {
  timers_.Advance(1s);
  users_->BeginPreload();
  users_->EndPreload(Snapshot({User("alice", 'a'), User("bob", 'b'), User("carol", 'c')}));
  EXPECT_TRUE(users_->complete());
  EXPECT_EQ(users_->cached(), 0u) << "the users stay in the snapshot";
  EXPECT_EQ(timers_.pending(), 0u) << "nothing cached, nothing to sweep";
  std::string md5;
  EXPECT_EQ(ResolveNow("bob@example.com", &md5), UserDirectory::Status::kFound);
  EXPECT_EQ(md5, std::string(32, 'b'));
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(ResolveNow("probe" + std::to_string(i) + "@example.com"), UserDirectory::Status::kUnknown);
    users_->Warm("probe" + std::to_string(i) + "@example.com");
  }
  EXPECT_EQ(Lookup("probe0@example.com"), UserDirectory::Status::kUnknown);  // Get: on the next turn
  EXPECT_EQ(Lookup("carol@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(users_->loads(), 0u);
  EXPECT_EQ(users_->cached(), 0u) << "unknown names leave no entry";
  timers_.Advance(30min);
  EXPECT_EQ(ResolveNow("alice@example.com"), UserDirectory::Status::kFound) << "idle users stay";
}

// The change feed lost track (pruned past this node): the directory forgets
// everything and is a cache again, so a user added meanwhile is found.
TEST_F(UserDirectoryTest, AForgottenDirectoryReadsEveryoneAgain) {
  timers_.Advance(1s);
  users_->BeginPreload();
  users_->EndPreload(Snapshot({User("alice", 'a'), User("bob", 'b')}));
  Edit([](store::Store& s) { ASSERT_TRUE(s.AddUser(User("erin", 'e')).ok()); });
  EXPECT_EQ(ResolveNow("erin@example.com"), UserDirectory::Status::kUnknown) << "not named by the feed";
  users_->Forget();
  EXPECT_FALSE(users_->complete());
  EXPECT_EQ(users_->cached(), 0u);
  EXPECT_EQ(ResolveNow("erin@example.com"), std::nullopt) << "a store read now";
  EXPECT_EQ(Lookup("erin@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(Lookup("nobody@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 3u);
  // A preload that ends after Forget is ignored.
  users_->EndPreload(Snapshot({User("bob", 'b')}));
  EXPECT_FALSE(users_->complete());
}

// The change feed names users changed while and after the preload: those
// are read again on their next use (the snapshot's record, read before the
// change, is not taken), and a user deleted since is unknown.
TEST_F(UserDirectoryTest, UsersChangedSinceThePreloadBeganAreReadAgain) {
  timers_.Advance(1s);
  users_->BeginPreload();
  // alice's password changes and dave is added after her page was read;
  // the feed names them.
  store::UserRecord old_alice = User("alice", 'a');
  Edit([](store::Store& s) {
    ASSERT_TRUE(s.AddUser(User("alice", 'e')).ok());
    ASSERT_TRUE(s.AddUser(User("dave", 'd')).ok());
  });
  users_->Invalidate("alice@example.com");
  users_->Invalidate("dave@example.com");
  // A name asked for meanwhile is read (the directory is not complete yet).
  EXPECT_EQ(Lookup("probe@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->cached(), 1u) << "probe's miss is cached";
  users_->EndPreload(Snapshot({old_alice}));
  EXPECT_EQ(users_->cached(), 0u) << "complete: a miss the snapshot agrees with needs no entry";
  EXPECT_EQ(ResolveNow("probe@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 1u);
  EXPECT_EQ(LookupMd5("alice@example.com"), std::string(32, 'e'));
  EXPECT_EQ(Lookup("dave@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(users_->loads(), 3u);
  EXPECT_EQ(ResolveNow("dave@example.com"), UserDirectory::Status::kFound);

  // Complete now: dave is deleted, the feed says so; he is read once more,
  // then known to be unknown without a read.
  Edit([](store::Store& s) { ASSERT_TRUE(s.DeleteUser("dave@example.com").ok()); });
  users_->Invalidate("dave@example.com");
  EXPECT_EQ(Lookup("dave@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 4u);
  EXPECT_EQ(ResolveNow("dave@example.com"), UserDirectory::Status::kUnknown);
  // And a user added later is found on first use.
  Edit([](store::Store& s) { ASSERT_TRUE(s.AddUser(User("erin", 'f')).ok()); });
  EXPECT_EQ(ResolveNow("erin@example.com"), UserDirectory::Status::kUnknown) << "until the feed names her";
  users_->Invalidate("erin@example.com");
  EXPECT_EQ(Lookup("erin@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(users_->loads(), 5u);
}

// A user the snapshot has is answered from it until the change feed names
// them; then read, and never taken from the snapshot again: a deleted user
// stays unknown (read again only once the miss has aged), a changed one
// keeps the new record. Forget drops the snapshot with everything else.
TEST_F(UserDirectoryTest, ASnapshotAnswersForEveryoneTheFeedHasNotNamed) {
  timers_.Advance(1s);
  Edit([](store::Store& s) {
    ASSERT_TRUE(s.AddUser(User("bob", 'b')).ok());
    ASSERT_TRUE(s.AddUser(User("dave", 'd')).ok());
  });
  users_->BeginPreload();
  // alice's password changes after her page was read; the feed names her.
  Edit([](store::Store& s) { ASSERT_TRUE(s.AddUser(User("alice", 'e')).ok()); });
  users_->Invalidate("alice@example.com");
  users_->EndPreload(Snapshot({User("alice", 'a'), User("bob", 'b'), User("dave", 'd')}));
  EXPECT_TRUE(users_->complete());
  EXPECT_EQ(users_->cached(), 0u) << "the users stay in the snapshot";

  std::string md5;
  EXPECT_EQ(ResolveNow("bob@example.com", &md5), UserDirectory::Status::kFound);
  EXPECT_EQ(md5, std::string(32, 'b'));
  EXPECT_EQ(ResolveNow("probe@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(Lookup("dave@example.com"), UserDirectory::Status::kFound);  // Get: on the next turn
  EXPECT_EQ(users_->loads(), 0u);

  EXPECT_EQ(ResolveNow("alice@example.com"), std::nullopt) << "named since the preload began: read";
  EXPECT_EQ(LookupMd5("alice@example.com"), std::string(32, 'e'));
  EXPECT_EQ(ResolveNow("alice@example.com", &md5), UserDirectory::Status::kFound);
  EXPECT_EQ(md5, std::string(32, 'e'));
  EXPECT_EQ(users_->loads(), 1u);

  // dave is deleted: unknown once read, and again after the miss has aged
  // (read once more), never the snapshot's record.
  Edit([](store::Store& s) { ASSERT_TRUE(s.DeleteUser("dave@example.com").ok()); });
  users_->Invalidate("dave@example.com");
  EXPECT_EQ(Lookup("dave@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(ResolveNow("dave@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 2u);
  timers_.Advance(UserDirectory::kNegativeTtl + 1s);
  EXPECT_EQ(ResolveNow("dave@example.com"), std::nullopt);
  EXPECT_EQ(Lookup("dave@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 3u);

  // What was read leaves the cache as without a preload (idle, swept); a
  // named user is then read again, never taken from the snapshot, and the
  // others are answered from it however long nobody asked.
  timers_.Advance(UserDirectory::kIdleTtl + UserDirectory::kSweepEvery);
  EXPECT_EQ(users_->cached(), 0u);
  EXPECT_EQ(ResolveNow("alice@example.com"), std::nullopt);
  EXPECT_EQ(LookupMd5("alice@example.com"), std::string(32, 'e'));
  EXPECT_EQ(ResolveNow("dave@example.com"), std::nullopt);
  EXPECT_EQ(Lookup("dave@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 5u);
  EXPECT_EQ(ResolveNow("bob@example.com"), UserDirectory::Status::kFound);

  users_->Forget();
  EXPECT_EQ(ResolveNow("bob@example.com"), std::nullopt) << "a store read now";
  EXPECT_EQ(Lookup("bob@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(users_->loads(), 6u);
}

// A preload that failed (or was skipped: too many users) leaves a cache of
// the users asked for, as without one.
TEST_F(UserDirectoryTest, AFailedPreloadLeavesACache) {
  timers_.Advance(1s);
  users_->BeginPreload();
  users_->EndPreload(nullptr);
  EXPECT_FALSE(users_->complete());
  EXPECT_EQ(ResolveNow("alice@example.com"), std::nullopt) << "a store read";
  EXPECT_EQ(Lookup("alice@example.com"), UserDirectory::Status::kFound);
  EXPECT_EQ(ResolveNow("alice@example.com"), UserDirectory::Status::kFound) << "cached";
  EXPECT_EQ(Lookup("probe@example.com"), UserDirectory::Status::kUnknown);
  EXPECT_EQ(users_->loads(), 2u);
}

// A stored HA1 of the wrong length (an edited database) is no HA1: it reads
// empty, so no response can match it.
TEST(UserCredentialsTest, AMalformedHa1ReadsEmpty) {
  store::UserRecord u{"a@x", "a", "x", "abc", std::string(64, '0'), true};
  UserCredentials c(u);
  EXPECT_TRUE(c.ha1_md5().empty());
  EXPECT_EQ(c.ha1_sha256(), std::string(64, '0'));
  EXPECT_TRUE(c.enabled());
}

}  // namespace
}  // namespace parley::aaa
