// InvalidateCached / InvalidateCachedIf: an entry at rest goes, an entry
// whose load is in flight stays and is marked invalidated.

#include "common/cache_invalidate.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

namespace parley {
namespace {

struct CachedEntry {
  bool loading = false;
  bool invalidated = false;
};

TEST(CacheInvalidate, AnEntryAtRestGoesALoadingOneIsMarked) {
  std::unordered_map<std::string, CachedEntry> m{{"rest", {}}, {"loading", {true, false}}, {"other", {}}};
  InvalidateCached(m, std::string("rest"));
  InvalidateCached(m, std::string("loading"));
  InvalidateCached(m, std::string("absent"));
  EXPECT_FALSE(m.contains("rest"));
  ASSERT_TRUE(m.contains("loading"));
  EXPECT_TRUE(m["loading"].invalidated);
  ASSERT_TRUE(m.contains("other"));
  EXPECT_FALSE(m["other"].invalidated);
  EXPECT_EQ(m.size(), 2u);
}

TEST(CacheInvalidate, OnlyTheEntriesThePredicateNamesAreTouched) {
  std::unordered_map<std::string, CachedEntry> m;
  for (const char* k : {"a@x", "b@x", "c@y", "d@y"}) m[k] = {};
  m["e@x"] = {true, false};
  InvalidateCachedIf(m, [](const std::string& k) { return k.ends_with("@x"); });
  EXPECT_EQ(m.size(), 3u);
  EXPECT_TRUE(m.contains("c@y") && m.contains("d@y"));
  ASSERT_TRUE(m.contains("e@x"));
  EXPECT_TRUE(m["e@x"].invalidated);
  EXPECT_FALSE(m["c@y"].invalidated || m["d@y"].invalidated);
  InvalidateAllCached(m);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(m.contains("e@x"));
}

}  // namespace
}  // namespace parley
