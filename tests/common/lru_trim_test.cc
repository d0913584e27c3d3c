// TrimLeastRecentlyUsed: a map over capacity loses its least recently used
// entries that may go, down to three quarters of the capacity.

#include "common/lru_trim.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_map>

namespace parley {
namespace {

struct Entry {
  int used = 0;
  bool busy = false;
};

auto UsedAt() {
  return [](const Entry& e) { return e.used; };
}
auto MayGo() {
  return [](const Entry& e) { return !e.busy; };
}

TEST(LruTrim, NothingGoesWithinCapacityOrWithoutOne) {
  std::unordered_map<std::string, Entry> m;
  for (int i = 0; i < 8; ++i) m["k" + std::to_string(i)] = {i, false};
  EXPECT_EQ(TrimLeastRecentlyUsed(m, 8, UsedAt(), MayGo()), 0u);
  EXPECT_EQ(TrimLeastRecentlyUsed(m, 0, UsedAt(), MayGo()), 0u);  // 0: no bound
  EXPECT_EQ(m.size(), 8u);
}

TEST(LruTrim, TheLeastRecentlyUsedGoDownToThreeQuarters) {
  std::unordered_map<std::string, Entry> m;
  // Used in a shuffled order: k(i) last used at (i * 7) % 13.
  for (int i = 0; i < 13; ++i) m["k" + std::to_string(i)] = {(i * 7) % 13, false};
  EXPECT_EQ(TrimLeastRecentlyUsed(m, 12, UsedAt(), MayGo()), 4u);  // 13 -> 9
  ASSERT_EQ(m.size(), 9u);
  for (const auto& [k, e] : m) EXPECT_GE(e.used, 4) << k;  // uses 0..3 went
}

TEST(LruTrim, EntriesInUseStayWhateverTheirAge) {
  std::unordered_map<std::string, Entry> m;
  for (int i = 0; i < 10; ++i) m["k" + std::to_string(i)] = {i, i < 3};  // the 3 oldest are busy
  EXPECT_EQ(TrimLeastRecentlyUsed(m, 8, UsedAt(), MayGo()), 4u);  // 10 -> 6
  EXPECT_TRUE(m.contains("k0") && m.contains("k1") && m.contains("k2"));
  EXPECT_FALSE(m.contains("k3") || m.contains("k4") || m.contains("k5") || m.contains("k6"));
  EXPECT_TRUE(m.contains("k7") && m.contains("k8") && m.contains("k9"));
  // All busy: nothing can go, the map stays over capacity.
  for (auto& [k, e] : m) e.busy = true;
  m["x"] = {0, true};
  m["y"] = {0, true};
  m["z"] = {0, true};
  EXPECT_EQ(TrimLeastRecentlyUsed(m, 8, UsedAt(), MayGo()), 0u);
  EXPECT_EQ(m.size(), 9u);
}

}  // namespace
}  // namespace parley
