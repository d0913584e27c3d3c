#pragma once
// Which shard (event loop) owns a message: requests by the shard of the user
// they are about (proxy::ShardRouter::ShardOf of the To AOR for REGISTER, of
// the Request-URI AOR for MESSAGE, SUBSCRIBE and PUBLISH, of the From AOR
// otherwise; the Call-ID when there is no SIP user), responses
// by the shard our own branch names (so a response finds the client
// transaction wherever it was created), falling back to the Call-ID. Pure
// functions.

#include <cstddef>
#include <string>

#include "registrar/gruu.h"
#include "sip/message.h"

namespace parley::server {

// With `gruu`, a request to one of its temporary GRUUs goes to the shard of
// the user it belongs to.
size_t ShardOf(const sip::Message& m, size_t shards, const registrar::GruuCodec* gruu = nullptr);

// The shard that handles a request or response received on loop
// `receiving`: ShardOf, except for a request the authenticator challenges
// on any shard (aaa::Authenticator::ChallengedAnywhere) and an OPTIONS to
// a server (no user part), which stay where they arrived. Its retransmissions arrive on the same loop (the kernel
// spreads UDP by 4-tuple, a connection belongs to one loop) and meet its
// transaction there.
size_t HandlingShard(const sip::Message& m, size_t shards, size_t receiving,
                     const registrar::GruuCodec* gruu = nullptr);

// A branch for a request created on `shard`: "z9hG4bK-s<hex>-<random>".
std::string NewShardBranch(size_t shard);

}  // namespace parley::server
