#include "im/format/xml_load.h"

#include <string>

#include "presence/doc/xml.h"

namespace parley::im {

namespace xml = presence::xml;

Result<pugi::xml_node> LoadXml(pugi::xml_document& doc, std::string_view body, std::string_view what,
                               const XmlLimits& limits) {
  const std::string w(what);
  if (body.size() > limits.max_bytes) {
    return Error(413, w + ": body too large (" + std::to_string(body.size()) + " bytes, limit " +
                          std::to_string(limits.max_bytes) + ")");
  }
  const size_t bom = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (auto bad = xml::FindInvalidChar(body.substr(bom))) {
    return Error(400, w + ": not well-formed XML at offset " + std::to_string(*bad + bom));
  }
  // No DTDs: nothing to expand, nothing to fetch.
  if (body.find("<!DOCTYPE") != std::string_view::npos) return Error(400, w + ": DOCTYPE is not allowed");
  auto loaded = doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_fragment,
                                pugi::encoding_utf8);
  if (!loaded) return Error(400, w + ": not well-formed XML at offset " + std::to_string(loaded.offset));
  pugi::xml_node root;
  for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) {
      if (root) return Error(400, w + ": not well-formed XML at offset " + std::to_string(c.offset_debug() - 1));
      root = c;
    } else if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      return Error(400, w + ": not well-formed XML at offset " + std::to_string(c.offset_debug()));
    }
  }
  if (!root) return Error(400, w + ": not well-formed XML at offset 0");
  const bool check_refs = body.find("&#") != std::string_view::npos;
  size_t elements = 0, depth = 1;
  for (pugi::xml_node n = root; n;) {
    if (n.type() == pugi::node_element) {
      if (++elements > limits.max_elements) return Error(413, w + ": too many elements");
      if (depth > limits.max_depth) return Error(413, w + ": elements nested too deeply");
      for (pugi::xml_attribute a = n.first_attribute(); check_refs && a; a = a.next_attribute()) {
        if (xml::FindInvalidChar(a.value())) return Error(400, w + ": invalid character reference");
      }
      if (n.first_child()) {
        n = n.first_child();
        ++depth;
        continue;
      }
    } else if (check_refs && xml::FindInvalidChar(n.value())) {
      return Error(400, w + ": invalid character reference");
    }
    while (n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    n = n == root ? pugi::xml_node() : n.next_sibling();
  }
  return root;
}

}  // namespace parley::im
