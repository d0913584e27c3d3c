#pragma once
// What the layer calls in the transaction user (proxy core, registrar,
// presence agent, UA core). All calls happen on the layer's loop. The TU
// may call back into the layer from any of them (respond, send, cancel).
// Notices that arise while the TU is itself inside a layer call (a send
// failing synchronously inside Respond or SendRequest) are delivered later
// from a zero-delay timer, never nested in that call.

#include <optional>

#include "sip/message.h"
#include "transaction/types.h"
#include "transport/types.h"

namespace parley::transaction {

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;

  // A new request (not ACK, not CANCEL) with its server transaction. The TU
  // answers with TransactionLayer::Respond, now or later.
  virtual void OnRequest(ServerTxnId txn, sip::MessagePtr request, const transport::Source& source) = 0;

  // A new CANCEL with its own server transaction, and the INVITE server
  // transaction it targets (§9.2) if that still exists. The TU answers the
  // CANCEL (200, or 481 without `invite_txn`) and, if the INVITE has no
  // final response yet, the INVITE with 487.
  virtual void OnCancel(ServerTxnId cancel_txn, std::optional<ServerTxnId> invite_txn, sip::MessagePtr cancel,
                        const transport::Source& source) = 0;

  // An ACK that is not part of an INVITE transaction: the ACK for a 2xx
  // (RFC 6026 Accepted state), or one matching no transaction at all.
  virtual void OnAck(sip::MessagePtr ack, const transport::Source& source) = 0;

  // A response matching no client transaction (§17.1.3, RFC 6026 §7.2): a
  // stateful proxy forwards 2xx retransmissions, others drop it.
  virtual void OnStrayResponse(sip::MessagePtr response, const transport::Source& source) = 0;

  // The server transaction failed and is gone, except for a transport error
  // on a 2xx in the Accepted state, where it lives on until Timer L.
  virtual void OnServerTransactionError(ServerTxnId txn, ServerTxnError error) = 0;
};

}  // namespace parley::transaction
