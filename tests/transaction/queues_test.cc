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
