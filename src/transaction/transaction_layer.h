#pragma once
// The transaction layer of one shard (RFC 3261 §17, RFC 6026). One instance
// per event loop, used only from that loop; it sends through a
// transport::Sender and times through a TimerService, nothing else.
//
//   TransactionLayer layer(loop_timers, transport, TimerConfig{}, proxy_core);
//   transport delivers:  layer.OnMessage(std::move(incoming));
//   TU answers:          layer.Respond(txn, sip::MakeResponse(*request, 200, {}, tag));
//   TU sends:            layer.SendRequest(std::move(request), destination,
//                                          [](sip::MessagePtr response) { ... });
//
// Transactions are named by ids, never pointers; a call with the id of a
// finished transaction fails cleanly. See README.md for the lifetime rules.

#include <optional>

#include "common/result.h"
#include "common/timer.h"
#include "transaction/client_transactions.h"
#include "transaction/layer_context.h"
#include "transaction/server_transactions.h"
#include "transaction/stats.h"
#include "transaction/timer_config.h"
#include "transaction/transaction_user.h"
#include "transaction/types.h"
#include "transport/types.h"

namespace parley::transaction {

class TransactionLayer {
 public:
  // `timers`, `sender` and `tu` must outlive the layer; the sender must not
  // run a Done callback after the layer is destroyed.
  TransactionLayer(TimerService& timers, transport::Sender& sender, TimerConfig config, TransactionUser& tu);
  ~TransactionLayer() = default;
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // Every received message that passed sip::ValidateRequest/ValidResponse.
  void OnMessage(transport::IncomingMessage&& message);

  // ----- server side -----
  // Sends a response within a server transaction: any number of 1xx, then
  // one final response (an INVITE's 2xx may be repeated: the TU retransmits
  // it per §13.3.1.4). Fails if the transaction is gone or already final.
  Result<void> Respond(ServerTxnId txn, sip::MessagePtr response);
  // A final non-2xx response after which the transaction ends at once, as
  // over a reliable transport: a retransmitted request is processed again
  // rather than absorbed. For answers that need no retention (a digest
  // challenge with a fresh nonce is as good as the first), saving Timer J's
  // 32 s of state per request.
  Result<void> RespondAndForget(ServerTxnId txn, sip::MessagePtr response);
  // Answers without any transaction state, to the §18.2.2 destination of
  // `request` (e.g. a 400/503 before OnMessage, or an OPTIONS ping). A
  // retransmitted request will be answered again.
  Result<void> RespondStateless(const sip::Message& request, const transport::Source& source,
                                sip::MessagePtr response);
  // The INVITE server transaction a CANCEL targets (§9.2), if it exists.
  std::optional<ServerTxnId> FindInviteForCancel(const sip::Message& cancel) const;
  std::optional<TxnState> State(ServerTxnId txn) const { return servers_.State(txn); }

  // ----- client side -----
  // Starts a client transaction. `request` is complete; its top Via has a
  // unique RFC 3261 branch (NewBranch()) and the sent-by of
  // sender.ViaSentBy(destination). Not for ACK: the ACK for a 2xx is sent by
  // the TU directly (§13.2.2.4); for non-2xx the transaction sends it.
  Result<ClientTxnId> SendRequest(sip::MessagePtr request, transport::Destination destination,
                                  ResponseHandler handler);
  // §9.1: sends a CANCEL for a client INVITE as its own non-INVITE
  // transaction, at once if a provisional response arrived, else on the
  // first one (dropped if a final response comes first). The INVITE's
  // handler then gets the 487 (or other final response); if none arrives
  // within 64*T1 the layer makes up a 487. CANCEL responses are absorbed.
  Result<void> Cancel(ClientTxnId invite);
  // Stops calling the transaction's handler (and releases it); the
  // transaction itself runs on (retransmissions, ACKs). For a TU whose
  // context dies before the transaction does.
  bool Detach(ClientTxnId txn);
  std::optional<TxnState> State(ClientTxnId txn) const { return clients_.State(txn); }

  // ----- observation -----
  const TransactionStats& stats() const { return ctx_.stats; }
  const TimerConfig& config() const { return ctx_.config; }
  size_t server_count() const { return servers_.size(); }
  size_t client_count() const { return clients_.size(); }

 private:
  LayerContext ctx_;
  ServerTransactions servers_{ctx_};
  ClientTransactions clients_{ctx_};
};

}  // namespace parley::transaction
