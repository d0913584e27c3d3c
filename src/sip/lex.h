#pragma once
// Lexical helpers for the RFC 3261 grammar, shared by the field parsers.
// All functions work on views and never allocate.

#include <cstddef>
#include <string_view>

#include "common/strings.h"

namespace parley::sip {

// Skips LWS starting at `i`; returns the first non-LWS index.
constexpr size_t SkipLws(std::string_view s, size_t i) {
  while (i < s.size() && IsLws(s[i])) ++i;
  return i;
}

// Given s[i] == '"', returns the index just past the closing quote, or npos
// if the quoted string is unterminated or holds a byte the grammar forbids.
// quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
size_t ScanQuotedString(std::string_view s, size_t i);

// Removes the surrounding quotes and quoted-pair escapes.
std::string UnquoteString(std::string_view quoted);

// Index of the next `delim` at the top level of `s` starting at `i`: not
// inside a quoted string and (when `angle` is true) not inside <...>.
// Returns s.size() if none; npos if a quote or bracket is unbalanced.
size_t FindTopLevel(std::string_view s, size_t i, char delim, bool angle = true);

// Calls f(element) for each comma-separated element of a header value
// (elements trimmed of LWS). Commas inside quoted strings and <...> do not
// split. Returns false on unbalanced quotes/brackets or an empty element.
template <typename F>
bool ForEachListElement(std::string_view value, F&& f) {
  size_t i = 0;
  while (true) {
    size_t e = FindTopLevel(value, i, ',');
    if (e == std::string_view::npos) return false;
    std::string_view elem = TrimLws(value.substr(i, e - i));
    if (elem.empty()) return false;
    if (!f(elem)) return false;
    if (e >= value.size()) return true;
    i = e + 1;
  }
}

// True for bytes allowed in a URI's unreserved set: alphanum / mark.
constexpr bool IsUnreserved(char c) { return HasClass(c, kCcUnreserved); }

// Checks the chars of `s` belong to unreserved / escaped / `extra`.
bool IsEscapedSet(std::string_view s, std::string_view extra);

// Percent-decodes `s` (assumed valid). Returns `s` unchanged in a new string
// when it has no escapes.
std::string PercentDecode(std::string_view s);

// Validates an IPv4 dotted quad / an IPv6 address without brackets.
bool IsIpv4(std::string_view s);
bool IsIpv6(std::string_view s);
// hostname = *( domainlabel "." ) toplabel [ "." ] (lenient: '_' allowed).
bool IsHostname(std::string_view s);

}  // namespace parley::sip
