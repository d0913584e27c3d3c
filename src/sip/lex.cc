#include "sip/lex.h"

#include <arpa/inet.h>

#include <array>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace parley::sip {

size_t ScanQuotedString(std::string_view s, size_t i) {
  // s[i] == '"'
  ++i;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (i + 1 >= s.size()) return std::string_view::npos;
      unsigned char n = static_cast<unsigned char>(s[i + 1]);
      if (n == 0x0A || n == 0x0D || n > 0x7F) return std::string_view::npos;
      i += 2;
      continue;
    }
    // qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') return std::string_view::npos;
    if (c == 0x7F) return std::string_view::npos;
    ++i;
  }
  return std::string_view::npos;
}

std::string UnquoteString(std::string_view q) {
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return std::string(q);
  std::string_view inner = q.substr(1, q.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return std::string(inner);  // nothing escaped
  std::string out;
  out.reserve(q.size() - 2);
  for (size_t i = 1; i + 1 < q.size(); ++i) {
    if (q[i] == '\\' && i + 2 < q.size()) ++i;
    out.push_back(q[i]);
  }
  return out;
}

namespace {

// The first byte at or after i that FindTopLevel must look at: a quote, the
// delimiter, and with `angle` the brackets. Sixteen bytes per step with SSE2
// (baseline on x86-64): header values are mostly plain text between them.
size_t NextSpecial(std::string_view s, size_t i, char delim, bool angle) {
  const char* p = s.data();
  const size_t n = s.size();
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i d = _mm_set1_epi8(delim);
  const __m128i lt = _mm_set1_epi8(angle ? '<' : '"');
  const __m128i gt = _mm_set1_epi8(angle ? '>' : '"');
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, d)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, gt)));
    if (int mask = _mm_movemask_epi8(hit); mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  for (; i < n; ++i) {
    char c = p[i];
    if (c == '"' || c == delim || (angle && (c == '<' || c == '>'))) return i;
  }
  return n;
}

}  // namespace

size_t FindTopLevel(std::string_view s, size_t i, char delim, bool angle) {
  bool in_angle = false;
  const size_t n = s.size();
  while ((i = NextSpecial(s, i, delim, angle)) < n) {
    char c = s[i];
    if (c == '"') {
      size_t e = ScanQuotedString(s, i);
      if (e == std::string_view::npos) return e;
      i = e;
      continue;
    }
    if (angle) {
      if (c == '<') {
        if (in_angle) return std::string_view::npos;
        in_angle = true;
      } else if (c == '>') {
        if (!in_angle) return std::string_view::npos;
        in_angle = false;
      }
    }
    if (c == delim && !in_angle) return i;
    ++i;
  }
  return in_angle ? std::string_view::npos : n;
}

bool IsEscapedSet(std::string_view s, std::string_view extra) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return false;
      if (!IsHex(s[i + 1]) || !IsHex(s[i + 2])) return false;
      i += 2;
      continue;
    }
    if (IsUnreserved(c)) continue;
    if (extra.find(c) != std::string_view::npos) continue;
    return false;
  }
  return true;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool IsIpv4(std::string_view s) {
  uint8_t bytes[4];
  return ParseIpv4(s, bytes);
}

bool IsIpv6(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  char buf[46];
  s.copy(buf, s.size());
  buf[s.size()] = '\0';
  in6_addr a;
  return inet_pton(AF_INET6, buf, &a) == 1;
}

bool IsHostname(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  // Most hosts we see are IPv4 addresses: one pass for them.
  if (IsDigit(s.front()) && IsIpv4(s)) return true;
  bool all_numeric = true;
  size_t label_len = 0;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (label_len == 0 || prev == '-') return false;
      label_len = 0;
    } else if (IsAlnum(c) || c == '-' || c == '_') {
      if (label_len == 0 && c == '-') return false;
      if (!IsDigit(c)) all_numeric = false;
      ++label_len;
    } else {
      return false;
    }
    prev = c;
  }
  if (prev == '-') return false;
  // Dotted numbers must be a real IPv4 address (tried above: they start
  // with a digit).
  return !all_numeric;
}

}  // namespace parley::sip
