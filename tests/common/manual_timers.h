#pragma once
// A TimerService driven by hand: tests advance the clock and due timers run
// in deadline order, exactly as a loop would run them.

#include <map>
#include <utility>

#include "common/timer.h"

namespace parley::testing {

class ManualTimers : public TimerService {
 public:
  Clock::time_point Now() const override { return now_; }

  TimerId Schedule(Clock::duration delay, std::function<void()> fn) override {
    TimerId id = ++next_id_;
    timers_.emplace(std::make_pair(now_ + delay, id), std::move(fn));
    return id;
  }

  void Cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Moves the clock forward by `d`, firing every timer due on the way.
  void Advance(Clock::duration d) {
    Clock::time_point target = now_ + d;
    while (!timers_.empty() && timers_.begin()->first.first <= target) {
      auto it = timers_.begin();
      now_ = it->first.first;
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    now_ = target;
  }

  size_t pending() const { return timers_.size(); }
  // When the earliest timer is due, or max() when none is pending.
  Clock::time_point next_due() const {
    return timers_.empty() ? Clock::time_point::max() : timers_.begin()->first.first;
  }

 private:
  Clock::time_point now_{};
  TimerId next_id_ = 0;
  std::map<std::pair<Clock::time_point, TimerId>, std::function<void()>> timers_;
};

}  // namespace parley::testing
