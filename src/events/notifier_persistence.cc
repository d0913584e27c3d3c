// What of a subscription survives a restart: its store record (ToRecord,
// Persist, StoreSubscriptions) and how it comes back (Restore).

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/log.h"
#include "events/notifier.h"
#include "registrar/location_table.h"

namespace parley::events {

namespace {

std::string JoinLines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back('\n');
    out.append(s);
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    if (nl > start) out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// "max-rate=…;min-rate=…": the rates a subscription asked for, as stored
// (followed by "deflate=1" when it accepts deflated bodies, "partial=1"
// when it asked for partial state).
std::string RateOptions(const RateControl& r) {
  std::string out;
  auto add = [&out](const char* name, double v) {
    if (!(v > 0)) return;
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%s%s=%g", out.empty() ? "" : ";", name, v);
    out += buf;
  };
  add("max-rate", r.max_rate);
  add("min-rate", r.min_rate);
  add("adaptive-min-rate", r.adaptive_min_rate);
  return out;
}

RateControl ParseRateOptions(std::string_view s) {
  RateControl r;
  while (!s.empty()) {
    size_t semi = s.find(';');
    std::string_view item = s.substr(0, semi);
    s = semi == std::string_view::npos ? std::string_view() : s.substr(semi + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    double v = std::strtod(std::string(item.substr(eq + 1)).c_str(), nullptr);
    if (!(v > 0) || !std::isfinite(v)) continue;
    std::string_view name = item.substr(0, eq);
    if (name == "max-rate") r.max_rate = v;
    if (name == "min-rate") r.min_rate = v;
    if (name == "adaptive-min-rate") r.adaptive_min_rate = v;
  }
  return r;
}

}  // namespace

store::SubscriptionRecord Notifier::ToRecord(const Subscription& s) {
  store::SubscriptionRecord r;
  r.id = static_cast<int64_t>(s.id);
  r.package = s.package->name();
  r.event_id = s.event_id();
  r.resource = s.resource();
  r.subscriber = s.subscriber();
  r.state = s.state == SubState::kPending ? "pending" : "active";
  r.expires_at = s.expires_at;
  r.call_id = s.call_id();
  r.local_tag = s.local_tag();
  r.remote_tag = s.remote_tag();
  r.local_uri = s.local_uri();
  r.remote_party = s.remote_party();
  r.remote_target = s.remote_target();
  r.route = JoinLines(s.route);
  r.local_cseq = s.local_cseq;
  r.remote_cseq = s.remote_cseq;
  transport::Source src;
  src.protocol = s.destination.protocol;
  src.remote = s.destination.address;
  r.destination = registrar::SourceString(src);
  r.version = s.version;
  r.options = RateOptions(s.rate);
  if (s.deflate) r.options += r.options.empty() ? "deflate=1" : ";deflate=1";
  if (s.partial) r.options += r.options.empty() ? "partial=1" : ";partial=1";
  r.updated_at = UnixNow();
  r.package_state = s.package->SavedState(s);
  return r;
}

void Notifier::Persist(Subscription& s, std::function<void(bool)> done) {
  if (!persistence_ || s.expires_at == 0) {
    if (done) done(true);
    return;
  }
  persistence_->Save(shard_, ToRecord(s), std::move(done));
}

void Notifier::Restore(const store::SubscriptionRecord& rec, EventPackage* package, int64_t now) {
  if (rec.expires_at <= now || rec.id <= 0 || subs_.count(static_cast<uint64_t>(rec.id))) return;
  auto dest = registrar::DestinationFromSource(rec.destination);
  if (!dest) return;
  if (!rec.package_state.empty()) package->RestoreState(rec.resource, rec.subscriber, rec.package_state);
  Subscription* s = &subs_.try_emplace(static_cast<uint64_t>(rec.id)).first->second;
  s->id = static_cast<uint64_t>(rec.id);
  s->package = package;
  s->state = rec.state == "pending" ? SubState::kPending : SubState::kActive;
  s->expires_at = rec.expires_at;
  s->created_at = rec.updated_at;
  s->version = static_cast<uint32_t>(std::min<int64_t>(rec.version + config_.restore_gap, INT32_MAX));
  s->rate = ParseRateOptions(rec.options);
  s->deflate = rec.options.find("deflate=1") != std::string::npos;
  s->partial = rec.options.find("partial=1") != std::string::npos;
  s->text = PackedStrings({rec.event_id, rec.resource, rec.subscriber, rec.call_id, rec.local_tag, rec.remote_tag,
                           rec.local_uri, rec.remote_party, rec.remote_target});
  s->route = SplitLines(rec.route);
  s->local_cseq = static_cast<uint32_t>(std::min<int64_t>(rec.local_cseq + config_.restore_gap, INT32_MAX / 2));
  s->remote_cseq = static_cast<uint32_t>(rec.remote_cseq);
  s->destination = *dest;
  s->gruu_target = s->route.empty() && IsOurGruu(s->remote_target());
  s->confirmed = true;
  Subscription& sub = *s;
  uint64_t id = sub.id;
  AddToIndex(sub);
  ++stats_.subscriptions_restored;
  Arm(sub, now);
  ArmHeartbeat(sub);
  // The state may have changed while we were down: authorize again and
  // send the current state (which also finds dialogs the watcher forgot).
  package->Authorize(std::string(sub.subscriber()), std::string(sub.resource()), [this, id](Grant g) {
    auto it = subs_.find(id);
    if (it == subs_.end()) return;
    Subscription& restored = it->second;
    if (g.state == Authorization::kReject) {
      if (persistence_) persistence_->Remove(static_cast<int64_t>(id));
      Terminate(restored, "rejected");
      return;
    }
    restored.state = g.state == Authorization::kPending ? SubState::kPending : SubState::kActive;
    restored.polite = g.state == Authorization::kPolite;
    restored.view = g.view;
    SendFull(restored);
  });
}

void StoreSubscriptions::Save(size_t shard, store::SubscriptionRecord rec, std::function<void(bool)> done) {
  // Nobody waits for a save without `done`: it rides with the next group.
  const bool behind = !done;
  auto write = [this, shard, rec = std::move(rec), done = std::move(done)](store::Store& s) -> store::StoreExecutor::Completion {
    auto r = s.UpsertSubscription(rec);
    if (!r.ok()) PLOG_WARN("subscription_save_failed", {{"id", rec.id}, {"error", r.error().message}});
    if (!done) return {};
    return [this, shard, done](const Result<void>& committed) {
      bool ok = committed.ok();
      router_.Post(shard, [done, ok] { done(ok); });
    };
  };
  if (behind) {
    store_.WriteBehind(std::move(write));
  } else {
    store_.Write(std::move(write), store::Durability::kCommit);
  }
}

// A removal lost to a crash costs one NOTIFY, answered 481 (which ends the
// restored subscription): it need not cost a commit of its own.
void StoreSubscriptions::Remove(int64_t id) {
  store_.WriteBehind([id](store::Store& s) -> store::StoreExecutor::Completion {
    (void)s.DeleteSubscription(id);
    return {};
  });
}

}  // namespace parley::events
