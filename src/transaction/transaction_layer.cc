#include "transaction/transaction_layer.h"

namespace parley::transaction {

TransactionLayer::TransactionLayer(TimerService& timers, transport::Sender& sender, TimerConfig config,
                                   TransactionUser& tu)
    : ctx_(timers, sender, config, tu) {}

void TransactionLayer::OnMessage(transport::IncomingMessage&& message) {
  if (message.message == nullptr) return;
  if (message.message->is_request()) {
    servers_.OnRequest(std::move(message.message), message.source);
  } else {
    clients_.OnResponse(std::move(message.message), message.source);
  }
}

Result<void> TransactionLayer::Respond(ServerTxnId txn, sip::MessagePtr response) {
  LayerContext::TuCall call(ctx_);
  return servers_.Respond(txn, std::move(response));
}

Result<void> TransactionLayer::RespondAndForget(ServerTxnId txn, sip::MessagePtr response) {
  LayerContext::TuCall call(ctx_);
  return servers_.Respond(txn, std::move(response), /*retain=*/false);
}

Result<void> TransactionLayer::RespondStateless(const sip::Message& request, const transport::Source& source,
                                                sip::MessagePtr response) {
  if (response == nullptr || !response->is_response()) return Error(kInvalidMessage, "not a response");
  const sip::Via* via = request.top_via();
  if (via == nullptr) return Error(kNoRoute, "request without a top Via");
  std::optional<transport::Destination> destination = transport::ResponseDestination(*via, source);
  if (!destination) return Error(kNoRoute, "no destination for the response");
  ++ctx_.stats.stateless_responses;
  // Nobody to tell about a failure: stateless means no state to fail.
  ctx_.sender.Send(*destination, response->Serialize());
  return Ok();
}

std::optional<ServerTxnId> TransactionLayer::FindInviteForCancel(const sip::Message& cancel) const {
  return servers_.FindInvite(cancel);
}

Result<ClientTxnId> TransactionLayer::SendRequest(sip::MessagePtr request, transport::Destination destination,
                                                  ResponseHandler handler) {
  LayerContext::TuCall call(ctx_);
  return clients_.Start(std::move(request), std::move(destination), std::move(handler));
}

Result<void> TransactionLayer::Cancel(ClientTxnId invite) {
  LayerContext::TuCall call(ctx_);
  return clients_.Cancel(invite);
}

bool TransactionLayer::Detach(ClientTxnId txn) { return clients_.Detach(txn); }

}  // namespace parley::transaction
