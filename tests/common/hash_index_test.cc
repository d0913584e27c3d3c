// HashIndex: the open-addressing (hash, pointer) index of the transaction
// tables and of IdMap.

#include "common/hash_index.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace parley {
namespace {

struct Item {
  std::string key;
  uint64_t hash = 0;
};

TEST(HashIndex, FindsWhatWasInsertedAndNothingElse) {
  std::vector<Item> items(1000);
  HashIndex<Item> index;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].key = "z9hG4bK-" + std::to_string(i) + "\nNOTIFY";
    items[i].hash = HashIndex<Item>::Hash(items[i].key);
    index.Insert(items[i].hash, &items[i]);
  }
  EXPECT_EQ(index.size(), 1000u);
  for (size_t i = 0; i < items.size(); i += 2) ASSERT_TRUE(index.Erase(items[i].hash, &items[i]));
  EXPECT_FALSE(index.Erase(items[0].hash, &items[0]));  // already gone
  EXPECT_EQ(index.size(), 500u);
  for (size_t i = 0; i < items.size(); ++i) {
    const Item* found = index.Find(items[i].hash, [&](const Item& x) { return x.key == items[i].key; });
    EXPECT_EQ(found, i % 2 ? &items[i] : nullptr) << i;
  }
  Item stranger{"z9hG4bK-x\nNOTIFY", 0};
  stranger.hash = HashIndex<Item>::Hash(stranger.key);
  EXPECT_EQ(index.Find(stranger.hash, [&](const Item& x) { return x.key == stranger.key; }), nullptr);
}

TEST(HashIndex, CollidingHashesStayFindableWhateverIsRemoved) {
  // Every entry in one probe run: removing any of them must keep the rest
  // reachable (the backward shift), including runs that wrap around.
  for (uint64_t home : {uint64_t{3}, uint64_t{63}}) {
    std::vector<Item> items(20);
    HashIndex<Item> index;
    for (size_t i = 0; i < items.size(); ++i) {
      items[i].key = std::to_string(i);
      items[i].hash = i % 2 ? home : home + 1;  // two interleaved homes
      index.Insert(items[i].hash, &items[i]);
    }
    for (size_t gone : {size_t{0}, size_t{7}, size_t{19}, size_t{10}}) {
      ASSERT_TRUE(index.Erase(items[gone].hash, &items[gone]));
      items[gone].key.clear();
      for (const Item& it : items) {
        if (it.key.empty()) continue;
        EXPECT_EQ(index.Find(it.hash, [&](const Item& x) { return x.key == it.key; }), &it) << home << " " << it.key;
      }
    }
  }
}

TEST(HashIndex, SameKeyTwiceIsToldApartByThePredicate) {
  Item a{"k", 42}, b{"k", 42};
  HashIndex<Item> index;
  index.Insert(42, &a);
  index.Insert(42, &b);
  EXPECT_EQ(index.Find(42, [&](const Item& x) { return &x == &b; }), &b);
  EXPECT_EQ(index.Find(42, [](const Item& x) { return x.key == "k"; }), &a);  // the first inserted
  ASSERT_TRUE(index.Erase(42, &a));
  EXPECT_EQ(index.Find(42, [](const Item& x) { return x.key == "k"; }), &b);
}

TEST(HashIndex, GrowsUnderLoadAndShrinksWhenEmptied) {
  std::vector<Item> items(10000);
  HashIndex<Item> index;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].key = std::to_string(i);
    items[i].hash = HashIndex<Item>::Hash(items[i].key);
    index.Insert(items[i].hash, &items[i]);
  }
  EXPECT_GE(index.capacity() * 3, index.size() * 4);  // at most 3/4 full
  const size_t big = index.capacity();
  for (size_t i = 0; i < items.size() - 10; ++i) ASSERT_TRUE(index.Erase(items[i].hash, &items[i]));
  EXPECT_LT(index.capacity(), big / 100);
  for (size_t i = items.size() - 10; i < items.size(); ++i) {
    EXPECT_EQ(index.Find(items[i].hash, [&](const Item& x) { return x.key == items[i].key; }), &items[i]);
  }
}

}  // namespace
}  // namespace parley
