// SqlStore: API tokens. A token is "pt_" + 43 base64url characters (256
// random bits); the store keeps only the hex SHA-256 of the whole string,
// so a copy of the database does not let anybody in.

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "store/errors.h"
#include "store/names.h"
#include "store/sql_store.h"
#include "store/sql_util.h"
#include "store/text.h"

namespace parley::store {
namespace {

constexpr std::string_view kTokenPrefix = "pt_";
constexpr size_t kTokenRandomBytes = 32;
constexpr size_t kTokenLength = 3 + 43;  // prefix + base64url of 32 bytes, unpadded
constexpr size_t kMaxLabelBytes = 200;

const std::string kTokenColumns = "id, aor, label, created_at, expires_at";
const std::string kInsertToken =
    "INSERT INTO api_tokens (aor, token_hash, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)";
const std::string kInsertTokenReturning = kInsertToken + " RETURNING id";
const std::string kLookupToken =
    "SELECT t.id, t.aor, t.label, t.created_at, t.expires_at FROM api_tokens t JOIN users u ON u.aor = t.aor"
    " WHERE t.token_hash = $1 AND (t.expires_at = 0 OR t.expires_at > $2) AND u.enabled = 1";
const std::string kListTokens = "SELECT " + kTokenColumns + " FROM api_tokens WHERE aor = $1 ORDER BY id";
const std::string kRevokeToken = "DELETE FROM api_tokens WHERE aor = $1 AND id = $2";

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

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

bool LooksLikeToken(std::string_view s) {
  if (s.size() != kTokenLength || !s.starts_with(kTokenPrefix)) return false;
  for (char c : s.substr(kTokenPrefix.size())) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::vector<ApiToken> TokensFromRows(const SqlRows& rows) {
  std::vector<ApiToken> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    out[i] = {ToInt(rows.at(i, 0)), rows.at(i, 1), rows.at(i, 2), ToInt(rows.at(i, 3)), ToInt(rows.at(i, 4))};
  }
  return out;
}

}  // namespace

Result<NewApiToken> SqlStore::CreateToken(const std::string& aor, const std::string& label, int64_t expires_at_ms,
                                          int64_t now_ms) {
  return Guarded<NewApiToken>(Mode::kFeed, [&]() -> Result<NewApiToken> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return a.take_error();
    if (label.size() > kMaxLabelBytes) {
      return Error(kErrInvalid, "token label longer than " + std::to_string(kMaxLabelBytes) + " bytes");
    }
    if (auto c = CheckText("token label", label); !c.ok()) return c.error();
    if (expires_at_ms < 0) return Error(kErrInvalid, "negative token expiry");
    if (auto u = RequireUser(*a); !u.ok()) return u.error();
    unsigned char random[kTokenRandomBytes];
    if (RAND_bytes(random, sizeof(random)) != 1) return Error(kErrIo, "no random bytes for a token");
    NewApiToken t;
    t.secret = std::string(kTokenPrefix) + Base64Url(random, sizeof(random));
    t.info = {0, *a, label, now_ms, expires_at_ms};
    auto id = InsertId(kInsertToken, kInsertTokenReturning, {*a, Sha256Hex(t.secret), label, now_ms, expires_at_ms});
    if (!id.ok()) return id.take_error();
    t.info.id = *id;
    if (auto c = AppendChange("token", *a); !c.ok()) return c.error();
    return t;
  });
}

Result<std::optional<ApiToken>> SqlStore::LookupToken(const std::string& secret, int64_t now_ms) {
  using Out = std::optional<ApiToken>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    if (!LooksLikeToken(secret)) return Out{};
    SqlRows rows;
    if (auto r = Run(kLookupToken, {Sha256Hex(secret), now_ms}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return Out{};
    return Out{TokensFromRows(rows)[0]};
  });
}

Result<std::vector<ApiToken>> SqlStore::ListTokens(const std::string& aor) {
  using Out = std::vector<ApiToken>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return Out{};
    SqlRows rows;
    if (auto r = Run(kListTokens, {*a}, &rows); !r.ok()) return r.take_error();
    return TokensFromRows(rows);
  });
}

Result<bool> SqlStore::RevokeToken(const std::string& aor, int64_t id) {
  return Guarded<bool>(Mode::kFeed, [&]() -> Result<bool> {
    auto a = NormalizeAor(aor);
    if (!a.ok()) return false;
    auto n = Run(kRevokeToken, {*a, id});
    if (!n.ok()) return n.take_error();
    if (*n == 0) return false;
    if (auto c = AppendChange("token", *a); !c.ok()) return c.error();
    return true;
  });
}

}  // namespace parley::store
