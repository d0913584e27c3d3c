#include "common/id_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace parley {
namespace {

TEST(IdMap, FindsInsertsAndErasesLikeAStdMap) {
  IdMap<std::string> m;
  std::map<uint64_t, std::string> model;
  std::mt19937_64 rng(7);
  // Small ids in a small range: many collide in their home slot, and the
  // table grows and shrinks through the run.
  for (int step = 0; step < 20000; ++step) {
    uint64_t id = rng() % 600 + 1;
    if (rng() % 3 != 0) {
      auto [e, fresh] = m.try_emplace(id);
      EXPECT_EQ(fresh, model.count(id) == 0);
      if (fresh) e->second = std::to_string(id);
      model.emplace(id, std::to_string(id));
      EXPECT_EQ(e->first, id);
    } else {
      EXPECT_EQ(m.erase(id), model.erase(id));
    }
    if (step % 997 == 0) {
      ASSERT_EQ(m.size(), model.size());
      for (uint64_t k = 1; k <= 600; ++k) {
        auto* e = m.find(k);
        ASSERT_EQ(e != m.end(), model.count(k) == 1) << k;
        if (e) {
          EXPECT_EQ(e->second, model.at(k));
        }
      }
    }
  }
  size_t seen = 0;
  m.ForEach([&](auto& e) {
    ++seen;
    EXPECT_EQ(model.at(e.first), e.second);
  });
  EXPECT_EQ(seen, model.size());
}

TEST(IdMap, EntriesKeepTheirAddressAcrossGrowthAndErasure) {
  IdMap<int> m;
  auto* first = m.try_emplace(42).first;
  first->second = 5;
  for (uint64_t id = 1000; id < 3000; ++id) m.try_emplace(id);
  for (uint64_t id = 1000; id < 2990; ++id) m.erase(id);
  EXPECT_EQ(m.find(42), first);
  EXPECT_EQ(first->second, 5);
  EXPECT_EQ(m.size(), 11u);
}

TEST(IdMap, ZeroIsNeverAKeyAndAtThrowsForAMissingId) {
  IdMap<int> m;
  EXPECT_EQ(m.find(0), nullptr);
  EXPECT_EQ(m.erase(uint64_t{0}), 0u);
  EXPECT_EQ(m.try_emplace(0).first, nullptr);
  EXPECT_TRUE(m.empty());
  m.try_emplace(1).first->second = 3;
  EXPECT_EQ(m.at(1), 3);
  EXPECT_EQ(m.count(1), 1u);
  EXPECT_EQ(m.count(2), 0u);
  EXPECT_THROW(m.at(2), std::out_of_range);
}

}  // namespace
}  // namespace parley
