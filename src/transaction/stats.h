#pragma once
// Counters of one TransactionLayer (one shard), read by the metrics exporter
// on the owning loop. Monotonic counters except `live`, a gauge.

#include <array>
#include <cstdint>

#include "transaction/types.h"

namespace parley::transaction {

struct TransactionStats {
  template <typename T>
  using PerKind = std::array<T, kTxnKinds>;

  PerKind<uint64_t> created{};
  PerKind<uint64_t> terminated{};
  PerKind<uint64_t> timeouts{};          // B, F, H, and the §9.1 CANCEL wait
  PerKind<uint64_t> transport_errors{};  // sends reported as failed
  // Live transactions by kind and state (kTerminated is always 0).
  PerKind<std::array<uint64_t, kTxnStates>> live{};

  uint64_t retransmissions_sent = 0;      // A/E/G retransmissions, re-sent responses and ACKs
  uint64_t retransmissions_absorbed = 0;  // duplicate requests, ACKs and responses swallowed
  uint64_t stray_responses = 0;           // given to TransactionUser::OnStrayResponse
  uint64_t acks_to_tu = 0;                // given to TransactionUser::OnAck
  uint64_t stateless_responses = 0;
  uint64_t dropped = 0;                   // messages without a usable top Via or CSeq

  uint64_t Live(TxnKind k) const {
    uint64_t n = 0;
    for (uint64_t v : live[static_cast<size_t>(k)]) n += v;
    return n;
  }
};

}  // namespace parley::transaction
