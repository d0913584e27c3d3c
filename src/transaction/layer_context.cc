#include "transaction/layer_context.h"

#include <algorithm>
#include <chrono>

namespace parley::transaction {

LayerContext::~LayerContext() {
  if (flush_timer_ != 0) timers.Cancel(flush_timer_);
}

void LayerContext::NotifyServerError(ServerTxnId id, ServerTxnError error) {
  if (tu_calls_ > 0) {
    Notice n;
    n.server = id;
    n.error = error;
    Defer(std::move(n));
    return;
  }
  tu.OnServerTransactionError(id, error);
}

void LayerContext::DeliverFinal(ClientTxnId id, ResponseHandler handler, sip::MessagePtr response) {
  if (!handler) return;
  if (tu_calls_ > 0) {
    Notice n;
    n.client = id;
    n.handler = std::move(handler);
    n.response = std::move(response);
    Defer(std::move(n));
    return;
  }
  handler(std::move(response));
}

void LayerContext::DropPending(ClientTxnId id) {
  std::erase_if(pending_, [id](const Notice& n) { return n.client == id; });
}

void LayerContext::Defer(Notice n) {
  pending_.push_back(std::move(n));
  if (flush_timer_ == 0) flush_timer_ = timers.Schedule(std::chrono::milliseconds(0), [this] { Flush(); });
}

void LayerContext::Flush() {
  flush_timer_ = 0;
  // One at a time: a notice may make the TU detach another pending one.
  while (!pending_.empty()) {
    Notice n = std::move(pending_.front());
    pending_.erase(pending_.begin());
    if (n.handler) {
      n.handler(std::move(n.response));
    } else {
      tu.OnServerTransactionError(n.server, n.error);
    }
  }
}

}  // namespace parley::transaction
