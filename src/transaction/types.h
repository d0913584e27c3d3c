#pragma once
// Identifiers, states and callback types shared by the transaction layer and
// the transaction users (TUs) above it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "sip/message.h"

namespace parley::transaction {

// Weak handles to transactions: a slot index plus a generation, so an id of
// a destroyed transaction never finds a newer one. 0 is never valid.
struct ServerTxnId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(ServerTxnId, ServerTxnId) = default;
};

struct ClientTxnId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  friend bool operator==(ClientTxnId, ClientTxnId) = default;
};

enum class TxnKind : uint8_t { kInviteServer, kNonInviteServer, kInviteClient, kNonInviteClient };
inline constexpr size_t kTxnKinds = 4;

// States of all four machines (RFC 3261 §17 and RFC 6026 Accepted). A
// transaction is destroyed as soon as it reaches kTerminated.
enum class TxnState : uint8_t {
  kCalling,     // INVITE client, no response yet
  kTrying,      // non-INVITE client or server, no provisional yet
  kProceeding,
  kCompleted,
  kConfirmed,   // INVITE server: ACK for a non-2xx received
  kAccepted,    // INVITE, 2xx sent or received (RFC 6026)
  kTerminated,
};
inline constexpr size_t kTxnStates = 7;

std::string_view TxnKindName(TxnKind k);
std::string_view TxnStateName(TxnState s);

// Why a server transaction failed; reported to the TU.
enum class ServerTxnError : uint8_t {
  kTimeout,         // Timer H: no ACK for a non-2xx final response
  kTransportError,  // a response could not be sent (§17.2.4)
};

// Receives every response of a client transaction: provisional and final
// responses, each 2xx of a forked INVITE, and the responses the layer makes
// up itself: 408 on Timer B/F (§17.1.1.2, §17.1.2.2), 503 on a transport
// error (§8.1.3.1), 487 when a cancelled INVITE got no final response within
// 64*T1 (§9.1). Not called again after a non-2xx final response.
using ResponseHandler = std::function<void(sip::MessagePtr response)>;

// Error codes of Result<> values returned by the layer.
enum ErrorCode : int {
  kNoTransaction = 1,     // the id names no live transaction
  kWrongState,            // e.g. a second final response
  kInvalidMessage,        // not a response, bad status, no branch, ACK as a transaction …
  kDuplicateTransaction,  // a client transaction with this branch and method exists
  kNoRoute,               // no destination for a response (RFC 3261 §18.2.2)
};

}  // namespace parley::transaction

template <>
struct std::hash<parley::transaction::ServerTxnId> {
  size_t operator()(parley::transaction::ServerTxnId id) const noexcept { return std::hash<uint64_t>()(id.value); }
};
template <>
struct std::hash<parley::transaction::ClientTxnId> {
  size_t operator()(parley::transaction::ClientTxnId id) const noexcept { return std::hash<uint64_t>()(id.value); }
};
