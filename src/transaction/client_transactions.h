#pragma once
// The client transactions of one layer (RFC 3261 §17.1, RFC 6026): INVITE
// (Calling → Proceeding → Completed, or → Accepted on a 2xx) and non-INVITE
// (Trying → Proceeding → Completed). Each state owns at most two timers: a
// retransmit slot (A, E) and a timeout slot (B, D, F, K, M, §9.1 wait).

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/hash_index.h"
#include "common/result.h"
#include "transaction/delay_queues.h"
#include "transaction/layer_context.h"
#include "transaction/slab.h"

namespace parley::transaction {

class ClientTransactions {
 public:
  explicit ClientTransactions(LayerContext& ctx);
  ~ClientTransactions();
  ClientTransactions(const ClientTransactions&) = delete;
  ClientTransactions& operator=(const ClientTransactions&) = delete;

  Result<ClientTxnId> Start(sip::MessagePtr request, transport::Destination destination, ResponseHandler handler);
  // A received response: to its transaction, or to the TU as stray.
  void OnResponse(sip::MessagePtr response, const transport::Source& source);
  Result<void> Cancel(ClientTxnId invite);
  bool Detach(ClientTxnId id);
  std::optional<TxnState> State(ClientTxnId id) const;
  size_t size() const { return txns_.size(); }

 private:
  struct Txn;
  class Scope;  // as in ServerTransactions: deferred destruction

  void OnInviteResponse(Txn& txn, sip::MessagePtr response);
  void OnNonInviteResponse(Txn& txn, sip::MessagePtr response);
  void SendCancel(Txn& invite);
  // Hands a response to the TU; `last` releases the handler afterwards.
  void Deliver(Txn& txn, sip::MessagePtr response, bool last);
  // Ends the transaction with a locally made response (408, 487, 503).
  void Fail(Txn& txn, int status);
  void OnRetransmitTimer(ClientTxnId id);
  void OnTimeoutTimer(ClientTxnId id);
  void OnQueuedTimer(const DelayQueues::Entry& e);
  void Retransmit(Txn& txn);  // A or E fired
  void TimedOut(Txn& txn);    // B, F, D, K, M or the §9.1 wait fired
  Txn* Find(uint64_t hash, std::string_view key) const;
  void OnSendError(ClientTxnId id);
  void Send(Txn& txn, std::string_view bytes);
  void SetState(Txn& txn, TxnState state);
  void StartRetransmitTimer(Txn& txn, Clock::duration delay);
  void StartTimeoutTimer(Txn& txn, Clock::duration delay);
  void CancelTimers(Txn& txn);
  void Terminate(Txn& txn);

  LayerContext& ctx_;
  Slab<Txn> txns_;
  HashIndex<Txn> index_;
  DelayQueues queues_;
  static constexpr uint8_t kRetransmitSlot = 0;
  static constexpr uint8_t kTimeoutSlot = 1;
  std::vector<std::unique_ptr<Txn>> graveyard_;
  int depth_ = 0;
};

}  // namespace parley::transaction
