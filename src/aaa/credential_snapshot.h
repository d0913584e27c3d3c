#pragma once
// Every user's credentials as the start-up preload read them, built once on
// the store's reader thread and then shared read-only by every shard (no
// lock: nothing changes it after it is handed out). A shard checks another
// shard's user against it without a hop to the owner; what the change feed
// names afterwards is no longer taken from it (the owner's UserDirectory
// reads that user again, CredentialReplica stops using the snapshot for it).
//
// Open addressing over one array of entries; the AORs are kept back to back
// in one string. 100,000 users take about 12 MiB (measured: PSS with and
// without it, 12.2 MiB).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aaa/user_directory.h"

namespace parley::aaa {

class CredentialSnapshot {
 public:
  // `expected`: users about to be added (a hint for the first table size).
  explicit CredentialSnapshot(size_t expected = 0);

  // Building only, before the snapshot is shared. A repeated AOR replaces
  // the earlier entry. False (nothing added) past 4 GiB of AORs.
  bool Add(std::string_view aor, const UserCredentials& user);
  const UserCredentials* Find(std::string_view aor) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint32_t name_at;
    uint32_t name_size;
    UserCredentials user;
  };
  std::string_view NameOf(const Entry& e) const { return std::string_view(names_).substr(e.name_at, e.name_size); }
  // The slot holding `aor`, or the empty slot where it would go.
  size_t SlotOf(std::string_view aor) const;
  void Rehash(size_t slots);

  std::string names_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  // entry index + 1, 0 when empty; a power of two, at most half full
};

}  // namespace parley::aaa
