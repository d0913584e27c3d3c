// The transaction tables' building blocks for speed: the open-addressing
// key index and the fixed-delay timer queues.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/manual_timers.h"
#include "transaction/delay_queues.h"
#include "transaction/txn_index.h"

namespace parley::transaction {
namespace {

using namespace std::chrono_literals;

struct Item {
  std::string key;
  uint64_t hash = 0;
};

TEST(TxnIndex, FindsWhatWasInsertedAndNothingElse) {
  std::vector<Item> items(1000);
  TxnIndex<Item> index;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].key = "z9hG4bK-" + std::to_string(i) + "\nNOTIFY";
    items[i].hash = TxnIndex<Item>::Hash(items[i].key);
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
  stranger.hash = TxnIndex<Item>::Hash(stranger.key);
  EXPECT_EQ(index.Find(stranger.hash, [&](const Item& x) { return x.key == stranger.key; }), nullptr);
}

TEST(TxnIndex, CollidingHashesStayFindableWhateverIsRemoved) {
  // Every entry in one probe run: removing any of them must keep the rest
  // reachable (the backward shift), including runs that wrap around.
  for (uint64_t home : {uint64_t{3}, uint64_t{63}}) {
    std::vector<Item> items(20);
    TxnIndex<Item> index;
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

TEST(TxnIndex, SameKeyTwiceIsToldApartByThePredicate) {
  Item a{"k", 42}, b{"k", 42};
  TxnIndex<Item> index;
  index.Insert(42, &a);
  index.Insert(42, &b);
  EXPECT_EQ(index.Find(42, [&](const Item& x) { return &x == &b; }), &b);
  EXPECT_EQ(index.Find(42, [](const Item& x) { return x.key == "k"; }), &a);  // the first inserted
  ASSERT_TRUE(index.Erase(42, &a));
  EXPECT_EQ(index.Find(42, [](const Item& x) { return x.key == "k"; }), &b);
}

TEST(TxnIndex, GrowsUnderLoadAndShrinksWhenEmptied) {
  std::vector<Item> items(10000);
  TxnIndex<Item> index;
  for (size_t i = 0; i < items.size(); ++i) {
    items[i].key = std::to_string(i);
    items[i].hash = TxnIndex<Item>::Hash(items[i].key);
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

TEST(DelayQueues, EntriesFireInDeadlineOrderOnOneLoopTimer) {
  parley::testing::ManualTimers timers;
  std::vector<uint64_t> fired;
  DelayQueues queues(timers, [&](const DelayQueues::Entry& e) { fired.push_back(e.id); });
  queues.Start(5s, 1, 0, 0);
  timers.Advance(1s);
  queues.Start(500ms, 2, 0, 0);  // expires before the head of the 5 s queue
  queues.Start(5s, 3, 0, 0);
  queues.Start(500ms, 4, 0, 0);
  EXPECT_EQ(timers.pending(), 1u);
  EXPECT_EQ(queues.size(), 4u);
  timers.Advance(499ms);
  EXPECT_TRUE(fired.empty());
  timers.Advance(1ms);
  EXPECT_EQ(fired, (std::vector<uint64_t>{2, 4}));
  timers.Advance(3500ms);  // t = 5 s
  EXPECT_EQ(fired, (std::vector<uint64_t>{2, 4, 1}));
  EXPECT_EQ(timers.pending(), 1u);
  timers.Advance(1s);
  EXPECT_EQ(fired, (std::vector<uint64_t>{2, 4, 1, 3}));
  EXPECT_EQ(timers.pending(), 0u);
  EXPECT_EQ(queues.size(), 0u);
}

TEST(DelayQueues, AFiringEntryMayStartAnotherAndClearStopsAll) {
  parley::testing::ManualTimers timers;
  std::vector<uint64_t> fired;
  DelayQueues* self = nullptr;
  DelayQueues queues(timers, [&](const DelayQueues::Entry& e) {
    fired.push_back(e.id);
    if (e.id < 3) self->Start(1s, e.id + 1, e.epoch, e.slot);
  });
  self = &queues;
  queues.Start(1s, 1, 0, 0);
  queues.Start(10s, 9, 0, 0);
  timers.Advance(3s);
  EXPECT_EQ(fired, (std::vector<uint64_t>{1, 2, 3}));
  queues.Clear();
  EXPECT_EQ(timers.pending(), 0u);
  timers.Advance(10s);
  EXPECT_EQ(fired, (std::vector<uint64_t>{1, 2, 3}));
}

}  // namespace
}  // namespace parley::transaction
