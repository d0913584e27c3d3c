#include "transaction/server_transactions.h"

#include <algorithm>

#include "sip/response.h"
#include "transaction/matching.h"

namespace parley::transaction {

struct ServerTransactions::Txn {
  ServerTxnId id;
  TxnKind kind = TxnKind::kNonInviteServer;
  TxnState state = TxnState::kTrying;
  bool reliable = false;
  bool provisional_sent = false;  // last_response holds a provisional that went out
  // §18.2.2, decided when the request arrived; nullopt if there is no route.
  std::optional<transport::Destination> destination;
  StoredKey key;
  uint64_t hash = 0;  // of key, in index_
  // Proceeding: the last provisional (before any: the 100 Trying to send at
  // 200 ms). Completed: the final response. Nothing else is kept.
  std::string last_response;
  TimerId retransmit_timer = 0;  // 100 Trying, G
  // H, I, J and L have fixed delays: they wait in queues_ with the epoch
  // they were started in, and CancelTimers voids them.
  uint32_t epoch = 0;
  Clock::duration g_interval{};
  std::unique_ptr<Rfc2543Match> rfc2543;  // only without an RFC 3261 branch

  bool invite() const { return kind == TxnKind::kInviteServer; }
};

class ServerTransactions::Scope {
 public:
  explicit Scope(ServerTransactions& table) : table_(table) { ++table_.depth_; }
  ~Scope() {
    if (--table_.depth_ == 0) table_.graveyard_.clear();
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  ServerTransactions& table_;
};

ServerTransactions::ServerTransactions(LayerContext& ctx)
    : ctx_(ctx), queues_(ctx.timers, [this](const DelayQueues::Entry& e) { OnQueuedTimer(e); }, ctx.config.cleanup_slack) {}

ServerTransactions::~ServerTransactions() {
  txns_.ForEach([this](Txn& t) { CancelTimers(t); });
}

void ServerTransactions::OnRequest(sip::MessagePtr request, const transport::Source& source) {
  Scope scope(*this);
  const bool is_ack = request->method() == sip::Method::kAck;
  KeyBuffer key;
  if (!BuildServerKey(*request, is_ack ? "INVITE" : request->method_text(), key)) {
    ++ctx_.stats.dropped;
    return;
  }
  const uint64_t hash = HashIndex<Txn>::Hash(key.view());
  Txn* txn = Find(hash, key.view(), *request, is_ack);
  if (is_ack) {
    OnAck(txn, std::move(request), source);
  } else if (txn != nullptr) {
    OnRetransmission(*txn);
  } else {
    Create(hash, key.view(), std::move(request), source);
  }
}

ServerTransactions::Txn* ServerTransactions::Find(uint64_t hash, std::string_view key, const sip::Message& request,
                                                  bool is_ack) const {
  return index_.Find(hash, [&](const Txn& t) {
    return t.key == key && (t.rfc2543 == nullptr || t.rfc2543->Matches(request, is_ack));
  });
}

void ServerTransactions::Create(uint64_t hash, std::string_view key, sip::MessagePtr request,
                                const transport::Source& source) {
  const bool invite = request->method() == sip::Method::kInvite;
  auto owned = std::make_unique<Txn>();
  Txn& t = *owned;
  t.kind = invite ? TxnKind::kInviteServer : TxnKind::kNonInviteServer;
  t.state = invite ? TxnState::kProceeding : TxnState::kTrying;
  t.reliable = transport::IsReliable(source.protocol);
  t.destination = transport::ResponseDestination(*request->top_via(), source);
  t.key.assign(key);
  t.hash = hash;
  if (!IsRfc3261Branch(request->top_via()->branch())) t.rfc2543 = std::make_unique<Rfc2543Match>(*request);
  t.id = ServerTxnId{txns_.Insert(std::move(owned))};
  index_.Insert(t.hash, &t);
  ++ctx_.stats.created[static_cast<size_t>(t.kind)];
  ++ctx_.stats.live[static_cast<size_t>(t.kind)][static_cast<size_t>(t.state)];
  if (invite) {
    // Built now: the TU takes the request.
    t.last_response = sip::MakeResponse(*request, 100)->Serialize();
    StartRetransmitTimer(t, TimerConfig::kTrying);
  }
  const ServerTxnId id = t.id;
  if (request->method() == sip::Method::kCancel) {
    std::optional<ServerTxnId> invite_txn = FindInvite(*request);
    ctx_.tu.OnCancel(id, invite_txn, std::move(request), source);
  } else {
    ctx_.tu.OnRequest(id, std::move(request), source);
  }
}

void ServerTransactions::OnAck(Txn* txn, sip::MessagePtr ack, const transport::Source& source) {
  if (txn == nullptr || txn->state == TxnState::kAccepted) {
    // The ACK for a 2xx goes to the TU (RFC 6026 Accepted state), as does
    // one matching no transaction.
    ++ctx_.stats.acks_to_tu;
    ctx_.tu.OnAck(std::move(ack), source);
    return;
  }
  if (txn->state != TxnState::kCompleted) {
    ++ctx_.stats.retransmissions_absorbed;  // Confirmed; or Proceeding, where there is nothing to ACK
    return;
  }
  // §17.2.1: G and H stop; Timer I absorbs ACK retransmissions.
  CancelTimers(*txn);
  SetState(*txn, TxnState::kConfirmed);
  txn->last_response = std::string();
  Clock::duration i = ctx_.config.I(txn->reliable);
  if (i == Clock::duration::zero()) {
    Terminate(*txn);
  } else {
    StartTimeoutTimer(*txn, i);
  }
}

void ServerTransactions::OnRetransmission(Txn& t) {
  ++ctx_.stats.retransmissions_absorbed;
  // §17.2.1 / §17.2.2: Proceeding re-sends the last provisional, Completed
  // the final response; Trying, Confirmed and Accepted stay silent.
  if ((t.state == TxnState::kProceeding && t.provisional_sent) || t.state == TxnState::kCompleted) {
    ++ctx_.stats.retransmissions_sent;
    Send(t, t.last_response);
  }
}

Result<void> ServerTransactions::Respond(ServerTxnId id, sip::MessagePtr response, bool retain) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return Error(kNoTransaction, "no such server transaction");
  if (response == nullptr || !response->is_response() || response->status() < 100 || response->status() > 699) {
    return Error(kInvalidMessage, "not a response");
  }
  const int status = response->status();
  const bool open = t->state == TxnState::kTrying || t->state == TxnState::kProceeding;
  const bool is_2xx = status >= 200 && status < 300;
  if (!retain && (status < 300)) return Error(kInvalidMessage, "only a final non-2xx can be forgotten");
  // RFC 6026: in Accepted the TU's 2xx retransmissions pass through.
  if (!open && !(t->state == TxnState::kAccepted && is_2xx)) {
    return Error(kWrongState, "a final response was already sent");
  }
  if (t->rfc2543 != nullptr && status >= 200) {
    const sip::NameAddr* to = response->to();
    t->rfc2543->response_to_tag = to ? to->tag() : std::string_view();
  }
  // Sent from there, and kept where the state machine retransmits it.
  t->last_response.clear();
  response->SerializeTo(t->last_response);
  response.reset();

  if (status < 200) {
    if (t->retransmit_timer != 0) {  // the 100 Trying timer
      ctx_.timers.Cancel(t->retransmit_timer);
      t->retransmit_timer = 0;
    }
    t->provisional_sent = true;
    SetState(*t, TxnState::kProceeding);
    Send(*t, t->last_response);
  } else if (t->invite() && is_2xx) {
    if (t->state != TxnState::kAccepted) {
      CancelTimers(*t);
      SetState(*t, TxnState::kAccepted);
      StartTimeoutTimer(*t, ctx_.config.L());
    }
    Send(*t, t->last_response);
    t->last_response.clear();  // the TU retransmits a 2xx
  } else if (!retain) {
    CancelTimers(*t);
    SetState(*t, TxnState::kCompleted);
    Send(*t, t->last_response);
    if (t->state == TxnState::kCompleted) Terminate(*t);
  } else {
    CancelTimers(*t);
    SetState(*t, TxnState::kCompleted);
    if (t->invite()) {
      if (!t->reliable) {
        t->g_interval = ctx_.config.G();
        StartRetransmitTimer(*t, t->g_interval);
      }
      StartTimeoutTimer(*t, ctx_.config.H());
      Send(*t, t->last_response);
    } else {
      Clock::duration j = ctx_.config.J(t->reliable);
      if (j != Clock::duration::zero()) StartTimeoutTimer(*t, j);
      Send(*t, t->last_response);
      // Send may have failed synchronously and terminated the transaction.
      if (j == Clock::duration::zero() && t->state == TxnState::kCompleted) Terminate(*t);
    }
  }
  return Ok();
}

std::optional<ServerTxnId> ServerTransactions::FindInvite(const sip::Message& cancel) const {
  KeyBuffer key;
  if (!BuildServerKey(cancel, "INVITE", key)) return std::nullopt;
  const Txn* t = Find(HashIndex<Txn>::Hash(key.view()), key.view(), cancel, /*is_ack=*/false);
  return t ? std::optional<ServerTxnId>(t->id) : std::nullopt;
}

std::optional<TxnState> ServerTransactions::State(ServerTxnId id) const {
  const Txn* t = txns_.Get(id.value);
  return t ? std::optional<TxnState>(t->state) : std::nullopt;
}

void ServerTransactions::OnRetransmitTimer(ServerTxnId id) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  if (t == nullptr) return;
  t->retransmit_timer = 0;
  if (t->state == TxnState::kProceeding && !t->provisional_sent) {
    // §17.2.1: the TU sent nothing within 200 ms.
    t->provisional_sent = true;
    Send(*t, t->last_response);
  } else if (t->state == TxnState::kCompleted) {
    // Timer G: the final response again, the interval doubling up to T2.
    t->g_interval = std::min<Clock::duration>(2 * t->g_interval, ctx_.config.t2);
    StartRetransmitTimer(*t, t->g_interval);
    ++ctx_.stats.retransmissions_sent;
    Send(*t, t->last_response);
  }
}

void ServerTransactions::OnQueuedTimer(const DelayQueues::Entry& e) {
  Scope scope(*this);
  Txn* t = txns_.Get(e.id);
  if (t == nullptr || t->epoch != e.epoch) return;
  const ServerTxnId id = t->id;
  // H in Completed (INVITE) means no ACK came; I, J and L just end the wait.
  const bool timer_h = t->invite() && t->state == TxnState::kCompleted;
  Terminate(*t);
  if (timer_h) {
    ++ctx_.stats.timeouts[static_cast<size_t>(TxnKind::kInviteServer)];
    ctx_.NotifyServerError(id, ServerTxnError::kTimeout);
  }
}

void ServerTransactions::OnSendError(ServerTxnId id) {
  Scope scope(*this);
  Txn* t = txns_.Get(id.value);
  // In Confirmed the ACK proved the response arrived: a late report is moot.
  if (t == nullptr || t->state == TxnState::kConfirmed) return;
  ++ctx_.stats.transport_errors[static_cast<size_t>(t->kind)];
  // §17.2.4; in Accepted the transaction must keep absorbing INVITE
  // retransmissions until Timer L (RFC 6026 Figure 7).
  if (t->state != TxnState::kAccepted) Terminate(*t);
  ctx_.NotifyServerError(id, ServerTxnError::kTransportError);
}

void ServerTransactions::Send(Txn& t, std::string_view bytes) {
  if (!t.destination) {
    OnSendError(t.id);
    return;
  }
  ctx_.sender.SendReportingErrors(*t.destination, bytes, [this, id = t.id](std::error_code ec) {
    if (ec) OnSendError(id);
  });
}

void ServerTransactions::SetState(Txn& t, TxnState state) {
  auto& live = ctx_.stats.live[static_cast<size_t>(t.kind)];
  --live[static_cast<size_t>(t.state)];
  t.state = state;
  if (state != TxnState::kTerminated) ++live[static_cast<size_t>(state)];
}

void ServerTransactions::StartRetransmitTimer(Txn& t, Clock::duration delay) {
  t.retransmit_timer = ctx_.timers.Schedule(delay, [this, id = t.id] { OnRetransmitTimer(id); });
}

void ServerTransactions::StartTimeoutTimer(Txn& t, Clock::duration delay) {
  queues_.Start(delay, t.id.value, t.epoch, 0);
}

void ServerTransactions::CancelTimers(Txn& t) {
  if (t.retransmit_timer != 0) ctx_.timers.Cancel(t.retransmit_timer);
  t.retransmit_timer = 0;
  ++t.epoch;
}

void ServerTransactions::Terminate(Txn& t) {
  if (t.state == TxnState::kTerminated) return;
  CancelTimers(t);
  SetState(t, TxnState::kTerminated);
  ++ctx_.stats.terminated[static_cast<size_t>(t.kind)];
  index_.Erase(t.hash, &t);
  graveyard_.push_back(txns_.Remove(t.id.value));
  // Idle means idle: no loop timer left for queued entries that are all void.
  if (txns_.size() == 0) queues_.Clear();
}

}  // namespace parley::transaction
