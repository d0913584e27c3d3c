#pragma once
// RFC 5261 XML patch operations over a pugixml document (internal to the
// presence document layer; RFC 5262's <pidf-diff> is their one user). Pure.
//
// Selectors: the RFC 5261 subset of XPath — child steps from the document
// ("presence/tuple" and "/presence/tuple" alike), each a QName or "*" with
// any number of predicates: a position "[n]", an attribute value
// "[@a='v']", a child element's value "[p:c='v']" or the node's own value
// "[.='v']"; then a last step that may be "text()", "comment()" (with a
// position), "@QName" or "namespace::prefix". Prefixes are resolved at
// the operation element of the patch document, not in the target; an
// unprefixed element name takes the patch's default namespace in scope
// (§4.2.2), an unprefixed attribute none. id() is not supported.
//
// Errors are parley::Error{400, "<error-element>: <phrase>"} where the
// element is one of RFC 5261 §5.1's (unlocated-node, invalid-attribute-value,
// invalid-node-types, invalid-root-element-operation,
// invalid-whitespace-directive, invalid-patch-directive,
// unsupported-id-function, invalid-namespace-prefix). A failed operation
// may leave the target half changed: the caller discards it.

#include <pugixml.hpp>

#include <cstddef>

#include "common/result.h"

namespace parley::presence::patch {

inline constexpr size_t kMaxSelectorBytes = 1024;
inline constexpr size_t kMaxSelectorSteps = 32;

// Applies one operation element (<add>, <replace> or <remove>, in any
// namespace: the caller has checked it) to `target`, which must have been
// loaded with whitespace text kept (parse_ws_pcdata) for `ws` to find it.
Result<void> Apply(pugi::xml_document& target, pugi::xml_node operation);

}  // namespace parley::presence::patch
