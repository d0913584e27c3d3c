#pragma once
// RFC 3261 §17 timer values (Table 4) derived from T1, T2 and T4, plus the
// RFC 6026 §8.11 timers L and M. Timers A, E and G are initial intervals;
// the state machines double them.

#include <algorithm>
#include <chrono>

namespace parley::transaction {

struct TimerConfig {
  using Ms = std::chrono::milliseconds;

  Ms t1{500};   // RTT estimate
  Ms t2{4000};  // maximum retransmit interval for non-INVITE requests and INVITE responses
  Ms t4{5000};  // maximum time a message stays in the network
  // How late the queued timers that only end a wait (4 s and more: D, H,
  // I, J, K, L, M) may fire, so that a busy loop expires them
  // in batches (transaction/delay_queues.h). 0: exactly on time.
  Ms cleanup_slack{0};

  // §17.2.1: an INVITE server transaction sends 100 Trying itself if the TU
  // has not sent a provisional response within 200 ms.
  static constexpr Ms kTrying{200};

  Ms A() const { return t1; }
  Ms B() const { return 64 * t1; }
  // §17.1.1.2: at least 32 s over unreliable transports; never shorter than
  // the server's retransmission window (64*T1) when T1 is raised.
  Ms D(bool reliable) const { return reliable ? Ms{0} : std::max<Ms>(Ms{32000}, 64 * t1); }
  Ms E() const { return t1; }
  Ms F() const { return 64 * t1; }
  Ms G() const { return t1; }
  Ms H() const { return 64 * t1; }
  Ms I(bool reliable) const { return reliable ? Ms{0} : t4; }
  Ms J(bool reliable) const { return reliable ? Ms{0} : 64 * t1; }
  Ms K(bool reliable) const { return reliable ? Ms{0} : t4; }
  Ms L() const { return 64 * t1; }
  Ms M() const { return 64 * t1; }
};

}  // namespace parley::transaction
