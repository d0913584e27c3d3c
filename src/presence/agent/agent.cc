#include "presence/agent/agent.h"

#include <chrono>
#include <cstdint>

#include "common/log.h"
#include "common/strings.h"
#include "presence/doc/pidf_diff.h"
#include "sip/response.h"

namespace parley::presence {

namespace {

std::string EntityOf(const std::string& aor) { return "sip:" + aor; }

}  // namespace

PresenceAgent::PresenceAgent(const AgentConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router,
                             registrar::Registrar& registrar, proxy::Sharded<events::Notifier>& notifiers,
                             const std::vector<TimerService*>& timers)
    : config_(config), store_(store), router_(router), registrar_(registrar), notifiers_(notifiers),
      timers_(timers), shards_(router),
      authorizer_(std::make_unique<Authorizer>(config.authorization, store, router)) {
  for (size_t i = 0; i < router.count(); ++i) shards_.Add(std::make_unique<Shard>(config.max_publications));
  authorizer_->SetSphereSource([this](const std::string& aor) -> std::string {
    size_t shard = router_.ShardOf(aor);
    const PresenceDoc& doc = ComposedOf(shard, aor);
    if (!doc.person || !doc.person->sphere) return {};
    const RpidValues& sphere = *doc.person->sphere;
    return !sphere.values.empty() ? sphere.values.front() : sphere.text;
  });
}

PresenceAgent::~PresenceAgent() = default;

std::vector<RegisteredContact> PresenceAgent::Registrations(size_t shard, const std::string& aor) {
  std::vector<RegisteredContact> out;
  for (const auto& b : registrar_.TableOf(shard).Bindings(aor)) {
    RegisteredContact c;
    c.uri = b.contact_uri;
    if (b.q >= 0) c.q = static_cast<uint16_t>(b.q * 1000 + 0.5);
    out.push_back(std::move(c));
  }
  return out;
}

// ---- authorization and state ----------------------------------------------

void PresenceAgent::Authorize(const std::string& subscriber, const std::string& resource,
                              std::function<void(events::Grant)> done) {
  authorizer_->Decide(subscriber, resource, std::move(done));
}

std::string PresenceAgent::FullState(events::Subscription& sub) {
  std::string body = Body(std::string(sub.resource()), sub.view, sub.polite);
  if (!sub.partial) return body;
  // RFC 5263: full state first, and whenever the notifier sends full
  // state (a refresh, a coalesced change, a restart).
  std::string full = PidfFullOf(body, sub.version++);
  sub.partial_base = std::make_unique<std::string>(std::move(body));
  ++shards_.At(router_.ShardOf(std::string(sub.resource()))).stats.notifies_full;
  return full;
}

std::string PresenceAgent::ChangedState(events::Subscription& sub) {
  if (!sub.partial || !sub.partial_base) return FullState(sub);
  std::string body = Body(std::string(sub.resource()), sub.view, sub.polite);
  auto diff = MakePidfDiff(*sub.partial_base, body, sub.version);
  if (!diff) return FullState(sub);
  ++sub.version;
  *sub.partial_base = std::move(body);
  ++shards_.At(router_.ShardOf(std::string(sub.resource()))).stats.notifies_diff;
  return std::move(*diff);
}

std::string_view PresenceAgent::ContentTypeOf(std::string_view body, std::string& scratch) const {
  (void)scratch;
  // Our partial documents' roots are "<prefix:pidf-full " / "<prefix:pidf-diff ".
  size_t open = body.find('<', body.starts_with("<?xml") ? body.find("?>") : 0);
  size_t end = body.find(' ', open);
  if (open != std::string_view::npos && end != std::string_view::npos) {
    std::string_view name = body.substr(open + 1, end - open - 1);
    if (name.ends_with(":pidf-full") || name.ends_with(":pidf-diff")) return partial_type();
  }
  return content_type();
}

void PresenceAgent::ViewFor(const std::string& subscriber, const std::string& aor,
                            std::function<void(events::Grant, std::string)> done) {
  authorizer_->Decide(subscriber, aor, [this, aor, done = std::move(done)](events::Grant g) {
    bool sees = g.state == events::Authorization::kActive || g.state == events::Authorization::kPolite;
    done(g, sees ? Body(aor, g.view, g.state == events::Authorization::kPolite) : std::string());
  });
}

std::string PresenceAgent::Body(const std::string& resource, uint32_t view, bool polite) {
  size_t shard = router_.ShardOf(resource);
  if (polite) return SerializePidf(PoliteBlock(EntityOf(resource)));  // polite-block and invisible
  PresentityTable& table = shards_.At(shard).table;
  // The body of this view, if a watcher with the same view got it since the
  // last change (bodies go whenever the composition does): the fan-out of
  // a change composes and serializes once per view, not once per watcher.
  if (Presentity* known = table.Find(resource)) {
    auto cached = known->bodies.find(view);
    if (cached != known->bodies.end()) return cached->second;
  }
  const PresenceDoc& doc = ComposedOf(shard, resource);
  Presentity* p = table.Find(resource);
  std::string body = view == 0 ? SerializePidf(doc) : SerializePidf(authorizer_->Apply(shard, view, doc));
  if (p->pubs.empty()) {
    // Nothing published (offline, or registrations only): most watched
    // presentities. With one watcher nothing is kept (it is composed again
    // at its next change); with more, only the body, for the fan-out.
    if (notifiers_.At(shard).AtMostOneWatcher(resource)) {
      table.Invalidate(resource);
      return body;
    }
    p->composed.reset();
  }
  p->bodies.emplace(view, body);
  return body;
}

void PresenceAgent::Notify(const std::string& aor) {
  for (const auto& l : change_listeners_) l(aor);
  events::Notifier& n = notifiers_.At(router_.ShardOf(aor));
  if (!n.Watched(aor)) return;
  n.Changed(aor, "presence", [this](events::Subscription& s) { return ChangedState(s); });
}

void PresenceAgent::OnRegistration(const std::string& aor) {
  Shard& sh = shards_.At(router_.ShardOf(aor));
  if (sh.table.HasPublishedTuples(aor)) return;  // published tuples hide the bindings
  sh.table.Invalidate(aor);
  Notify(aor);
}

void PresenceAgent::OnCallStateChanged(const std::string& aor) {
  shards_.At(router_.ShardOf(aor)).table.Invalidate(aor);
  Notify(aor);
}

const PresenceDoc& PresenceAgent::ComposedOf(size_t shard, const std::string& aor) {
  return shards_.At(shard).table.Composed(aor, EntityOf(aor), Registrations(shard, aor), UnixNow(),
                                          in_call_ && in_call_(aor));
}

void PresenceAgent::OnUserDeleted(const std::string& aor) {
  const size_t shard = router_.ShardOf(aor);
  for (TimerId t : shards_.At(shard).table.RemoveAll(aor)) timers_[shard]->Cancel(t);
  authorizer_->Invalidate(aor);
  Notify(aor);  // lists showing the user see it closed
  for (const auto& l : user_rules_listeners_) l(aor);  // its rules went with it
}

void PresenceAgent::OnHardStateChanged(const std::string& aor) {
  store_.Read([this, aor](store::Store& s) {
    auto doc = s.GetXcapDocument(std::string(kPidfManipulationAuid), aor, std::string(kPidfManipulationDocument));
    if (!doc.ok()) {
      PLOG_WARN("hard_state_unreadable", {{"aor", aor}, {"error", doc.error().message}});
      return;
    }
    std::optional<std::string> content;
    if (doc->has_value()) content = std::move((*doc)->content);
    router_.Post(router_.ShardOf(aor), [this, aor, content = std::move(content)] {
      SetHardState(aor, content);
      Notify(aor);
    });
  });
}

void PresenceAgent::SetHardState(const std::string& aor, const std::optional<std::string>& content) {
  std::optional<PresenceDoc> doc;
  if (content) {
    auto parsed = ParsePidf(*content, EntityOf(aor), config_.limits);
    if (parsed.ok()) {
      doc = std::move(*parsed);
    } else {  // written by other means than the XCAP server, which validates
      PLOG_WARN("hard_state_unreadable", {{"aor", aor}, {"error", parsed.error().message}});
    }
  }
  shards_.At(router_.ShardOf(aor)).table.SetHardState(aor, std::move(doc));
}

void PresenceAgent::OnRulesChanged(const std::string& aor) {
  // Every subscription is decided again on the new rules (loaded once);
  // those whose state or view changed get a NOTIFY.
  authorizer_->Invalidate(aor);
  for (const std::string& package : authorized_packages_) notifiers_.At(router_.ShardOf(aor)).Reauthorize(aor, package);
  for (const auto& l : change_listeners_) l(aor);
  for (const auto& l : user_rules_listeners_) l(aor);
}

void PresenceAgent::OnDomainChanged(size_t shard, const std::string& domain) {
  authorizer_->InvalidateDomain(shard, domain);
  events::Notifier& n = notifiers_.At(shard);
  for (const std::string& package : authorized_packages_) {
    for (const std::string& aor : n.Resources(package)) {
      size_t at = aor.find('@');
      if (at != std::string::npos && IEquals(std::string_view(aor).substr(at + 1), domain)) n.Reauthorize(aor, package);
    }
  }
  for (const auto& l : rules_listeners_) l(shard, domain);
}

void PresenceAgent::OnShardRulesChanged(size_t shard) {
  authorizer_->InvalidateShard(shard);
  events::Notifier& n = notifiers_.At(shard);
  for (const std::string& package : authorized_packages_) {
    for (const std::string& aor : n.Resources(package)) n.Reauthorize(aor, package);
  }
  for (const auto& l : rules_listeners_) l(shard, "");
}

// ---- PUBLISH ---------------------------------------------------------------

void PresenceAgent::ArmExpiry(size_t shard, const std::string& aor, LivePublication& pub, int64_t now) {
  TimerService& t = *timers_[shard];
  t.Cancel(pub.timer);
  std::string etag = pub.etag;
  pub.timer = t.Schedule(std::chrono::seconds(std::max<int64_t>(pub.expires_at - now, 0)), [this, shard, aor, etag] {
    Shard& sh = shards_.At(shard);
    if (!sh.table.Expire(aor, etag)) return;
    ++sh.stats.publications_expired;
    // Expired either way: a restart drops it again (LoadFromStore skips
    // expired publications), so the delete need not force a commit.
    store_.WriteBehind([etag](store::Store& s) -> store::StoreExecutor::Completion {
      (void)s.DeletePublication(etag);
      return {};
    });
    Notify(aor);
  });
}

void PresenceAgent::Publish(PublishOp op, std::function<void(PublishResult)> done) {
  size_t shard = router_.ShardOf(op.aor);
  Shard& sh = shards_.At(shard);
  if (!op.diff.empty()) {
    // RFC 5264: the patch applies to the document the publication holds
    // (without one, the table answers 412 below).
    if (const LivePublication* old = sh.table.FindPublication(op.aor, op.if_match)) {
      if (old->version && op.version && *op.version != *old->version + 1) {
        // A version skipped: the publisher counts a document we never
        // applied, so its state and ours differ. The publication goes and
        // the 412 makes the publisher start again with full state.
        PLOG_INFO("partial_publication_out_of_sequence",
                  {{"aor", op.aor}, {"held", *old->version}, {"received", *op.version}});
        ++sh.stats.publications_rejected;
        PublishOp removal;
        removal.aor = op.aor;
        removal.if_match = op.if_match;
        removal.now = op.now;
        removal.now_ms = op.now_ms;
        Publish(std::move(removal), [done = std::move(done)](const PublishResult&) {
          done({412, "Partial Publication Out Of Sequence", {}, 0, {}, false});
        });
        return;
      }
      auto text = ApplyPidfDiff(old->body, op.diff, config_.limits);
      Result<PresenceDoc> doc = text.ok() ? ParsePidf(*text, EntityOf(op.aor), config_.limits)
                                          : Result<PresenceDoc>(text.error());
      if (!doc.ok()) {  // the publication stays as it was, under its entity-tag
        ++sh.stats.publications_rejected;
        done({doc.error().code, doc.error().message, {}, 0, {}, false});
        return;
      }
      op.doc = std::move(*doc);
      op.body = std::move(*text);
      ++sh.stats.publications_patched;
    }
  }
  std::string etag = sip::RandomToken(10);
  if (!op.if_match.empty()) {
    if (const LivePublication* old = sh.table.FindPublication(op.aor, op.if_match)) timers_[shard]->Cancel(old->timer);
  }
  PublishResult r = sh.table.Publish(op, etag);
  if (r.status >= 300) {
    ++sh.stats.publications_rejected;
    done(std::move(r));
    return;
  }
  std::optional<store::Publication> write;
  if (!r.etag.empty()) {
    if (op.if_match.empty()) {
      ++sh.stats.publications_created;
    } else if (op.doc) {
      ++sh.stats.publications_modified;
    } else {
      ++sh.stats.publications_refreshed;
    }
    Presentity* p = sh.table.Find(op.aor);
    for (auto& pub : p->pubs) {
      if (pub.etag != r.etag) continue;
      ArmExpiry(shard, op.aor, pub, op.now);
      write = store::Publication{pub.etag, op.aor, "presence", "application/pidf+xml", pub.body, pub.published_at_ms,
                                 pub.expires_at};
      if (pub.version) write->partial_version = *pub.version;
    }
  } else {
    ++sh.stats.publications_removed;
  }
  // The 2xx goes out once the store has the new state; watchers learn it
  // at the same time.
  std::string replaced = r.replaced_etag, aor = op.aor;
  bool open = false;
  if (op.doc && op.expires > 0) {
    for (const auto& t : op.doc->tuples) open |= t.basic == Basic::kOpen;
  }
  store_.Write([this, shard, write, replaced, r = std::move(r), aor, open, done = std::move(done)](
                   store::Store& s) -> store::StoreExecutor::Completion {
    if (write) (void)s.UpsertPublication(*write);
    if (!replaced.empty()) (void)s.DeletePublication(replaced);
    return [this, shard, r, aor, open, done](const Result<void>& committed) mutable {
      router_.Post(shard, [this, r = std::move(r), aor, open, ok = committed.ok(), done = std::move(done)]() mutable {
        if (!ok) {
          PLOG_WARN("publication_not_stored", {{"aor", aor}});
          r.status = 500;
          r.reason = "Store Unavailable";
        }
        bool changed = r.changed;
        done(std::move(r));
        if (changed) Notify(aor);
        if (ok && open) {
          for (const auto& l : available_listeners_) l(aor);
        }
      });
    };
  }, store::Durability::kCommit);
}

Result<size_t> PresenceAgent::LoadFromStore() {
  auto pubs = store_.ReadNow<std::vector<store::Publication>>([](store::Store& s) { return s.LoadPublications(); });
  if (!pubs.ok()) return pubs.error();
  auto hard = store_.ReadNow<std::vector<store::XcapDocument>>(
      [](store::Store& s) { return s.ListXcapDocuments(std::string(kPidfManipulationAuid)); });
  if (!hard.ok()) return hard.error();
  for (auto& d : *hard) {
    if (d.name == kPidfManipulationDocument) SetHardState(d.xui, std::move(d.content));
  }
  int64_t now = UnixNow();
  size_t n = 0;
  for (auto& stored : *pubs) {
    if (stored.expires_at <= now || stored.event != "presence") continue;
    auto doc = ParsePidf(stored.body, EntityOf(stored.aor), config_.limits);
    if (!doc.ok()) {
      PLOG_WARN("stored_publication_unreadable", {{"aor", stored.aor}, {"error", doc.error().message}});
      continue;
    }
    size_t shard = router_.ShardOf(stored.aor);
    LivePublication pub;
    pub.etag = stored.etag;
    pub.published_at_ms = stored.published_at_ms;
    pub.expires_at = stored.expires_at;
    if (stored.partial_version >= 0 && stored.partial_version <= UINT32_MAX) {
      pub.version = static_cast<uint32_t>(stored.partial_version);
    }
    pub.doc = std::move(*doc);
    pub.body = std::move(stored.body);
    shards_.At(shard).table.Restore(stored.aor, std::move(pub));
    Presentity* pr = shards_.At(shard).table.Find(stored.aor);
    ArmExpiry(shard, stored.aor, pr->pubs.back(), now);
    ++n;
  }
  return n;
}

}  // namespace parley::presence
