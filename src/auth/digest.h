#pragma once
// HTTP Digest for SIP (RFC 3261 §22, RFC 7616 algorithms MD5 and SHA-256,
// qop=auth). Pure functions plus a nonce service: nonces are stateless —
// a timestamp and random bytes signed with HMAC-SHA256 under a server key —
// so any node holding the key can verify them and a restart keeps them
// valid when the key is persisted.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "sip/fields.h"

namespace parley::auth {

enum class Algorithm : uint8_t { kMd5, kSha256 };

std::string_view AlgorithmName(Algorithm a);  // "MD5", "SHA-256"
std::optional<Algorithm> ParseAlgorithm(std::string_view s);  // absent/"" = MD5

// H(data) as lower-case hex.
std::string HashHex(Algorithm a, std::string_view data);
// HA1 = H(username ":" realm ":" password), what the user directory stores.
std::string ComputeHa1(Algorithm a, std::string_view user, std::string_view realm, std::string_view password);

// Parsed Authorization / Proxy-Authorization credentials (Digest only).
struct Credentials {
  std::string username, realm, nonce, uri, response, cnonce, opaque, qop, nc;
  Algorithm algorithm = Algorithm::kMd5;
  uint32_t nonce_count = 0;  // nc parsed as hex
};

// Errors: code 0 = not a Digest header (unknown scheme: ignore it and
// challenge, RFC 4475 §3.3.7); 400 = malformed Digest credentials.
Result<Credentials> ParseCredentials(std::string_view header_value);

// The expected `response` for qop=auth (or no qop, RFC 2069 compat).
std::string ExpectedResponse(const Credentials& c, std::string_view ha1, std::string_view method);
// Constant-time comparison of two hex digests.
bool DigestEquals(std::string_view a, std::string_view b);

class NonceService {
 public:
  enum class Check { kValid, kStale, kInvalid };

  // `key` of at least 16 bytes; nonces live `lifetime_s` seconds.
  NonceService(std::string key, uint32_t lifetime_s = 300);

  // A new nonce for `now_unix` (seconds): base64url(ts8 | rand8 | mac16).
  std::string Issue(int64_t now_unix) const;
  // kStale: well-signed but older than the lifetime (answer stale=true).
  Check Verify(std::string_view nonce, int64_t now_unix) const;

  // Nonce-count replay protection (RFC 7616 §3.3): accepts `nc` only if it
  // is above every nc seen for this nonce. Lock-free fixed-size table keyed
  // by a hash of the nonce, two candidate slots per nonce; a first use takes
  // an empty one, else one whose nonce is past its lifetime, else the one
  // whose nonce was used fewer times. A nonce whose entry was taken over
  // reports false (the client is then re-challenged with stale=true).
  bool AcceptNonceCount(std::string_view nonce, uint32_t nc);

 private:
  std::string key_;
  uint32_t lifetime_s_;
  static constexpr size_t kSlots = 1 << 18;  // 2 MiB
  // Each slot packs a 32-bit nonce tag, its issue time and its highest nc
  // (layout in digest.cc).
  std::unique_ptr<std::atomic<uint64_t>[]> nc_table_;
};

// A WWW-Authenticate / Proxy-Authenticate value.
std::string MakeChallenge(Algorithm a, std::string_view realm, std::string_view nonce, bool stale,
                          std::string_view opaque = {});

// HMAC-SHA256 of `data` under `key`, base64url, cut to `chars` characters
// (at most 43): a token only the holder of the key can make.
std::string MacToken(const std::string& key, std::string_view data, size_t chars);

// Random bytes from the OS CSPRNG (OpenSSL RAND_bytes).
std::string RandomBytes(size_t n);

}  // namespace parley::auth
