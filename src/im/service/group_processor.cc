// Group messages (seed 003 §7.2.1): a pager-mode MESSAGE to the URI of a
// group the server holds goes to every member. Each member's copy is
// queued like a stored message — so it reaches members who are online at
// once and the others when they register, never twice, in order — and the
// sender gets 202 only when every copy is committed. The group decides how
// the sender hears of the members: one 202 (`single`), or, besides the 202,
// a delivery notification (RFC 5438 IMDN, <recipient-uri> = the member) for
// each member when its copy is delivered, refused or expires
// (`per-recipient`, the exploder's acknowledgments of RFC 5365 §4).
//
// Loops: nested groups are flattened once (groups.h); a MESSAGE whose
// History-Info shows it was already sent to this group, or that comes from
// the group itself, is refused with 482, and every copy carries that
// History-Info (RFC 7044) so a member's forwarder cannot send it round again.

#include <algorithm>

#include "common/log.h"
#include "common/strings.h"
#include "common/timer.h"
#include "im/format/cpim.h"
#include "im/format/imdn.h"
#include "im/format/rfc3339.h"
#include "im/service/content.h"
#include "im/service/message_service.h"
#include "proxy/policy.h"
#include "sip/fields.h"
#include "store/errors.h"

namespace parley::im {

using proxy::RequestContext;
using proxy::RequestContextPtr;
using proxy::Verdict;

namespace {

// Whether a History-Info entry of `m` (RFC 7044) names `group`.
bool AlreadyExpanded(const sip::Message& m, const std::string& group) {
  bool found = false;
  m.ForEachValue(sip::HeaderId::kHistoryInfo, [&](std::string_view v) {
    auto entry = sip::ParseNameAddr(v);
    if (entry.ok() && sip::AorKey(entry->uri) == group) found = true;
    return !found;
  });
  return found;
}

}  // namespace

class MessageService::GroupProcessor : public proxy::Processor {
 public:
  GroupProcessor(MessageService& service, GroupDirectory& groups) : service_(service), groups_(groups) {}
  std::string_view name() const override { return "group-messages"; }

  Verdict Process(RequestContextPtr& p, proxy::ProcessorHost& host) override {
    RequestContext& ctx = *p;
    const sip::Message& m = *ctx.request;
    if (m.method() != sip::Method::kMessage || !ctx.local_domain || ctx.to_self) return Verdict::kContinue;
    if (m.to() && m.to()->has_tag()) return Verdict::kContinue;
    const GroupMap& groups = groups_.On(ctx.shard);
    if (groups.empty()) return Verdict::kContinue;
    std::string group = sip::AorKey(*m.request_uri());
    auto it = groups.find(group);
    if (it == groups.end()) return Verdict::kContinue;
    const GroupEntry& entry = it->second;

    if (AlreadyExpanded(m, group) || (m.from() && sip::AorKey(m.from()->uri) == group)) {
      host.Respond(ctx, 482, "Loop Detected: Already Sent to This Group");
      return Verdict::kDone;
    }
    // Only our own users send to a group: it is a mailing list, not an
    // open relay.
    if (ctx.authenticated.empty()) {
      host.Respond(ctx, 403, "Group Messages Need an Authenticated Sender");
      return Verdict::kDone;
    }
    std::vector<std::string> members = ExpandGroup(groups, group);
    bool is_member = std::binary_search(members.begin(), members.end(), ctx.authenticated);
    if (entry.posting == store::GroupPosting::kMembers && !is_member) {
      host.Respond(ctx, 403, "Not a Member of the Group");
      return Verdict::kDone;
    }
    if (is_member) members.erase(std::lower_bound(members.begin(), members.end(), ctx.authenticated));
    if (members.empty()) {
      host.Respond(ctx, 480, "Group Has No Other Members");
      return Verdict::kDone;
    }

    // The copy every member gets: in CPIM, so that members see the group
    // (To) and the original sender and date.
    std::string content_type(m.Value(sip::HeaderId::kContentType));
    if (content_type.empty()) content_type = "text/plain";
    if (IsComposingType(content_type)) {
      host.Respond(ctx, 415, "isComposing Is Not Sent to Groups");
      return Verdict::kDone;
    }
    store::StoredMessage copy;
    copy.sender = "sip:" + ctx.authenticated;
    copy.received_at_ms = UnixNowMs();
    std::optional<DispositionRequest> wants;
    const bool cpim = IsCpimType(content_type);
    if (cpim) {
      auto view = ParseCpim(m.body());
      if (!view.ok()) {
        host.Respond(ctx, 400, "Malformed CPIM Body");
        return Verdict::kDone;
      }
      if (IsComposingType(view->content_type)) {
        host.Respond(ctx, 415, "isComposing Is Not Sent to Groups");
        return Verdict::kDone;
      }
      copy.message_id = ImdnMessageId(*view);
      if (const auto* dt = view->DateTime()) copy.datetime = std::string(dt->value);
      if (auto d = RequestedDispositions(*view); d.ok() && d->Any()) {
        wants = *d;
        copy.imdn = ImdnFlags(*d);
      }
      copy.content_type = content_type;
      copy.body = std::string(m.body());
    }
    if (copy.message_id.empty()) copy.message_id = DerivedMessageId(m);
    if (copy.datetime.empty()) copy.datetime = FormatRfc3339(copy.received_at_ms);
    if (!cpim) {
      auto built = WrapInCpim(copy.sender, "sip:" + group, copy.datetime, copy.message_id, content_type, m.body());
      if (!built.ok()) {
        host.Respond(ctx, 400, "Message Cannot Be Wrapped in CPIM");
        return Verdict::kDone;
      }
      copy.content_type = std::string(kCpimType);
      copy.body = std::move(*built);
    }
    if (entry.ack == store::GroupAck::kPerRecipient) copy.imdn |= store::kImdnGroupReport;
    std::optional<store::StoredMessage> processed;
    if (wants && wants->processing) {
      if (auto v = ParseCpim(copy.body); v.ok()) {
        processed = service_.Notice(*v, ImdnKind::kProcessing, ImdnStatus::kStored, ctx.authenticated);
      }
    }

    auto fan = std::make_shared<Fanout>();
    fan->ctx = std::move(p);
    fan->host = &host;
    fan->group = group;
    fan->copy = std::move(copy);
    fan->processed = std::move(processed);
    ++service_.shards_[fan->ctx->shard]->stats.group_messages;
    // Each member's reception policy, read beside the writer (it changes
    // only through parleyctl): a member who blocks the sender gets nothing.
    service_.store_.ReadCommitted([this, fan, members = std::move(members)](store::Store& s) mutable {
      std::string sender = fan->ctx->authenticated;
      std::vector<std::pair<std::string, proxy::PolicyDecision>> decided;
      decided.reserve(members.size());
      for (auto& u : members) {
        auto policy = s.GetPolicy(u);
        decided.emplace_back(std::move(u), policy.ok() ? proxy::Decide(*policy, sender) : proxy::PolicyDecision::kAllow);
      }
      size_t shard = fan->ctx->shard;
      service_.router_.Post(shard, [this, fan, decided = std::move(decided)] { Store(fan, decided); });
    });
    return Verdict::kPending;
  }

 private:
  struct Fanout {
    RequestContextPtr ctx;
    proxy::ProcessorHost* host = nullptr;
    std::string group;
    store::StoredMessage copy;  // recipient and headers unset
    std::optional<store::StoredMessage> processed;
    size_t outstanding = 0;
    bool store_failed = false;
    std::vector<std::string> stored;                                  // fresh copies
    std::vector<std::pair<std::string, ImdnStatus>> refused;          // member, why
  };

  store::StoredMessage CopyFor(const Fanout& fan, const std::string& member) const {
    store::StoredMessage c = fan.copy;
    c.recipient = member;
    // RFC 7044: the request reached the group, then the member by mapping.
    c.headers = "History-Info: <sip:" + fan.group + ">;index=1\r\nHistory-Info: <sip:" + member +
                ">;index=1.1;mp=1\r\n";
    return c;
  }

  void Store(const std::shared_ptr<Fanout>& fan,
             const std::vector<std::pair<std::string, proxy::PolicyDecision>>& decided) {
    std::vector<std::string> allowed;
    for (const auto& [member, d] : decided) {
      if (d == proxy::PolicyDecision::kAllow) {
        allowed.push_back(member);
      } else if (d == proxy::PolicyDecision::kReject) {
        fan->refused.emplace_back(member, ImdnStatus::kForbidden);
      }  // discard: as if delivered, no report
    }
    fan->outstanding = allowed.size();
    if (allowed.empty()) return Finish(fan);
    size_t shard = fan->ctx->shard;
    for (const auto& member : allowed) {
      service_.Submit(CopyFor(*fan, member), shard, [this, fan, member](const Result<store::EnqueueResult>& r) {
        if (r.ok()) {
          if (!r->duplicate) fan->stored.push_back(member);
        } else if (r.error().code == store::kErrQuota || r.error().code == store::kErrNotFound) {
          fan->refused.emplace_back(member, ImdnStatus::kFailed);
          PLOG_INFO("group_copy_refused", {{"group", fan->group}, {"member", member}, {"error", r.error().message}});
        } else {
          fan->store_failed = true;
          PLOG_WARN("group_copy_not_stored", {{"group", fan->group}, {"member", member}, {"error", r.error().message}});
        }
        if (--fan->outstanding == 0) Finish(fan);
      });
    }
  }

  void Finish(const std::shared_ptr<Fanout>& fan) {
    RequestContext& ctx = *fan->ctx;
    auto& stats = service_.shards_[ctx.shard]->stats;
    if (fan->store_failed) {
      // The copies that were stored stay; the sender's retry (same
      // Message-ID) stores only the missing ones.
      fan->host->Respond(ctx, 500, "Message Store Unavailable", {{sip::HeaderId::kRetryAfter, "10"}});
      return;
    }
    fan->host->Respond(ctx, 202, "Accepted");
    stats.group_copies += fan->stored.size();
    std::string sender = ctx.authenticated;
    store::HistoryEntry h;
    h.message_id = fan->copy.message_id;
    h.time_ms = fan->copy.received_at_ms;
    h.content_type = std::string(ctx.request->Value(sip::HeaderId::kContentType));
    if (h.content_type.empty()) h.content_type = "text/plain";
    h.body = std::string(ctx.request->body());
    // (Users known to keep no history get no entry built.)
    if (!fan->stored.empty() && MessageService::SenderKeepsHistory(ctx)) {
      store::HistoryEntry out = h;
      out.peer = "sip:" + fan->group;
      out.direction = store::HistoryDirection::kOut;
      service_.Archive(sender, std::move(out), /*known_on=*/true);
    }
    for (const auto& member : fan->stored) {
      if (service_.HistoryOff(member)) continue;
      store::HistoryEntry in = h;
      in.peer = "sip:" + sender;
      in.direction = store::HistoryDirection::kIn;
      service_.Archive(member, std::move(in));
    }
    if (fan->processed) {
      ++stats.notifications;
      service_.Submit(std::move(*fan->processed), ctx.shard, {});
    }
    for (const auto& [member, status] : fan->refused) {
      if (auto report = service_.GroupReport(CopyFor(*fan, member), status)) {
        ++stats.notifications;
        service_.Submit(std::move(*report), ctx.shard, {});
      }
    }
  }

  MessageService& service_;
  GroupDirectory& groups_;
};

std::unique_ptr<proxy::Processor> MessageService::MakeGroupProcessor(GroupDirectory& groups) {
  return std::make_unique<GroupProcessor>(*this, groups);
}

}  // namespace parley::im
