// The AAA user cache: answers from the store, then from memory; idle users
// and unknown names leave it, so it holds the active users only.

#include "aaa/user_directory.h"

#include <gtest/gtest.h>

#include <filesystem>

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
    store::StoreConfig cfg{store::DefaultStoreUrl(dir_.string()), false};
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
    users_->Get(aor, [&](UserDirectory::Status s, const store::UserRecord*) { got = s; });
    EXPECT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
    return got.value_or(UserDirectory::Status::kError);
  }

  fs::path dir_;
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
  users_->Resolve("alice@example.com", [&](UserDirectory::Status s, const store::UserRecord*) { got = s; });
  EXPECT_EQ(got, UserDirectory::Status::kFound);  // answered inside the call: from memory
  for (int i = 0; i < 66; ++i) timers_.Advance(1min);
  EXPECT_EQ(users_->cached(), 0u);
}

// Resolve answers inside the call when the cache knows (a user, or a recent
// miss), and like Get (later, after a load) when it does not.
TEST_F(UserDirectoryTest, ResolveAnswersAtOnceFromTheCacheOnly) {
  timers_.Advance(1s);  // (a load time of zero reads as "never loaded")
  std::optional<UserDirectory::Status> got;
  const store::UserRecord* record = nullptr;
  auto resolve = [&](const std::string& aor) {
    got.reset();
    record = nullptr;
    users_->Resolve(aor, [&](UserDirectory::Status s, const store::UserRecord* u) {
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
  EXPECT_EQ(record->aor, "alice@example.com");

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
  users_->Resolve("alice@example.com", [&](UserDirectory::Status s, const store::UserRecord*) { got = s; });
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, UserDirectory::Status::kFound);
  // probe30's miss, 12 s old, would still be fresh (kNegativeTtl) had it
  // stayed; nine newer names pushed it out, so it takes a store read again.
  got.reset();
  users_->Resolve("probe30@example.com", [&](UserDirectory::Status s, const store::UserRecord*) { got = s; });
  EXPECT_FALSE(got);
  ASSERT_TRUE(router_.RunUntil([&] { return got.has_value(); }));
}

}  // namespace
}  // namespace parley::aaa
