#include "runtime/loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "runtime/asio.h"

namespace parley::runtime {

namespace {

thread_local Loop* current_loop = nullptr;

// Tasks run per drain before I/O handlers get a turn.
constexpr int kDrainBatch = 256;

// Min-heap order: earliest deadline first, then the order of scheduling.
struct Later {
  template <typename D>
  bool operator()(const D& a, const D& b) const {
    return a.when != b.when ? a.when > b.when : a.id > b.id;
  }
};

}  // namespace

struct Loop::Impl {
  // Concurrency hint 1: the io_context is only ever run by one thread, so
  // Asio queues handlers posted from that thread without taking its lock.
  boost::asio::io_context io{1};
  boost::asio::steady_timer timer{io};
  boost::asio::posix::stream_descriptor wake{io};
  uint64_t wake_value = 0;
};

Loop::Loop(size_t index) : index_(index), impl_(std::make_unique<Impl>()) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    // Without an eventfd the process cannot run at all.
    std::perror("parley: eventfd");
    std::abort();
  }
  impl_->wake.assign(wake_fd_);
}

Loop::~Loop() {
  assert(!running());
  // Destroying the io_context first destroys its pending handlers, which may
  // still hold objects that post to this loop.
  impl_.reset();
  local_.clear();
  while (MpscNode* n = queue_.Pop()) delete static_cast<Task*>(n);
}

Loop* Loop::Current() { return current_loop; }

boost::asio::io_context& Loop::io() { return impl_->io; }

void Loop::Post(std::function<void()> fn) {
  if (IsCurrent()) {
    // Same thread: no eventfd write, and at most one Asio handler for all
    // the tasks posted until it runs.
    local_.push_back(std::move(fn));
    if (!local_scheduled_) {
      local_scheduled_ = true;
      boost::asio::post(impl_->io, [this] { RunLocal(); });
    }
    return;
  }
  queue_.Push(new Task(std::move(fn)));
  if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
    uint64_t one = 1;
    // Cannot fail short of the counter overflowing 2^64-2 wake-ups.
    [[maybe_unused]] ssize_t r = ::write(wake_fd_, &one, sizeof(one));
  }
}

void Loop::ArmWakeup() {
  impl_->wake.async_read_some(boost::asio::buffer(&impl_->wake_value, sizeof(impl_->wake_value)),
                              [this](const boost::system::error_code& ec, size_t) {
                                if (ec == boost::asio::error::operation_aborted) return;
                                Drain();
                                if (!stop_now_) ArmWakeup();
                              });
}

void Loop::RunLocal() {
  // Tasks posted while these run join the batch; past the batch, I/O
  // handlers get a turn first.
  for (int i = 0; i < kDrainBatch && !local_.empty() && !stop_now_; ++i) {
    std::function<void()> fn = std::move(local_.front());
    local_.pop_front();
    fn();
  }
  if (!local_.empty() && !stop_now_) {
    boost::asio::post(impl_->io, [this] { RunLocal(); });
  } else {
    local_scheduled_ = false;
  }
}

void Loop::Drain() {
  // Clear the flag before popping: a producer that pushes after this point
  // either is seen by the pops below or sees `false` and writes the eventfd.
  // The exchange (not a store) synchronizes with the producers' exchanges,
  // so their pushes are visible here.
  wake_pending_.exchange(false, std::memory_order_acq_rel);
  for (int i = 0; i < kDrainBatch && !stop_now_; ++i) {
    MpscNode* n = queue_.Pop();
    if (n == nullptr) return;
    std::unique_ptr<Task> task(static_cast<Task*>(n));
    task->fn();
  }
  if (stop_now_) return;
  // More may be queued. Keep producers from writing the eventfd and let I/O
  // handlers run before the next batch.
  wake_pending_.store(true, std::memory_order_release);
  boost::asio::post(impl_->io, [this] { Drain(); });
}

void Loop::Invoke(const std::function<void()>& fn) {
  if (IsCurrent() || !running()) {
    fn();
    return;
  }
  assert(Current() == nullptr && "Invoke blocks: not from another loop's thread");
  struct Sync {
    std::atomic<bool> claimed{false};
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto sync = std::make_shared<Sync>();
  Post([sync, &fn] {
    if (sync->claimed.exchange(true)) return;
    fn();
    std::lock_guard lock(sync->mu);
    sync->done = true;
    sync->cv.notify_all();
  });
  std::unique_lock lock(sync->mu);
  while (!sync->cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return sync->done; })) {
    // The loop stopped before reaching the task: run it here instead.
    if (!running() && !sync->claimed.exchange(true)) {
      lock.unlock();
      fn();
      return;
    }
  }
}

void Loop::Run() {
  assert(current_loop == nullptr);
  current_loop = this;
  running_.store(true, std::memory_order_release);
  ArmWakeup();
  Drain();  // tasks posted before Run()
  if (!stop_now_) impl_->io.run();
  running_.store(false, std::memory_order_release);
  current_loop = nullptr;
}

void Loop::Stop() {
  if (stop_requested_.exchange(true)) return;
  Post([this] {
    stop_now_ = true;
    impl_->io.stop();
  });
}

Clock::time_point Loop::Now() const { return Clock::now(); }

namespace {
// Timers fire on a 2 ms grid, never early: the many timers of a busy
// server (retransmission, Timer J/K of every transaction) share wake-ups
// and re-arms instead of each having its own.
constexpr Clock::duration kTimerGrid = std::chrono::milliseconds(2);
Clock::time_point OnGrid(Clock::time_point t) {
  Clock::duration rest = t.time_since_epoch() % kTimerGrid;
  return rest == Clock::duration::zero() ? t : t + (kTimerGrid - rest);
}
}  // namespace

TimerId Loop::Schedule(Clock::duration delay, std::function<void()> fn) {
  assert(IsCurrent() || !running());
  TimerId id = ++last_timer_id_;
  Clock::time_point when = Now() + delay;
  heap_.push_back({when, id});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  callbacks_.emplace(id, std::move(fn));
  if (!dispatching_ && OnGrid(when) < armed_for_) ArmTimer(OnGrid(when));
  return id;
}

void Loop::Cancel(TimerId id) {
  assert(IsCurrent() || !running());
  if (callbacks_.erase(id) == 0) return;  // fired or cancelled already
  // (No Asio timer left to move while ~Loop destroys pending handlers, whose
  // captures may cancel timers.)
  if (!dispatching_ && impl_ != nullptr && !heap_.empty() && heap_.front().id == id) {
    // The wait is armed for this timer: wait for the next live one instead
    // of waking up for nothing (an answered request's retransmission timer).
    DropCancelledFront();
    const Clock::time_point next = heap_.empty() ? Clock::time_point::max() : OnGrid(heap_.front().when);
    if (next != armed_for_) {
      if (heap_.empty()) {
        DisarmTimer();
      } else {
        ArmTimer(next);
      }
    }
  }
  if (heap_.size() > 64 && heap_.size() > 2 * callbacks_.size()) CompactTimers();
}

void Loop::DropCancelledFront() {
  while (!heap_.empty() && !callbacks_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

void Loop::CompactTimers() {
  std::erase_if(heap_, [this](const Deadline& d) { return !callbacks_.contains(d.id); });
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

void Loop::ArmTimer(Clock::time_point when) {
  armed_for_ = when;
  uint64_t generation = ++arm_generation_;
  impl_->timer.expires_at(when);  // cancels the previous wait, if any
  impl_->timer.async_wait([this, generation](const boost::system::error_code& ec) {
    // A superseded wait may complete with success if it expired before it
    // was re-armed; the generation tells.
    if (!ec && generation == arm_generation_) OnTimer();
  });
}

void Loop::DisarmTimer() {
  armed_for_ = Clock::time_point::max();
  ++arm_generation_;
  impl_->timer.cancel();
}

void Loop::OnTimer() {
  ++timer_wakeups_;
  armed_for_ = Clock::time_point::max();
  dispatching_ = true;
  const Clock::time_point now = Now();
  while (!heap_.empty() && heap_.front().when <= now) {
    TimerId id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    auto it = callbacks_.find(id);
    if (it == callbacks_.end()) continue;  // cancelled
    std::function<void()> fn = std::move(it->second);
    callbacks_.erase(it);
    fn();
  }
  dispatching_ = false;
  DropCancelledFront();
  if (!heap_.empty()) ArmTimer(OnGrid(heap_.front().when));
}

}  // namespace parley::runtime
