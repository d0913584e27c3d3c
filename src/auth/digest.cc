#include "auth/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "common/strings.h"
#include "sip/lex.h"

namespace parley::auth {

std::string_view AlgorithmName(Algorithm a) { return a == Algorithm::kSha256 ? "SHA-256" : "MD5"; }

std::optional<Algorithm> ParseAlgorithm(std::string_view s) {
  if (s.empty() || IEquals(s, "MD5")) return Algorithm::kMd5;
  if (IEquals(s, "SHA-256")) return Algorithm::kSha256;
  return std::nullopt;  // -sess variants and others are not offered
}

namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

std::string Base64Url(const unsigned char* p, size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | p[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> FromBase64Url(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 3 / 4 + 1);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

constexpr size_t kNonceRaw = 8 + 8 + 16;

// Random bytes from OpenSSL's DRBG, drawn 1 KiB at a time per thread: one
// RAND_bytes call costs about as much as the rest of issuing a nonce
// (provider lookup, locks, a fork check), and a challenge needs 8 bytes.
// parleyd never forks after its loops start, so a buffer cannot be shared
// with a child.
void FillRandom(unsigned char* out, size_t n) {
  struct Pool {
    unsigned char bytes[1024];
    size_t pos = sizeof(bytes);
  };
  thread_local Pool pool;
  while (n > 0) {
    if (pool.pos == sizeof(pool.bytes)) {
      RAND_bytes(pool.bytes, sizeof(pool.bytes));
      pool.pos = 0;
    }
    size_t take = std::min(n, sizeof(pool.bytes) - pool.pos);
    std::memcpy(out, pool.bytes + pool.pos, take);
    OPENSSL_cleanse(pool.bytes + pool.pos, take);
    pool.pos += take;
    out += take;
    n -= take;
  }
}

// OpenSSL 3 looks an algorithm up in its provider tables (under a lock) on
// every implicit use; fetch each once.
const EVP_MD* Md(Algorithm a) {
  static EVP_MD* md5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  static EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return a == Algorithm::kSha256 ? sha256 : md5;
}

// HMAC-SHA256 with a per-thread context keyed once per key.
void Mac(const std::string& key, const unsigned char* data, size_t n, unsigned char out[32]) {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  struct Ctx {
    EVP_MAC_CTX* ctx = nullptr;
    std::string key;
    ~Ctx() { EVP_MAC_CTX_free(ctx); }
  };
  thread_local Ctx t;
  if (!t.ctx || t.key != key) {
    EVP_MAC_CTX_free(t.ctx);
    t.ctx = EVP_MAC_CTX_new(mac);
    t.key = key;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", const_cast<char*>("SHA256"), 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(t.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  } else {
    EVP_MAC_init(t.ctx, nullptr, 0, nullptr);  // same key: reset
  }
  EVP_MAC_update(t.ctx, data, n);
  size_t len = 0;
  EVP_MAC_final(t.ctx, out, &len, 32);
}

}  // namespace

std::string HashHex(Algorithm a, std::string_view data) {
  // One context per thread and algorithm, re-initialized for each hash:
  // EVP_Digest allocates, sets up and frees a context every call, which
  // cost more than hashing a digest's few dozen bytes.
  struct Ctx {
    EVP_MD_CTX* md[2] = {EVP_MD_CTX_new(), EVP_MD_CTX_new()};
    ~Ctx() {
      EVP_MD_CTX_free(md[0]);
      EVP_MD_CTX_free(md[1]);
    }
  };
  thread_local Ctx t;
  EVP_MD_CTX* ctx = t.md[a == Algorithm::kSha256 ? 1 : 0];
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex2(ctx, Md(a), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx, md, &len) != 1) {
    len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, Md(a), nullptr);
  }
  return Hex(md, len);
}

std::string ComputeHa1(Algorithm a, std::string_view user, std::string_view realm, std::string_view password) {
  std::string s;
  s.reserve(user.size() + realm.size() + password.size() + 2);
  s.append(user).append(":").append(realm).append(":").append(password);
  return HashHex(a, s);
}

Result<Credentials> ParseCredentials(std::string_view value) {
  auto field = sip::ParseAuthField(value);
  if (!field.ok()) return Error(400, "malformed credentials");
  if (!IEquals(field->scheme, "Digest")) return Error(0, "not Digest");
  Credentials c;
  bool ok = sip::ForEachListElement(field->params_text, [&](std::string_view elem) {
    size_t eq = elem.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = TrimLws(elem.substr(0, eq));
    std::string_view raw = TrimLws(elem.substr(eq + 1));
    std::string v = (!raw.empty() && raw.front() == '"') ? sip::UnquoteString(raw) : std::string(raw);
    if (IEquals(name, "username")) c.username = std::move(v);
    else if (IEquals(name, "realm")) c.realm = std::move(v);
    else if (IEquals(name, "nonce")) c.nonce = std::move(v);
    else if (IEquals(name, "uri")) c.uri = std::move(v);
    else if (IEquals(name, "response")) c.response = ToLower(v);
    else if (IEquals(name, "cnonce")) c.cnonce = std::move(v);
    else if (IEquals(name, "opaque")) c.opaque = std::move(v);
    else if (IEquals(name, "qop")) c.qop = std::move(v);
    else if (IEquals(name, "nc")) c.nc = std::move(v);
    else if (IEquals(name, "algorithm")) {
      auto a = ParseAlgorithm(v);
      if (!a) return false;
      c.algorithm = *a;
    }
    return true;
  });
  if (!ok) return Error(400, "malformed Digest credentials");
  if (c.username.empty() || c.nonce.empty() || c.uri.empty() || c.response.empty()) {
    return Error(400, "incomplete Digest credentials");
  }
  if (!c.qop.empty()) {
    if (!IEquals(c.qop, "auth") || c.cnonce.empty() || c.nc.size() != 8) return Error(400, "unsupported qop");
    uint32_t nc = 0;
    for (char ch : c.nc) {
      int h = HexValue(ch);
      if (h < 0) return Error(400, "malformed nc");
      nc = nc * 16 + static_cast<uint32_t>(h);
    }
    c.nonce_count = nc;
  }
  return c;
}

std::string ExpectedResponse(const Credentials& c, std::string_view ha1, std::string_view method) {
  std::string a2;
  a2.append(method).append(":").append(c.uri);
  std::string ha2 = HashHex(c.algorithm, a2);
  std::string kd;
  kd.append(ha1).append(":").append(c.nonce).append(":");
  if (!c.qop.empty()) kd.append(c.nc).append(":").append(c.cnonce).append(":").append(c.qop).append(":");
  kd.append(ha2);
  return HashHex(c.algorithm, kd);
}

std::string MacToken(const std::string& key, std::string_view data, size_t chars) {
  unsigned char mac[32];
  Mac(key, reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac);
  std::string token = Base64Url(mac, sizeof(mac));
  token.resize(std::min(chars, token.size()));
  return token;
}

bool DigestEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

NonceService::NonceService(std::string key, uint32_t lifetime_s)
    : key_(std::move(key)), lifetime_s_(lifetime_s), nc_table_(new std::atomic<uint64_t>[kSlots]) {
  for (size_t i = 0; i < kSlots; ++i) nc_table_[i].store(0, std::memory_order_relaxed);
}

std::string NonceService::Issue(int64_t now_unix) const {
  unsigned char raw[kNonceRaw];
  uint64_t ts = static_cast<uint64_t>(now_unix);
  for (int i = 0; i < 8; ++i) raw[i] = static_cast<unsigned char>(ts >> (56 - 8 * i));
  FillRandom(raw + 8, 8);
  unsigned char mac[32];
  Mac(key_, raw, 16, mac);
  std::memcpy(raw + 16, mac, 16);
  return Base64Url(raw, kNonceRaw);
}

NonceService::Check NonceService::Verify(std::string_view nonce, int64_t now_unix) const {
  auto raw = FromBase64Url(nonce);
  if (!raw || raw->size() != kNonceRaw) return Check::kInvalid;
  const auto* p = reinterpret_cast<const unsigned char*>(raw->data());
  unsigned char mac[32];
  Mac(key_, p, 16, mac);
  if (CRYPTO_memcmp(mac, p + 16, 16) != 0) return Check::kInvalid;
  uint64_t ts = 0;
  for (int i = 0; i < 8; ++i) ts = (ts << 8) | p[i];
  int64_t age = now_unix - static_cast<int64_t>(ts);
  if (age < -5) return Check::kInvalid;  // from the future: not ours
  if (age > static_cast<int64_t>(lifetime_s_)) return Check::kStale;
  return Check::kValid;
}

namespace {

// A slot: the nonce's 32-bit tag (never 0), its issue time in 16 s units
// (8 bits, wrapping) and the highest nc seen (24 bits: a higher one is
// refused, and the client challenged afresh).
constexpr int kTagShift = 32, kEpochShift = 24;
constexpr uint64_t kNcMask = 0xffffff;

// The issue time a nonce carries (its first 8 bytes), 0 if it has none.
uint64_t NonceTime(std::string_view nonce) {
  auto head = FromBase64Url(nonce.substr(0, 12));
  if (!head || head->size() < 8) return 0;
  uint64_t ts = 0;
  for (int i = 0; i < 8; ++i) ts = (ts << 8) | static_cast<unsigned char>((*head)[i]);
  return ts;
}

}  // namespace

bool NonceService::AcceptNonceCount(std::string_view nonce, uint32_t nc) {
  if (nc == 0 || nc > kNcMask) return false;
  // IHash (FNV-1a) leaves its high bits tied to its low ones: mixed, the
  // tag and the two slots are independent.
  const uint64_t h = Mix64(IHash(nonce));
  const uint64_t tag = (h >> 32) | 1;
  const size_t first = h & (kSlots - 1), second = (h >> 20) & (kSlots - 1);
  std::atomic<uint64_t>* const slots[2] = {&nc_table_[first],
                                           &nc_table_[second != first ? second : (first + 1) & (kSlots - 1)]};
  const uint64_t epoch = (NonceTime(nonce) >> 4) & 0xff;
  const uint64_t next = tag << kTagShift | epoch << kEpochShift | nc;
  while (true) {
    uint64_t cur[2] = {slots[0]->load(std::memory_order_acquire), slots[1]->load(std::memory_order_acquire)};
    const int mine = (cur[0] >> kTagShift) == tag ? 0 : (cur[1] >> kTagShift) == tag ? 1 : -1;
    if (mine >= 0) {
      if (nc <= (cur[mine] & kNcMask)) return false;  // replay
      if (slots[mine]->compare_exchange_weak(cur[mine], next, std::memory_order_acq_rel)) return true;
      continue;
    }
    // Not in the table: only a first use can be proven fresh. It takes an
    // empty slot of its two, else one whose nonce is past its lifetime, else
    // the one whose nonce was used fewer times (one-shot nonces go first,
    // those a client keeps reusing stay).
    if (nc != 1) return false;
    auto expired = [&](uint64_t e) { return ((epoch - (e >> kEpochShift)) & 0xff) > (lifetime_s_ >> 4) + 2; };
    auto uses = [](uint64_t e) { return e & kNcMask; };
    int victim = 0;
    if (cur[0] == 0) {
      victim = 0;
    } else if (cur[1] == 0) {
      victim = 1;
    } else if (expired(cur[0]) != expired(cur[1])) {
      victim = expired(cur[0]) ? 0 : 1;
    } else {
      victim = uses(cur[1]) < uses(cur[0]) ? 1 : 0;
    }
    if (!slots[victim]->compare_exchange_strong(cur[victim], next, std::memory_order_acq_rel)) continue;
    // Two first uses of the same nonce racing into different slots: the one
    // that finds the other's entry after its own gives way.
    return (slots[1 - victim]->load(std::memory_order_acquire) >> kTagShift) != tag;
  }
}

std::string MakeChallenge(Algorithm a, std::string_view realm, std::string_view nonce, bool stale,
                          std::string_view opaque) {
  std::string v = "Digest realm=\"";
  v.append(realm).append("\", nonce=\"").append(nonce).append("\", algorithm=").append(AlgorithmName(a));
  v.append(", qop=\"auth\"");
  if (!opaque.empty()) v.append(", opaque=\"").append(opaque).append("\"");
  if (stale) v.append(", stale=true");
  return v;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  FillRandom(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

}  // namespace parley::auth
