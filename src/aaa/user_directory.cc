#include "aaa/user_directory.h"

#include <memory>

#include "aaa/credential_snapshot.h"
#include "common/cache_invalidate.h"
#include "common/lru_trim.h"

namespace parley::aaa {

UserCredentials::UserCredentials(const store::UserRecord& u) : enabled_(u.enabled), history_(u.history) {
  md5_ok_ = u.ha1_md5.size() == md5_.size();
  if (md5_ok_) u.ha1_md5.copy(md5_.data(), md5_.size());
  sha256_ok_ = u.ha1_sha256.size() == sha256_.size();
  if (sha256_ok_) u.ha1_sha256.copy(sha256_.data(), sha256_.size());
}

// "No such user" is remembered briefly (kNegativeTtl); users are
// invalidated by the change feed anyway, this only bounds the damage of a
// missed change.

UserDirectory::UserDirectory(store::StoreExecutor& store, proxy::ShardRouter& router, size_t shard,
                             TimerService& timers, size_t capacity, Clock::duration idle_ttl)
    : store_(store), router_(router), shard_(shard), timers_(timers), capacity_(capacity), idle_ttl_(idle_ttl) {}

UserDirectory::~UserDirectory() { timers_.Cancel(sweep_); }

void UserDirectory::ArmSweep() {
  if (sweep_ != 0) return;
  sweep_ = timers_.Schedule(kSweepEvery, [this] {
    sweep_ = 0;
    Sweep();
  });
}

void UserDirectory::Sweep() {
  Clock::time_point now = timers_.Now();
  for (auto it = cache_.begin(); it != cache_.end();) {
    const Entry& e = it->second;
    bool idle = !e.loading && e.waiters.empty() &&
                (e.user ? now - e.used_at >= idle_ttl_ : now - e.loaded_at >= kNegativeTtl);
    it = idle ? cache_.erase(it) : std::next(it);
  }
  if (!cache_.empty()) ArmSweep();
}

void UserDirectory::Resolve(const std::string& aor, Done done) {
  auto it = cache_.find(aor);
  if (it == cache_.end() && KnownWithoutEntry(aor)) {
    const UserCredentials* user = snapshot_->Find(aor);
    return done(user ? Status::kFound : Status::kUnknown, user);
  }
  if (it == cache_.end() || !Fresh(it->second)) return Get(aor, std::move(done));
  Entry& e = it->second;
  e.used_at = timers_.Now();
  done(e.user ? Status::kFound : Status::kUnknown, e.user ? &*e.user : nullptr);
}

void UserDirectory::Get(const std::string& aor, Done done) {
  if (!cache_.contains(aor) && KnownWithoutEntry(aor)) {
    // On the next turn, as the cache's answer: from what is known then.
    router_.Post(shard_, [this, aor, done = std::move(done)]() mutable { Resolve(aor, std::move(done)); });
    return;
  }
  // Complete, the cache holds only names the snapshot may not answer for;
  // one that leaves it (idle, or beyond the capacity) is read again.
  Entry& e = FindOrInsertWithin(
      cache_, aor, capacity_, [](const Entry& x) { return x.used_at; },
      [](const Entry& x) { return !x.loading && x.waiters.empty(); });
  e.used_at = timers_.Now();
  ArmSweep();
  if (e.loading) {
    e.waiters.push_back(std::move(done));
    return;
  }
  if (Fresh(e)) {
    // Answer on the next turn of the loop, like a load would.
    router_.Post(shard_, [this, aor, done = std::move(done)] {
      auto it = cache_.find(aor);
      if (it == cache_.end() || it->second.loading) return Get(aor, done);
      const auto& u = it->second.user;
      done(u ? Status::kFound : Status::kUnknown, u ? &*u : nullptr);
    });
    return;
  }
  e.loading = true;
  ++loads_;
  e.waiters.push_back(std::move(done));
  // Beside the writer (ReadCommitted): an ordered Read would end the group
  // of writes before it, one more COMMIT and fsync per cold user. Users are
  // written by other processes only (parleyctl), so what is committed is
  // all there is to see.
  store_.ReadCommitted([this, aor](store::Store& s) {
    auto r = s.GetUser(aor);
    router_.Post(shard_, [this, aor, r = std::move(r)]() mutable { Loaded(aor, std::move(r)); });
  });
}

void UserDirectory::Loaded(const std::string& aor, Result<std::optional<store::UserRecord>> r) {
  auto it = cache_.find(aor);
  if (it == cache_.end()) return;
  Entry& e = it->second;
  std::vector<Done> waiters = std::move(e.waiters);
  e.waiters.clear();
  e.loading = false;
  if (!r.ok()) {
    cache_.erase(it);
    for (auto& w : waiters) w(Status::kError, nullptr);
    return;
  }
  // Copy: a waiter may invalidate the entry.
  std::optional<UserCredentials> user;
  if (*r) user.emplace(**r);
  if (e.invalidated) {
    cache_.erase(it);  // still in changed_ when preloaded: read again next time
  } else {
    // A named user stays in changed_ for good (the snapshot has the old
    // record); a miss keeps its entry: read again after kNegativeTtl, not on
    // every use.
    e.user = user;
    e.loaded_at = timers_.Now();
  }
  for (auto& w : waiters) w(user ? Status::kFound : Status::kUnknown, user ? &*user : nullptr);
}

void UserDirectory::Warm(const std::string& aor) {
  auto it = cache_.find(aor);
  if (it != cache_.end() && (it->second.loading || Fresh(it->second))) return;
  if (it == cache_.end() && KnownWithoutEntry(aor)) return;
  Get(aor, [](Status, const UserCredentials*) {});
}

void UserDirectory::Invalidate(const std::string& aor) {
  if (preloading_ || snapshot_) changed_.insert(aor);
  InvalidateCached(cache_, aor);
}

void UserDirectory::Forget() {
  preloading_ = false;
  changed_.clear();
  snapshot_.reset();
  InvalidateAllCached(cache_);
}

void UserDirectory::BeginPreload() {
  preloading_ = true;
  snapshot_.reset();
}

void UserDirectory::EndPreload(std::shared_ptr<const CredentialSnapshot> snapshot) {
  if (!preloading_) return;
  preloading_ = false;
  snapshot_ = std::move(snapshot);
  if (!snapshot_) {
    changed_.clear();
    return;
  }
  // Unknown names read while preloading: a name added since is in changed_
  // (read again), any other is unknown to the snapshot too.
  for (auto it = cache_.begin(); it != cache_.end();) {
    bool miss = !it->second.loading && !it->second.user;
    it = miss ? cache_.erase(it) : std::next(it);
  }
}

}  // namespace parley::aaa
