#include "events/notifier.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "common/lru_trim.h"
#include "common/strings.h"
#include "proxy/branch.h"
#include "proxy/router.h"
#include "registrar/location_table.h"
#include "sip/response.h"

namespace parley::events {

namespace {

// A SUBSCRIBE answered with an error (no dialog, nothing to send after).
SubscribeAnswer Refusal(int status, std::string reason, std::string local_tag = {}) {
  SubscribeAnswer a;
  a.status = status;
  a.local_tag = std::move(local_tag);
  a.reason = std::move(reason);
  return a;
}

}  // namespace

// One change being sent to many subscriptions, a batch per loop turn.
struct Notifier::Fanout {
  std::vector<uint64_t> ids;
  size_t next = 0;
  BodyFn body;
};

PackedStrings::PackedStrings(const std::array<std::string_view, kCount>& parts) {
  size_t total = 0;
  for (auto p : parts) total += p.size();
  data_ = std::make_unique_for_overwrite<char[]>(total == 0 ? 1 : total);
  uint32_t at = 0;
  for (size_t i = 0; i < kCount; ++i) {
    if (!parts[i].empty()) std::memcpy(data_.get() + at, parts[i].data(), parts[i].size());
    at += static_cast<uint32_t>(parts[i].size());
    end_[i] = at;
  }
}

Notifier::Notifier(size_t shard, proxy::ProcessorHost& host, proxy::ShardRouter& router,
                   const NotifierConfig& config, SubscriptionPersistence* persistence)
    : shard_(shard), host_(host), router_(router), config_(config), persistence_(persistence),
      rng_(std::random_device{}()) {}

Notifier::~Notifier() {
  host_.timers().Cancel(expiry_timer_);
  subs_.ForEach([this](auto& e) {
    host_.timers().Cancel(e.second.pace);
    host_.timers().Cancel(e.second.heartbeat);
  });
}

int64_t Notifier::SteadyMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(host_.timers().Now().time_since_epoch()).count();
}

uint64_t Notifier::NewId() {
  // Random 62-bit ids: unique across restarts and across nodes sharing a
  // store, and positive as a BIGINT.
  uint64_t id;
  do {
    id = rng_() >> 2;
  } while (id == 0 || subs_.count(id));
  return id;
}

void Notifier::Emit(const Subscription& s, WatcherChange c) {
  for (const auto& o : observers_) o(s, c);
}

void Notifier::Subscribe(SubscribeRequest req, std::function<void(SubscribeAnswer)> done) {
  EventPackage* pkg = req.package;
  std::string subscriber = req.subscriber, resource = req.resource;
  pkg->Authorize(subscriber, resource, [this, req = std::move(req), done = std::move(done)](Grant g) mutable {
    Admit(std::move(req), g, std::move(done));
  });
}

void Notifier::Admit(SubscribeRequest req, Grant g, std::function<void(SubscribeAnswer)> done) {
  if (g.state == Authorization::kReject) {
    done(Refusal(403, "Forbidden", sip::RandomToken(8)));
    return;
  }
  // A new dialog from the same watcher and contact replaces its older
  // subscriptions to the same resource and package (a client that lost
  // its dialog and subscribed again), instead of piling up.
  if (req.expires > 0) {
    std::vector<uint64_t> stale;
    for (auto it = First(req.resource, req.package, req.subscriber);
         it != by_resource_.end() && (*it)->resource() == req.resource && (*it)->package == req.package &&
         (*it)->subscriber() == req.subscriber;
         ++it) {
      const Subscription& o = **it;
      if (o.remote_target() == req.remote_target && o.event_id() == req.event_id &&
          o.call_id() != req.call_id && o.terminate_reason.empty()) {
        stale.push_back(o.id);
      }
    }
    for (uint64_t id : stale) {
      Subscription& o = subs_.at(id);
      o.terminate_reason = "deactivated";
      Emit(o, WatcherChange::kTerminated);
      if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
      ++stats_.subscriptions_replaced;
      Remove(id);
    }
  }
  uint64_t new_id = NewId();
  // Held in the map's node: it never moves (the index points at it).
  Subscription* s = &subs_.try_emplace(new_id).first->second;
  s->id = new_id;
  s->package = req.package;
  s->state = g.state == Authorization::kPending ? SubState::kPending : SubState::kActive;
  s->polite = g.state == Authorization::kPolite;
  s->view = g.view;
  s->rate = req.rate;
  s->text = PackedStrings({req.event_id, req.resource, req.subscriber, req.call_id, sip::RandomToken(8), req.remote_tag,
                           req.local_uri, req.remote_party, req.remote_target});
  s->route = std::move(req.route);
  s->remote_cseq = req.remote_cseq;
  s->destination = req.destination;
  s->gruu_target = s->route.empty() && IsOurGruu(s->remote_target());
  s->deflate = req.accepts_deflate;
  s->partial = req.accepts_partial;
  s->expires_at = req.expires == 0 ? 0 : req.now + req.expires;
  s->created_at = req.now;
  Subscription& sub = *s;
  AddToIndex(sub);
  ++stats_.subscriptions_created;
  SubscribeAnswer ans{sub.state == SubState::kPending ? 202 : 200, req.expires, std::string(sub.local_tag()),
                      ContactFor(sub, sub.destination), {}, {}, std::string(req.package->require())};
  if (req.expires == 0) {
    sub.terminate_reason = "timeout";  // a fetch: one NOTIFY, then gone
    Confirm(sub, ans, std::move(done));
    return;
  }
  Arm(sub, req.now);
  Emit(sub, WatcherChange::kCreated);
  uint64_t id = sub.id;
  Persist(sub, [this, id, ans, done = std::move(done)](bool ok) mutable {
    auto it = subs_.find(id);
    if (it == subs_.end()) {
      done(Refusal(500, "Subscription Ended", ans.local_tag));
      return;
    }
    if (!ok) {
      it->second.terminate_reason = "deactivated";
      Emit(it->second, WatcherChange::kTerminated);
      Remove(id);
      done(Refusal(500, "Store Unavailable", ans.local_tag));
      return;
    }
    Confirm(it->second, ans, std::move(done));
  });
}

void Notifier::Confirm(Subscription& s, const SubscribeAnswer& ans, std::function<void(SubscribeAnswer)> done) {
  s.confirmed = true;
  ArmHeartbeat(s);
  // RFC 6665 §4.2.1.2: every accepted SUBSCRIBE is followed by a NOTIFY.
  SubscribeAnswer a = ans;
  a.answered = AfterAnswer(s.id, [this](Subscription& sub) { SendFull(sub); });
  done(std::move(a));
}

std::function<void()> Notifier::AfterAnswer(uint64_t id, std::function<void(Subscription&)> then) {
  return [this, id, then = std::move(then)] {
    router_.Post(shard_, [this, id, then] {
      auto it = subs_.find(id);
      if (it != subs_.end()) then(it->second);
    });
  };
}

void Notifier::Refresh(uint64_t id, const std::string& call_id, const std::string& remote_tag, uint32_t cseq,
                       uint32_t expires, int64_t now, std::function<void(SubscribeAnswer)> done) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.call_id() != call_id || it->second.remote_tag() != remote_tag ||
      !it->second.terminate_reason.empty()) {
    done(Refusal(481, "Subscription Does Not Exist"));
    return;
  }
  Subscription& s = it->second;
  s.remote_cseq = std::max(s.remote_cseq, cseq);
  SubscribeAnswer ans{s.state == SubState::kPending ? 202 : 200, expires, std::string(s.local_tag()),
                      ContactFor(s, s.destination), {}, {}, std::string(s.package->require())};
  if (expires == 0) {
    Disarm(s);
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    SubscribeAnswer a = ans;
    a.answered = AfterAnswer(id, [this](Subscription& sub) { Terminate(sub, "timeout"); });
    done(std::move(a));
    return;
  }
  int64_t old_expiry = s.expires_at;
  s.expires_at = now + expires;
  Persist(s, [this, id, ans, old_expiry, now, done = std::move(done)](bool ok) {
    auto found = subs_.find(id);
    if (found == subs_.end() || !found->second.terminate_reason.empty()) {
      done(Refusal(481, "Subscription Does Not Exist"));
      return;
    }
    Subscription& sub = found->second;
    if (!ok) {
      sub.expires_at = old_expiry;  // the stored expiry stands
      Arm(sub, now);
      done(Refusal(500, "Store Unavailable"));
      return;
    }
    Arm(sub, now);
    SubscribeAnswer a = ans;
    a.answered = AfterAnswer(id, [this](Subscription& answered) { SendFull(answered); });
    done(std::move(a));
  });
}

void Notifier::Arm(Subscription& s, int64_t now) {
  s.expiry_at = host_.timers().Now() + std::chrono::seconds(std::max<int64_t>(s.expires_at - now, 0));
  expiries_.push_back({s.expiry_at, s.id});
  std::push_heap(expiries_.begin(), expiries_.end(), std::greater<>{});
  // Refreshes leave stale entries behind: drop them once they dominate.
  if (expiries_.size() > 64 && expiries_.size() > 2 * subs_.size()) {
    std::erase_if(expiries_, [this](const Expiry& e) {
      auto it = subs_.find(e.id);
      return it == subs_.end() || it->second.expiry_at != e.at;
    });
    std::make_heap(expiries_.begin(), expiries_.end(), std::greater<>{});
  }
  ArmExpiryTimer();
}

void Notifier::ArmExpiryTimer() {
  if (expiries_.empty()) return;
  Clock::time_point next = expiries_.front().at;
  if (expiry_timer_ != 0 && expiry_timer_at_ <= next) return;
  host_.timers().Cancel(expiry_timer_);
  expiry_timer_at_ = next;
  expiry_timer_ = host_.timers().Schedule(std::max(next - host_.timers().Now(), Clock::duration::zero()), [this] {
    expiry_timer_ = 0;
    OnExpiryTimer();
  });
}

void Notifier::OnExpiryTimer() {
  Clock::time_point now = host_.timers().Now();
  while (!expiries_.empty() && expiries_.front().at <= now) {
    Expiry e = expiries_.front();
    std::pop_heap(expiries_.begin(), expiries_.end(), std::greater<>{});
    expiries_.pop_back();
    auto it = subs_.find(e.id);
    if (it == subs_.end() || it->second.expiry_at != e.at) continue;  // refreshed, ended or gone
    Disarm(it->second);
    if (persistence_) persistence_->Remove(static_cast<int64_t>(e.id));
    Terminate(it->second, "timeout");
  }
  ArmExpiryTimer();
}

uint32_t Notifier::MinIntervalMs(const Subscription& s) const {
  uint32_t ms = config_.min_notify_interval_ms;
  double max_rate = s.rate.max_rate;
  if (config_.max_rate_cap > 0 && (max_rate == 0 || max_rate > config_.max_rate_cap)) max_rate = config_.max_rate_cap;
  if (max_rate > 0) ms = std::max<uint32_t>(ms, static_cast<uint32_t>(std::min(1000.0 / max_rate, 86400000.0)));
  return ms;
}

void Notifier::ArmHeartbeat(Subscription& s) {
  host_.timers().Cancel(s.heartbeat);
  s.heartbeat = 0;
  double rate = s.rate.min_rate;
  if (s.rate.adaptive_min_rate > 0) {
    // Adaptive: the more subscriptions this shard serves, the longer the
    // silence allowed, so the background load stays bounded.
    double load = std::max(1.0, static_cast<double>(subs_.size()) / 1000.0);
    double adaptive = s.rate.adaptive_min_rate / load;
    rate = rate > 0 ? std::max(rate, adaptive) : adaptive;
  }
  if (rate <= 0 || !s.terminate_reason.empty()) return;
  auto ms = static_cast<int64_t>(std::min(1000.0 / rate, 86400000.0));
  uint64_t id = s.id;
  s.heartbeat = host_.timers().Schedule(std::chrono::milliseconds(std::max<int64_t>(ms, 1)), [this, id] {
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    it->second.heartbeat = 0;
    Kick(it->second, nullptr);
    it = subs_.find(id);  // a failed send removes it
    if (it != subs_.end()) ArmHeartbeat(it->second);
  });
}

void Notifier::Kick(Subscription& s, const BodyFn* body) {
  if (!s.confirmed) return;  // its first NOTIFY follows the 2xx
  if (s.notify_in_flight || s.pace != 0) {
    s.notify_pending = true;
    ++stats_.notifies_coalesced;
    return;
  }
  uint32_t interval = s.terminate_reason.empty() ? MinIntervalMs(s) : 0;
  int64_t now = SteadyMs();
  if (interval > 0 && s.last_notify_ms != 0 && now - s.last_notify_ms < interval) {
    s.notify_pending = true;
    ++stats_.notifies_coalesced;
    uint64_t id = s.id;
    s.pace = host_.timers().Schedule(std::chrono::milliseconds(s.last_notify_ms + interval - now), [this, id] {
      auto it = subs_.find(id);
      if (it == subs_.end()) return;
      Subscription& paced = it->second;
      paced.pace = 0;
      if (paced.notify_pending && !paced.notify_in_flight) SendFull(paced);
    });
    return;
  }
  bool withhold = s.state == SubState::kPending || s.terminate_reason == "rejected";
  if (body && !withhold) {
    SendNotify(s, (*body)(s));
  } else {
    SendNotify(s, withhold ? std::string() : s.package->FullState(s));
  }
}

void Notifier::SendFull(Subscription& s) {
  if (!s.terminate_reason.empty()) {
    // The final NOTIFY goes out as soon as nothing is in flight, whatever
    // the rate limit.
    host_.timers().Cancel(s.pace);
    s.pace = 0;
  }
  Kick(s, nullptr);
}

void Notifier::Changed(const std::string& resource, std::string_view package, BodyFn body,
                       std::string_view subscriber) {
  auto f = std::make_shared<Fanout>();
  ForEachSubscriptionOf(resource, package, [&](const Subscription& s) {
    if (s.state != SubState::kActive || s.polite || !s.terminate_reason.empty()) return;
    if (!subscriber.empty() && s.subscriber() != subscriber) return;
    f->ids.push_back(s.id);
  });
  if (f->ids.empty()) return;
  f->body = std::move(body);
  RunFanout(std::move(f));
}

void Notifier::RunFanout(std::shared_ptr<Fanout> f) {
  size_t end = std::min(f->ids.size(), f->next + std::max<size_t>(config_.fanout_batch, 1));
  for (; f->next < end; ++f->next) {
    auto it = subs_.find(f->ids[f->next]);
    if (it == subs_.end() || !it->second.terminate_reason.empty()) continue;
    Kick(it->second, &f->body);
  }
  if (f->next < f->ids.size()) router_.Post(shard_, [this, f] { RunFanout(f); });
}

void Notifier::Terminate(Subscription& s, const std::string& reason) {
  if (!s.terminate_reason.empty()) return;
  s.terminate_reason = reason;
  Disarm(s);
  host_.timers().Cancel(s.heartbeat);
  s.heartbeat = 0;
  Emit(s, WatcherChange::kTerminated);
  SendFull(s);
}

void Notifier::TerminateAll(const std::string& resource, std::string_view package, const std::string& reason,
                            std::string_view subscriber) {
  std::vector<uint64_t> ids;
  ForEachSubscriptionOf(resource, package, [&](const Subscription& s) {
    if (subscriber.empty() || s.subscriber() == subscriber) ids.push_back(s.id);
  });
  for (uint64_t id : ids) {
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    Terminate(it->second, reason);
  }
}

void Notifier::EndSubscriptionsOf(const std::string& aor) {
  std::vector<std::pair<uint64_t, const char*>> ends;
  subs_.ForEach([&](const auto& e) {
    const Subscription& s = e.second;
    if (s.resource() == aor) {
      ends.emplace_back(s.id, "noresource");
    } else if (s.subscriber() == aor) {
      ends.emplace_back(s.id, "rejected");
    }
  });
  for (const auto& [id, reason] : ends) {
    auto it = subs_.find(id);
    if (it == subs_.end()) continue;
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    Terminate(it->second, reason);
  }
}

void Notifier::Decide(uint64_t id, bool allow) {
  auto it = subs_.find(id);
  if (it == subs_.end() || it->second.state != SubState::kPending) return;
  Apply(id, Grant{allow ? Authorization::kActive : Authorization::kReject, it->second.view});
}

void Notifier::Apply(uint64_t id, Grant g) {
  auto it = subs_.find(id);
  if (it == subs_.end() || !it->second.terminate_reason.empty()) return;
  Subscription& s = it->second;
  if (g.state == Authorization::kReject) {
    if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
    Terminate(s, "rejected");
    return;
  }
  SubState state = g.state == Authorization::kPending ? SubState::kPending : SubState::kActive;
  bool polite = g.state == Authorization::kPolite;
  if (state == s.state && polite == s.polite && g.view == s.view) return;
  bool state_changed = state != s.state;
  if (state_changed && state == SubState::kActive) s.approved = true;
  s.state = state;
  s.polite = polite;
  s.view = g.view;
  if (state_changed) {
    Emit(s, WatcherChange::kStateChanged);
    Persist(s);
  }
  SendFull(s);
}

uint64_t Notifier::FindDialog(const std::string& resource, const std::string& call_id, const std::string& local_tag,
                              const std::string& remote_tag) const {
  for (auto it = First(resource); it != by_resource_.end() && (*it)->resource() == resource; ++it) {
    const Subscription& s = **it;
    if (s.call_id() == call_id && s.local_tag() == local_tag && s.remote_tag() == remote_tag) return s.id;
  }
  return 0;
}

void Notifier::Reauthorize(const std::string& resource, std::string_view package) {
  std::vector<uint64_t> ids;
  ForEachOf(resource, package, [&](uint64_t id) { ids.push_back(id); });
  for (uint64_t id : ids) {
    Subscription& s = subs_.at(id);
    s.package->Authorize(std::string(s.subscriber()), std::string(s.resource()), [this, id](Grant g) { Apply(id, g); });
  }
}

std::vector<const Subscription*> Notifier::Find(const std::string& resource, std::string_view package) const {
  std::vector<const Subscription*> out;
  ForEachOf(resource, package, [&](uint64_t id) {
    auto s = subs_.find(id);
    if (s != subs_.end()) out.push_back(&s->second);
  });
  return out;
}

bool Notifier::Has(const std::string& resource, std::string_view package) const {
  for (const auto& [name, p] : packages_) {
    if (name != package) continue;
    auto it = First(resource, p);
    if (it != by_resource_.end() && (*it)->resource() == resource && (*it)->package == p) return true;
  }
  return false;
}

void Notifier::AddToIndex(const Subscription& s) {
  bool known = std::any_of(packages_.begin(), packages_.end(), [&](const auto& e) { return e.second == s.package; });
  if (!known) packages_.emplace_back(s.package->name(), s.package);
  by_resource_.insert(&s);
}

std::vector<std::string> Notifier::Resources(std::string_view package) const {
  std::vector<std::string> out;
  for (auto it = by_resource_.begin(); it != by_resource_.end();) {
    std::string_view resource = (*it)->resource();
    bool found = false;
    for (; it != by_resource_.end() && (*it)->resource() == resource; ++it) {
      if (!found && (*it)->package->name() == package) {
        out.emplace_back(resource);
        found = true;
      }
    }
  }
  return out;
}

const Subscription* Notifier::Get(uint64_t id) const {
  auto it = subs_.find(id);
  return it == subs_.end() ? nullptr : &it->second;
}

void Notifier::Remove(uint64_t id) {
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  host_.timers().Cancel(it->second.pace);
  host_.timers().Cancel(it->second.heartbeat);
  if (it->second.notify_over_tcp) tcp_bodies_.erase(id);
  by_resource_.erase(&it->second);
  subs_.erase(it);
  ++stats_.subscriptions_terminated;
}

}  // namespace parley::events
