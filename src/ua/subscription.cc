#include "ua/subscription.h"

#include <algorithm>

#include "common/strings.h"
#include "presence/doc/pidf_diff.h"
#include "sip/params.h"

namespace parley::ua {

std::string_view PackageName(EventPackage p) {
  switch (p) {
    case EventPackage::kPresence: return "presence";
    case EventPackage::kWinfo: return "presence.winfo";
    case EventPackage::kReg: return "reg";
    case EventPackage::kDialog: return "dialog";
    case EventPackage::kDialogWinfo: return "dialog.winfo";
  }
  return "";
}

std::string_view PackageAccept(EventPackage p) {
  switch (p) {
    case EventPackage::kPresence: return "application/pidf+xml, application/pidf-diff+xml";  // RFC 5263
    case EventPackage::kWinfo: return "application/watcherinfo+xml";
    case EventPackage::kReg: return "application/reginfo+xml";
    case EventPackage::kDialog: return "application/dialog-info+xml";
    case EventPackage::kDialogWinfo: return "application/watcherinfo+xml";
  }
  return "";
}

std::string_view SubscriptionStateName(SubscriptionEvent::State s) {
  switch (s) {
    case SubscriptionEvent::State::kPending: return "pending";
    case SubscriptionEvent::State::kActive: return "active";
    case SubscriptionEvent::State::kTerminated: return "terminated";
    case SubscriptionEvent::State::kFailed: return "failed";
    case SubscriptionEvent::State::kRetrying: return "retrying";
  }
  return "";
}

namespace {

// "presence;id=1" -> "presence"
std::string_view EventType(std::string_view v) {
  v = TrimLws(v);
  return TrimLws(v.substr(0, v.find(';')));
}

struct SubState {
  std::string value;  // active, pending, terminated (lower-case)
  std::string reason;
  std::optional<uint32_t> expires;
  std::optional<uint32_t> retry_after;
};

SubState ParseSubState(std::string_view v) {
  SubState s;
  v = TrimLws(v);
  size_t semi = v.find(';');
  s.value = ToLower(TrimLws(v.substr(0, semi)));
  if (semi != std::string_view::npos) {
    sip::Params p(v.substr(semi));
    s.reason = ToLower(p.Get("reason").value_or(""));
    if (auto e = p.Get("expires")) {
      if (auto n = ParseUint(*e, UINT32_MAX)) s.expires = static_cast<uint32_t>(*n);
    }
    if (auto r = p.Get("retry-after")) {
      if (auto n = ParseUint(*r, UINT32_MAX)) s.retry_after = static_cast<uint32_t>(*n);
    }
  }
  return s;
}

}  // namespace

Subscription::Subscription(Core& core, const Aor& target, EventPackage package, uint32_t expires, Listener listener)
    : core_(core),
      target_(target),
      target_uri_(target.Uri()),
      package_(package),
      expires_(expires),
      listener_(std::move(listener)) {}

Subscription::~Subscription() {
  CancelTimers();
  core_.Abandon(request_);
}

void Subscription::CancelTimers() {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  if (notify_timer_) core_.timers().Cancel(notify_timer_);
  refresh_timer_ = notify_timer_ = 0;
}

void Subscription::Emit(SubscriptionEvent::State s, const std::string& reason, const Outcome& o, uint32_t expires,
                        std::chrono::seconds retry) {
  if (!listener_.on_state) return;
  SubscriptionEvent e;
  e.target = target_uri_;
  e.package = package_;
  e.state = s;
  e.reason = reason;
  e.outcome = o;
  e.expires = expires;
  e.retry_in = retry;
  listener_.on_state(e);
}

void Subscription::Start() {
  CancelTimers();
  core_.Abandon(request_);
  dialog_.reset();
  call_id_ = core_.NewCallId();
  local_tag_ = core_.NewTag();
  local_cseq_ = 0;
  got_notify_ = false;
  state_ = Subscribing{};
  SendSubscribe(expires_);
}

void Subscription::Stop(std::function<void()> done) {
  CancelTimers();
  core_.Abandon(request_);
  request_ = 0;
  if (!dialog_) {
    state_ = Ended{};
    if (done) done();
    return;
  }
  state_ = Unsubscribing{};
  stop_done_ = std::move(done);
  SendSubscribe(0);
}

void Subscription::SendSubscribe(uint32_t expires) {
  std::string ruri = dialog_ ? dialog_->remote_target : target_uri_;
  std::string to = "<" + target_uri_ + ">";
  if (dialog_) to += ";tag=" + dialog_->remote_tag;
  auto req = core_.NewRequest("SUBSCRIBE", ruri, to, local_tag_, call_id_, ++local_cseq_);
  if (dialog_) {
    for (const auto& r : dialog_->route_set) req->AddHeader(sip::HeaderId::kRoute, r);
  }
  req->AddHeader(sip::HeaderId::kContact, "<" + core_.ContactUri() + ">");
  req->AddHeader(sip::HeaderId::kEvent, PackageName(package_));
  if (package_ == EventPackage::kPresence || package_ == EventPackage::kDialog) {
    // A list's URI (RFC 4662) gets one subscription to every member.
    req->AddHeader(sip::HeaderId::kAccept,
                   std::string(PackageAccept(package_)) + ", application/rlmi+xml, multipart/related");
    req->AddHeader(sip::HeaderId::kSupported, "eventlist");
  } else {
    req->AddHeader(sip::HeaderId::kAccept, PackageAccept(package_));
  }
  req->AddHeader(sip::HeaderId::kExpires, std::to_string(expires));
  req->AddHeader(sip::HeaderId::kAllowEvents, PackageName(package_));
  request_ = core_.Send(std::move(req), [this, expires](const Outcome& o, const sip::Message& resp,
                                                        const sip::Message& sent) {
    request_ = 0;
    OnFinal(o, resp, sent, expires);
  });
}

void Subscription::OnFinal(const Outcome& o, const sip::Message& resp, const sip::Message& sent, uint32_t expires) {
  if (const sip::CSeq* c = sent.cseq()) local_cseq_ = std::max(local_cseq_, c->number);
  if (std::holds_alternative<Unsubscribing>(state_)) {
    state_ = Ended{};
    Emit(SubscriptionEvent::State::kTerminated, "unsubscribed", o);
    if (auto d = std::move(stop_done_)) d();
    return;
  }
  if (o.status == 423) {
    auto min = ParseUint(TrimLws(resp.Value(sip::HeaderId::kMinExpires)), UINT32_MAX);
    if (min && *min > expires_) {
      expires_ = static_cast<uint32_t>(*min);
      return SendSubscribe(expires_);
    }
  }
  if (!o.ok()) {
    bool refresh = dialog_.has_value();
    if (refresh && (o.status == 481 || o.failure == Failure::kUnreachable)) {
      // §4.1.2.2: the subscription is gone (or unreachable): start a new one.
      dialog_.reset();
      return Resubscribe(std::chrono::seconds(o.status == 481 ? 0 : 30));
    }
    CancelTimers();
    dialog_.reset();
    state_ = Ended{};
    Emit(SubscriptionEvent::State::kFailed, {}, o);
    return;
  }
  failures_ = 0;
  if (!dialog_) {
    // The 2xx creates the dialog (§4.1.2.1); a NOTIFY may have done so first.
    Dialog d;
    d.remote_tag = std::string(resp.to() ? resp.to()->tag() : "");
    if (!resp.contacts().empty()) d.remote_target = std::string(resp.contacts().front().uri_text);
    if (d.remote_target.empty()) d.remote_target = target_uri_;
    std::vector<std::string> rr;
    resp.ForEachValue(sip::HeaderId::kRecordRoute, [&](std::string_view v) {
      rr.emplace_back(v);
      return true;
    });
    std::reverse(rr.begin(), rr.end());  // §12.1.2: the UAC reverses the Record-Route
    d.route_set = std::move(rr);
    dialog_ = std::move(d);
  }
  if (!std::holds_alternative<Established>(state_)) state_ = Established{};
  uint32_t granted = resp.expires().value_or(expires);
  ScheduleRefresh(granted);
  if (!got_notify_) ArmNotifyWait();
}

void Subscription::ArmNotifyWait() {
  // §4.1.2.4: a NOTIFY must follow a 2xx within 64*T1 (Timer N).
  if (notify_timer_) core_.timers().Cancel(notify_timer_);
  auto n = core_.config().timers.t1 * 64;
  notify_timer_ = core_.timers().Schedule(n, [this] {
    notify_timer_ = 0;
    if (got_notify_ || !std::holds_alternative<Established>(state_)) return;
    OnTerminated("timeout", std::nullopt);
  });
}

void Subscription::ScheduleRefresh(uint32_t expires) {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  refresh_timer_ = 0;
  if (expires == 0) return;
  uint32_t after = expires > 1200 ? expires - 600 : std::max<uint32_t>(expires / 2, 1);
  refresh_timer_ = core_.timers().Schedule(std::chrono::seconds(after), [this] {
    refresh_timer_ = 0;
    if (std::holds_alternative<Established>(state_) && !request_) SendSubscribe(expires_);
  });
}

void Subscription::Resubscribe(std::chrono::seconds after) {
  CancelTimers();
  dialog_.reset();
  state_ = Waiting{};
  Emit(SubscriptionEvent::State::kRetrying, {}, {}, 0, after);
  refresh_timer_ = core_.timers().Schedule(after, [this] {
    refresh_timer_ = 0;
    Start();
  });
}

void Subscription::OnTerminated(const std::string& reason, std::optional<uint32_t> retry_after) {
  // RFC 6665 §4.1.3.
  if (reason == "deactivated" || reason == "timeout") {
    Emit(SubscriptionEvent::State::kTerminated, reason);
    return Resubscribe(std::chrono::seconds(0));
  }
  if (reason == "probation" || reason == "giveup" || reason.empty()) {
    Emit(SubscriptionEvent::State::kTerminated, reason);
    ++failures_;
    uint32_t wait = retry_after.value_or(std::min(30u << std::min(failures_ - 1, 5), 900u));
    return Resubscribe(std::chrono::seconds(wait));
  }
  // rejected, noresource, invariant and unknown reasons: final.
  CancelTimers();
  dialog_.reset();
  state_ = Ended{};
  Emit(SubscriptionEvent::State::kTerminated, reason);
}

bool Subscription::Matches(const sip::Message& notify) const {
  if (std::holds_alternative<Idle>(state_) || std::holds_alternative<Waiting>(state_)) return false;
  if (std::holds_alternative<Ended>(state_) && !dialog_) return false;
  if (notify.call_id() != call_id_) return false;
  const sip::NameAddr* to = notify.to();
  const sip::NameAddr* from = notify.from();
  if (!to || !from || to->tag() != local_tag_) return false;
  if (dialog_ && !dialog_->remote_tag.empty() && from->tag() != dialog_->remote_tag) return false;
  return IEquals(EventType(notify.Value(sip::HeaderId::kEvent)), PackageName(package_));
}

void Subscription::OnNotify(ServerRequest& req) {
  const sip::Message& m = *req.request;
  if (std::holds_alternative<Unsubscribing>(state_) || std::holds_alternative<Ended>(state_)) {
    return core_.Respond(req, 200);  // the final NOTIFY of an unsubscription
  }
  const sip::CSeq* cseq = m.cseq();
  if (dialog_ && cseq && dialog_->remote_cseq != 0 && cseq->number <= dialog_->remote_cseq) {
    return core_.Respond(req, 500, "Out Of Order CSeq");
  }
  std::string_view state_text = m.Value(sip::HeaderId::kSubscriptionState);
  if (state_text.empty()) return core_.Respond(req, 400, "Missing Subscription-State");
  if (!dialog_ || dialog_->remote_tag.empty()) {
    // The NOTIFY creates (or completes) the dialog (§4.1.2.4): its route set
    // is its Record-Route in order.
    Dialog d;
    if (dialog_) d = *dialog_;
    d.remote_tag = std::string(m.from()->tag());
    d.route_set.clear();
    m.ForEachValue(sip::HeaderId::kRecordRoute, [&](std::string_view v) {
      d.route_set.emplace_back(v);
      return true;
    });
    dialog_ = std::move(d);
  }
  if (cseq) dialog_->remote_cseq = cseq->number;
  if (!m.contacts().empty()) dialog_->remote_target = std::string(m.contacts().front().uri_text);
  if (dialog_->remote_target.empty()) dialog_->remote_target = target_uri_;
  core_.Respond(req, 200);

  got_notify_ = true;
  if (notify_timer_) core_.timers().Cancel(notify_timer_);
  notify_timer_ = 0;
  SubState s = ParseSubState(state_text);
  if (!m.body().empty() && listener_.on_notify) {
    Notification n;
    n.target = target_uri_;
    n.package = package_;
    auto type = m.content_type();
    n.content_type = type ? type->Essence() : "";
    n.content_type_value = std::string(TrimLws(m.Value(sip::HeaderId::kContentType)));
    n.body = std::string(m.body());
    n.state = s.value;
    if (package_ == EventPackage::kPresence && n.content_type == "application/pidf-diff+xml") {
      // Listeners see whole documents: a partial one is applied to what we hold.
      bool resync = false;
      if (auto doc = Rebuild(n.body, resync)) {
        n.body = std::move(*doc);
        n.content_type = "application/pidf+xml";
      } else {
        n.body.clear();
        partial_version_.reset();
        // A diff out of step (a NOTIFY lost, a patch that does not apply):
        // a refresh makes the notifier send full state. (Not for a full
        // document we cannot read: it would come again.)
        if (resync && s.value != "terminated" && std::holds_alternative<Established>(state_) && !request_) {
          SendSubscribe(expires_);
        }
      }
    }
    if (!n.body.empty()) listener_.on_notify(n);
  }
  if (s.value == "terminated") return OnTerminated(s.reason, s.retry_after);
  if (std::holds_alternative<Subscribing>(state_)) state_ = Established{};
  if (s.expires && *s.expires > 0) ScheduleRefresh(*s.expires);
  Emit(s.value == "active" ? SubscriptionEvent::State::kActive : SubscriptionEvent::State::kPending, {}, {},
       s.expires.value_or(0));
}

std::optional<std::string> Subscription::Rebuild(std::string_view body, bool& resync) {
  presence::Limits limits;
  limits.max_body_bytes = kMaxPartialDocument;
  limits.max_elements = 1 << 16;
  auto head = presence::ReadPidfDiff(body, "", limits);
  if (!head.ok()) return std::nullopt;
  if (!head->full) {
    resync = true;
    if (!partial_version_ || head->version != *partial_version_ + 1) return std::nullopt;
    auto patched = presence::ApplyPidfDiff(partial_doc_, body, limits);
    if (!patched.ok()) return std::nullopt;
    head->pidf = std::move(*patched);
  }
  partial_doc_ = std::move(head->pidf);
  partial_version_ = head->version;
  return partial_doc_;
}

SubscriptionManager::SubscriptionManager(Core& core) : core_(core) {
  core_.SetHandler(sip::Method::kNotify, [this](ServerRequest& req) { OnNotify(req); });
}

SubscriptionManager::~SubscriptionManager() { core_.SetHandler(sip::Method::kNotify, nullptr); }

Subscription& SubscriptionManager::Add(const Aor& target, EventPackage package, uint32_t expires,
                                       Subscription::Listener listener) {
  if (Subscription* s = Find(target, package)) return *s;
  subs_.push_back(std::make_unique<Subscription>(core_, target, package, expires, std::move(listener)));
  return *subs_.back();
}

Subscription* SubscriptionManager::Find(const Aor& target, EventPackage package) {
  for (auto& s : subs_) {
    if (s->target() == target.Uri() && s->package() == package) return s.get();
  }
  return nullptr;
}

void SubscriptionManager::Remove(const Aor& target, EventPackage package, std::function<void()> done) {
  Subscription* s = Find(target, package);
  if (!s) {
    if (done) done();
    return;
  }
  s->Stop([this, s, done = std::move(done)] {
    // Erase later: we are inside the subscription's own callback, and its
    // final NOTIFY may still come.
    core_.timers().Schedule(std::chrono::seconds(2), [this, s] {
      subs_.erase(std::remove_if(subs_.begin(), subs_.end(), [s](const auto& p) { return p.get() == s; }),
                  subs_.end());
    });
    if (done) done();
  });
}

void SubscriptionManager::OnNotify(ServerRequest& req) {
  for (auto& s : subs_) {
    if (s->Matches(*req.request)) return s->OnNotify(req);
  }
  core_.Respond(req, 481, "Subscription Does Not Exist");
}

}  // namespace parley::ua
