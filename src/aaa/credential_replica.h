#pragma once
// Credentials of users another shard owns, copied to this shard after their
// owner accepted a request of theirs. A request about a user is handled on
// the shard of the user it is addressed to (a MESSAGE's recipient, a
// SUBSCRIBE's presentity), while its credentials belong to the sender's
// shard: with a copy here, the sender's next request is checked on this
// loop, without a hop there and back.
//
// Only an exact match is decided here: a wrong response (or an unknown or
// disabled user) goes to the owner, which counts the failure. A copy goes
// when the change feed names its user, when its owner locks the user out
// (too many failures), and after kTtl whatever happened; a copy whose check
// began before an erase is not stored (`epoch`). Used on its shard's loop only.
//
// Behind the copies, the start-up CredentialSnapshot of every user (shared
// by all shards): a user the change feed or a lockout named since the
// preload began (BeginSnapshot) is never taken from it again — the owner
// decides, and its copy lands here as before. The snapshot has no time to
// live: it is exactly as fresh as the owner's preloaded directory, which
// also learns of changes from the feed alone. Clear drops it for good.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "aaa/credential_snapshot.h"
#include "aaa/user_directory.h"
#include "common/lru_trim.h"
#include "common/timer.h"

namespace parley::aaa {

class CredentialReplica {
 public:
  static constexpr Clock::duration kTtl = std::chrono::seconds(60);
  // Names the snapshot may no longer answer for, at least this many and a
  // quarter of it, before it is dropped.
  static constexpr size_t kRevokedToDrop = 1000;

  // `capacity`: copies kept at most (0: none at all).
  explicit CredentialReplica(size_t capacity) : capacity_(capacity) {}

  // The copy for `aor`, or nullptr (none, or older than kTtl).
  const UserCredentials* Find(const std::string& aor, Clock::time_point now) {
    auto it = entries_.find(aor);
    if (it == entries_.end()) return nullptr;
    if (now - it->second.stored_at >= kTtl) {
      entries_.erase(it);
      return nullptr;
    }
    it->second.used_at = now;
    return &it->second.user;
  }
  // Stores a copy unless something was erased since `epoch()` returned
  // `since`: the copy may predate that change.
  void Put(const std::string& aor, const UserCredentials& user, uint64_t since, Clock::time_point now) {
    if (since != epoch_ || capacity_ == 0) return;
    entries_.insert_or_assign(aor, Entry{user, now, now});
    // The least recently used go first: never the one just stored.
    TrimLeastRecentlyUsed(entries_, capacity_, [](const Entry& e) { return e.used_at; },
                          [](const Entry&) { return true; });
  }
  void Erase(const std::string& aor) {
    ++epoch_;
    entries_.erase(aor);
    if (awaiting_snapshot_ || snapshot_) revoked_.insert(aor);
    // Once a good part of it is stale, the snapshot goes, and with it the
    // names that would otherwise pile up for as long as the server runs.
    if (snapshot_ && revoked_.size() > kRevokedToDrop && revoked_.size() > snapshot_->size() / 4) {
      snapshot_.reset();
      revoked_.clear();
    }
  }
  void Clear() {
    ++epoch_;
    entries_.clear();
    snapshot_.reset();
    revoked_.clear();
    awaiting_snapshot_ = false;
  }

  // Erased AORs are remembered from now on, for the snapshot to come.
  void BeginSnapshot() { awaiting_snapshot_ = true; }
  // The preload's snapshot, or nullptr when it failed or was skipped.
  // Ignored after a Clear: the snapshot may predate what that forgot.
  void SetSnapshot(std::shared_ptr<const CredentialSnapshot> snapshot) {
    if (!awaiting_snapshot_) return;
    awaiting_snapshot_ = false;
    if (capacity_ > 0) snapshot_ = std::move(snapshot);  // 0: every check goes to the owner
    if (!snapshot_) revoked_.clear();
  }
  // `aor` as the snapshot has it, unless named since the preload began.
  const UserCredentials* FromSnapshot(const std::string& aor) const {
    if (!snapshot_ || revoked_.contains(aor)) return nullptr;
    return snapshot_->Find(aor);
  }
  uint64_t epoch() const { return epoch_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    UserCredentials user;
    Clock::time_point stored_at;
    Clock::time_point used_at;
  };
  size_t capacity_;
  uint64_t epoch_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::shared_ptr<const CredentialSnapshot> snapshot_;
  std::unordered_set<std::string> revoked_;  // named since BeginSnapshot
  bool awaiting_snapshot_ = false;
};

}  // namespace parley::aaa
