#pragma once
// Small, allocation-free string helpers shared by every parser.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

constexpr char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

constexpr bool IStartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && IEquals(s.substr(0, prefix.size()), prefix);
}

// Whether `s` contains `needle`, ASCII case-insensitively.
constexpr bool IContains(std::string_view s, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (IEquals(s.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string ToLower(std::string_view s);


// Character classes of the RFC 3261 grammar, one table lookup each.
enum CharClass : uint8_t {
  kCcDigit = 1 << 0,
  kCcAlpha = 1 << 1,
  kCcHex = 1 << 2,
  kCcToken = 1 << 3,       // token characters
  kCcUnreserved = 1 << 4,  // alphanum / mark
  kCcLws = 1 << 5,         // SP, HTAB, CR, LF
};

namespace detail {
constexpr std::array<uint8_t, 256> BuildCharClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    bool digit = c >= '0' && c <= '9';
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (digit) v |= kCcDigit;
    if (alpha) v |= kCcAlpha;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kCcHex;
    if (digit || alpha) v |= kCcToken | kCcUnreserved;
    switch (c) {
      case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'':
      case '~':
        v |= kCcToken;
        break;
      default:
        break;
    }
    switch (c) {
      case '-': case '_': case '.': case '!': case '~': case '*': case '\'': case '(': case ')':
        v |= kCcUnreserved;
        break;
      default:
        break;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') v |= kCcLws;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}
inline constexpr std::array<uint8_t, 256> kCharClasses = BuildCharClasses();
}  // namespace detail

constexpr bool HasClass(char c, uint8_t cls) {
  return (detail::kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}
constexpr bool IsDigit(char c) { return HasClass(c, kCcDigit); }
constexpr bool IsAlpha(char c) { return HasClass(c, kCcAlpha); }
constexpr bool IsAlnum(char c) { return HasClass(c, kCcDigit | kCcAlpha); }
constexpr bool IsHex(char c) { return HasClass(c, kCcHex); }
constexpr int HexValue(char c) {
  return (c >= '0' && c <= '9')   ? c - '0'
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                  : -1;
}
// Appends v in lower-case hex without leading zeros ("0" for 0): the shard
// numbers in our branches and contact users, read back with HexValue.
inline void AppendHex(std::string& out, uint64_t v) {
  char digits[16];
  size_t n = 0;
  do {
    digits[sizeof(digits) - ++n] = "0123456789abcdef"[v % 16];
    v /= 16;
  } while (v);
  out.append(digits + sizeof(digits) - n, n);
}

// RFC 3261 token characters: alphanum / "-" / "." / "!" / "%" / "*" / "_" /
// "+" / "`" / "'" / "~".
constexpr bool IsTokenChar(char c) { return HasClass(c, kCcToken); }

constexpr bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Linear whitespace inside a header value: SP, HTAB, and the CR/LF of a fold
// (the message scanner guarantees every CRLF inside a value is followed by
// SP or HTAB, so treating CR and LF as whitespace here is exact).
constexpr bool IsLws(char c) { return HasClass(c, kCcLws); }

constexpr std::string_view TrimLws(std::string_view s) {
  size_t b = 0;
  while (b < s.size() && IsLws(s[b])) ++b;
  size_t e = s.size();
  while (e > b && IsLws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// Parses an unsigned decimal with overflow checking. Leading zeros are
// allowed (RFC 4475 wsinv has "0068"). Fails on empty input, any non-digit,
// or a value above `max`.
std::optional<uint64_t> ParseUint(std::string_view s, uint64_t max = UINT64_MAX);

// A dotted-decimal IPv4 address exactly as inet_pton(AF_INET) accepts it: four
// decimal octets up to 255, no leading zeros, nothing else (no NUL either).
// `out` gets the bytes in network order (untouched on failure). Not inet_aton:
// "1.2.3", "0x7f.1" and "010.0.0.1" are refused.
bool ParseIpv4(std::string_view s, uint8_t out[4]);

// Case-insensitive hash for header names and parameter names.
size_t IHash(std::string_view s);

// Which shard (event loop) owns a user: ShardHash(aor key) % shards. 32-bit
// FNV-1a over ASCII-lower-cased bytes, so that the kernel's steering program
// (transport/steering.h, 32-bit classic BPF) computes the same value from a
// datagram's bytes.
inline constexpr uint32_t kShardHashBasis = 2166136261u;
inline constexpr uint32_t kShardHashPrime = 16777619u;
uint32_t ShardHash(std::string_view s);

// Spreads every bit of `x` into every other (MurmurHash3's finalizer): for
// slots and tags taken from different bits of one hash.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// Escaping for XML character data and for attribute values in double
// quotes; CR, and in attributes TAB and LF, become character references so
// that a parser gives the same value back.
void AppendXmlText(std::string& out, std::string_view text);
void AppendXmlAttr(std::string& out, std::string_view value);
// `s` escaped for an attribute value (or text) of a document written by
// hand (reginfo, dialog-info).
std::string XmlEscape(std::string_view s);

// RFC 4648 base64 with padding. Decoding refuses anything else (nullopt).
std::string Base64Encode(std::string_view in);
std::optional<std::string> Base64Decode(std::string_view in);

// Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool IsUtf8(std::string_view s);
// Text either store backend keeps as it is: UTF-8 without NUL (PostgreSQL
// refuses both in text columns).
bool IsStorableText(std::string_view s);
// `s` made storable for informational text (a User-Agent): every NUL and
// every byte that starts no well-formed sequence becomes U+FFFD.
std::string ToStorableText(std::string_view s);

}  // namespace parley
