#pragma once
// Which shard (event loop) owns a message: requests by a hash of the
// Call-ID, responses by the shard our own branch names (so a response finds
// the client transaction wherever its Call-ID hashes), falling back to the
// Call-ID. Pure functions.

#include <cstddef>
#include <string>

#include "sip/message.h"

namespace parley::server {

size_t ShardOf(const sip::Message& m, size_t shards);

// A branch for a request created on `shard`: "z9hG4bK-s<hex>-<random>".
std::string NewShardBranch(size_t shard);

}  // namespace parley::server
