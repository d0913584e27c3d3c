#include "server/dispatch.h"

#include "common/strings.h"
#include "sip/response.h"

namespace parley::server {

namespace {
constexpr std::string_view kPrefix = "z9hG4bK-s";
}

size_t ShardOf(const sip::Message& m, size_t shards) {
  if (shards <= 1) return 0;
  if (m.is_response()) {
    // Only the top Via matters, and only our own format: scan the raw value
    // instead of parsing every Via.
    std::string_view via = m.Value(sip::HeaderId::kVia);
    size_t b = via.find(kPrefix);
    if (b != std::string_view::npos) {
      size_t i = b + kPrefix.size();
      size_t shard = 0;
      int digits = 0;
      while (i < via.size() && IsHex(via[i]) && digits < 4) {
        shard = shard * 16 + static_cast<size_t>(HexValue(via[i]));
        ++i;
        ++digits;
      }
      if (digits > 0 && i < via.size() && via[i] == '-' && shard < shards) return shard;
    }
  }
  return IHash(m.call_id()) % shards;
}

std::string NewShardBranch(size_t shard) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string b(kPrefix);
  std::string digits;
  do {
    digits.insert(digits.begin(), kHex[shard % 16]);
    shard /= 16;
  } while (shard);
  b.append(digits).append("-").append(sip::RandomToken(8));
  return b;
}

}  // namespace parley::server
