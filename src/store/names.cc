#include "store/names.h"

#include "common/strings.h"
#include "store/errors.h"

namespace parley::store {
namespace {

constexpr size_t kMaxDomain = 253;
constexpr size_t kMaxUser = 256;

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ).
bool ValidUser(std::string_view u) {
  if (u.empty() || u.size() > kMaxUser) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    char c = u[i];
    if (IsAlnum(c)) continue;
    if (c == '%') {
      if (i + 2 >= u.size() || !IsHex(u[i + 1]) || !IsHex(u[i + 2])) return false;
      i += 2;
      continue;
    }
    if (std::string_view("-_.!~*'()&=+$,;?/").find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool ValidHost(std::string_view d) {
  if (d.empty() || d.size() > kMaxDomain) return false;
  if (d.front() == '[') {  // IPv6 reference
    if (d.size() < 4 || d.back() != ']') return false;
    for (char c : d.substr(1, d.size() - 2)) {
      if (!IsHex(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  size_t label = 0;
  for (char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!IsAlnum(c) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

}  // namespace

Result<std::string> NormalizeDomain(std::string_view domain) {
  if (!ValidHost(domain)) return Error(kErrInvalid, "invalid domain \"" + std::string(domain) + "\"");
  return ToLower(domain);
}

Result<std::string> NormalizeAor(std::string_view aor) {
  std::string_view s = aor;
  if (IStartsWith(s, "sip:")) {
    s.remove_prefix(4);
  } else if (IStartsWith(s, "sips:")) {
    s.remove_prefix(5);
  }
  size_t at = s.find('@');
  if (at == std::string_view::npos || s.find('@', at + 1) != std::string_view::npos) {
    return Error(kErrInvalid, "invalid AOR \"" + std::string(aor) + "\": expected user@domain");
  }
  std::string_view user = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (!ValidUser(user)) return Error(kErrInvalid, "invalid AOR \"" + std::string(aor) + "\": bad user part");
  if (!ValidHost(domain)) return Error(kErrInvalid, "invalid AOR \"" + std::string(aor) + "\": bad domain");
  std::string out(user);
  out.push_back('@');
  out.append(ToLower(domain));
  return out;
}

Result<std::string> NormalizePattern(std::string_view pattern) {
  if (pattern.find('@') != std::string_view::npos) return NormalizeAor(pattern);
  auto d = NormalizeDomain(pattern);
  if (!d.ok()) return Error(kErrInvalid, "invalid pattern \"" + std::string(pattern) + "\": expected an AOR or a domain");
  return d;
}

AorParts SplitAor(std::string_view normalized_aor) {
  size_t at = normalized_aor.find('@');
  if (at == std::string_view::npos) return {normalized_aor, {}};
  return {normalized_aor.substr(0, at), normalized_aor.substr(at + 1)};
}

bool IsLowerHex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string_view BlockModeName(BlockMode mode) { return mode == BlockMode::kDiscard ? "discard" : "reject"; }
std::string_view PolicyActionName(PolicyAction action) { return action == PolicyAction::kAllow ? "allow" : "block"; }

Result<BlockMode> ParseBlockMode(std::string_view s) {
  if (s == "reject") return BlockMode::kReject;
  if (s == "discard") return BlockMode::kDiscard;
  return Error(kErrInvalid, "invalid block mode \"" + std::string(s) + "\": expected reject or discard");
}

Result<PolicyAction> ParsePolicyAction(std::string_view s) {
  if (s == "allow") return PolicyAction::kAllow;
  if (s == "block") return PolicyAction::kBlock;
  return Error(kErrInvalid, "invalid policy action \"" + std::string(s) + "\": expected allow or block");
}

}  // namespace parley::store
