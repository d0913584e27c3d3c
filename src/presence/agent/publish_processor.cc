// PUBLISH for `Event: presence` (RFC 3903 §6), as a processor of the home
// serving proxy's chain: the checks that need no state run on the
// request's shard (the PIDF body is parsed there), the rest on the
// presentity's.

#include "common/strings.h"
#include "presence/agent/agent.h"
#include "presence/doc/pidf_diff.h"
#include "sip/fields.h"
#include "sip/response.h"

namespace parley::presence {

using proxy::RequestContext;
using proxy::RequestContextPtr;
using proxy::Verdict;

class PresenceAgent::PublishProcessor : public proxy::Processor {
 public:
  explicit PublishProcessor(PresenceAgent& agent) : agent_(agent) {}
  std::string_view name() const override { return "presence-publish"; }

  Verdict Process(RequestContextPtr& p, proxy::ProcessorHost& host) override {
    RequestContext& ctx = *p;
    const sip::Message& m = *ctx.request;
    if (m.method() != sip::Method::kPublish || !ctx.local_domain || ctx.to_self) return Verdict::kContinue;
    const sip::Uri& ruri = *m.request_uri();
    if (!ruri.has_user) return Verdict::kContinue;
    std::string_view event = TrimLws(m.Value(sip::HeaderId::kEvent).substr(0, m.Value(sip::HeaderId::kEvent).find(';')));
    if (!IEquals(event, "presence")) return Verdict::kContinue;  // the event processor answers 489

    PublishOp op;
    op.aor = sip::AorKey(ruri);
    // Only the presentity publishes its presence (seed 003 §7.5.1).
    if (ctx.authenticated.empty() || ctx.authenticated != op.aor) {
      host.Respond(ctx, 403, "Publisher Not Authorized");
      return Verdict::kDone;
    }
    const AgentConfig& cfg = agent_.config_;
    uint32_t expires = m.expires().value_or(cfg.default_expires);
    if (expires != 0 && expires < cfg.min_expires) {
      host.Respond(ctx, 423, "Interval Too Brief", {{sip::HeaderId::kMinExpires, std::to_string(cfg.min_expires)}});
      return Verdict::kDone;
    }
    op.expires = std::min(expires, cfg.max_expires);
    op.if_match = std::string(TrimLws(m.Value(sip::HeaderId::kSipIfMatch)));
    if (m.Find(sip::HeaderId::kSipIfMatch) && op.if_match.empty()) {
      host.Respond(ctx, 400, "Empty SIP-If-Match");
      return Verdict::kDone;
    }
    if (!m.body().empty()) {
      if (!m.Value(sip::HeaderId::kContentEncoding).empty() &&
          !IEquals(TrimLws(m.Value(sip::HeaderId::kContentEncoding)), "identity")) {
        host.Respond(ctx, 415, "Unsupported Content-Encoding", {{sip::HeaderId::kAcceptEncoding, "identity"}});
        return Verdict::kDone;
      }
      auto ct = m.content_type();
      const bool pidf = ct && IEquals(ct->type, "application") && IEquals(ct->subtype, "pidf+xml");
      const bool partial = ct && IEquals(ct->type, "application") && IEquals(ct->subtype, "pidf-diff+xml");
      if (!pidf && !partial) {
        host.Respond(ctx, 415, "Unsupported Media Type",
                     {{sip::HeaderId::kAccept, "application/pidf+xml, application/pidf-diff+xml"}});
        return Verdict::kDone;
      }
      if (op.expires == 0) {
        host.Respond(ctx, 400, "Removal With A Body");
        return Verdict::kDone;
      }
      std::string_view full = m.body();
      PidfDiffHead head;
      if (partial) {  // RFC 5264
        auto h = ReadPidfDiff(m.body(), "sip:" + op.aor, cfg.limits);
        if (!h.ok()) {
          host.Respond(ctx, h.error().code, h.error().message);
          return Verdict::kDone;
        }
        head = std::move(*h);
        op.version = head.version;
        full = head.pidf;
        if (!head.full && op.if_match.empty()) {
          host.Respond(ctx, 400, "Partial Publication Without SIP-If-Match");
          return Verdict::kDone;
        }
      }
      if (partial && !head.full) {
        op.diff = std::string(m.body());  // applied on the presentity's shard, to what it holds
      } else {
        auto doc = ParsePidf(full, "sip:" + op.aor, cfg.limits);
        if (!doc.ok()) {
          host.Respond(ctx, doc.error().code, doc.error().message);
          return Verdict::kDone;
        }
        op.doc = std::move(*doc);
        op.body = std::string(full);
      }
    } else if (op.if_match.empty()) {
      // §6 step 5: an initial publication needs a body.
      host.Respond(ctx, 400, "PUBLISH Without Body");
      return Verdict::kDone;
    }
    op.now = UnixNow();
    op.now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();

    auto holder = std::make_shared<RequestContextPtr>(std::move(p));
    proxy::ProcessorHost* h = &host;
    size_t back = ctx.shard;
    proxy::ShardRouter& router = agent_.router_;
    std::string aor = op.aor;
    router.Post(router.ShardOf(aor), [this, op = std::move(op), holder, h, back, &router]() mutable {
      agent_.Publish(std::move(op), [holder, h, back, &router](PublishResult r) {
        auto respond = [holder, h, r = std::move(r)] {
          RequestContext& c = **holder;
          if (r.status >= 300) {
            h->Respond(c, r.status, r.reason);
            return;
          }
          proxy::ExtraHeaders extra = {{sip::HeaderId::kExpires, std::to_string(r.expires)}};
          if (!r.etag.empty()) extra.push_back({sip::HeaderId::kSipETag, r.etag});
          h->Respond(c, 200, "OK", std::move(extra));
        };
        // At once on the loop that answers: the 2xx leaves before the
        // NOTIFYs the publication sends its watchers (a post would queue it
        // behind their first batch).
        if (router.current() == back) {
          respond();
        } else {
          router.Post(back, std::move(respond));
        }
      });
    });
    return Verdict::kPending;
  }

 private:
  PresenceAgent& agent_;
};

std::unique_ptr<proxy::Processor> PresenceAgent::MakePublishProcessor() {
  return std::make_unique<PublishProcessor>(*this);
}

}  // namespace parley::presence
