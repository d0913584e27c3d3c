#include "ua/core.h"

#include "common/strings.h"
#include "sip/response.h"
#include "sip/validate.h"
#include "transaction/messages.h"

namespace parley::ua {

std::string_view FailureName(Failure f) {
  switch (f) {
    case Failure::kNone: return "none";
    case Failure::kAuth: return "auth";
    case Failure::kUnreachable: return "unreachable";
    case Failure::kTls: return "tls";
    case Failure::kNotFound: return "not-found";
    case Failure::kRejected: return "rejected";
  }
  return "unknown";
}

std::string Outcome::Describe() const {
  std::string out = std::to_string(status) + " " + reason;
  switch (failure) {
    case Failure::kNone: break;
    case Failure::kAuth: out += ": wrong user name or password"; break;
    case Failure::kUnreachable:
      out += status == 408 ? ": server did not answer" : ": server unreachable";
      break;
    case Failure::kTls: out += ": TLS certificate of the server is not trusted"; break;
    case Failure::kNotFound: out += ": user unknown"; break;
    case Failure::kRejected: break;
  }
  if (!detail.empty()) out += " (" + detail + ")";
  return out;
}

void Core::TrackingSender::Send(const transport::Destination& to, std::string bytes, Done done) {
  if (config_.trace) config_.trace(true, bytes);
  inner_.Send(to, std::move(bytes), [this, done = std::move(done)](std::error_code ec) {
    if (ec) last_error = ec;
    if (done) done(ec);
  });
}

Core::Core(CoreConfig config, TimerService& timers, transport::Sender& sender)
    : config_(std::move(config)),
      timers_(timers),
      sender_(sender, config_),
      digest_(config_.account.AuthUser(), config_.account.password),
      layer_(std::make_unique<transaction::TransactionLayer>(timers_, sender_, config_.timers, *this)) {}

Core::~Core() {
  // Handlers capture owners that may already be gone; never call them now.
  pending_.clear();
  layer_.reset();
}

std::string Core::NewTag() const { return sip::RandomToken(6); }
std::string Core::NewCallId() const { return sip::RandomToken(12) + "@parley"; }

std::string Core::ContactUri() const {
  std::string uri = "sip:" + aor().user + "@" + config_.local_host + ":" + std::to_string(config_.local_port);
  if (config_.proxy.protocol != transport::Protocol::kUdp) {
    uri += ";transport=" + ToLower(transport::ProtocolName(config_.proxy.protocol)) + ";ob";
  }
  return uri;
}

sip::MessagePtr Core::NewRequest(std::string_view method, std::string_view request_uri, std::string_view to,
                                 std::string_view from_tag, std::string_view call_id, uint32_t cseq) const {
  auto m = sip::Message::NewRequest(method, request_uri);
  m->AddHeader(sip::HeaderId::kMaxForwards, "70");
  std::string from;
  if (!config_.account.display_name.empty()) from = "\"" + config_.account.display_name + "\" ";
  from += "<" + aor().Uri() + ">;tag=" + std::string(from_tag);
  m->AddHeader(sip::HeaderId::kFrom, from);
  m->AddHeader(sip::HeaderId::kTo, to);
  m->AddHeader(sip::HeaderId::kCallId, call_id);
  m->AddHeader(sip::HeaderId::kCSeq, std::to_string(cseq) + " " + std::string(method));
  m->AddHeader(sip::HeaderId::kUserAgent, config_.user_agent);
  return m;
}

Core::RequestId Core::Send(sip::MessagePtr request, FinalHandler final) {
  RequestId id = ++next_id_;
  pending_.emplace(id, Pending{std::move(request), std::move(final), {}, 0});
  Attempt(id);
  return id;
}

void Core::Abandon(RequestId id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  layer_->Detach(it->second.txn);
  pending_.erase(it);
}

void Core::Attempt(RequestId id) {
  Pending& p = pending_.at(id);
  sip::Message& m = *p.sent;
  m.RemoveAll(sip::HeaderId::kVia);
  std::string sent_by = sender_.ViaSentBy(config_.proxy);
  if (sent_by.empty()) sent_by = config_.local_host + ":" + std::to_string(config_.local_port);
  m.AddHeaderFront(sip::HeaderId::kVia, "SIP/2.0/" + std::string(transport::ProtocolName(config_.proxy.protocol)) +
                                             " " + sent_by + ";branch=" + transaction::NewBranch() + ";rport");
  if (!digest_.empty()) digest_.Authorize(m);
  sender_.last_error = {};
  auto r = layer_->SendRequest(m.Clone(), config_.proxy,
                               [this, id](sip::MessagePtr response) { OnResponse(id, std::move(response)); });
  if (!r.ok()) {
    // Only a malformed request gets here; answer it as a local failure.
    auto resp = transaction::SynthesizeResponse(m, 500);
    timers_.Schedule(std::chrono::milliseconds(0), [this, id, resp = std::shared_ptr<sip::Message>(std::move(resp))] {
      if (pending_.count(id)) Finish(id, *resp, Failure::kRejected);
    });
    return;
  }
  p.txn = *r;
}

void Core::OnResponse(RequestId id, sip::MessagePtr response) {
  auto it = pending_.find(id);
  if (it == pending_.end() || response->status() < 200) return;
  Pending& p = it->second;
  int status = response->status();
  bool local = response->to() == nullptr || !response->to()->has_tag();
  if ((status == 401 || status == 407) && !local) {
    auto outcome = digest_.OnChallenge(*p.sent, *response);
    if (outcome == DigestClient::Outcome::kRetry && p.auth_rounds < 2) {
      ++p.auth_rounds;
      // §22.2: the retry is a new transaction with the next CSeq.
      const sip::CSeq* cseq = p.sent->cseq();
      uint32_t next = cseq ? cseq->number + 1 : 1;
      p.sent->SetHeader(sip::HeaderId::kCSeq, std::to_string(next) + " " + std::string(p.sent->method_text()));
      Attempt(id);
      return;
    }
    return Finish(id, *response, Failure::kAuth);
  }
  Failure f = Failure::kRejected;
  if (status < 300) {
    f = Failure::kNone;
  } else if (status == 404 || status == 604) {
    f = Failure::kNotFound;
  } else if (local && (status == 408 || status == 503)) {
    f = Failure::kUnreachable;
    std::string_view cat = sender_.last_error ? sender_.last_error.category().name() : "";
    if (cat.find("ssl") != std::string_view::npos) f = Failure::kTls;
  }
  Finish(id, *response, f);
}

void Core::Finish(RequestId id, const sip::Message& response, Failure failure) {
  auto node = pending_.extract(id);
  if (node.empty()) return;
  Pending p = std::move(node.mapped());
  Outcome o;
  o.status = response.status();
  o.reason = std::string(response.reason());
  o.failure = failure;
  o.local = response.to() == nullptr || !response.to()->has_tag();
  if (o.local && sender_.last_error) o.detail = sender_.last_error.message();
  if (p.final) p.final(o, response, *p.sent);
}

void Core::OnMessage(transport::IncomingMessage&& in) {
  if (!in.message) return;
  if (config_.trace) config_.trace(false, in.message->raw());
  if (in.source.flow != 0 && in.source.remote == config_.proxy.address) flow_ = in.source.flow;
  if (in.message->is_request()) {
    if (auto rej = sip::ValidateRequest(*in.message)) {
      if (in.message->method() != sip::Method::kAck) {
        (void)layer_->RespondStateless(*in.message, in.source,
                                       sip::MakeResponse(*in.message, rej->status, rej->reason, NewTag()));
      }
      return;
    }
  } else if (!sip::ValidResponse(*in.message)) {
    return;
  }
  layer_->OnMessage(std::move(in));
}

void Core::SetHandler(sip::Method method, RequestHandler handler) {
  handlers_[static_cast<size_t>(method)] = std::move(handler);
}

void Core::Respond(const ServerRequest& req, int status, std::string_view reason,
                   const std::vector<std::pair<sip::HeaderId, std::string>>& extra, std::string_view content_type,
                   std::string_view body) {
  std::string tag = req.request->to() && req.request->to()->has_tag() ? std::string() : NewTag();
  auto resp = sip::MakeResponse(*req.request, status, reason, tag);
  resp->AddHeader(sip::HeaderId::kServer, config_.user_agent);
  for (const auto& [id, value] : extra) resp->AddHeader(id, value);
  if (!body.empty()) resp->SetBody(content_type, body);
  (void)layer_->Respond(req.txn, std::move(resp));
}

void Core::OnRequest(transaction::ServerTxnId txn, sip::MessagePtr request, const transport::Source& source) {
  if (source.flow != 0 && source.remote == config_.proxy.address) flow_ = source.flow;
  ServerRequest req{txn, std::move(request), source};
  const auto& handler = handlers_[static_cast<size_t>(req.request->method())];
  if (handler) return handler(req);
  static constexpr std::string_view kAllow = "MESSAGE, NOTIFY, OPTIONS";
  if (req.request->method() == sip::Method::kOptions) {
    return Respond(req, 200, {},
                   {{sip::HeaderId::kAllow, std::string(kAllow)},
                    {sip::HeaderId::kAccept,
                     "text/plain, message/cpim, application/im-iscomposing+xml, message/imdn+xml"}});
  }
  Respond(req, 405, {}, {{sip::HeaderId::kAllow, std::string(kAllow)}});
}

void Core::OnCancel(transaction::ServerTxnId cancel_txn, std::optional<transaction::ServerTxnId> invite_txn,
                    sip::MessagePtr cancel, const transport::Source& source) {
  ServerRequest req{cancel_txn, std::move(cancel), source};
  Respond(req, invite_txn ? 200 : 481);
}

}  // namespace parley::ua
