#pragma once
// One event loop: a Boost.Asio io_context run by one thread, a lock-free task
// queue any thread can post to, and the TimerService of the state machines
// that live on the loop. See README.md for the threading model.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/timer.h"
#include "runtime/mpsc_queue.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace parley::runtime {

class Loop final : public TimerService {
 public:
  explicit Loop(size_t index = 0);
  ~Loop() override;
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The loop whose Run() is executing on the calling thread, or nullptr.
  static Loop* Current();
  bool IsCurrent() const { return Current() == this; }
  size_t index() const { return index_; }
  boost::asio::io_context& io();

  // Runs `fn` on this loop's thread. Callable from any thread without a lock.
  // Tasks posted by one thread run in the order they were posted. Tasks still
  // queued when the loop is destroyed are destroyed without running.
  void Post(std::function<void()> fn);

  // Runs `fn` on the loop and waits until it has run. Runs it on the calling
  // thread instead when that is this loop's thread or when the loop is not
  // running (not started yet, or stopped before it got to `fn`). For setup and
  // shutdown only: it blocks, so never call it from another loop's thread.
  void Invoke(const std::function<void()>& fn);

  // Runs the loop on the calling thread until Stop(). Call once.
  void Run();
  // Makes Run() return once the tasks posted before this call have run; the
  // handler running at the time finishes. Idempotent; any thread.
  void Stop();
  bool running() const { return running_.load(std::memory_order_acquire); }

  // TimerService. Schedule and Cancel belong to the loop's thread (or to the
  // owner of a loop that is not running). O(log n); cancelled timers are
  // dropped lazily.
  Clock::time_point Now() const override;
  TimerId Schedule(Clock::duration delay, std::function<void()> fn) override;
  void Cancel(TimerId id) override;
  size_t pending_timers() const { return callbacks_.size(); }
  // How often the loop's timer woke it (whether or not a timer was due
  // then); loop thread only.
  uint64_t timer_wakeups() const { return timer_wakeups_; }

 private:
  friend class LoopGroup;
  struct Impl;
  struct Task : MpscNode {
    explicit Task(std::function<void()> f) : fn(std::move(f)) {}
    std::function<void()> fn;
  };
  struct Deadline {
    Clock::time_point when;
    TimerId id;
  };

  void ArmWakeup();
  void Drain();
  void ArmTimer(Clock::time_point when);
  void DisarmTimer();
  void RunLocal();
  void DropCancelledFront();
  void OnTimer();
  void CompactTimers();

  const size_t index_;
  std::unique_ptr<Impl> impl_;
  int wake_fd_ = -1;  // owned by impl_'s stream_descriptor

  MpscQueue queue_;
  // True while a wake-up is pending or the loop is draining; producers only
  // write the eventfd when they flip it from false to true.
  alignas(64) std::atomic<bool> wake_pending_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> stop_requested_{false};
  bool stop_now_ = false;  // loop thread only

  // Tasks the loop posted to itself (loop thread only), run in order by one
  // Asio handler: a task posting the next costs no handler and no reactor
  // poll of its own.
  std::deque<std::function<void()>> local_;
  bool local_scheduled_ = false;  // a RunLocal handler is queued or running

  // Timers (loop thread only): a min-heap of deadlines plus the live
  // callbacks by id; a heap entry whose id is not in callbacks_ is stale.
  std::vector<Deadline> heap_;
  std::unordered_map<TimerId, std::function<void()>> callbacks_;
  TimerId last_timer_id_ = 0;
  Clock::time_point armed_for_ = Clock::time_point::max();
  uint64_t arm_generation_ = 0;
  uint64_t timer_wakeups_ = 0;
  bool dispatching_ = false;
};

}  // namespace parley::runtime
