#include "presence/agent/presentity.h"

#include <algorithm>

namespace parley::presence {

PublishResult PresentityTable::Publish(const PublishOp& op, const std::string& new_etag) {
  PublishResult r;
  Presentity& p = presentities_[op.aor];
  auto erase_if_empty = [&] {
    if (p.pubs.empty()) presentities_.erase(op.aor);
  };
  if (op.if_match.empty()) {
    // An initial publication (step 5 guarantees a body).
    if (p.pubs.size() >= max_publications_) {
      erase_if_empty();
      return {403, "Too Many Publications", {}, 0, {}, false};
    }
    LivePublication pub;
    pub.etag = new_etag;
    pub.published_at_ms = op.now_ms;
    pub.expires_at = op.now + op.expires;
    pub.doc = *op.doc;
    pub.body = op.body;
    pub.version = op.version;
    p.pubs.push_back(std::move(pub));
    ++publications_;
    p.Invalidate();
    return {200, {}, new_etag, op.expires, {}, true};
  }
  auto it = std::find_if(p.pubs.begin(), p.pubs.end(), [&](const LivePublication& x) { return x.etag == op.if_match; });
  if (it == p.pubs.end()) {
    erase_if_empty();
    return {412, "Conditional Request Failed", {}, 0, {}, false};
  }
  r.replaced_etag = it->etag;
  if (op.expires == 0) {  // removal (step 6)
    p.pubs.erase(it);
    --publications_;
    p.Invalidate();
    erase_if_empty();
    r.changed = true;
    return r;
  }
  it->etag = new_etag;
  it->expires_at = op.now + op.expires;
  if (op.doc) {  // modification
    it->doc = *op.doc;
    it->body = op.body;
    it->version = op.version;
    it->published_at_ms = op.now_ms;
    p.Invalidate();
    r.changed = true;
  }
  r.etag = new_etag;
  r.expires = op.expires;
  return r;
}

void PresentityTable::SetHardState(const std::string& aor, std::optional<PresenceDoc> doc) {
  if (doc) {
    hard_.insert_or_assign(aor, std::move(*doc));
  } else {
    hard_.erase(aor);
  }
  Invalidate(aor);
}

std::vector<TimerId> PresentityTable::RemoveAll(const std::string& aor) {
  std::vector<TimerId> timers;
  hard_.erase(aor);
  auto p = presentities_.find(aor);
  if (p == presentities_.end()) return timers;
  for (const LivePublication& pub : p->second.pubs) timers.push_back(pub.timer);
  publications_ -= p->second.pubs.size();
  presentities_.erase(p);
  return timers;
}

bool PresentityTable::Expire(const std::string& aor, const std::string& etag) {
  auto p = presentities_.find(aor);
  if (p == presentities_.end()) return false;
  auto& pubs = p->second.pubs;
  auto it = std::find_if(pubs.begin(), pubs.end(), [&](const LivePublication& x) { return x.etag == etag; });
  if (it == pubs.end()) return false;
  pubs.erase(it);
  --publications_;
  p->second.Invalidate();
  if (pubs.empty()) presentities_.erase(p);
  return true;
}

void PresentityTable::Restore(const std::string& aor, LivePublication pub) {
  Presentity& p = presentities_[aor];
  p.pubs.push_back(std::move(pub));
  ++publications_;
  p.Invalidate();
}

Presentity* PresentityTable::Find(const std::string& aor) {
  auto it = presentities_.find(aor);
  return it == presentities_.end() ? nullptr : &it->second;
}

const LivePublication* PresentityTable::FindPublication(const std::string& aor, const std::string& etag) const {
  auto p = presentities_.find(aor);
  if (p == presentities_.end()) return nullptr;
  for (const auto& pub : p->second.pubs) {
    if (pub.etag == etag) return &pub;
  }
  return nullptr;
}

bool PresentityTable::HasPublishedTuples(const std::string& aor) const {
  auto p = presentities_.find(aor);
  if (p == presentities_.end()) return false;
  for (const auto& pub : p->second.pubs) {
    if (!pub.doc.tuples.empty()) return true;
  }
  return false;
}

const PresenceDoc& PresentityTable::Composed(const std::string& aor, const std::string& entity,
                                             const std::vector<RegisteredContact>& registrations, int64_t now,
                                             bool on_the_phone) {
  Presentity& p = presentities_[aor];
  if (!p.composed) {
    std::vector<Publication> pubs;
    pubs.reserve(p.pubs.size());
    for (const auto& live : p.pubs) pubs.push_back({live.etag, live.published_at_ms, live.doc});
    auto hard = hard_.find(aor);
    p.composed = std::make_unique<PresenceDoc>(
        Compose(entity, pubs, registrations, now, hard == hard_.end() ? nullptr : &hard->second, on_the_phone));
  }
  return *p.composed;
}

void PresentityTable::Invalidate(const std::string& aor) {
  auto p = presentities_.find(aor);
  if (p == presentities_.end()) return;
  if (p->second.pubs.empty()) {
    presentities_.erase(p);
  } else {
    p->second.Invalidate();
  }
}

}  // namespace parley::presence
