#pragma once
// RFC 3862 §3.6 character classes and small validators shared by the CPIM
// parser and builder (internal to im/format).

#include <string>
#include <string_view>

#include "common/strings.h"

#include "im/format/cpim.h"

namespace parley::im::cpim {

// NAMECHAR: any character except CTLs, SP and "()<>@,;:\/[]?={}", '"' and '.'.
constexpr bool IsNameChar(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
         (c >= 0x5e && c <= 0x60) || c == 0x7c || c == 0x7e;
}
constexpr bool IsTokenChar(char c) { return IsNameChar(c) || c == '.'; }

constexpr bool IsName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}
constexpr bool IsCpimToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

constexpr std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The kind of an unprefixed header name (core names in any case).
CpimHeaderKind KindOf(std::string_view name);

// A language tag as far as CPIM needs: ALPHA then alphanumerics and '-'.
bool IsLanguageTag(std::string_view s);

// type "/" subtype (tokens); parameters not checked.
bool IsMediaType(std::string_view value);

// Header-name = [ Name-prefix "." ] Name.
bool IsHeaderName(std::string_view s);

// <URI>: scheme ":" then at least one printable ASCII character other than
// SP, '<', '>', '"', '\'.
bool IsUri(std::string_view s);

using parley::IsUtf8;  // common/strings.h

// An RFC 5322 field-name: printable ASCII except ':'.
bool IsFieldName(std::string_view s);

// The text shown in an error reason: at most 64 bytes, non-printable bytes
// as '?'.
std::string Shown(std::string_view s);

// Checks the parameters at the start of `rest` (`*( ";" Name "=" (Token /
// String) )`) and returns their length, or npos when malformed.
size_t ScanParams(std::string_view rest);

// Finds the value of parameter `name` in `params` as ScanParams accepted it.
bool FindParam(std::string_view params, std::string_view name, std::string_view& value);

// Validates a header value's characters (UTF-8, no CTL other than HTAB) and
// escapes; returns nullptr or the reason.
const char* CheckValue(std::string_view raw);

// Decodes escapes into `out` (or only validates when `out` is null);
// returns nullptr or the reason.
const char* Unescape(std::string_view raw, std::string* out);

}  // namespace parley::im::cpim
