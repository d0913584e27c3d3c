// The reception-policy cache: loaded on first use, then from memory; idle
// entries (and those of names that are nobody's) leave it.

#include <gtest/gtest.h>

#include <filesystem>

#include "common/manual_timers.h"
#include "common/queue_router.h"
#include "proxy/policy.h"
#include "store/store.h"

namespace parley::proxy {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(PolicyCacheTest, IdleEntriesLeaveTheCache) {
  fs::path dir = fs::temp_directory_path() / ("parley-policy-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  store::StoreConfig cfg{store::DefaultStoreUrl(dir.string()), false};
  {
    auto s = store::OpenStore(cfg);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Migrate().ok());
    store::UserRecord u{"bob@example.com", "bob", "example.com", std::string(32, 'a'), std::string(64, 'b'), true};
    ASSERT_TRUE((*s)->AddUser(u).ok());
    ASSERT_TRUE((*s)->SetPolicyEntry("bob@example.com", {"alice@example.com", store::PolicyAction::kBlock}).ok());
  }
  store::StoreExecutor executor(cfg);
  ASSERT_TRUE(executor.Start().ok());
  testing::QueueRouter router;
  testing::ManualTimers timers;
  {
    PolicyCache cache(executor, router, 0, timers);
    auto get = [&](const std::string& aor) {
      std::optional<bool> blocks_alice;
      cache.Get(aor, [&](const store::UserPolicy* p) {
        blocks_alice = p && Decide(*p, "alice@example.com") == PolicyDecision::kReject;
      });
      EXPECT_TRUE(router.RunUntil([&] { return blocks_alice.has_value(); }));
      return blocks_alice.value_or(false);
    };
    EXPECT_TRUE(get("bob@example.com"));
    for (int i = 0; i < 50; ++i) EXPECT_FALSE(get("nobody" + std::to_string(i) + "@example.com"));
    EXPECT_EQ(cache.cached(), 51u);
    timers.Advance(5min);
    EXPECT_TRUE(get("bob@example.com"));  // bob is in use
    timers.Advance(6min);
    EXPECT_EQ(cache.cached(), 1u);        // the names nobody asked for again are gone
    timers.Advance(10min);
    EXPECT_EQ(cache.cached(), 0u);
    EXPECT_EQ(timers.pending(), 0u);
    EXPECT_TRUE(get("bob@example.com"));  // loaded again
    // Warm starts a read the next Get waits for; a cached policy is left alone.
    uint64_t loads = cache.loads();
    cache.Warm("bob@example.com");
    cache.Warm("carol@example.com");
    cache.Warm("carol@example.com");
    EXPECT_EQ(cache.loads(), loads + 1);
    EXPECT_FALSE(get("carol@example.com"));
    EXPECT_EQ(cache.loads(), loads + 1);
  }
  executor.Stop();
  fs::remove_all(dir);
}

// Preloaded with the users that have policy entries, the cache answers
// "allow all" for everyone else without a read; a user the change feed
// names (a policy set since) is read on next use.
TEST(PolicyCacheTest, APreloadedCacheReadsOnlyUsersWithEntries) {
  fs::path dir = fs::temp_directory_path() / ("parley-policy-pre-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  store::StoreConfig cfg{store::DefaultStoreUrl(dir.string()), false};
  {
    auto s = store::OpenStore(cfg);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Migrate().ok());
    for (std::string name : {"bob", "carol", "dave"}) {
      store::UserRecord u{name + "@example.com", name, "example.com", std::string(32, 'a'), std::string(64, 'b'), true};
      ASSERT_TRUE((*s)->AddUser(u).ok());
    }
    ASSERT_TRUE((*s)->SetPolicyEntry("bob@example.com", {"alice@example.com", store::PolicyAction::kBlock}).ok());
    ASSERT_TRUE((*s)->SetPolicyMode("carol@example.com", store::BlockMode::kDiscard).ok());  // no entries
    auto holders = (*s)->AorsWithPolicyEntries();
    ASSERT_TRUE(holders.ok());
    EXPECT_EQ(*holders, std::vector<std::string>{"bob@example.com"});
  }
  store::StoreExecutor executor(cfg);
  ASSERT_TRUE(executor.Start().ok());
  testing::QueueRouter router;
  testing::ManualTimers timers;
  {
    PolicyCache cache(executor, router, 0, timers);
    auto blocks_alice = [&](const std::string& aor) {
      std::optional<bool> blocks;
      cache.Get(aor, [&](const store::UserPolicy* p) {
        blocks = p && Decide(*p, "alice@example.com") == PolicyDecision::kReject;
      });
      EXPECT_TRUE(router.RunUntil([&] { return blocks.has_value(); }));
      return blocks.value_or(false);
    };
    cache.BeginPreload();
    cache.AddPolicyHolders({"bob@example.com"});
    cache.EndPreload(true);
    EXPECT_TRUE(cache.complete());
    EXPECT_FALSE(blocks_alice("carol@example.com"));
    for (int i = 0; i < 20; ++i) {
      cache.Warm("nobody" + std::to_string(i) + "@example.com");
      EXPECT_FALSE(blocks_alice("nobody" + std::to_string(i) + "@example.com"));
    }
    EXPECT_EQ(cache.loads(), 0u);
    EXPECT_EQ(cache.cached(), 0u);
    EXPECT_TRUE(blocks_alice("bob@example.com"));
    EXPECT_EQ(cache.loads(), 1u);
    // dave blocks alice from now on: the feed names him, he is read.
    {
      auto s = store::OpenStore(cfg);
      ASSERT_TRUE(s.ok());
      ASSERT_TRUE((*s)->SetPolicyEntry("dave@example.com", {"example.com", store::PolicyAction::kBlock}).ok());
    }
    EXPECT_FALSE(blocks_alice("dave@example.com")) << "not yet named by the feed";
    cache.Invalidate("dave@example.com");
    EXPECT_TRUE(blocks_alice("dave@example.com"));
    EXPECT_EQ(cache.loads(), 2u);
    // Long idle, he leaves the cache but stays known to have entries.
    timers.Advance(30min);
    EXPECT_TRUE(blocks_alice("dave@example.com"));
    EXPECT_EQ(cache.loads(), 3u);
    // carol blocks alice, and the feed lost track (pruned past this node):
    // the cache forgets, no longer complete, and reads every user on use.
    {
      auto s = store::OpenStore(cfg);
      ASSERT_TRUE(s.ok());
      ASSERT_TRUE((*s)->SetPolicyEntry("carol@example.com", {"alice@example.com", store::PolicyAction::kBlock}).ok());
      ASSERT_TRUE((*s)->SetPolicyMode("carol@example.com", store::BlockMode::kReject).ok());
    }
    EXPECT_FALSE(blocks_alice("carol@example.com")) << "not named by the feed";
    cache.Forget();
    EXPECT_FALSE(cache.complete());
    EXPECT_EQ(cache.cached(), 0u);
    EXPECT_TRUE(blocks_alice("carol@example.com"));
    EXPECT_TRUE(blocks_alice("bob@example.com"));
    EXPECT_FALSE(blocks_alice("nobody0@example.com"));
    EXPECT_EQ(cache.loads(), 6u);
  }
  executor.Stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parley::proxy
