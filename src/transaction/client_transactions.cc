#include "transaction/client_transactions.h"

#include <algorithm>

#include "transaction/matching.h"
#include "transaction/messages.h"

namespace parley::transaction {

struct ClientTransactions::Txn {
  ClientTxnId id;
  TxnKind kind = TxnKind::kNonInviteClient;
  TxnState state = TxnState::kTrying;
  bool reliable = false;
  bool detached = false;
  bool cancel_pending = false;  // Cancel() came before any provisional (§9.1)
  bool cancelled = false;
  transport::Destination destination;
  StoredKey key;
  uint64_t hash = 0;  // of key, in index_
  // The request while it may be retransmitted (unreliable transports);
  // after a non-2xx final response to an INVITE, the ACK.
  std::string bytes;
  // Until the final response: source of the ACK, the CANCEL and made-up
  // responses.
  sip::MessagePtr request;
  ResponseHandler handler;
  // Loop timers: A and E after their first firing; B and F over reliable
  // transports; the §9.1 wait. The first A or E and D, K, M are queued in
  // queues_ with the epoch they were started in; CancelTimers voids them.
  TimerId retransmit_timer = 0;
  TimerId timeout_timer = 0;
  uint32_t epoch = 0;
  // B or F over an unreliable transport, checked whenever A or E fires
  // (they keep firing until then): one timer per transaction, not two.
  Clock::time_point deadline{};
  Clock::duration interval{};

  bool invite() const { return kind == TxnKind::kInviteClient; }
};

class ClientTransactions::Scope {
 public:
  explicit Scope(ClientTransactions& table) : table_(table) { ++table_.depth_; }
  ~Scope() {
    if (--table_.depth_ == 0) table_.graveyard_.clear();
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  ClientTransactions& table_;
};

ClientTransactions::ClientTransactions(LayerContext& ctx)
    : ctx_(ctx),
      queues_(
          ctx.timers, [this](const DelayQueues::Entry& e) { OnQueuedTimer(e); }, ctx.config.cleanup_slack,
          [this](const DelayQueues::Entry& e) {
            const Txn* t = txns_.Get(e.id);
            return t != nullptr && t->epoch == e.epoch;
          }) {}

ClientTransactions::~ClientTransactions() {
  txns_.ForEach([this](Txn& t) { CancelTimers(t); });
}

Result<ClientTxnId> ClientTransactions::Start(sip::MessagePtr request, transport::Destination destination,
                                              ResponseHandler handler) {
  Scope scope(*this);
  if (request == nullptr || !request->is_request()) return Error(kInvalidMessage, "not a request");
  if (request->method() == sip::Method::kAck) {
    return Error(kInvalidMessage, "an ACK for a 2xx is not a transaction: send it with the Sender");
  }
  // The top Via and CSeq are parsed here, not through the message's cache:
  // for most requests we send nothing else reads them, and the cache costs
  // two allocations.
  std::optional<sip::Via> via;
  request->ForEachValue(sip::HeaderId::kVia, [&](std::string_view e) {
    if (auto v = sip::ParseVia(e); v.ok()) via = *v;
    return false;
  });
  if (!via || !IsRfc3261Branch(via->branch())) {
    return Error(kInvalidMessage, "the top Via needs an RFC 3261 branch");
  }
  auto cseq = sip::ParseCSeq(request->Value(sip::HeaderId::kCSeq));
  if (request->Count(sip::HeaderId::kCSeq) != 1 || !cseq.ok() || cseq->method_text != request->method_text()) {
    return Error(kInvalidMessage, "CSeq missing or naming another method");
  }
  KeyBuffer key;
  BuildClientKey(via->branch(), request->method_text(), key);
  const uint64_t hash = HashIndex<Txn>::Hash(key.view());
  if (Find(hash, key.view()) != nullptr) return Error(kDuplicateTransaction, "branch already in use");

  const bool invite = request->method() == sip::Method::kInvite;
  auto owned = std::make_unique<Txn>();
  Txn& t = *owned;
  t.kind = invite ? TxnKind::kInviteClient : TxnKind::kNonInviteClient;
  t.state = invite ? TxnState::kCalling : TxnState::kTrying;
  t.reliable = transport::IsReliable(destination.protocol);
  t.destination = std::move(destination);
  t.key.assign(key.view());
  t.hash = hash;
  t.handler = std::move(handler);
  request->SerializeTo(t.bytes);
  t.request = std::move(request);
  t.id = ClientTxnId{txns_.Insert(std::move(owned))};
  index_.Insert(t.hash, &t);
  ++ctx_.stats.created[static_cast<size_t>(t.kind)];
  ++ctx_.stats.live[static_cast<size_t>(t.kind)][static_cast<size_t>(t.state)];
  const Clock::duration timeout = invite ? ctx_.config.B() : ctx_.config.F();
  if (!t.reliable) {
    t.interval = invite ? ctx_.config.A() : ctx_.config.E();
    t.deadline = ctx_.timers.Now() + timeout;
    if (t.interval <= timeout) {
      queues_.Start(t.interval, t.id.value, t.epoch, kRetransmitSlot);
    } else {
      StartRetransmitTimer(t, timeout);
    }
  } else {
    StartTimeoutTimer(t, timeout);
  }
  const ClientTxnId id = t.id;
  Send(t, t.bytes);  // kept for retransmission (unreliable transports only)
  if (t.reliable) t.bytes.clear();
  return id;
}

void ClientTransactions::OnResponse(sip::MessagePtr response, const transport::Source& source) {
  Scope scope(*this);
  const sip::Via* via = response->top_via();
  const sip::CSeq* cseq = response->cseq();
  if (via == nullptr || cseq == nullptr || response->status() < 100 || response->status() > 699) {
    ++ctx_.stats.dropped;
    return;
  }
  KeyBuffer key;
  BuildClientKey(via->branch(), cseq->method_text, key);
  Txn* found = Find(HashIndex<Txn>::Hash(key.view()), key.view());
  if (found == nullptr) {
    ++ctx_.stats.stray_responses;
    ctx_.tu.OnStrayResponse(std::move(response), source);
    return;
  }
  Txn& t = *found;
  if (t.invite()) {
    OnInviteResponse(t, std::move(response));
  } else {
    OnNonInviteResponse(t, std::move(response));
  }
  queues_.Prune();  // the answer voided its first retransmission
}

void ClientTransactions::OnInviteResponse(Txn& t, sip::MessagePtr response) {
  const int status = response->status();
  if (t.state == TxnState::kCompleted) {
    // §17.1.1.2: a retransmitted final response gets the ACK again.
    ++ctx_.stats.retransmissions_absorbed;
    if (status >= 300) {
      ++ctx_.stats.retransmissions_sent;
      ctx_.sender.Send(t.destination, t.bytes);
    }
    return;
  }
  if (t.state == TxnState::kAccepted) {
    // RFC 6026 §7.2: every 2xx goes to the TU, which ACKs each.
    if (status >= 200 && status < 300) {
      Deliver(t, std::move(response), /*last=*/false);
    } else {
      ++ctx_.stats.retransmissions_absorbed;
    }
    return;
  }
  if (status < 200) {
    if (t.state == TxnState::kCalling) {
      // §17.1.1.2: no more retransmissions; Timer B only guards Calling.
      CancelTimers(t);
      t.bytes = std::string();
      SetState(t, TxnState::kProceeding);
      if (t.cancel_pending) SendCancel(t);
    }
    Deliver(t, std::move(response), /*last=*/false);
  } else if (status < 300) {
    CancelTimers(t);
    t.bytes = std::string();
    t.request.reset();
    SetState(t, TxnState::kAccepted);
    queues_.Start(ctx_.config.M(), t.id.value, t.epoch, kTimeoutSlot);
    Deliver(t, std::move(response), /*last=*/false);
  } else {
    // §17.1.1.3: the transaction acknowledges a non-2xx final response.
    CancelTimers(t);
    t.bytes = BuildAck(*t.request, *response)->Serialize();
    t.request.reset();
    SetState(t, TxnState::kCompleted);
    Clock::duration d = ctx_.config.D(t.reliable);
    if (d == Clock::duration::zero()) {
      ctx_.sender.Send(t.destination, std::move(t.bytes));
      Terminate(t);
    } else {
      ctx_.sender.Send(t.destination, t.bytes);
      queues_.Start(d, t.id.value, t.epoch, kTimeoutSlot);
    }
    Deliver(t, std::move(response), /*last=*/true);
  }
}

void ClientTransactions::OnNonInviteResponse(Txn& t, sip::MessagePtr response) {
  if (t.state == TxnState::kCompleted) {
    ++ctx_.stats.retransmissions_absorbed;
    return;
  }
  if (response->status() < 200) {
    SetState(t, TxnState::kProceeding);  // Timer E continues, at T2 from its next firing
    Deliver(t, std::move(response), /*last=*/false);
    return;
  }
  CancelTimers(t);
  t.bytes = std::string();
  t.request.reset();
  SetState(t, TxnState::kCompleted);
  Clock::duration k = ctx_.config.K(t.reliable);
  if (k == Clock::duration::zero()) {
    Terminate(t);
  } else {
    queues_.Start(k, t.id.value, t.epoch, kTimeoutSlot);
  }
  Deliver(t, std::move(response), /*last=*/true);
}

Result<void> ClientTransactions::Cancel(ClientTxnId id) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return Error(kNoTransaction, "no such client transaction");
  if (!t->invite()) return Error(kInvalidMessage, "only an INVITE can be cancelled");
  switch (t->state) {
    case TxnState::kCalling:
      t->cancel_pending = true;  // §9.1: not before a provisional response
      return Ok();
    case TxnState::kProceeding:
      if (!t->cancelled) SendCancel(*t);
      return Ok();
    default:
      return Error(kWrongState, "a final response was received");
  }
}

void ClientTransactions::SendCancel(Txn& invite) {
  invite.cancel_pending = false;
  invite.cancelled = true;
  // §9.1: without a final response 64*T1 after the CANCEL, the INVITE
  // transaction is considered cancelled.
  StartTimeoutTimer(invite, 64 * ctx_.config.t1);
  // Cannot fail: the INVITE's request is valid and `cancelled` prevents a
  // second CANCEL with the same branch.
  auto started = Start(BuildCancel(*invite.request), invite.destination, nullptr);
  (void)started;
}

bool ClientTransactions::Detach(ClientTxnId id) {
  ctx_.DropPending(id);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return false;
  t->handler = nullptr;
  t->detached = true;
  return true;
}

std::optional<TxnState> ClientTransactions::State(ClientTxnId id) const {
  const Txn* t = txns_.Get(id.value);
  return t ? std::optional<TxnState>(t->state) : std::nullopt;
}

void ClientTransactions::Deliver(Txn& t, sip::MessagePtr response, bool last) {
  // Moved out so the handler may Detach or destroy what it captured.
  ResponseHandler handler = std::move(t.handler);
  t.handler = nullptr;
  if (!handler) return;
  const ClientTxnId id = t.id;
  handler(std::move(response));
  if (last) return;
  Txn* again = txns_.Get(id.value);
  if (again != nullptr && !again->detached && !again->handler) again->handler = std::move(handler);
}

void ClientTransactions::Fail(Txn& t, int status) {
  sip::MessagePtr response = t.request ? SynthesizeResponse(*t.request, status) : nullptr;
  ResponseHandler handler = std::move(t.handler);
  t.handler = nullptr;
  const ClientTxnId id = t.id;
  Terminate(t);
  if (response) ctx_.DeliverFinal(id, std::move(handler), std::move(response));
}

void ClientTransactions::OnQueuedTimer(const DelayQueues::Entry& e) {
  Scope scope(*this);
  Txn* t = txns_.Get(e.id);
  if (t == nullptr || t->epoch != e.epoch) return;
  if (e.slot == kRetransmitSlot) {
    Retransmit(*t);
  } else {
    TimedOut(*t);
  }
}

void ClientTransactions::OnRetransmitTimer(ClientTxnId id) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return;
  t->retransmit_timer = 0;
  Retransmit(*t);
}

void ClientTransactions::Retransmit(Txn& txn) {
  Txn* t = &txn;
  const Clock::time_point now = ctx_.timers.Now();
  if (t->deadline != Clock::time_point{} && now >= t->deadline) {
    TimedOut(*t);  // B or F
    return;
  }
  switch (t->state) {
    case TxnState::kCalling:  // Timer A doubles without bound (§17.1.1.2)
      t->interval *= 2;
      break;
    case TxnState::kTrying:  // Timer E doubles up to T2 (§17.1.2.2)
      t->interval = std::min<Clock::duration>(2 * t->interval, ctx_.config.t2);
      break;
    case TxnState::kProceeding:  // non-INVITE only: E stays at T2
      t->interval = ctx_.config.t2;
      break;
    default:
      return;
  }
  Clock::duration delay = t->interval;
  if (t->deadline != Clock::time_point{}) delay = std::min<Clock::duration>(delay, t->deadline - now);
  StartRetransmitTimer(*t, delay);
  ++ctx_.stats.retransmissions_sent;
  Send(*t, t->bytes);
}

void ClientTransactions::OnTimeoutTimer(ClientTxnId id) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return;
  t->timeout_timer = 0;
  TimedOut(*t);
}

void ClientTransactions::TimedOut(Txn& txn) {
  Txn* t = &txn;
  switch (t->state) {
    case TxnState::kCalling:     // B
    case TxnState::kTrying:      // F
    case TxnState::kProceeding:  // F, or the §9.1 wait of a cancelled INVITE
      ++ctx_.stats.timeouts[static_cast<size_t>(t->kind)];
      Fail(*t, t->invite() && t->state == TxnState::kProceeding ? 487 : 408);
      break;
    default:  // D, K, M
      Terminate(*t);
      break;
  }
}

void ClientTransactions::OnSendError(ClientTxnId id) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return;
  // Only sends of the request carry a completion. Figures 5 and 6: a
  // transport error ends an INVITE in Calling and a non-INVITE in Trying or
  // Proceeding; a late report after the peer answered changes nothing.
  const bool waiting = t->invite() ? t->state == TxnState::kCalling
                                   : t->state == TxnState::kTrying || t->state == TxnState::kProceeding;
  if (!waiting) return;
  ++ctx_.stats.transport_errors[static_cast<size_t>(t->kind)];
  Fail(*t, 503);  // §8.1.3.1
}

void ClientTransactions::Send(Txn& t, std::string_view bytes) {
  ctx_.sender.SendReportingErrors(t.destination, bytes, [this, id = t.id](std::error_code ec) {
    if (ec) OnSendError(id);
  });
}

void ClientTransactions::SetState(Txn& t, TxnState state) {
  auto& live = ctx_.stats.live[static_cast<size_t>(t.kind)];
  --live[static_cast<size_t>(t.state)];
  t.state = state;
  if (state != TxnState::kTerminated) ++live[static_cast<size_t>(state)];
}

void ClientTransactions::StartRetransmitTimer(Txn& t, Clock::duration delay) {
  t.retransmit_timer = ctx_.timers.Schedule(delay, [this, id = t.id] { OnRetransmitTimer(id); });
}

void ClientTransactions::StartTimeoutTimer(Txn& t, Clock::duration delay) {
  t.timeout_timer = ctx_.timers.Schedule(delay, [this, id = t.id] { OnTimeoutTimer(id); });
}

void ClientTransactions::CancelTimers(Txn& t) {
  if (t.retransmit_timer != 0) ctx_.timers.Cancel(t.retransmit_timer);
  if (t.timeout_timer != 0) ctx_.timers.Cancel(t.timeout_timer);
  t.retransmit_timer = 0;
  t.timeout_timer = 0;
  ++t.epoch;
  t.deadline = Clock::time_point{};
}

ClientTransactions::Txn* ClientTransactions::Find(uint64_t hash, std::string_view key) const {
  return index_.Find(hash, [key](const Txn& t) { return t.key == key; });
}

void ClientTransactions::Terminate(Txn& t) {
  if (t.state == TxnState::kTerminated) return;
  CancelTimers(t);
  SetState(t, TxnState::kTerminated);
  ++ctx_.stats.terminated[static_cast<size_t>(t.kind)];
  index_.Erase(t.hash, &t);
  graveyard_.push_back(txns_.Remove(t.id.value));
  // Idle means idle: no loop timer left for queued entries that are all void.
  if (txns_.size() == 0) {
    queues_.Clear();
  } else {
    queues_.Prune();
  }
}

}  // namespace parley::transaction
