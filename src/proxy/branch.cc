#include "proxy/branch.h"

#include "common/strings.h"
#include "sip/response.h"

namespace parley::proxy {

std::string LoopTag(const sip::Message& m) {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0x1f;
    h *= 1099511628211ULL;
  };
  if (const auto* t = m.to()) mix(t->tag());
  if (const auto* f = m.from()) mix(f->tag());
  mix(m.call_id());
  mix(m.request_uri_text());
  // The originator's Via rather than the top one: a request that comes back
  // has our Via on top, the originator's stays at the bottom.
  if (!m.vias().empty()) mix(m.vias().back().text);
  if (const auto* c = m.cseq()) mix(std::to_string(c->number));
  m.ForEachValue(sip::HeaderId::kRoute, [&](std::string_view v) {
    mix(v);
    return true;
  });
  mix(m.Value(sip::HeaderId::kProxyRequire));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag(8, '0');
  for (int i = 0; i < 8; ++i) tag[static_cast<size_t>(i)] = kHex[(h >> (4 * i)) & 15];
  return tag;
}

std::string NewBranch(size_t shard, const std::string& loop_tag) {
  std::string b;
  AppendNewBranch(b, shard, loop_tag);
  return b;
}

void AppendNewBranch(std::string& out, size_t shard, std::string_view loop_tag) {
  out.append(kShardBranchPrefix);
  AppendHex(out, shard);
  out.append("-");
  out.append(sip::RandomToken(6)).append(".").append(loop_tag);
}

bool IsLoop(const sip::Message& m, const std::string& loop_tag, const LocalTarget& local) {
  for (const auto& v : m.vias()) {
    std::string_view b = v.branch();
    if (!b.starts_with(kShardBranchPrefix) || !b.ends_with(loop_tag) || b.size() < loop_tag.size() + 1 ||
        b[b.size() - loop_tag.size() - 1] != '.') {
      continue;
    }
    sip::Uri u;
    u.scheme = sip::Scheme::kSip;
    u.host = v.host;
    u.host_is_ipv6 = v.host_is_ipv6;
    u.has_port = v.has_port;
    u.port = v.port;
    if (local.IsLocal(u)) return true;
  }
  return false;
}

}  // namespace parley::proxy
