#pragma once
// Validation and normalization of the keys the store holds. AORs are
// "user@domain" with the domain lower-cased (RFC 3261 §19.1.4: hosts
// compare case-insensitively, users do not); a leading "sip:"/"sips:" is
// accepted and dropped. parleyctl and the services use the same rules.

#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::store {

Result<std::string> NormalizeDomain(std::string_view domain);
Result<std::string> NormalizeAor(std::string_view aor);
// A policy pattern: an AOR ("bob@example.org") or a domain ("example.org").
Result<std::string> NormalizePattern(std::string_view pattern);

// The user and domain of a normalized AOR.
struct AorParts {
  std::string_view user;
  std::string_view domain;
};
AorParts SplitAor(std::string_view normalized_aor);

// True when `s` is `len` lower-case hex digits (an HA1).
bool IsLowerHex(std::string_view s, size_t len);

std::string_view BlockModeName(BlockMode mode);        // "reject", "discard"
std::string_view PolicyActionName(PolicyAction action);  // "allow", "block"
Result<BlockMode> ParseBlockMode(std::string_view s);
Result<PolicyAction> ParsePolicyAction(std::string_view s);

}  // namespace parley::store
