#include "common/strings.h"

#include <cstring>

namespace parley {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::optional<uint64_t> ParseUint(std::string_view s, uint64_t max) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (d > max || v > (max - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

bool ParseIpv4(std::string_view s, uint8_t out[4]) {
  if (s.size() < 7 || s.size() > 15) return false;
  uint8_t bytes[4];
  unsigned octet = 0;
  int digits = 0, index = 0;
  for (char c : s) {
    if (IsDigit(c)) {
      if (digits == 1 && octet == 0) return false;  // leading zero
      octet = octet * 10 + static_cast<unsigned>(c - '0');
      if (octet > 255) return false;
      ++digits;
    } else if (c == '.' && digits > 0 && index < 3) {
      bytes[index++] = static_cast<uint8_t>(octet);
      octet = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (digits == 0 || index != 3) return false;
  bytes[3] = static_cast<uint8_t>(octet);
  std::memcpy(out, bytes, 4);  // untouched on failure
  return true;
}

size_t IHash(std::string_view s) {
  // FNV-1a over lower-cased bytes.
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(AsciiLower(c));
    h *= 1099511628211ULL;
  }
  return static_cast<size_t>(h);
}

uint32_t ShardHash(std::string_view s) {
  uint32_t h = kShardHashBasis;
  for (char c : s) {
    h ^= static_cast<unsigned char>(AsciiLower(c));
    h *= kShardHashPrime;
  }
  return h;
}

namespace {
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kBase64[(acc << (6 - bits)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

std::optional<std::string> Base64Decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    int v;
    if (c == '=') {
      if (i + 2 < in.size()) return std::nullopt;  // padding only at the end
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

namespace {
// Length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), 0 when
// the bytes there are not one.
size_t Utf8SequenceAt(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 1, cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 2, cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 3, cp = c & 0x07;
  } else {
    return 0;
  }
  for (size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return 0;
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n + 1;
}
}  // namespace

bool IsUtf8(std::string_view s) {
  for (size_t i = 0, n; i < s.size(); i += n) {
    if ((n = Utf8SequenceAt(s, i)) == 0) return false;
  }
  return true;
}

bool IsStorableText(std::string_view s) {
  for (size_t i = 0, n; i < s.size(); i += n) {
    if (s[i] == '\0' || (n = Utf8SequenceAt(s, i)) == 0) return false;
  }
  return true;
}

std::string ToStorableText(std::string_view s) {
  if (IsStorableText(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0, n; i < s.size(); i += n) {
    n = s[i] == '\0' ? 0 : Utf8SequenceAt(s, i);
    if (n == 0) {
      out.append("\xef\xbf\xbd");  // U+FFFD REPLACEMENT CHARACTER
      n = 1;
    } else {
      out.append(s.substr(i, n));
    }
  }
  return out;
}

void AppendXmlText(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '\r': out.append("&#13;"); break;
      default: out.push_back(c);
    }
  }
}

void AppendXmlAttr(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '&': out.append("&amp;"); break;
      case '<': out.append("&lt;"); break;
      case '>': out.append("&gt;"); break;
      case '"': out.append("&quot;"); break;
      case '\t': out.append("&#9;"); break;
      case '\n': out.append("&#10;"); break;
      case '\r': out.append("&#13;"); break;
      default: out.push_back(c);
    }
  }
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendXmlAttr(out, s);
  return out;
}

}  // namespace parley
