#include "proxy/core.h"

#include "common/log.h"
#include "proxy/basic_processors.h"
#include "sip/response.h"
#include "sip/validate.h"

namespace parley::proxy {

std::string StableToTag(const sip::Message& req) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  mix(req.call_id());
  if (const auto* f = req.from()) mix(f->tag());
  if (const auto* v = req.top_via()) mix(v->branch());
  if (const auto* c = req.cseq()) mix(std::to_string(c->number));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag(16, '0');
  for (int i = 0; i < 16; ++i) tag[static_cast<size_t>(i)] = kHex[(h >> (4 * i)) & 15];
  return tag;
}

Core::Core(const CoreConfig& config, const sip::Capabilities& caps, TimerService& timers, transport::Sender& sender)
    : config_(config),
      local_(config.domains, config.addresses, config.route_token),
      caps_(caps),
      timers_(timers),
      sender_(sender),
      layer_(std::make_unique<transaction::TransactionLayer>(timers, sender, config.timers, *this)) {
  chain_.push_back(std::make_unique<ProxyChecks>(caps_));
  chain_.push_back(std::make_unique<ServerUasChecks>(caps_));
  services_at_ = chain_.size();
  chain_.push_back(std::make_unique<ServerUas>(caps_));
  chain_.push_back(std::make_unique<Fallback>());
}

Core::~Core() = default;

void Core::AddProcessor(ProcessorPtr p) {
  chain_.insert(chain_.begin() + static_cast<ptrdiff_t>(services_at_), std::move(p));
  ++services_at_;
}

size_t Core::InFlight() const {
  // What still waits for a final response; Completed/Accepted transactions
  // only absorb retransmissions and need not hold a shutdown.
  const auto& s = layer_->stats();
  size_t n = 0;
  for (size_t k = 0; k < transaction::kTxnKinds; ++k) {
    const auto& by_state = s.live[k];
    for (auto st : {transaction::TxnState::kCalling, transaction::TxnState::kTrying, transaction::TxnState::kProceeding}) {
      n += by_state[static_cast<size_t>(st)];
    }
  }
  return n;
}

RequestContextPtr Core::NewContext(transaction::ServerTxnId txn, sip::MessagePtr request,
                                   const transport::Source& src) {
  auto ctx = std::make_unique<RequestContext>();
  ctx->txn = txn;
  ctx->request = std::move(request);
  ctx->source = src;
  ctx->shard = config_.shard;
  const sip::Uri* ruri = ctx->request->request_uri();
  ctx->local_domain = ruri && local_.IsLocal(*ruri);
  ctx->to_self = ctx->local_domain && !ruri->has_user;
  return ctx;
}

void Core::OnMessage(transport::IncomingMessage&& in) {
  sip::Message& m = *in.message;
  if (m.is_response()) {
    if (!sip::ValidResponse(m)) {
      ++stats_.responses_dropped;
      PLOG_DEBUG("response_dropped", {{"from", in.source.remote.ToString()},
                                      {"reason", m.parse_error().ok() ? "missing or malformed field" : m.parse_error().reason}});
      return;
    }
    layer_->OnMessage(std::move(in));
    return;
  }
  ++stats_.requests_by_method[static_cast<size_t>(m.method())];
  if (auto rej = sip::ValidateRequest(m)) {
    ++stats_.requests_rejected;
    PLOG_DEBUG("request_rejected", {{"from", in.source.remote.ToString()}, {"status", rej->status},
                                    {"reason", rej->reason}, {"method", m.method_text()}});
    // Never answer an ACK (§17.1.1.3); without a usable Via nothing can be
    // routed back.
    if (m.method() != sip::Method::kAck && m.top_via()) RejectStateless(m, in.source, rej->status, rej->reason);
    return;
  }
  if (draining_ && m.method() != sip::Method::kAck && m.method() != sip::Method::kCancel) {
    RejectStateless(m, in.source, 503, "Shutting Down", {{sip::HeaderId::kRetryAfter, "5"}});
    return;
  }
  // OPTIONS to the server has no side effects: answer without keeping
  // transaction state (a stateless UAS, §8.2.7).
  if (m.method() == sip::Method::kOptions) {
    const sip::Uri* ruri = m.request_uri();
    if (ruri && local_.IsSelf(*ruri)) {
      ++stats_.stateless_answers;
      RunChain(NewContext({}, std::move(in.message), in.source));
      return;
    }
  }
  layer_->OnMessage(std::move(in));
}

void Core::RunChain(RequestContextPtr ctx) {
  while (ctx && ctx->next < chain_.size()) {
    Processor& p = *chain_[ctx->next++];
    if (p.Process(ctx, *this) != Verdict::kContinue) return;
  }
}

void Core::Resume(RequestContextPtr ctx) { RunChain(std::move(ctx)); }

void Core::OnRequest(transaction::ServerTxnId txn, sip::MessagePtr request, const transport::Source& source) {
  auto ctx = NewContext(txn, std::move(request), source);
  if (overloaded_ && Shed(*ctx)) return;
  RunChain(std::move(ctx));
}

bool Core::Shed(RequestContext& ctx) {
  const sip::Message& m = *ctx.request;
  if (m.method() == sip::Method::kAck || m.method() == sip::Method::kCancel) return false;
  if (m.to() && m.to()->has_tag()) return false;
  if (!overloaded_()) return false;
  ++stats_.requests_shed;
  // Logged once per 10 s of overload, with the count since.
  auto now = std::chrono::steady_clock::now();
  if (now - last_shed_log_ >= std::chrono::seconds(10)) {
    PLOG_WARN("overload_shedding", {{"shard", config_.shard}, {"shed", stats_.requests_shed - shed_logged_},
                                    {"in_flight", InFlight()}});
    last_shed_log_ = now;
    shed_logged_ = stats_.requests_shed;
  }
  // Nothing of it is kept: a retransmission is decided afresh.
  ctx.forget_final = true;
  Respond(ctx, 503, "Server Overloaded", {{sip::HeaderId::kRetryAfter, "2"}});
  return true;
}

void Core::OnCancel(transaction::ServerTxnId cancel_txn, std::optional<transaction::ServerTxnId> invite_txn,
                    sip::MessagePtr cancel, const transport::Source& source) {
  auto ctx = NewContext(cancel_txn, std::move(cancel), source);
  if (!invite_txn) {
    Respond(*ctx, 481, "Call/Transaction Does Not Exist");
    return;
  }
  Respond(*ctx, 200, "OK");
  if (auto it = cancel_watchers_.find(*invite_txn); it != cancel_watchers_.end()) {
    // A forwarded INVITE: the forwarder cancels its branches and the 487
    // comes back from them (§16.10).
    auto fn = std::move(it->second);
    cancel_watchers_.erase(it);
    fn();
    return;
  }
  // The INVITE gets 487 unless it has its final response already (then
  // Respond reports kWrongState and nothing is sent).
  auto resp = sip::MakeResponse(*ctx->request, 487, "Request Terminated", StableToTag(*ctx->request));
  resp->SetHeader(sip::HeaderId::kCSeq, std::to_string(ctx->request->cseq()->number) + " INVITE");
  resp->AddHeader(sip::HeaderId::kServer, config_.server_header);
  (void)layer_->Respond(*invite_txn, std::move(resp));
}

void Core::OnCancelled(transaction::ServerTxnId txn, std::function<void()> fn) { cancel_watchers_[txn] = std::move(fn); }
void Core::ClearCancelled(transaction::ServerTxnId txn) { cancel_watchers_.erase(txn); }

void Core::OnAck(sip::MessagePtr ack, const transport::Source& source) {
  if (ack_) ack_(std::move(ack), source);
}

void Core::OnStrayResponse(sip::MessagePtr response, const transport::Source& source) {
  if (stray_) {
    stray_(std::move(response), source);
    return;
  }
  PLOG_DEBUG("stray_response", {{"from", source.remote.ToString()}, {"status", response->status()}});
}

void Core::OnServerTransactionError(transaction::ServerTxnId txn, transaction::ServerTxnError error) {
  cancel_watchers_.erase(txn);
  PLOG_DEBUG("server_transaction_error",
             {{"error", error == transaction::ServerTxnError::kTimeout ? "timeout" : "transport"}});
}

void Core::Respond(RequestContext& ctx, int status, std::string_view reason, ExtraHeaders extra) {
  auto resp = sip::MakeResponse(*ctx.request, status, reason, StableToTag(*ctx.request));
  for (auto& [id, value] : extra) resp->AddHeader(id, value);
  Send(ctx, std::move(resp));
}

void Core::Send(RequestContext& ctx, sip::MessagePtr response) {
  if (!response->Find(sip::HeaderId::kServer)) response->AddHeader(sip::HeaderId::kServer, config_.server_header);
  int status = response->status();
  ++stats_.responses_by_class[static_cast<size_t>(std::min(status / 100, 6))];
  Result<void> r = !ctx.txn.valid() ? layer_->RespondStateless(*ctx.request, ctx.source, std::move(response))
                   : (ctx.forget_final && status >= 300) ? layer_->RespondAndForget(ctx.txn, std::move(response))
                                                         : layer_->Respond(ctx.txn, std::move(response));
  if (!r.ok()) {
    PLOG_DEBUG("respond_failed", {{"status", status}, {"error", r.error().message}});
  }
}

void Core::RejectStateless(const sip::Message& req, const transport::Source& src, int status,
                           std::string_view reason, ExtraHeaders extra) {
  auto resp = sip::MakeResponse(req, status, reason, StableToTag(req));
  for (auto& [id, value] : extra) resp->AddHeader(id, value);
  resp->AddHeader(sip::HeaderId::kServer, config_.server_header);
  ++stats_.responses_by_class[static_cast<size_t>(std::min(status / 100, 6))];
  (void)layer_->RespondStateless(req, src, std::move(resp));
}

}  // namespace parley::proxy
