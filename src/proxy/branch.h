#pragma once
// Our Via branches: "z9hG4bK-s<shard>-<random>.<loop tag>". The shard lets
// a response find the loop holding its client transaction; the loop tag
// (RFC 3261 §16.6 step 8) lets a proxy tell a loop (same request back
// again: 482) from a spiral (request changed since, e.g. a new R-URI).

#include <cstddef>
#include <string>
#include <string_view>

#include "sip/message.h"
#include "proxy/local_target.h"

namespace parley::proxy {

// What every branch we create starts with, followed by the shard in hex and
// '-' (server::NewShardBranch makes the same shape).
inline constexpr std::string_view kShardBranchPrefix = "z9hG4bK-s";

// The loop tag of a request as we forward it: a hash of the fields §16.6
// step 8 lists (To tag, From tag, Call-ID, Request-URI, CSeq number, Route,
// Proxy-Require) with the originator's (bottom) Via instead of the top one,
// which is ours when the request comes back; Proxy-Authorization is left
// out because we consume our credentials. 8 hex digits.
std::string LoopTag(const sip::Message& request);

std::string NewBranch(size_t shard, const std::string& loop_tag);
// The same, appended to `out` (no allocation of its own).
void AppendNewBranch(std::string& out, size_t shard, std::string_view loop_tag);

// True when one of the request's Via values is ours (sent-by one of our
// addresses) with this loop tag: the request has come back unchanged.
bool IsLoop(const sip::Message& request, const std::string& loop_tag, const LocalTarget& local);

}  // namespace parley::proxy
