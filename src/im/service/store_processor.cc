// Store-and-forward (seed 003 §7.2.3): a pager-mode MESSAGE the router
// could not deliver (no registered device, or every device unreachable) is
// stored and answered 202 Accepted once the store committed it.
// isComposing indications (RFC 3994 §3.3) are never stored. The sender's
// request for a processing notification (RFC 5438) is answered by the
// server with "stored".

#include <chrono>

#include "common/log.h"
#include "common/strings.h"
#include "common/timer.h"
#include "im/format/cpim.h"
#include "im/format/imdn.h"
#include "im/format/rfc3339.h"
#include "im/service/content.h"
#include "im/service/message_service.h"
#include "sip/response.h"
#include "store/errors.h"

namespace parley::im {

using proxy::RequestContext;
using proxy::RequestContextPtr;
using proxy::Verdict;

class MessageService::Processor : public proxy::Processor {
 public:
  explicit Processor(MessageService& service) : service_(service) {}
  std::string_view name() const override { return "message-store"; }

  Verdict Process(RequestContextPtr& p, proxy::ProcessorHost& host) override {
    RequestContext& ctx = *p;
    const sip::Message& m = *ctx.request;
    if (m.method() != sip::Method::kMessage || !ctx.target_offline || !ctx.local_domain) return Verdict::kContinue;
    if (m.to() && m.to()->has_tag()) return Verdict::kContinue;
    // Only our own (authenticated) users leave messages: nobody can fill a
    // mailbox anonymously.
    if (ctx.authenticated.empty()) return Verdict::kContinue;
    std::string content_type(m.Value(sip::HeaderId::kContentType));
    if (IsComposingType(content_type)) return Verdict::kContinue;  // 480: an indication is worthless later

    store::StoredMessage sm;
    sm.recipient = sip::AorKey(*m.request_uri());
    sm.sender = "sip:" + ctx.authenticated;
    sm.received_at_ms = UnixNowMs();
    sm.content_type = content_type.empty() ? "text/plain" : content_type;
    sm.body = std::string(m.body());
    std::optional<DispositionRequest> wants;
    std::optional<CpimView> cpim;
    if (IsCpimType(content_type)) {
      auto view = ParseCpim(m.body());
      if (!view.ok()) {
        host.Respond(ctx, 400, "Malformed CPIM Body");
        return Verdict::kDone;
      }
      if (IsComposingType(view->content_type)) return Verdict::kContinue;
      sm.message_id = ImdnMessageId(*view);
      if (const auto* dt = view->DateTime()) sm.datetime = std::string(dt->value);
      if (auto d = RequestedDispositions(*view); d.ok() && d->Any()) {
        wants = *d;
        sm.imdn = ImdnFlags(*d);
      }
      cpim = std::move(*view);
    }
    if (sm.message_id.empty()) sm.message_id = DerivedMessageId(m);
    if (sm.datetime.empty()) sm.datetime = FormatRfc3339(sm.received_at_ms);

    // The processing notification ("stored", RFC 5438 §7.2.1.2) is built
    // now, while the request's body is at hand, and sent once stored.
    std::optional<store::StoredMessage> notice;
    if (wants && wants->processing && cpim) {
      notice = service_.Notice(*cpim, ImdnKind::kProcessing, ImdnStatus::kStored, ctx.authenticated);
    }

    std::string sender_aor = ctx.authenticated, recipient = sm.recipient;
    bool sender_on = MessageService::SenderKeepsHistory(ctx);
    // The recipient's setting came with the location lookup, or is cached.
    std::optional<bool> recipient_known = ctx.target_history;
    bool recipient_maybe = recipient_known ? *recipient_known : !service_.HistoryOff(recipient);
    // The archive entries, unless both users are known to keep no history.
    std::optional<store::HistoryEntry> h;
    if (sender_on || recipient_maybe) {
      h.emplace();
      h->message_id = sm.message_id;
      h->time_ms = sm.received_at_ms;
      h->content_type = sm.content_type;
      h->body = sm.body;
    }

    auto holder = std::make_shared<RequestContextPtr>(std::move(p));
    proxy::ProcessorHost* hp = &host;
    service_.Submit(std::move(sm), ctx.shard,
                    [this, holder, hp, notice = std::move(notice), h = std::move(h), sender_aor = std::move(sender_aor),
                     sender_on, recipient_maybe, recipient_known = recipient_known.has_value(),
                     recipient = std::move(recipient)](const Result<store::EnqueueResult>& r) mutable {
      RequestContext& c = **holder;
      if (!r.ok()) {
        if (r.error().code == store::kErrQuota) {
          ++service_.shards_[c.shard]->stats.refused_quota;
          hp->Respond(c, 486, "Message Quota Exceeded");
        } else {
          PLOG_WARN("message_not_stored", {{"to", recipient}, {"error", r.error().message}});
          hp->Respond(c, 500, "Message Store Unavailable", {{sip::HeaderId::kRetryAfter, "10"}});
        }
        return;
      }
      auto& stats = service_.shards_[c.shard]->stats;
      if (r->duplicate) {
        ++stats.duplicates;
        hp->Respond(c, 202, "Accepted");
        return;
      }
      ++stats.stored;
      hp->Respond(c, 202, "Accepted");
      if (h) {
        if (sender_on) {
          store::HistoryEntry out = *h;
          out.peer = "sip:" + recipient;
          out.direction = store::HistoryDirection::kOut;
          service_.Archive(sender_aor, std::move(out), /*known_on=*/true);
        }
        if (recipient_maybe) {
          h->peer = "sip:" + sender_aor;
          h->direction = store::HistoryDirection::kIn;
          service_.Archive(recipient, std::move(*h), /*known_on=*/recipient_known);
        }
      }
      if (notice) {
        ++stats.notifications;
        service_.Submit(std::move(*notice), c.shard, {});
      }
    });
    return Verdict::kPending;
  }

 private:
  MessageService& service_;
};

std::unique_ptr<proxy::Processor> MessageService::MakeProcessor() { return std::make_unique<Processor>(*this); }

}  // namespace parley::im
