#include "ua/registration.h"

#include <algorithm>
#include <random>

#include "common/strings.h"

namespace parley::ua {

std::string_view RegistrationStateName(RegistrationEvent::State s) {
  switch (s) {
    case RegistrationEvent::State::kRegistered: return "registered";
    case RegistrationEvent::State::kUnregistered: return "unregistered";
    case RegistrationEvent::State::kFailed: return "failed";
    case RegistrationEvent::State::kRetrying: return "retrying";
  }
  return "unknown";
}

namespace {

// A duration scaled by a random factor in [lo, hi].
std::chrono::milliseconds Jitter(std::chrono::milliseconds d, double lo, double hi) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(lo, hi);
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(d.count()) * dist(rng)));
}

}  // namespace

Registration::Registration(Core& core, RegistrationConfig config, Listener listener)
    : core_(core),
      config_(config),
      listener_(std::move(listener)),
      call_id_(core.NewCallId()),
      from_tag_(core.NewTag()),
      expires_(config.expires) {}

Registration::~Registration() {
  CancelTimers();
  core_.Abandon(request_);
}

void Registration::CancelTimers() {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  if (keepalive_timer_) core_.timers().Cancel(keepalive_timer_);
  refresh_timer_ = keepalive_timer_ = 0;
}

std::string Registration::ContactHeader(uint32_t expires) const {
  std::string c = "<" + core_.ContactUri() + ">";
  const auto& instance = core_.config().instance_id;
  if (!instance.empty()) {
    c += ";+sip.instance=\"<" + instance + ">\"";
    if (core_.config().proxy.protocol != transport::Protocol::kUdp) c += ";reg-id=1";
  }
  c += ";expires=" + std::to_string(expires);
  return c;
}

void Registration::Start() {
  if (std::holds_alternative<Registering>(state_) || std::holds_alternative<Unregistering>(state_)) return;
  bool had_binding = std::holds_alternative<Registered>(state_) || std::holds_alternative<Retrying>(state_);
  state_ = Registering{had_binding};
  SendRegister(expires_);
}

void Registration::Stop(std::function<void(const Outcome&)> done) {
  CancelTimers();
  core_.Abandon(request_);
  request_ = 0;
  bool bound = !std::holds_alternative<Idle>(state_);
  state_ = Unregistering{};
  stop_done_ = std::move(done);
  if (!bound) {
    state_ = Idle{};
    Outcome o;
    o.status = 200;
    o.reason = "Not registered";
    if (auto d = std::move(stop_done_)) d(o);
    return;
  }
  SendRegister(0);
}

void Registration::SendRegister(uint32_t expires) {
  const Aor& aor = core_.aor();
  auto req = core_.NewRequest("REGISTER", "sip:" + aor.domain, "<" + aor.Uri() + ">", from_tag_, call_id_, ++cseq_);
  req->AddHeader(sip::HeaderId::kContact, ContactHeader(expires));
  req->AddHeader(sip::HeaderId::kExpires, std::to_string(expires));
  req->AddHeader(sip::HeaderId::kSupported, "path, outbound, gruu");
  request_ = core_.Send(std::move(req), [this](const Outcome& o, const sip::Message& resp, const sip::Message& sent) {
    request_ = 0;
    OnFinal(o, resp, sent);
  });
}

void Registration::OnFinal(const Outcome& o, const sip::Message& response, const sip::Message& sent) {
  if (const sip::CSeq* c = sent.cseq()) cseq_ = std::max(cseq_, c->number);
  if (std::holds_alternative<Unregistering>(state_)) {
    state_ = Idle{};
    RegistrationEvent e;
    e.state = RegistrationEvent::State::kUnregistered;
    e.outcome = o;
    listener_(e);
    if (auto d = std::move(stop_done_)) d(o);
    return;
  }
  bool had_binding = std::holds_alternative<Registering>(state_) && std::get<Registering>(state_).had_binding;
  if (o.status == 423) {
    // §10.2.8: retry with at least Min-Expires.
    auto min = ParseUint(TrimLws(response.Value(sip::HeaderId::kMinExpires)), UINT32_MAX);
    if (min && *min > expires_) {
      expires_ = static_cast<uint32_t>(*min);
      return SendRegister(expires_);
    }
  }
  if (!o.ok()) return OnRefused(o, had_binding);

  // The expiry the registrar granted our contact: its expires parameter,
  // else the Expires header, else what we asked for.
  RegistrationEvent e;
  e.state = RegistrationEvent::State::kRegistered;
  e.outcome = o;
  uint32_t granted = 0;
  bool found = false;
  const std::string our_contact = core_.ContactUri();
  auto ours = sip::ParseUri(our_contact);
  for (const auto& c : response.contacts()) {
    e.contacts.emplace_back(c.uri_text);
    bool same = ours.ok() && sip::UriEquivalent(c.uri, *ours);
    const auto& instance = core_.config().instance_id;
    if (!same && !instance.empty()) {
      auto inst = c.params.GetUnquoted("+sip.instance");
      same = inst && *inst == "<" + instance + ">";
    }
    if (same && !found) {
      found = true;
      if (auto ex = c.params.Get("expires")) granted = static_cast<uint32_t>(ParseUint(*ex, UINT32_MAX).value_or(0));
      // RFC 5627 §5.1: this device's own address, for others to reach it.
      if (auto g = c.params.GetUnquoted("pub-gruu")) e.gruu = std::move(*g);
    }
  }
  if (granted == 0) {
    if (auto ex = response.expires()) granted = *ex;
  }
  if (granted == 0) granted = expires_;
  if (auto ft = ParseUint(TrimLws(response.Value(sip::HeaderId::kFlowTimer)), 86400)) {
    flow_timer_ = std::chrono::seconds(*ft);
  }
  failures_ = 0;
  state_ = Registered{granted};
  e.expires = granted;
  ScheduleRefresh(granted);
  ScheduleKeepAlive();
  listener_(e);
}

void Registration::OnRefused(const Outcome& o, bool had_binding) {
  RegistrationEvent e;
  e.outcome = o;
  if (!had_binding) {
    CancelTimers();
    state_ = Idle{};
    e.state = RegistrationEvent::State::kFailed;
    listener_(e);
    return;
  }
  // RFC 5626 §4.5: wait min(max, base * 2^failures), times 50–100%.
  ++failures_;
  auto wait = config_.retry_base * (1LL << std::min(failures_ - 1, 10));
  if (wait > config_.retry_max) wait = config_.retry_max;
  auto delay = Jitter(std::chrono::duration_cast<std::chrono::milliseconds>(wait), 0.5, 1.0);
  state_ = Retrying{};
  CancelTimers();
  refresh_timer_ = core_.timers().Schedule(delay, [this] {
    refresh_timer_ = 0;
    Start();
  });
  e.state = RegistrationEvent::State::kRetrying;
  e.retry_in = std::chrono::duration_cast<std::chrono::seconds>(delay);
  listener_(e);
}

void Registration::ScheduleRefresh(uint32_t expires) {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  // Refresh at half the lifetime, or 10 minutes early for long ones.
  uint32_t after = expires > 1200 ? expires - 600 : std::max<uint32_t>(expires / 2, 1);
  refresh_timer_ = core_.timers().Schedule(std::chrono::seconds(after), [this] {
    refresh_timer_ = 0;
    Start();
  });
}

void Registration::ScheduleKeepAlive() {
  if (keepalive_timer_) return;
  bool udp = core_.config().proxy.protocol == transport::Protocol::kUdp;
  std::chrono::milliseconds period = config_.keepalive;
  if (period.count() == 0) {
    // RFC 5626 §4.4.1: 80–100% of the Flow-Timer; without one our own default.
    period = flow_timer_.count() ? Jitter(flow_timer_, 0.8, 1.0) : Jitter(std::chrono::seconds(udp ? 25 : 90), 0.8, 1.0);
  }
  keepalive_timer_ = core_.timers().Schedule(period, [this] {
    keepalive_timer_ = 0;
    SendKeepAlive();
  });
}

void Registration::SendKeepAlive() {
  if (!registered()) return;
  transport::Destination to = core_.config().proxy;
  bool udp = to.protocol == transport::Protocol::kUdp;
  if (!udp) {
    // Only the registered flow: with no address the transport will not open
    // a new connection, so a dead flow shows as an error.
    to.address = transport::SocketAddress();
    to.flow = core_.flow();
    if (to.flow == 0) return ScheduleKeepAlive();
  }
  std::weak_ptr<bool> alive = alive_;
  core_.sender().Send(to, "\r\n\r\n", [this, udp, alive](std::error_code ec) {
    if (!ec || udp || alive.expired()) return;
    if (!registered()) return;
    RegistrationEvent e;
    e.state = RegistrationEvent::State::kRetrying;
    e.note = "flow failed (" + ec.message() + "): registering again";
    listener_(e);
    CancelTimers();
    Start();
  });
  ScheduleKeepAlive();
}

}  // namespace parley::ua
