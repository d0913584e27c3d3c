#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "runtime/loop.h"
#include "runtime/loop_group.h"

namespace parley::runtime {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // upper bound; tests finish in milliseconds

TEST(LoopTest, PostsFromManyThreadsRunOnceInOrderOnTheLoopThread) {
  constexpr int kThreads = 4;
  constexpr int kPosts = 100'000;
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  group.Start();

  // Touched only on the loop thread: no synchronization needed.
  std::vector<int> next(kThreads, 0);
  int total = 0;
  bool all_on_loop = true;
  bool in_order = true;
  std::promise<void> finished;

  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPosts; ++i) {
        loop.Post([&, t, i] {
          all_on_loop = all_on_loop && loop.IsCurrent();
          in_order = in_order && next[t] == i;
          next[t] = i + 1;
          if (++total == kThreads * kPosts) finished.set_value();
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  ASSERT_EQ(finished.get_future().wait_for(kWait), std::future_status::ready);
  std::promise<void> checked;
  loop.Post([&] {
    EXPECT_EQ(total, kThreads * kPosts);
    EXPECT_TRUE(all_on_loop);
    EXPECT_TRUE(in_order);
    checked.set_value();
  });
  ASSERT_EQ(checked.get_future().wait_for(kWait), std::future_status::ready);
}

TEST(LoopTest, PostFromTheLoopItselfAndBeforeStart) {
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  std::promise<std::vector<int>> result;
  auto order = std::make_shared<std::vector<int>>();
  loop.Post([&, order] {
    order->push_back(1);
    loop.Post([&, order] {
      order->push_back(3);
      result.set_value(*order);
    });
    order->push_back(2);
  });
  group.Start();
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(f.get(), (std::vector<int>{1, 2, 3}));
}

TEST(LoopTest, CurrentLoopAndIndex) {
  LoopGroup group(2);
  EXPECT_EQ(Loop::Current(), nullptr);
  EXPECT_EQ(LoopGroup::CurrentIndex(), LoopGroup::kNoLoop);
  group.Start();
  for (size_t i = 0; i < group.size(); ++i) {
    std::promise<std::pair<Loop*, size_t>> seen;
    group.loop(i).Post([&] { seen.set_value({Loop::Current(), LoopGroup::CurrentIndex()}); });
    auto f = seen.get_future();
    ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
    auto [loop, index] = f.get();
    EXPECT_EQ(loop, &group.loop(i));
    EXPECT_EQ(index, i);
  }
}

TEST(LoopTest, InvokeRunsOnTheLoopOrInlineWhenNotRunning) {
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  bool ran_inline = false;
  loop.Invoke([&] { ran_inline = Loop::Current() == nullptr; });
  EXPECT_TRUE(ran_inline);

  group.Start();
  bool on_loop = false;
  loop.Invoke([&] { on_loop = loop.IsCurrent(); });
  EXPECT_TRUE(on_loop);

  group.Stop();
  group.Join();
  bool after_stop = false;
  loop.Invoke([&] { after_stop = true; });
  EXPECT_TRUE(after_stop);
}

TEST(LoopTimerTest, FireInDeadlineOrderThenSchedulingOrder) {
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  group.Start();
  std::promise<std::vector<int>> result;
  auto order = std::make_shared<std::vector<int>>();
  loop.Post([&, order] {
    auto add = [&, order](int v) {
      return [&, order, v] {
        EXPECT_TRUE(loop.IsCurrent());
        order->push_back(v);
        if (order->size() == 5) result.set_value(*order);
      };
    };
    loop.Schedule(30ms, add(5));
    loop.Schedule(10ms, add(2));
    loop.Schedule(20ms, add(4));
    loop.Schedule(0ms, add(0));
    loop.Schedule(12ms, add(3));
  });
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(f.get(), (std::vector<int>{0, 2, 3, 4, 5}));
}

TEST(LoopTimerTest, TimersScheduledBeforeRunFireInOrder) {
  Loop loop;  // not running yet: its owner may schedule
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) loop.Schedule(-1ms, [&, i] { order.push_back(i); });
  loop.Schedule(1ms, [&] { loop.Stop(); });
  std::thread t([&] { loop.Run(); });
  t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(LoopTimerTest, CancelAndCancelAfterFire) {
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  group.Start();
  std::promise<void> done;
  std::vector<int> fired;
  loop.Post([&] {
    TimerId a = loop.Schedule(5ms, [&] { fired.push_back(1); });
    TimerId b = loop.Schedule(10ms, [&] { fired.push_back(2); });
    loop.Cancel(a);
    loop.Cancel(a);  // twice: no-op
    loop.Schedule(30ms, [&, b] {
      loop.Cancel(b);  // fired already: no-op
      EXPECT_EQ(loop.pending_timers(), 0u);
      // A timer cancelled from inside another timer's callback never fires.
      TimerId c = loop.Schedule(0ms, [&] { fired.push_back(3); });
      loop.Schedule(0ms, [&, c] { loop.Cancel(c); });
      loop.Schedule(20ms, [&] { done.set_value(); });
    });
  });
  ASSERT_EQ(done.get_future().wait_for(kWait), std::future_status::ready);
  std::promise<std::vector<int>> result;
  loop.Post([&] { result.set_value(fired); });
  auto f = result.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  // c was scheduled first, so it fires before the timer that cancels it.
  EXPECT_EQ(f.get(), (std::vector<int>{2, 3}));
}

// Cancelling the timer the loop waits for moves the wait to the next one
// (or ends it): a cancelled timer never wakes the loop.
TEST(LoopTimerTest, ACancelledTimerDoesNotWakeTheLoop) {
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  group.Start();
  std::promise<uint64_t> woke_before;
  std::promise<uint64_t> woke_after;
  loop.Post([&] {
    woke_before.set_value(loop.timer_wakeups());
    TimerId first = loop.Schedule(5ms, [] { ADD_FAILURE() << "cancelled timer fired"; });
    TimerId second = loop.Schedule(10ms, [] { ADD_FAILURE() << "cancelled timer fired"; });
    loop.Schedule(60ms, [&] { woke_after.set_value(loop.timer_wakeups()); });
    TimerId later = loop.Schedule(40ms, [] { ADD_FAILURE() << "cancelled timer fired"; });
    loop.Cancel(second);  // not the first: the wait stays
    loop.Cancel(first);   // the wait moves to 40 ms
    loop.Cancel(later);   // and then to 60 ms
  });
  auto before = woke_before.get_future();
  auto after = woke_after.get_future();
  ASSERT_EQ(after.wait_for(kWait), std::future_status::ready);
  const uint64_t woke = after.get();
  EXPECT_EQ(woke - before.get(), 1u);  // only for the 60 ms timer
  // With nothing left to wait for the wait ends.
  std::promise<uint64_t> last;
  loop.Post([&] {
    TimerId t = loop.Schedule(5ms, [] { ADD_FAILURE() << "cancelled timer fired"; });
    loop.Cancel(t);
    loop.Schedule(30ms, [&] { last.set_value(loop.timer_wakeups()); });
  });
  auto f = last.get_future();
  ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(f.get(), woke + 1);
}

TEST(LoopTimerTest, ManyTimersWithCancellationsFireInOrder) {
  LoopGroup group(1);
  Loop& loop = group.loop(0);
  group.Start();
  std::promise<void> done;
  struct State {
    std::vector<std::pair<Clock::time_point, int>> fired;
    std::vector<Clock::time_point> deadlines;
    size_t expected = 0;
  };
  auto st = std::make_shared<State>();
  loop.Post([&, st] {
    std::mt19937 rng(42);
    std::vector<TimerId> ids;
    for (int i = 0; i < 1000; ++i) {
      auto delay = std::chrono::microseconds(rng() % 30'000);
      st->deadlines.push_back(loop.Now() + delay);
      ids.push_back(loop.Schedule(delay, [&, st, i] {
        st->fired.emplace_back(loop.Now(), i);
        if (st->fired.size() == st->expected) done.set_value();
      }));
    }
    // Cancel 90%: exercises the heap compaction.
    for (int i = 0; i < 1000; ++i) {
      if (i % 10 != 0) loop.Cancel(ids[i]);
    }
    st->expected = 100;
  });
  ASSERT_EQ(done.get_future().wait_for(kWait), std::future_status::ready);
  std::promise<void> checked;
  loop.Post([&, st] {
    ASSERT_EQ(st->fired.size(), 100u);
    for (size_t k = 0; k < st->fired.size(); ++k) {
      int i = st->fired[k].second;
      EXPECT_EQ(i % 10, 0);
      EXPECT_GE(st->fired[k].first, st->deadlines[i]);  // never early
      // In deadline order; the loop reads its clock a little after the test
      // did, so two deadlines closer than that may come either way.
      if (k > 0) {
        EXPECT_LE(st->deadlines[st->fired[k - 1].second], st->deadlines[i] + std::chrono::microseconds(100));
      }
    }
    checked.set_value();
  });
  ASSERT_EQ(checked.get_future().wait_for(kWait), std::future_status::ready);
}

TEST(LoopTest, StopWithPendingWorkIsClean) {
  auto resource = std::make_shared<int>(7);
  std::atomic<int> ran{0};
  {
    LoopGroup group(2);
    group.Start();
    for (size_t l = 0; l < group.size(); ++l) {
      Loop& loop = group.loop(l);
      loop.Post([&loop, resource, &ran] {
        // Timers far in the future and a flood of tasks still queued at Stop.
        loop.Schedule(1h, [resource] {});
        for (int i = 0; i < 10'000; ++i) loop.Post([resource, &ran] { ran++; });
      });
    }
    std::thread producer([&] {
      for (int i = 0; i < 10'000; ++i) group.loop(i % 2).Post([resource, &ran] { ran++; });
    });
    group.Stop();
    producer.join();
    group.Stop();  // idempotent
    group.Join();
    // Posting to a stopped loop is harmless: the task is destroyed unrun.
    group.loop(0).Post([resource] {});
  }
  // Every task and timer, run or not, released its copy.
  EXPECT_EQ(resource.use_count(), 1);
}

}  // namespace
}  // namespace parley::runtime
