#pragma once
// The clock and timers a state machine sees. Production code gets them from
// its event loop (runtime/loop.h); tests drive a manual clock
// (tests/common/manual_timers.h). Timers fire on the loop that scheduled
// them, never concurrently with other work of that loop.

#include <chrono>
#include <cstdint>
#include <functional>

namespace parley {

using Clock = std::chrono::steady_clock;

// Wall-clock seconds since the epoch: for what outlives the process or is
// shared between nodes (expiry times in the store, digest nonces).
inline int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
// The same in milliseconds (message dates, history times).
inline int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
using TimerId = uint64_t;  // 0 is never a valid id

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual Clock::time_point Now() const = 0;
  // Runs `fn` once after `delay`. Returns an id for Cancel().
  virtual TimerId Schedule(Clock::duration delay, std::function<void()> fn) = 0;
  // Cancelling an id that fired or was cancelled already is a no-op.
  virtual void Cancel(TimerId id) = 0;
};

}  // namespace parley
