#pragma once
// Bounded, DTD-free loading of the small IM XML documents (internal to
// im/format): the checks the PIDF parser makes, with the document's name in
// every reason. Namespaces are resolved with presence/doc/xml.h.

#include <pugixml.hpp>

#include <cstddef>
#include <string_view>

#include "common/result.h"

namespace parley::im {

struct XmlLimits {
  size_t max_bytes = 16384;
  size_t max_elements = 256;
  size_t max_depth = 16;
  size_t max_text_bytes = 4096;  // one element's text
};

// Loads `body` into `doc` and returns its root element. Errors: 413
// "<what>: body too large …", "too many elements", "elements nested too
// deeply"; 400 "<what>: not well-formed XML at offset N", "DOCTYPE is not
// allowed", "invalid character reference".
Result<pugi::xml_node> LoadXml(pugi::xml_document& doc, std::string_view body, std::string_view what,
                               const XmlLimits& limits);

}  // namespace parley::im
