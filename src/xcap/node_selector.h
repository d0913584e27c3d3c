#pragma once
// RFC 4825 node selectors: the part of an XCAP URI after "/~~/" (§6.3) and
// the prefix bindings of its query (§6.4), and the element and attribute
// operations over a document (§7.3-§7.5, §8.2). Pure: no I/O.
//
// Supported steps: "name", "prefix:name" and "*", each optionally with a
// position "[n]", an attribute test "[@attr=\"value\"]" or both in that order
// ("[n][@attr='v']"), and a final "@attr" attribute selector. Unprefixed
// element names are in the application usage's default namespace,
// unprefixed attribute names in no namespace (§6.4). The namespace selector
// ("namespace::*") and extension selectors are not supported.
//
// Errors of the operations: code 404 (nothing or more than one node
// selected), 400/414 for the selector itself, or 409 with the message
// "<xcap-error-element>: <phrase>" (see SplitConflict), e.g.
// "cannot-insert: ..." or "no-parent: ...". A failed PUT or DELETE may
// leave the document half changed: the caller discards it.

#include <pugixml.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace parley::xcap {

// Limits of a node selector (after percent-decoding) and its query.
inline constexpr size_t kMaxSelectorBytes = 1024;
inline constexpr size_t kMaxSelectorSteps = 32;
inline constexpr size_t kMaxNamespaceBindings = 16;
inline constexpr size_t kMaxPosition = 100000;

// Prefix → namespace URI, from "xmlns(p=urn)..." (later bindings win).
using NamespaceBindings = std::vector<std::pair<std::string, std::string>>;

// The percent-decoded query of an XCAP URI: zero or more XPointer xmlns()
// parts (RFC 4825 §6.4), "^" escaping as in XPointer. Errors: 400 (syntax,
// a part other than xmlns()), 414 (more than kMaxNamespaceBindings).
Result<NamespaceBindings> ParseNamespaceBindings(std::string_view decoded_query);

struct ExpandedName {
  std::string ns;      // "" for no namespace
  std::string local;
  std::string prefix;  // as written ("" when unprefixed)
  bool operator==(const ExpandedName& o) const { return ns == o.ns && local == o.local; }
};

struct Step {
  bool any = false;   // "*"
  ExpandedName name;  // unless `any`
  size_t position = 0;  // "[n]"; 0 when none
  std::optional<ExpandedName> attr;  // "[@attr=value]"
  std::string attr_value;
};

struct NodeSelector {
  std::vector<Step> steps;                // at least one
  std::optional<ExpandedName> attribute;  // final "@attr"
  bool selects_attribute() const { return attribute.has_value(); }
};

// Parses a percent-decoded node selector ("ruleset/rule[@id=\"a\"]/@id").
// `default_ns` is the application usage's default document namespace.
// Errors: 400 (syntax, unbound prefix), 414 (longer than kMaxSelectorBytes
// or more than kMaxSelectorSteps steps), 501 (namespace selector).
Result<NodeSelector> ParseNodeSelector(std::string_view decoded_selector, const NamespaceBindings& namespaces,
                                       std::string_view default_ns);

// The document as the operations keep it: comments, processing
// instructions, the XML declaration and whitespace are preserved.
// Errors: 500 (the stored document is not well-formed XML).
Result<void> LoadDocument(pugi::xml_document& doc, std::string_view text);
std::string SaveDocument(const pugi::xml_document& doc);

// The elements `steps` select, in document order.
std::vector<pugi::xml_node> SelectElements(const pugi::xml_document& doc, const std::vector<Step>& steps);

// GET (§7.3, §7.4): the selected element as an XML fragment, or the
// selected attribute's value as an escaped AttValue without quotes.
// Errors: 404.
Result<std::string> ReadNode(const pugi::xml_document& doc, const NodeSelector& sel);

// PUT (§7.4, §8.2): `body` is one XML element (element selector) or an
// attribute value (attribute selector). Returns true when the node was
// created, false when replaced. Errors: 409 "not-xml-frag",
// "not-xml-att-value", "no-parent", "cannot-insert" (the result would not
// be selected by `sel`, RFC 4825 §8.2.5).
Result<bool> PutNode(pugi::xml_document& doc, const NodeSelector& sel, std::string_view body);

// DELETE (§7.5): 404 when nothing (or more than one node) is selected, 409
// "cannot-delete" when `sel` would still select something afterwards or
// selects the root element.
Result<void> DeleteNode(pugi::xml_document& doc, const NodeSelector& sel);

// A 409's XCAP error element and phrase ("cannot-insert", "...").
std::pair<std::string_view, std::string_view> SplitConflict(const Error& e);

}  // namespace parley::xcap
