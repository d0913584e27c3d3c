#pragma once
// Transaction timers with a fixed delay (the first retransmission at T1,
// Timers J, K, D, M, I): all timers of one delay expire in the order they
// were started, so each delay keeps a FIFO and one loop timer waits for the
// earliest head. Starting such a timer is a push, with no allocation per
// timer and nothing to cancel: an entry carries the transaction's id and
// timer epoch, and the owner ignores it when either no longer matches.
//
// Timers of 4 s and more (J, K, D, H, I, L, M) only end a wait: given a
// `slack` they may fire that much late, so that those of a busy loop expire
// in batches (one wake-up per `slack` instead of one per 2 ms step of the
// loop's timer grid); the first retransmission stays exact.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "common/timer.h"

namespace parley::transaction {

class DelayQueues {
 public:
  struct Entry {
    Clock::time_point when;
    uint64_t id = 0;
    uint32_t epoch = 0;
    uint8_t slot = 0;  // which of the owner's timers
  };
  using FireFn = std::function<void(const Entry&)>;
  // Whether the owner still wants an entry (its transaction and epoch still
  // match); without it every entry fires.
  using LiveFn = std::function<bool(const Entry&)>;

  DelayQueues(TimerService& timers, FireFn fire, Clock::duration slack = Clock::duration::zero(),
              LiveFn live = nullptr)
      : timers_(timers), fire_(std::move(fire)), live_(std::move(live)), slack_(slack) {}
  ~DelayQueues() {
    if (timer_ != 0) timers_.Cancel(timer_);
  }
  DelayQueues(const DelayQueues&) = delete;
  DelayQueues& operator=(const DelayQueues&) = delete;

  void Start(Clock::duration delay, uint64_t id, uint32_t epoch, uint8_t slot) {
    Queue* q = nullptr;
    for (Queue& each : queues_) {
      if (each.delay == delay) q = &each;
    }
    if (q == nullptr) q = &queues_.emplace_back(Queue{delay, delay >= kSlackFrom ? slack_ : Clock::duration::zero(), {}});
    Entry e{timers_.Now() + delay, id, epoch, slot};
    q->entries.push_back(e);
    if (!firing_ && (timer_ == 0 || e.when + q->slack < armed_for_)) Arm(e.when + q->slack);
  }

  // Drops the entries at the heads of the queues that the owner no longer
  // wants and waits for the earliest one it does: a retransmission timer of
  // a request answered at once costs no wake-up T1 later. Entries behind a
  // live head go when they reach the head.
  void Prune() {
    if (!live_ || firing_ || timer_ == 0) return;
    if (!DropDeadHeads()) return;
    const Clock::time_point next = NextDue();
    if (next == Clock::time_point::max()) {
      timers_.Cancel(timer_);
      timer_ = 0;
    } else if (next != armed_for_) {
      Arm(next);
    }
  }

  // Drops every entry (the owner has nothing left they could be for).
  void Clear() {
    for (Queue& q : queues_) q.entries.clear();
    if (timer_ != 0) timers_.Cancel(timer_);
    timer_ = 0;
  }

  size_t size() const {
    size_t n = 0;
    for (const Queue& q : queues_) n += q.entries.size();
    return n;
  }

 private:
  // Delays from which a queue takes the slack (T4 and the 32 s timers).
  static constexpr Clock::duration kSlackFrom = std::chrono::seconds(4);

  struct Queue {
    Clock::duration delay;
    Clock::duration slack;  // how late its entries may fire
    std::deque<Entry> entries;
    Clock::time_point due() const { return entries.front().when + slack; }
  };

  void Arm(Clock::time_point when) {
    // The new timer first: cancelling the old one then re-arms the loop's
    // wait at most once.
    const TimerId old = timer_;
    armed_for_ = when;
    const Clock::duration delay = std::max(when - timers_.Now(), Clock::duration::zero());
    timer_ = timers_.Schedule(delay, [this] { OnTimer(); });
    if (old != 0) timers_.Cancel(old);
  }

  // Pops unwanted heads; whether any went.
  bool DropDeadHeads() {
    bool dropped = false;
    for (Queue& q : queues_) {
      while (!q.entries.empty() && !live_(q.entries.front())) {
        q.entries.pop_front();
        dropped = true;
      }
    }
    return dropped;
  }

  // The queue whose head expires first, or nullptr when all are empty.
  Queue* Earliest() {
    Queue* best = nullptr;
    for (Queue& q : queues_) {
      if (!q.entries.empty() && (best == nullptr || q.entries.front().when < best->entries.front().when)) best = &q;
    }
    return best;
  }
  // The earliest time the loop timer must fire for, or max() when empty.
  Clock::time_point NextDue() const {
    Clock::time_point next = Clock::time_point::max();
    for (const Queue& q : queues_) {
      if (!q.entries.empty()) next = std::min(next, q.due());
    }
    return next;
  }

  void OnTimer() {
    timer_ = 0;
    const Clock::time_point now = timers_.Now();
    // fire_ may start timers (they expire after `now`); the loop timer is
    // armed once, for whichever head is then the earliest.
    firing_ = true;
    for (Queue* q = Earliest(); q != nullptr && q->entries.front().when <= now; q = Earliest()) {
      Entry e = q->entries.front();
      q->entries.pop_front();
      if (!live_ || live_(e)) fire_(e);
    }
    firing_ = false;
    if (live_) DropDeadHeads();
    if (Clock::time_point next = NextDue(); next != Clock::time_point::max()) Arm(next);
  }

  TimerService& timers_;
  FireFn fire_;
  LiveFn live_;
  const Clock::duration slack_;
  std::vector<Queue> queues_;  // a handful: one per distinct delay
  TimerId timer_ = 0;
  Clock::time_point armed_for_{};
  bool firing_ = false;
};

}  // namespace parley::transaction
