#pragma once
// How durable a committed write is (the store executor's two classes).

#include <cstdint>

namespace parley::store {

// How far a group of writes must have gone before its completions run.
enum class Durability : uint8_t {
  // On the disk (fsync): survives a power loss. Messages, users, policies,
  // documents: state nobody would send again.
  kDisk,
  // Committed to the database and handed to the OS, not synced: survives a
  // crash or kill -9 of parleyd, not of the machine, which may roll back
  // the last moments. Soft state its clients refresh (RFC 3261 §10.2.1,
  // RFC 3903 §4.1, RFC 6665 §4.1.2.1): bindings, publications,
  // subscriptions. A later kDisk commit or a checkpoint syncs it too.
  kCommit,
};

}  // namespace parley::store
