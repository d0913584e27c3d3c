#pragma once
// Namespace-tolerant helpers over pugixml for the SIMPLE XML formats:
// elements are matched by local name, whatever prefix a sender chose.

#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace parley::ua::xml {

// "rpid:away" -> "away".
inline std::string_view LocalName(const char* qname) {
  std::string_view n(qname);
  size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

// The first child element with this local name.
inline pugi::xml_node Child(pugi::xml_node parent, std::string_view local) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c.name()) == local) return c;
  }
  return {};
}

// Its trimmed text ("" when absent).
inline std::string ChildText(pugi::xml_node parent, std::string_view local) {
  std::string t = Child(parent, local).text().as_string();
  size_t b = t.find_first_not_of(" \t\r\n");
  size_t e = t.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
}

// Parses a document; refuses DOCTYPE (no entity games) and oversized input.
inline bool Load(pugi::xml_document& doc, std::string_view text) {
  if (text.size() > 256 * 1024) return false;
  if (text.find("<!DOCTYPE") != std::string_view::npos || text.find("<!ENTITY") != std::string_view::npos) {
    return false;
  }
  return doc.load_buffer(text.data(), text.size(), pugi::parse_default & ~pugi::parse_doctype, pugi::encoding_utf8);
}

inline std::string ToString(const pugi::xml_document& doc) {
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
  } w;
  doc.save(w, "  ", pugi::format_default, pugi::encoding_utf8);
  return w.out;
}

}  // namespace parley::ua::xml
