#include "aaa/user_directory.h"

#include <memory>

#include "common/lru_trim.h"

namespace parley::aaa {

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
  if (it == cache_.end() || !Fresh(it->second)) return Get(aor, std::move(done));
  Entry& e = it->second;
  e.used_at = timers_.Now();
  done(e.user ? Status::kFound : Status::kUnknown, e.user ? &*e.user : nullptr);
}

void UserDirectory::Get(const std::string& aor, Done done) {
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
  std::optional<store::UserRecord> user = std::move(*r);
  if (e.invalidated) {
    cache_.erase(it);
  } else {
    e.user = user;
    e.loaded_at = timers_.Now();
  }
  for (auto& w : waiters) w(user ? Status::kFound : Status::kUnknown, user ? &*user : nullptr);
}

void UserDirectory::Warm(const std::string& aor) {
  auto it = cache_.find(aor);
  if (it != cache_.end() && (it->second.loading || Fresh(it->second))) return;
  Get(aor, [](Status, const store::UserRecord*) {});
}

void UserDirectory::Invalidate(const std::string& aor) {
  auto it = cache_.find(aor);
  if (it == cache_.end()) return;
  if (it->second.loading) {
    it->second.invalidated = true;
  } else {
    cache_.erase(it);
  }
}

}  // namespace parley::aaa
