#include "registrar/gruu.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "common/strings.h"
#include "sip/lex.h"

namespace parley::registrar {

namespace {

constexpr size_t kMaxPart = 256;  // AOR or instance
constexpr size_t kIv = 12, kTag = 16;
constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";  // RFC 4648 §6, lower case

void Sha256(std::string_view data, unsigned char out[32]) {
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
}

std::string Base32(const std::string& in) {
  std::string out;
  out.reserve((in.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> Unbase32(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 5 / 8);
  uint32_t buffer = 0;
  int bits = 0;
  for (char ch : in) {
    char c = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    int v;
    if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // Leftover bits are padding and must be zero (one spelling per token).
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Characters a "gr" value may hold unescaped (RFC 3261 paramchar without
// escapes): unreserved and param-unreserved.
bool ParamSafe(char c) { return sip::IsUnreserved(c) || std::strchr("[]/:&+$", c) != nullptr; }

}  // namespace

std::array<uint8_t, 8> CallIdHash(std::string_view call_id) {
  unsigned char md[32];
  Sha256(call_id, md);
  std::array<uint8_t, 8> out{};
  std::memcpy(out.data(), md, out.size());
  return out;
}

bool GruuInstance(std::string_view instance) {
  if (instance.size() < 7 || instance.size() > kMaxPart || instance.front() != '<' || instance.back() != '>') {
    return false;
  }
  std::string_view urn = instance.substr(1, instance.size() - 2);
  if (!IStartsWith(urn, "urn:")) return false;
  for (char c : urn) {
    if (!ParamSafe(c)) return false;
  }
  return true;
}

std::string PublicGruu(std::string_view aor, std::string_view instance) {
  std::string s = "sip:";
  s.append(aor).append(";gr=").append(instance.substr(1, instance.size() - 2));
  return s;
}

GruuCodec::GruuCodec(std::string_view secret) {
  std::string material = "parley temp-gruu key v1";
  material.push_back('\0');
  material.append(secret);
  Sha256(material, key_.data());
}

std::string GruuCodec::Mint(std::string_view aor, std::string_view instance, std::string_view call_id,
                            const std::array<uint8_t, 12>& iv) const {
  size_t at = aor.find('@');
  if (aor.empty() || aor.size() > kMaxPart || instance.empty() || instance.size() > kMaxPart ||
      at == std::string_view::npos) {
    return {};
  }
  std::string plain(aor);
  plain.push_back('\0');
  plain.append(instance);
  plain.push_back('\0');
  auto h = CallIdHash(call_id);
  plain.append(reinterpret_cast<const char*>(h.data()), h.size());

  std::string sealed(kIv + plain.size() + kTag, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  std::memcpy(out, iv.data(), kIv);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, fin = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out + kIv, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + kIv + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out + kIv + plain.size()) != 1) {
    return {};
  }
  std::string uri = "sip:";
  uri.append(kUserPrefix).append(Base32(sealed)).append(aor.substr(at)).append(";gr");
  return uri;
}

std::optional<TempGruu> GruuCodec::Open(std::string_view user) const {
  if (!user.starts_with(kUserPrefix)) return std::nullopt;
  std::string_view token = user.substr(kUserPrefix.size());
  constexpr size_t kMaxToken = ((kIv + 2 * kMaxPart + 2 + 8 + kTag) * 8 + 4) / 5;
  if (token.size() > kMaxToken) return std::nullopt;
  auto sealed = Unbase32(token);
  if (!sealed || sealed->size() < kIv + kTag + 4 + 8) return std::nullopt;
  size_t n = sealed->size() - kIv - kTag;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed->data());
  std::string plain(n, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, fin = 0;
  unsigned char tag[kTag];
  std::memcpy(tag, in + kIv + n, kTag);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), in) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, in + kIv,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &fin) != 1) {
    return std::nullopt;  // not sealed with this key, or altered
  }
  size_t a = plain.find('\0');
  if (a == std::string::npos) return std::nullopt;
  size_t b = plain.find('\0', a + 1);
  if (b == std::string::npos || plain.size() - b - 1 != 8) return std::nullopt;
  TempGruu g;
  g.aor = plain.substr(0, a);
  g.instance = plain.substr(a + 1, b - a - 1);
  std::memcpy(g.call_id_hash.data(), plain.data() + b + 1, 8);
  return g;
}

std::optional<TempGruu> GruuCodec::OpenUri(const sip::Uri& uri) const {
  if (!uri.is_sip() || !uri.has_user) return std::nullopt;
  // The bare "gr" marks it (RFC 5627 §3.1), but some UAs keep only user and
  // host of a peer's address (Linphone's chat rooms): the sealed user part
  // alone is proof enough.
  auto gr = uri.params.Get("gr");
  if (gr && !gr->empty()) return std::nullopt;
  auto g = Open(uri.user);
  // The domain it was minted in: only ours reach here, but not another of ours.
  if (!g || !IEquals(std::string_view(g->aor).substr(g->aor.rfind('@') + 1), uri.host)) return std::nullopt;
  return g;
}

}  // namespace parley::registrar
