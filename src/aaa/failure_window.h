#pragma once
// Counts authentication failures per key (a source IP or a user) in fixed
// windows, to throttle password guessing. One instance per shard.

#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/timer.h"

namespace parley::aaa {

class FailureWindow {
 public:
  FailureWindow(uint32_t limit, Clock::duration window) : limit_(limit), window_(window) {}

  // True while `key` has reached the limit in the current window.
  bool Blocked(const std::string& key, Clock::time_point now) {
    auto it = counts_.find(key);
    if (it == counts_.end()) return false;
    if (now - it->second.start >= window_) {
      counts_.erase(it);
      return false;
    }
    return it->second.failures >= limit_;
  }

  void Fail(const std::string& key, Clock::time_point now) {
    if (counts_.size() > kMaxKeys) Sweep(now);
    Slot& s = counts_[key];
    if (s.failures == 0 || now - s.start >= window_) s = Slot{now, 0};
    ++s.failures;
  }

  size_t size() const { return counts_.size(); }

 private:
  static constexpr size_t kMaxKeys = 100000;
  struct Slot {
    Clock::time_point start;
    uint32_t failures = 0;
  };
  void Sweep(Clock::time_point now) {
    for (auto it = counts_.begin(); it != counts_.end();) {
      it = now - it->second.start >= window_ ? counts_.erase(it) : std::next(it);
    }
  }

  uint32_t limit_;
  Clock::duration window_;
  std::unordered_map<std::string, Slot> counts_;
};

}  // namespace parley::aaa
