#include "im/format/cpim_syntax.h"

#include <cstdint>

#include "common/strings.h"

namespace parley::im::cpim {

CpimHeaderKind KindOf(std::string_view name) {
  if (IEquals(name, "From")) return CpimHeaderKind::kFrom;
  if (IEquals(name, "To")) return CpimHeaderKind::kTo;
  if (IEquals(name, "cc")) return CpimHeaderKind::kCc;
  if (IEquals(name, "DateTime")) return CpimHeaderKind::kDateTime;
  if (IEquals(name, "Subject")) return CpimHeaderKind::kSubject;
  if (IEquals(name, "NS")) return CpimHeaderKind::kNs;
  if (IEquals(name, "Require")) return CpimHeaderKind::kRequire;
  return CpimHeaderKind::kOther;
}

bool IsLanguageTag(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!IsAlnum(c) && c != '-') return false;
  }
  return IsAlpha(s.front()) && s.back() != '-';
}

bool IsMediaType(std::string_view v) {
  std::string_view essence = TrimLws(v.substr(0, v.find(';')));
  size_t slash = essence.find('/');
  return slash != std::string_view::npos && IsToken(essence.substr(0, slash)) && IsToken(essence.substr(slash + 1));
}

bool IsHeaderName(std::string_view s) {
  size_t dot = s.find('.');
  if (dot == std::string_view::npos) return IsName(s);
  return IsName(s.substr(0, dot)) && IsName(s.substr(dot + 1));
}

bool IsUri(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size() || !IsAlpha(s[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!IsAlnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\') return false;
  }
  return true;
}

bool IsFieldName(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  return true;
}

std::string Shown(std::string_view s) {
  std::string out(s.substr(0, 64));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  if (s.size() > 64) out += "...";
  return out;
}

namespace {

// A quoted String starting at s[0] == '"': its length with both quotes, or
// npos when unterminated.
size_t ScanString(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool Hex4(std::string_view s, size_t pos, uint32_t& out) {
  if (pos + 4 > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    int v = HexValue(s[i]);
    if (v < 0) return false;
    out = out * 16 + static_cast<uint32_t>(v);
  }
  return true;
}

}  // namespace

size_t ScanParams(std::string_view rest) {
  size_t i = 0;
  while (i < rest.size() && rest[i] == ';') {
    size_t b = ++i;
    while (i < rest.size() && IsNameChar(rest[i])) ++i;
    if (i == b || i >= rest.size() || rest[i] != '=') return std::string_view::npos;
    ++i;
    if (i < rest.size() && rest[i] == '"') {
      size_t n = ScanString(rest.substr(i));
      if (n == std::string_view::npos) return n;
      i += n;
    } else {
      size_t v = i;
      while (i < rest.size() && IsTokenChar(rest[i])) ++i;
      if (i == v) return std::string_view::npos;
    }
  }
  return i;
}

bool FindParam(std::string_view params, std::string_view name, std::string_view& value) {
  size_t i = 0;
  while (i < params.size() && params[i] == ';') {
    size_t b = ++i;
    size_t eq = params.find('=', b);
    if (eq == std::string_view::npos) return false;
    std::string_view n = params.substr(b, eq - b);
    i = eq + 1;
    size_t v = i;
    if (i < params.size() && params[i] == '"') {
      size_t len = ScanString(params.substr(i));
      if (len == std::string_view::npos) return false;
      i += len;
    } else {
      while (i < params.size() && params[i] != ';') ++i;
    }
    if (n == name) {
      value = params.substr(v, i - v);
      return true;
    }
  }
  return false;
}

const char* CheckValue(std::string_view raw) {
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return "a control character";
  }
  if (!IsUtf8(raw)) return "ill-formed UTF-8";
  return Unescape(raw, nullptr);
}

const char* Unescape(std::string_view raw, std::string* out) {
  if (out) out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      if (out) *out += c;
      continue;
    }
    if (++i >= raw.size()) return "a backslash at the end";
    char d;
    switch (raw[i]) {
      case '"': d = '"'; break;
      case '\'': d = '\''; break;
      case '\\': d = '\\'; break;
      case 'b': d = '\b'; break;
      case 't': d = '\t'; break;
      case 'n': d = '\n'; break;
      case 'r': d = '\r'; break;
      case 'u': {
        uint32_t cp;
        if (!Hex4(raw, i + 1, cp)) return "\\u without four hex digits";
        i += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return "a lone low surrogate";
        if (cp >= 0xd800 && cp <= 0xdbff) {
          uint32_t lo;
          if (i + 2 >= raw.size() || raw[i + 1] != '\\' || raw[i + 2] != 'u' || !Hex4(raw, i + 3, lo) ||
              lo < 0xdc00 || lo > 0xdfff) {
            return "a high surrogate without its low surrogate";
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (out) AppendUtf8(*out, cp);
        continue;
      }
      default:
        return "an unknown escape";
    }
    if (out) *out += d;
  }
  return nullptr;
}

}  // namespace parley::im::cpim
