#include "presence/doc/xml.h"

#include <cstring>
#include <map>

namespace parley::presence::xml {

namespace {

// The value of the declaration of `prefix` ("" = default) on this element.
std::optional<std::string_view> DeclaredOn(pugi::xml_node e, std::string_view prefix) {
  for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    if (prefix.empty() ? name == "xmlns"
                       : (name.size() == 6 + prefix.size() && name.starts_with("xmlns:") &&
                          name.substr(6) == prefix)) {
      return std::string_view(a.value());
    }
  }
  return std::nullopt;
}

bool IsContent(pugi::xml_node n) {
  auto t = n.type();
  return t == pugi::node_element || t == pugi::node_pcdata || t == pugi::node_cdata;
}

pugi::xml_node FirstContentChild(pugi::xml_node n) {
  pugi::xml_node c = n.first_child();
  while (c && !IsContent(c)) c = c.next_sibling();
  return c;
}

pugi::xml_node NextContentSibling(pugi::xml_node n) {
  pugi::xml_node c = n.next_sibling();
  while (c && !IsContent(c)) c = c.next_sibling();
  return c;
}

Error UndeclaredPrefix() { return Error(400, "PIDF: undeclared namespace prefix"); }

std::string_view PrefixOf(std::string_view qname) {
  size_t colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
}

}  // namespace

bool IsNcName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
    bool more = (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!(alpha || (i > 0 && more))) return false;
  }
  return true;
}

std::optional<std::string_view> LookupNamespace(pugi::xml_node element, std::string_view prefix) {
  if (prefix == "xml") return kNsXml;
  if (prefix == "xmlns") return std::nullopt;
  for (pugi::xml_node n = element; n && n.type() == pugi::node_element; n = n.parent()) {
    if (auto v = DeclaredOn(n, prefix)) {
      if (!prefix.empty() && v->empty()) return std::nullopt;  // xmlns:p="" is not a binding
      return v;
    }
  }
  if (prefix.empty()) return std::string_view();
  return std::nullopt;
}

Result<Name> ElementName(pugi::xml_node element) {
  std::string_view q = element.name();
  size_t colon = q.find(':');
  std::string_view prefix, local = q;
  if (colon != std::string_view::npos) {
    prefix = q.substr(0, colon);
    local = q.substr(colon + 1);
    if (!IsNcName(prefix)) return Error(400, "PIDF: invalid element name");
  }
  if (!IsNcName(local)) return Error(400, "PIDF: invalid element name");
  auto ns = LookupNamespace(element, prefix);
  if (!ns) return UndeclaredPrefix();
  return Name{*ns, local};
}

std::optional<std::string_view> Attr(pugi::xml_node element, std::string_view name) {
  for (pugi::xml_attribute a = element.first_attribute(); a; a = a.next_attribute()) {
    if (name == a.name()) return std::string_view(a.value());
  }
  return std::nullopt;
}

std::string_view LangInScope(pugi::xml_node element) {
  for (pugi::xml_node n = element; n && n.type() == pugi::node_element; n = n.parent()) {
    if (auto v = Attr(n, "xml:lang")) return *v;
  }
  return {};
}

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsXmlSpace(s[b])) ++b;
  while (e > b && IsXmlSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string Text(pugi::xml_node element) {
  pugi::xml_node first;
  int pieces = 0;
  for (pugi::xml_node c = element.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      if (pieces++ == 0) first = c;
    }
  }
  if (pieces == 0) return {};
  if (pieces == 1) return std::string(Trim(first.value()));
  std::string all;
  for (pugi::xml_node c = first; c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) all.append(c.value());
  }
  return std::string(Trim(all));
}

bool HasChildElement(pugi::xml_node element) {
  for (pugi::xml_node c = element.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return true;
  }
  return false;
}

Result<std::string> CaptureOuterXml(pugi::xml_node root) {
  // Pass 1: every prefix used in the subtree that is bound outside it.
  std::map<std::string, std::string, std::less<>> needed;
  auto need = [&](pugi::xml_node e, std::string_view prefix) -> bool {
    if (prefix == "xml") return true;
    for (pugi::xml_node n = e;; n = n.parent()) {
      if (auto v = DeclaredOn(n, prefix)) return prefix.empty() || !v->empty();
      if (n == root) break;
    }
    auto outer = LookupNamespace(root.parent(), prefix);
    if (!outer) return false;
    needed.emplace(std::string(prefix), std::string(*outer));
    return true;
  };
  for (pugi::xml_node n = root; n;) {
    if (n.type() == pugi::node_element) {
      if (!need(n, PrefixOf(n.name()))) return UndeclaredPrefix();
      for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
        std::string_view p = PrefixOf(a.name());
        if (p.empty() || p == "xmlns" || std::string_view(a.name()) == "xmlns") continue;
        if (!need(n, p)) return UndeclaredPrefix();
      }
    }
    // Pre-order walk bounded by the subtree.
    if (n.type() == pugi::node_element && n.first_child()) {
      n = n.first_child();
      continue;
    }
    while (n != root && !n.next_sibling()) n = n.parent();
    n = n == root ? pugi::xml_node() : n.next_sibling();
  }

  // Pass 2: write it.
  std::string out;
  auto open = [&](pugi::xml_node e) {
    out.push_back('<');
    out.append(e.name());
    if (e == root) {
      for (const auto& [prefix, uri] : needed) {
        out.append(prefix.empty() ? " xmlns" : " xmlns:").append(prefix).append("=\"");
        AppendXmlAttr(out, uri);
        out.push_back('"');
      }
      // The language it inherited goes with it.
      std::string_view lang = LangInScope(root.parent());
      if (!lang.empty() && !Attr(root, "xml:lang")) {
        out.append(" xml:lang=\"");
        AppendXmlAttr(out, lang);
        out.push_back('"');
      }
    }
    for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) {
      out.push_back(' ');
      out.append(a.name()).append("=\"");
      AppendXmlAttr(out, a.value());
      out.push_back('"');
    }
  };
  pugi::xml_node n = root;
  while (true) {
    if (n.type() == pugi::node_element) {
      open(n);
      if (pugi::xml_node c = FirstContentChild(n)) {
        out.push_back('>');
        n = c;
        continue;
      }
      out.append("/>");
    } else {
      AppendXmlText(out, n.value());
    }
    // Leave n: close finished ancestors until a sibling is found.
    pugi::xml_node next;
    while (n != root && !(next = NextContentSibling(n))) {
      n = n.parent();
      out.append("</").append(n.name()).push_back('>');
    }
    if (n == root) break;
    n = next;
  }
  return out;
}

std::optional<size_t> FindInvalidChar(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    // Eight printable ASCII bytes at a time (no high bit, none below 0x20).
    if (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      constexpr uint64_t kHigh = 0x8080808080808080ull, kSpace = 0x2020202020202020ull;
      if (((w | (w - kSpace)) & kHigh) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates, beyond U+10FFFF, U+FFFE/U+FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || (cp >= 0xD800 && cp <= 0xDFFF) ||
        cp > 0x10FFFF || cp == 0xFFFE || cp == 0xFFFF) {
      return i;
    }
    i += len;
  }
  return std::nullopt;
}

}  // namespace parley::presence::xml
