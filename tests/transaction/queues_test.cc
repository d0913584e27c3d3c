// The fixed-delay timer queues of the transaction tables.

#include <gtest/gtest.h>

#include <vector>

#include "common/manual_timers.h"
#include "transaction/delay_queues.h"

namespace parley::transaction {
namespace {

using namespace std::chrono_literals;

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

// With a slack, long timers fire in one batch at most `slack` late (never
// early); short ones (retransmissions) stay exact.
TEST(DelayQueues, LongTimersShareOneFiringWithinTheSlack) {
  parley::testing::ManualTimers timers;
  std::vector<uint64_t> fired;
  DelayQueues queues(timers, [&](const DelayQueues::Entry& e) { fired.push_back(e.id); }, 100ms);
  // 200 Timer Ks, 1 ms apart.
  for (uint64_t i = 1; i <= 200; ++i) {
    queues.Start(5s, i, 0, 0);
    timers.Advance(1ms);
  }
  queues.Start(500ms, 1000, 0, 0);  // a retransmission: exact
  EXPECT_EQ(timers.pending(), 1u);  // one loop timer for all
  timers.Advance(500ms);
  EXPECT_EQ(fired, (std::vector<uint64_t>{1000}));
  fired.clear();
  // t = 5.2 s: entry 1 was due at 5 s (slack until 5.1 s), entry 101 at 5.1 s.
  timers.Advance(5s - 200ms - 500ms - 1ms);  // t = 4.999 s: nothing is due yet
  EXPECT_TRUE(fired.empty());
  timers.Advance(100ms);  // t = 5.099 s: due, but within the slack
  EXPECT_TRUE(fired.empty());
  timers.Advance(1ms);  // t = 5.1 s: the first batch, all due so far
  ASSERT_EQ(fired.size(), 101u);
  for (uint64_t i = 0; i < 101; ++i) EXPECT_EQ(fired[i], i + 1);
  timers.Advance(99ms);  // t = 5.199 s: the next head (5.101 s) may still wait
  EXPECT_EQ(fired.size(), 101u);
  timers.Advance(2ms);  // t = 5.201 s
  ASSERT_EQ(fired.size(), 200u);
  EXPECT_EQ(fired.back(), 200u);
  EXPECT_EQ(timers.pending(), 0u);
}

// Entries the owner voided (an answered request's retransmission) are
// dropped from the heads on Prune, and the loop timer waits for the first
// live one instead: no firing for nothing.
TEST(DelayQueues, PruneWaitsForTheFirstLiveEntry) {
  parley::testing::ManualTimers timers;
  std::vector<uint64_t> fired;
  std::vector<bool> live(10, true);
  DelayQueues queues(
      timers, [&](const DelayQueues::Entry& e) { fired.push_back(e.id); }, 100ms,
      [&](const DelayQueues::Entry& e) { return live[e.id]; });
  const Clock::time_point start = timers.Now();
  queues.Start(500ms, 1, 0, 0);
  timers.Advance(1ms);
  queues.Start(500ms, 2, 0, 0);
  queues.Start(5s, 3, 0, 0);
  EXPECT_EQ(timers.next_due(), start + 500ms);
  live[1] = false;
  queues.Prune();
  EXPECT_EQ(timers.pending(), 1u);
  EXPECT_EQ(timers.next_due(), start + 501ms);
  live[2] = false;
  queues.Prune();
  EXPECT_EQ(timers.next_due(), start + 5s + 1ms + 100ms);  // the 5 s entry, with its slack
  EXPECT_EQ(queues.size(), 1u);
  live[3] = false;
  queues.Prune();
  EXPECT_EQ(timers.pending(), 0u);
  EXPECT_EQ(queues.size(), 0u);
  // A void entry behind a live head goes when it is reached, without firing
  // and without a wake-up of its own.
  live = std::vector<bool>(10, true);
  const Clock::time_point t0 = timers.Now();
  queues.Start(500ms, 4, 0, 0);
  timers.Advance(10ms);
  queues.Start(500ms, 5, 0, 0);
  timers.Advance(10ms);
  queues.Start(500ms, 6, 0, 0);
  live[5] = false;
  queues.Prune();  // the head (4) is live: nothing changes
  EXPECT_EQ(timers.next_due(), t0 + 500ms);
  timers.Advance(480ms);  // t0 + 500 ms
  EXPECT_EQ(fired, (std::vector<uint64_t>{4}));
  EXPECT_EQ(timers.next_due(), t0 + 520ms);  // 6, not 5
  timers.Advance(20ms);
  EXPECT_EQ(fired, (std::vector<uint64_t>{4, 6}));
  EXPECT_EQ(timers.pending(), 0u);
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
