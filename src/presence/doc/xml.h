#pragma once
// XML helpers of the presence document layer (internal): namespace
// resolution by URI over pugixml (which has no namespace support), text
// access, escaping, and the self-contained capture of unknown elements.

#include <pugixml.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/strings.h"

namespace parley::presence::xml {

inline constexpr std::string_view kNsXml = "http://www.w3.org/XML/1998/namespace";

// An element's expanded name.
struct Name {
  std::string_view ns;  // "" for no namespace
  std::string_view local;
  bool Is(std::string_view n, std::string_view l) const { return ns == n && local == l; }
};

// The namespace URI bound to `prefix` ("" = the default namespace) at
// `element`: nullopt when a named prefix is not declared; "" when the
// default namespace is not declared (or undeclared with xmlns="").
std::optional<std::string_view> LookupNamespace(pugi::xml_node element, std::string_view prefix);

// The expanded name of an element (error: 400, undeclared prefix).
Result<Name> ElementName(pugi::xml_node element);

// The value of an unprefixed attribute, or of "xml:lang"; nullopt if absent.
std::optional<std::string_view> Attr(pugi::xml_node element, std::string_view name);

// xml:lang in scope at `element` (inherited from ancestors), "" when none.
std::string_view LangInScope(pugi::xml_node element);

// The concatenated character data (text and CDATA) directly inside
// `element`, with XML whitespace trimmed at both ends.
std::string Text(pugi::xml_node element);

// True when `element` has a child element.
bool HasChildElement(pugi::xml_node element);


// The outer XML of `element`, made self-contained: every namespace prefix it
// (or a descendant) uses that is declared outside it is declared on it, and
// a default namespace it relies on is declared too (xmlns="" when none was
// in scope), and so is an inherited xml:lang, so it can be pasted under any
// parent. CDATA becomes escaped
// text; comments and processing instructions are dropped.
// Errors: 400 for an undeclared prefix.
Result<std::string> CaptureOuterXml(pugi::xml_node element);

// An NCName as far as ASCII goes (non-ASCII name characters are let
// through): element names this layer accepts and writes.
bool IsNcName(std::string_view s);

// XML whitespace (S production).
constexpr bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
std::string_view Trim(std::string_view s);

// The byte offset of the first ill-formed UTF-8 sequence or forbidden
// control character (XML 1.0 Char production, C0 range) in `text`.
std::optional<size_t> FindInvalidChar(std::string_view text);

}  // namespace parley::presence::xml
