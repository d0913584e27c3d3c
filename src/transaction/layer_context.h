#pragma once
// State shared by the server and client transaction tables of one layer:
// the services they use, the counters, and the TU notices that must wait
// because the TU is itself inside a call into the layer.

#include <vector>

#include "common/timer.h"
#include "transaction/stats.h"
#include "transaction/timer_config.h"
#include "transaction/transaction_user.h"
#include "transport/types.h"

namespace parley::transaction {

class LayerContext {
 public:
  LayerContext(TimerService& timer_service, transport::Sender& transport_sender, TimerConfig timer_config,
               TransactionUser& user)
      : timers(timer_service), sender(transport_sender), config(timer_config), tu(user) {}
  ~LayerContext();
  LayerContext(const LayerContext&) = delete;
  LayerContext& operator=(const LayerContext&) = delete;

  TimerService& timers;
  transport::Sender& sender;
  const TimerConfig config;
  TransactionUser& tu;
  TransactionStats stats;

  // Marks a TU → layer call (Respond, SendRequest, Cancel …) in progress.
  class TuCall {
   public:
    explicit TuCall(LayerContext& ctx) : ctx_(ctx) { ++ctx_.tu_calls_; }
    ~TuCall() { --ctx_.tu_calls_; }
    TuCall(const TuCall&) = delete;
    TuCall& operator=(const TuCall&) = delete;

   private:
    LayerContext& ctx_;
  };

  // Tell the TU about a failed server transaction / give a client
  // transaction's handler its last response: now, or, inside a TU call,
  // from a zero-delay timer.
  void NotifyServerError(ServerTxnId id, ServerTxnError error);
  void DeliverFinal(ClientTxnId id, ResponseHandler handler, sip::MessagePtr response);
  // Forgets a pending final response for a detached client transaction.
  void DropPending(ClientTxnId id);

 private:
  struct Notice {
    ServerTxnId server;
    ServerTxnError error = ServerTxnError::kTimeout;
    ClientTxnId client;
    ResponseHandler handler;
    sip::MessagePtr response;
  };
  void Defer(Notice n);
  void Flush();

  int tu_calls_ = 0;
  std::vector<Notice> pending_;
  TimerId flush_timer_ = 0;
};

}  // namespace parley::transaction
