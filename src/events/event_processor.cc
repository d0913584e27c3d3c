#include "events/event_processor.h"

#include "common/strings.h"
#include "registrar/location_table.h"
#include "sip/fields.h"
#include "sip/lex.h"
#include "sip/response.h"

#include <cstdlib>
#include <optional>

namespace parley::events {

namespace {

// A rate of RFC 6446: a positive decimal number of notifications/s.
std::optional<double> ParseRate(std::string_view v) {
  if (v.empty() || v.size() > 16) return std::nullopt;
  bool dot = false;
  for (char c : v) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  double d = std::strtod(std::string(v).c_str(), nullptr);
  if (!(d > 0)) return std::nullopt;
  return d;
}

}  // namespace

using proxy::RequestContext;
using proxy::RequestContextPtr;
using proxy::Verdict;

EventProcessor::EventProcessor(const EventConfig& config, proxy::Sharded<Notifier>& notifiers,
                               std::vector<EventPackage*> packages)
    : config_(config), notifiers_(notifiers), packages_(std::move(packages)) {}

EventPackage* EventProcessor::Find(std::string_view name) const {
  for (EventPackage* p : packages_) {
    if (IEquals(p->name(), name)) return p;
  }
  return nullptr;
}

std::string EventProcessor::AllowEvents() const {
  std::string out;
  for (EventPackage* p : packages_) {
    if (!out.empty()) out.append(", ");
    out.append(p->name());
  }
  return out;
}

void EventProcessor::Answer(RequestContext& ctx, proxy::ProcessorHost& host, const SubscribeAnswer& a) {
  if (a.status >= 300) {
    host.Respond(ctx, a.status, a.reason);
    return;
  }
  auto r = sip::MakeResponse(*ctx.request, a.status, "", a.local_tag);
  r->AddHeader(sip::HeaderId::kExpires, std::to_string(a.expires));
  r->AddHeader(sip::HeaderId::kContact, a.contact);
  if (!a.require.empty()) r->AddHeader(sip::HeaderId::kRequire, a.require);
  host.Send(ctx, std::move(r));
  if (a.answered) a.answered();  // the NOTIFY that follows the 2xx
}

Verdict EventProcessor::Process(RequestContextPtr& p, proxy::ProcessorHost& host) {
  RequestContext& ctx = *p;
  const sip::Message& m = *ctx.request;
  const sip::Uri& ruri = *m.request_uri();
  if (m.method() == sip::Method::kPublish && ctx.local_domain && ruri.has_user) {
    // We are the event state compositor of our users (RFC 3903 §6): a
    // package we do not host is refused here, not routed to a UA.
    host.Respond(ctx, 489, "Bad Event", {{sip::HeaderId::kAllowEvents, AllowEvents()}});
    return Verdict::kDone;
  }
  if (m.method() != sip::Method::kSubscribe) return Verdict::kContinue;

  auto expires_of = [&](EventPackage* pkg, uint32_t* out) -> bool {
    uint32_t e = m.expires().value_or(pkg ? pkg->default_expires() : 3600);
    if (e != 0 && e < config_.min_expires) {
      host.Respond(ctx, 423, "Interval Too Brief", {{sip::HeaderId::kMinExpires, std::to_string(config_.min_expires)}});
      return false;
    }
    *out = std::min(e, config_.max_expires);
    return true;
  };

  // A refresh or unsubscribe inside one of our subscription dialogs: sent
  // to the Contact we gave (which names the shard and subscription), or,
  // by UAs that keep the AOR as the request URI, to the resource itself -
  // then the dialog identifiers find it on the resource's shard.
  if (m.to()->has_tag()) {
    size_t shard = 0;
    uint64_t id = 0;
    std::string resource;
    // Where the subscription lives when the Contact's shard no longer holds
    // it: restored at start-up on its resource's shard, which moves when
    // the number of loops changed since that Contact was given. The To URI
    // is the resource; the dialog identifiers must still match there.
    std::string moved_resource;
    auto token = ruri.has_user && host.local().IsLocal(ruri) ? Notifier::ParseContactUser(ruri.user) : std::nullopt;
    if (token && token->first < notifiers_.size()) {
      shard = token->first;
      id = token->second;
      if (m.to()->uri.has_user) moved_resource = sip::AorKey(m.to()->uri);
    } else if (ctx.local_domain && ruri.has_user) {
      resource = sip::AorKey(ruri);
      shard = notifiers_.router().ShardOf(resource);
    } else {
      host.Respond(ctx, 481, "Subscription Does Not Exist");
      return Verdict::kDone;
    }
    uint32_t expires;
    if (!expires_of(nullptr, &expires)) return Verdict::kDone;
    auto holder = std::make_shared<RequestContextPtr>(std::move(p));
    proxy::ProcessorHost* h = &host;
    size_t back = ctx.shard;
    std::string call_id(m.call_id()), remote_tag(m.from()->tag()), local_tag(m.to()->tag());
    uint32_t cseq = m.cseq()->number;
    proxy::ShardRouter& router = notifiers_.router();
    auto refresh = [=, &router, this](Notifier& n, uint64_t found) {
      n.Refresh(found, call_id, remote_tag, cseq, expires, UnixNow(), [=, &router, this](SubscribeAnswer a) {
        router.Post(back, [=, this] {
          Answer(**holder, *h, a);
        });
      });
    };
    notifiers_.On(shard, [=, this](Notifier& n) {
      if (id != 0 && !n.Holds(id) && !moved_resource.empty()) {
        size_t home = notifiers_.router().ShardOf(moved_resource);
        if (home != shard) {
          notifiers_.On(home, [=](Notifier& there) {
            refresh(there, there.FindDialog(moved_resource, call_id, local_tag, remote_tag));
          });
          return;
        }
      }
      refresh(n, id != 0 ? id : n.FindDialog(resource, call_id, local_tag, remote_tag));
    });
    return Verdict::kPending;
  }
  if (!ctx.local_domain || !ruri.has_user) return Verdict::kContinue;

  // Event: package[;id=…]
  std::string_view event = m.Value(sip::HeaderId::kEvent);
  size_t semi = event.find(';');
  std::string_view pkg_name = TrimLws(event.substr(0, semi));
  EventPackage* pkg = Find(pkg_name);
  if (!pkg) {
    host.Respond(ctx, 489, "Bad Event", {{sip::HeaderId::kAllowEvents, AllowEvents()}});
    return Verdict::kDone;
  }
  std::string resource = sip::AorKey(ruri);
  const ListPackage* list = nullptr;
  for (const ListPackage& l : lists_) {
    if (IEquals(l.package->name(), pkg->name())) list = &l;
  }
  const bool list_package = list != nullptr;
  const bool request_list = list_package && list->request_lists.accepts && list->request_lists.accepts(resource);
  // RFC 3261 §8.2.2.3: we are the UAS of a SUBSCRIBE.
  std::string unsupported;
  m.ForEachValue(sip::HeaderId::kRequire, [&](std::string_view t) {
    if (!(list_package && IEquals(t, "eventlist")) && !(request_list && IEquals(t, "recipient-list-subscribe"))) {
      unsupported += (unsupported.empty() ? "" : ", ") + std::string(t);
    }
    return true;
  });
  if (!unsupported.empty()) {
    host.Respond(ctx, 420, "Bad Extension", {{sip::HeaderId::kUnsupported, unsupported}});
    return Verdict::kDone;
  }
  if (request_list || (list_package && list->is_list(ctx.shard, resource))) {
    // RFC 4662 §5.2: a list is only served to a subscriber that knows it
    // gets one.
    bool eventlist = false;
    m.ForEachValue(sip::HeaderId::kSupported, [&](std::string_view t) {
      eventlist |= IEquals(t, "eventlist");
      return !eventlist;
    });
    if (!eventlist) {
      host.Respond(ctx, 421, "Extension Required", {{sip::HeaderId::kRequire, "eventlist"}});
      return Verdict::kDone;
    }
    pkg = list->package;
  }
  std::string event_id;
  RateControl rate;
  if (semi != std::string_view::npos) {
    sip::Params params(event.substr(semi));
    event_id = std::string(params.Get("id").value_or(""));
    // RFC 6446 rate control parameters: positive decimal rates.
    struct {
      const char* name;
      double* out;
    } rates[] = {{"max-rate", &rate.max_rate}, {"min-rate", &rate.min_rate},
                 {"adaptive-min-rate", &rate.adaptive_min_rate}};
    for (auto& r : rates) {
      auto v = params.Get(r.name);
      if (!v) continue;
      auto parsed = ParseRate(*v);
      if (!parsed) {
        host.Respond(ctx, 400, std::string("Bad Event ") + r.name + " Parameter");
        return Verdict::kDone;
      }
      *r.out = *parsed;
    }
    if (rate.max_rate > 0 && rate.min_rate > rate.max_rate) {
      host.Respond(ctx, 400, "Event min-rate Above max-rate");
      return Verdict::kDone;
    }
  }
  if (m.Find(sip::HeaderId::kAccept)) {
    bool ok = false;
    m.ForEachValue(sip::HeaderId::kAccept, [&](std::string_view a) {
      auto mt = sip::ParseMediaType(a);
      if (mt.ok()) {
        std::string type(pkg->content_type());
        size_t slash = type.find('/');
        ok |= (mt->type == "*" || IEquals(mt->type, type.substr(0, slash))) &&
              (mt->subtype == "*" || IEquals(mt->subtype, type.substr(slash + 1)));
      }
      return !ok;
    });
    if (!ok) {
      host.Respond(ctx, 406, "Not Acceptable", {{sip::HeaderId::kAccept, std::string(pkg->content_type())}});
      return Verdict::kDone;
    }
  }
  uint32_t expires;
  if (!expires_of(pkg, &expires)) return Verdict::kDone;
  if (m.contacts().size() != 1 || m.contacts()[0].is_star) {
    host.Respond(ctx, 400, "SUBSCRIBE Needs One Contact");
    return Verdict::kDone;
  }
  if (ctx.authenticated.empty()) {
    host.Respond(ctx, 403, "Forbidden");
    return Verdict::kDone;
  }

  SubscribeRequest req;
  req.package = pkg;
  req.event_id = event_id;
  req.local_uri = std::string(ruri.scheme_text) + ":" + resource;
  std::function<void()> define_list;
  if (request_list) {
    RequestList taken = list->request_lists.take(m, ctx.authenticated);
    if (taken.status != 0) {
      host.Respond(ctx, taken.status, taken.reason, std::move(taken.extra));
      return Verdict::kDone;
    }
    resource = std::move(taken.resource);
    define_list = std::move(taken.define);
  }
  req.resource = std::move(resource);
  req.subscriber = ctx.authenticated;
  req.expires = expires;
  req.call_id = std::string(m.call_id());
  req.remote_tag = std::string(m.from()->tag());
  req.remote_party = "<" + std::string(m.from()->uri_text) + ">";
  req.remote_target = std::string(m.contacts()[0].uri_text);
  m.ForEachValue(sip::HeaderId::kRecordRoute, [&](std::string_view v) {
    req.route.emplace_back(v);
    return true;
  });
  req.remote_cseq = m.cseq()->number;
  // The dialog is stored as text (UTF-8 without NUL) and its NOTIFYs repeat
  // these byte for byte: what cannot be kept is refused, not mended.
  const char* unstorable = !IsStorableText(req.call_id)        ? "Call-ID"
                           : !IsStorableText(req.remote_tag)    ? "From"
                           : !IsStorableText(req.remote_party)  ? "From"
                           : !IsStorableText(req.remote_target) ? "Contact"
                           : !IsStorableText(req.event_id)      ? "Event"
                           : !IsStorableText(req.local_uri)     ? "Request-URI"
                                                                : nullptr;
  for (const std::string& r : req.route) {
    if (!unstorable && !IsStorableText(r)) unstorable = "Record-Route";
  }
  if (unstorable) {
    host.Respond(ctx, 400, std::string(unstorable) + " Is Not UTF-8");
    return Verdict::kDone;
  }
  // NOTIFYs are requests in the dialog: they go to the remote target, the
  // Contact (RFC 3261 §12.2.1.1), unless the watcher asked for its flow
  // (RFC 5626 ";ob") or is behind a NAT - the rule bindings follow; over UDP
  // from where the SUBSCRIBE came in.
  req.destination = registrar::BindingDestination(req.remote_target, transport::BackTo(ctx.source),
                                                  req.remote_target.find(";ob") != std::string::npos);
  req.rate = rate;
  m.ForEachValue(sip::HeaderId::kAcceptEncoding, [&](std::string_view e) {
    req.accepts_deflate |= IEquals(TrimLws(e.substr(0, e.find(';'))), "deflate");
    return !req.accepts_deflate;
  });
  if (std::string_view partial = pkg->partial_type(); !partial.empty()) {
    m.ForEachValue(sip::HeaderId::kAccept, [&](std::string_view a) {
      auto mt = sip::ParseMediaType(a);
      req.accepts_partial |= mt.ok() && mt->Essence() == partial;
      return !req.accepts_partial;
    });
  }
  req.now = UnixNow();

  auto holder = std::make_shared<RequestContextPtr>(std::move(p));
  proxy::ProcessorHost* h = &host;
  size_t back = ctx.shard;
  proxy::ShardRouter& router = notifiers_.router();
  std::string owner = req.resource;
  notifiers_.OnOwner(owner, [req = std::move(req), define_list, holder, h, back, &router, this](Notifier& n) mutable {
    if (define_list) define_list();
    n.Subscribe(std::move(req), [holder, h, back, &router, this](SubscribeAnswer a) {
      router.Post(back, [holder, h, a, this] {
        Answer(**holder, *h, a);
      });
    });
  });
  return Verdict::kPending;
}

}  // namespace parley::events
