#pragma once
// The server transactions of one layer (RFC 3261 §17.2, RFC 6026): INVITE
// (Proceeding → Completed → Confirmed, or → Accepted on a 2xx) and
// non-INVITE (Trying → Proceeding → Completed). Each state owns at most two
// timers: a retransmit slot (100 Trying, G) and a timeout slot (H, I, J, L).

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

class ServerTransactions {
 public:
  explicit ServerTransactions(LayerContext& ctx);
  ~ServerTransactions();
  ServerTransactions(const ServerTransactions&) = delete;
  ServerTransactions& operator=(const ServerTransactions&) = delete;

  // A received request: absorbs retransmissions and ACKs for non-2xx
  // responses, creates transactions for new requests and hands them to the
  // TU, passes other ACKs to the TU.
  void OnRequest(sip::MessagePtr request, const transport::Source& source);
  Result<void> Respond(ServerTxnId id, sip::MessagePtr response, bool retain = true);
  // The INVITE server transaction a CANCEL targets (§9.2).
  std::optional<ServerTxnId> FindInvite(const sip::Message& cancel) const;
  std::optional<TxnState> State(ServerTxnId id) const;
  size_t size() const { return txns_.size(); }

 private:
  struct Txn;
  // Defers destruction of terminated transactions until the outermost call
  // into this table returns, so no frame holds a dangling Txn*.
  class Scope;

  Txn* Find(uint64_t hash, std::string_view key, const sip::Message& request, bool is_ack) const;
  void Create(uint64_t hash, std::string_view key, sip::MessagePtr request, const transport::Source& source);
  void OnAck(Txn* txn, sip::MessagePtr ack, const transport::Source& source);
  void OnRetransmission(Txn& txn);
  void OnRetransmitTimer(ServerTxnId id);
  void OnQueuedTimer(const DelayQueues::Entry& e);  // H, I, J or L
  void OnSendError(ServerTxnId id);
  void Send(Txn& txn, std::string_view bytes);
  void SetState(Txn& txn, TxnState state);
  void StartRetransmitTimer(Txn& txn, Clock::duration delay);
  void StartTimeoutTimer(Txn& txn, Clock::duration delay);
  void CancelTimers(Txn& txn);
  void Terminate(Txn& txn);

  LayerContext& ctx_;
  Slab<Txn> txns_;
  // RFC 2543 keys may be shared by several transactions that Rfc2543Match
  // tells apart.
  HashIndex<Txn> index_;
  DelayQueues queues_;
  std::vector<std::unique_ptr<Txn>> graveyard_;
  int depth_ = 0;
};

}  // namespace parley::transaction
