#pragma once
// Error codes of the storage layer (errno-like, in parley::Error::code).
// Both backends map their failures onto these, so callers never look at
// backend-specific codes.

#include "common/result.h"

namespace parley::store {

enum StoreErrorCode : int {
  kErrNotFound = 2,      // ENOENT: the user / domain a write refers to does not exist
  kErrIo = 5,            // EIO: any other backend failure
  kErrBusy = 16,         // EBUSY: lock wait timed out, serialization failure, deadlock (transient)
  kErrConstraint = 17,   // EEXIST: a constraint refused the write (e.g. a domain still in use)
  kErrInvalid = 22,      // EINVAL: malformed argument (AOR, domain, HA1, URL …)
  kErrState = 71,        // EPROTO: misuse (Commit without Begin, nested Begin, newer schema)
  kErrUnavailable = 107, // ENOTCONN: cannot reach or open the store
  kErrQuota = 122,       // EDQUOT: a per-user limit refused the write (message queue full)
};

// A refusal wrote nothing, so unlike every other error it does not abort the
// transaction (or executor group) it happened in: the other writes commit.
// Only kErrQuota is one.
inline bool AbortsTransaction(const Error& e) { return e.code != kErrQuota; }

}  // namespace parley::store
