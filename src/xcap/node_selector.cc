#include "xcap/node_selector.h"

#include <cstdint>

#include "presence/doc/xml.h"

namespace parley::xcap {

namespace {

namespace pxml = presence::xml;

// parley::Error spelled out: in a unity build xcap.cc's helper named Error
// would be found first.
using SelectorError = parley::Error;

SelectorError Conflict(std::string_view element, std::string_view phrase) {
  return SelectorError(409, std::string(element) + ": " + std::string(phrase));
}

constexpr bool IsNameStartChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
constexpr bool IsNameChar(unsigned char c) {
  return IsNameStartChar(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The value of an AttValue's content (no quotes): the five predefined
// entities and character references are expanded; '<' and a bare '&' are
// not allowed.
std::optional<std::string> DecodeAttValue(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '<') return std::nullopt;
    if (c != '&') {
      out.push_back(c);
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) return std::nullopt;
    std::string_view ref = s.substr(i + 1, semi - i - 1);
    i = semi;
    if (ref == "lt") out.push_back('<');
    else if (ref == "gt") out.push_back('>');
    else if (ref == "amp") out.push_back('&');
    else if (ref == "quot") out.push_back('"');
    else if (ref == "apos") out.push_back('\'');
    else if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > 6) return std::nullopt;
      uint32_t cp = 0;
      for (char d : digits) {
        int v = d >= '0' && d <= '9' ? d - '0'
                : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10
                                              : -1;
        if (v < 0) return std::nullopt;
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
      }
      bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                     (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
      if (!allowed) return std::nullopt;
      AppendUtf8(out, cp);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// A cursor over the selector text.
class SelectorParser {
 public:
  SelectorParser(std::string_view s, const NamespaceBindings& ns, std::string_view default_ns)
      : s_(s), ns_(ns), default_ns_(default_ns) {}

  Result<NodeSelector> Run() {
    NodeSelector out;
    if (s_.empty()) return Bad("empty node selector");
    while (true) {
      if (Peek() == '@') {
        if (out.steps.empty()) return Bad("an attribute selector needs an element step before it");
        ++pos_;
        auto name = Name(false, "an attribute name after '@'");
        if (!name.ok()) return name.take_error();
        out.attribute = std::move(*name);
        if (pos_ != s_.size()) return Bad("the attribute selector must be the last step");
        break;
      }
      if (s_.substr(pos_).starts_with("namespace::")) {
        return SelectorError(501, "node selector: the namespace selector is not supported");
      }
      if (out.steps.size() == kMaxSelectorSteps) {
        return SelectorError(414, "node selector: more than " + std::to_string(kMaxSelectorSteps) + " steps");
      }
      auto step = ParseStep();
      if (!step.ok()) return step.take_error();
      out.steps.push_back(std::move(*step));
      if (pos_ == s_.size()) break;
      if (Peek() != '/') return Bad("expected '/' at offset " + std::to_string(pos_));
      ++pos_;
      if (pos_ == s_.size()) return Bad("empty step at the end");
    }
    return out;
  }

 private:
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  SelectorError Bad(std::string why) const { return SelectorError(400, "node selector: " + why); }

  // NCName at the cursor, "" when none.
  std::string_view NcName() {
    size_t start = pos_;
    if (pos_ < s_.size() && IsNameStartChar(static_cast<unsigned char>(s_[pos_]))) {
      while (pos_ < s_.size() && IsNameChar(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

  // QName, its prefix resolved: unprefixed elements are in the default
  // namespace, unprefixed attributes in none.
  std::optional<ExpandedName> QName(bool element) {
    std::string_view first = NcName();
    if (first.empty()) return std::nullopt;
    ExpandedName n;
    if (Peek() == ':') {
      ++pos_;
      std::string_view local = NcName();
      if (local.empty()) return std::nullopt;
      n.prefix = std::string(first);
      n.local = std::string(local);
      if (first == "xml") {
        n.ns = std::string(pxml::kNsXml);
      } else {
        const std::string* uri = nullptr;
        for (const auto& [p, u] : ns_) {
          if (p == first) uri = &u;
        }
        if (!uri) {
          unbound_ = std::string(first);
          return std::nullopt;
        }
        n.ns = *uri;
      }
    } else {
      n.local = std::string(first);
      if (element) n.ns = std::string(default_ns_);
    }
    return n;
  }

  Result<ExpandedName> Name(bool element, std::string_view what) {
    auto n = QName(element);
    if (n && !element && n->prefix.empty() && n->local == "xmlns") {
      return Bad("namespace declarations are not attributes");
    }
    if (n) return std::move(*n);
    if (!unbound_.empty()) return Bad("prefix '" + unbound_ + "' is not bound by an xmlns() query");
    return Bad("expected " + std::string(what) + " at offset " + std::to_string(pos_));
  }

  Result<Step> ParseStep() {
    Step step;
    if (Peek() == '*') {
      step.any = true;
      ++pos_;
    } else {
      auto name = Name(true, "an element name or '*'");
      if (!name.ok()) return name.take_error();
      step.name = std::move(*name);
    }
    if (Peek() == '[' && pos_ + 1 < s_.size() && s_[pos_ + 1] != '@') {
      ++pos_;
      size_t start = pos_;
      size_t n = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        n = n * 10 + static_cast<size_t>(s_[pos_] - '0');
        if (n > kMaxPosition) return Bad("position larger than " + std::to_string(kMaxPosition));
        ++pos_;
      }
      if (pos_ == start || Peek() != ']') return Bad("expected a position and ']' at offset " + std::to_string(start));
      if (n == 0) return Bad("positions start at 1");
      ++pos_;
      step.position = n;
    }
    if (Peek() == '[') {
      ++pos_;
      if (Peek() != '@') return Bad("expected '@' at offset " + std::to_string(pos_));
      ++pos_;
      auto name = Name(false, "an attribute name");
      if (!name.ok()) return name.take_error();
      step.attr = std::move(*name);
      if (Peek() != '=') return Bad("expected '=' at offset " + std::to_string(pos_));
      ++pos_;
      char quote = Peek();
      if (quote != '"' && quote != '\'') return Bad("expected a quoted value at offset " + std::to_string(pos_));
      size_t close = s_.find(quote, pos_ + 1);
      if (close == std::string_view::npos) return Bad("unterminated attribute value");
      auto value = DecodeAttValue(s_.substr(pos_ + 1, close - pos_ - 1));
      if (!value) return Bad("attribute value is not a valid XML AttValue");
      step.attr_value = std::move(*value);
      pos_ = close + 1;
      if (Peek() != ']') return Bad("expected ']' at offset " + std::to_string(pos_));
      ++pos_;
    }
    if (Peek() == '[') return Bad("unsupported predicate at offset " + std::to_string(pos_));
    return step;
  }

  std::string_view s_;
  const NamespaceBindings& ns_;
  std::string_view default_ns_;
  size_t pos_ = 0;
  std::string unbound_;
};

bool IsNamespaceDeclaration(std::string_view name) { return name == "xmlns" || name.starts_with("xmlns:"); }

bool ElementMatches(pugi::xml_node e, const Step& step) {
  if (step.any) return true;
  auto n = pxml::ElementName(e);
  return n.ok() && n->ns == step.name.ns && n->local == step.name.local;
}

bool AttributeMatches(pugi::xml_node owner, pugi::xml_attribute a, const ExpandedName& name) {
  std::string_view qname = a.name();
  if (IsNamespaceDeclaration(qname)) return false;
  size_t colon = qname.find(':');
  if (colon == std::string_view::npos) return name.ns.empty() && qname == name.local;
  if (qname.substr(colon + 1) != name.local) return false;
  auto ns = pxml::LookupNamespace(owner, qname.substr(0, colon));
  return ns && *ns == name.ns;
}

std::vector<pugi::xml_attribute> SelectAttributes(pugi::xml_node e, const ExpandedName& name) {
  std::vector<pugi::xml_attribute> out;
  for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) {
    if (AttributeMatches(e, a, name)) out.push_back(a);
  }
  return out;
}

bool StepMatches(pugi::xml_node e, const Step& step, size_t index) {
  if (step.position != 0 && index != step.position) return false;
  if (!step.attr) return true;
  for (pugi::xml_attribute a : SelectAttributes(e, *step.attr)) {
    if (step.attr_value == a.value()) return true;
  }
  return false;
}

std::vector<pugi::xml_node> Apply(std::vector<pugi::xml_node> contexts, const std::vector<Step>& steps,
                                  size_t count) {
  for (size_t i = 0; i < count && !contexts.empty(); ++i) {
    std::vector<pugi::xml_node> next;
    for (pugi::xml_node c : contexts) {
      size_t index = 0;
      for (pugi::xml_node e = c.first_child(); e; e = e.next_sibling()) {
        if (e.type() != pugi::node_element || !ElementMatches(e, steps[i])) continue;
        if (StepMatches(e, steps[i], ++index)) next.push_back(e);
      }
    }
    contexts = std::move(next);
  }
  return contexts;
}

// The escaped form of an attribute value in a response (§7.4).
std::string EscapeAttValue(std::string_view v) { return XmlEscape(v); }

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
};

constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_declaration | pugi::parse_comments |
                                   pugi::parse_pi | pugi::parse_ws_pcdata;

bool IsWhitespace(std::string_view s) {
  for (char c : s) {
    if (!pxml::IsXmlSpace(c)) return false;
  }
  return true;
}

// The one element of an application/xcap-el+xml body.
Result<pugi::xml_node> ParseFragment(pugi::xml_document& frag, std::string_view body) {
  const size_t bom = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (pxml::FindInvalidChar(body.substr(bom)) || body.find("<!DOCTYPE") != std::string_view::npos) {
    return Conflict("not-xml-frag", "the body is not a well-formed XML element");
  }
  auto loaded = frag.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_fragment |
                                 pugi::parse_ws_pcdata, pugi::encoding_utf8);
  if (!loaded) return Conflict("not-xml-frag", "the body is not well-formed XML");
  pugi::xml_node element;
  for (pugi::xml_node c = frag.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) {
      if (element) return Conflict("not-xml-frag", "the body holds more than one element");
      element = c;
    } else if (c.type() != pugi::node_pcdata || !IsWhitespace(c.value())) {
      return Conflict("not-xml-frag", "the body must be a single element");
    }
  }
  if (!element) return Conflict("not-xml-frag", "the body holds no element");
  return element;
}

// The prefix to write `name` with on `e`: one in scope, else declared on `e`.
std::string PrefixFor(pugi::xml_node e, const ExpandedName& name) {
  if (name.ns.empty()) return "";
  if (name.ns == pxml::kNsXml) return "xml";
  if (!name.prefix.empty()) {
    auto bound = pxml::LookupNamespace(e, name.prefix);
    if (bound && *bound == name.ns) return name.prefix;
  }
  for (pugi::xml_node n = e; n && n.type() == pugi::node_element; n = n.parent()) {
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      std::string_view an = a.name();
      if (!an.starts_with("xmlns:") || name.ns != a.value()) continue;
      std::string_view p = an.substr(6);
      auto bound = pxml::LookupNamespace(e, p);  // not redeclared closer to `e`
      if (bound && *bound == name.ns) return std::string(p);
    }
  }
  std::string prefix = name.prefix.empty() ? "ns" : name.prefix;
  const std::string base = prefix;
  for (int i = 0; pxml::LookupNamespace(e, prefix); ++i) prefix = base + std::to_string(i);
  e.append_attribute(("xmlns:" + prefix).c_str()) = name.ns.c_str();
  return prefix;
}

Result<bool> PutAttribute(pugi::xml_document& doc, const NodeSelector& sel, std::string_view body) {
  auto value = DecodeAttValue(body);
  if (!value || pxml::FindInvalidChar(body)) {
    return Conflict("not-xml-att-value", "the body is not a valid XML attribute value");
  }
  auto owners = SelectElements(doc, sel.steps);
  if (owners.empty()) return Conflict("no-parent", "the attribute's element does not exist");
  if (owners.size() > 1) return Conflict("cannot-insert", "the selector selects more than one element");
  pugi::xml_node e = owners[0];
  auto existing = SelectAttributes(e, *sel.attribute);
  bool created = existing.empty();
  if (created) {
    std::string prefix = PrefixFor(e, *sel.attribute);
    std::string qname = prefix.empty() ? sel.attribute->local : prefix + ":" + sel.attribute->local;
    e.append_attribute(qname.c_str()) = value->c_str();
  } else {
    existing[0].set_value(value->c_str());
  }
  // §8.2.5: the same selector must select what was written.
  auto after = SelectElements(doc, sel.steps);
  if (after.size() != 1 || after[0] != e) {
    return Conflict("cannot-insert", "the node selector would not select the attribute afterwards");
  }
  return created;
}

Result<bool> PutElement(pugi::xml_document& doc, const NodeSelector& sel, std::string_view body) {
  pugi::xml_document frag;
  auto element = ParseFragment(frag, body);
  if (!element.ok()) return element.take_error();
  auto selected = SelectElements(doc, sel.steps);
  if (selected.size() > 1) return Conflict("cannot-insert", "the node selector selects more than one element");
  pugi::xml_node written;
  bool created = selected.empty();
  if (!created) {
    pugi::xml_node old = selected[0];
    written = old.parent().insert_copy_before(*element, old);
    old.parent().remove_child(old);
  } else {
    const Step& last = sel.steps.back();
    std::vector<pugi::xml_node> parents = Apply({doc}, sel.steps, sel.steps.size() - 1);
    if (parents.empty()) return Conflict("no-parent", "the parent of the element does not exist");
    if (parents.size() > 1) return Conflict("cannot-insert", "the parent selector selects more than one element");
    pugi::xml_node parent = parents[0];
    if (parent == doc && doc.document_element()) {
      return Conflict("cannot-insert", "a document has one root element");
    }
    // Siblings the last step's name test matches; with a position the new
    // element goes after the (n-1)th of them.
    std::vector<pugi::xml_node> siblings;
    pugi::xml_node last_element;
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      last_element = c;
      if (ElementMatches(c, last)) siblings.push_back(c);
    }
    if (last.position != 0) {
      if (siblings.size() < last.position - 1) {
        return Conflict("cannot-insert", "fewer than " + std::to_string(last.position - 1) + " such siblings");
      }
    }
    if (last.position != 0 && last.position - 1 < siblings.size()) {
      written = parent.insert_copy_before(*element, siblings[last.position - 1]);
    } else if (last.position > 1) {
      written = parent.insert_copy_after(*element, siblings[last.position - 2]);
    } else if (last_element) {
      written = parent.insert_copy_after(*element, last_element);
    } else {
      written = parent.append_copy(*element);
    }
    if (!written) return Conflict("cannot-insert", "the element cannot be inserted there");
  }
  // §8.2.5: the same selector must select the element written.
  auto after = SelectElements(doc, sel.steps);
  if (after.size() != 1 || after[0] != written) {
    return Conflict("cannot-insert", "the node selector would not select the element written");
  }
  return created;
}

}  // namespace

Result<NamespaceBindings> ParseNamespaceBindings(std::string_view q) {
  NamespaceBindings out;
  size_t i = 0;
  auto bad = [](std::string why) { return SelectorError(400, "xmlns() query: " + why); };
  while (i < q.size()) {
    if (pxml::IsXmlSpace(q[i])) {
      ++i;
      continue;
    }
    if (!q.substr(i).starts_with("xmlns(")) return bad("expected xmlns( at offset " + std::to_string(i));
    i += 6;
    std::string body;
    bool closed = false;
    for (; i < q.size(); ++i) {
      if (q[i] == '^') {
        if (i + 1 == q.size() || (q[i + 1] != '^' && q[i + 1] != '(' && q[i + 1] != ')')) return bad("bad ^ escape");
        body.push_back(q[++i]);
      } else if (q[i] == ')') {
        closed = true;
        ++i;
        break;
      } else if (q[i] == '(') {
        return bad("unescaped '('");
      } else {
        body.push_back(q[i]);
      }
    }
    if (!closed) return bad("unterminated xmlns(");
    size_t eq = body.find('=');
    if (eq == std::string::npos) return bad("expected prefix=namespace");
    std::string prefix(pxml::Trim(std::string_view(body).substr(0, eq)));
    std::string uri(pxml::Trim(std::string_view(body).substr(eq + 1)));
    if (!pxml::IsNcName(prefix) || prefix == "xml" || prefix == "xmlns") return bad("bad prefix '" + prefix + "'");
    if (uri.empty()) return bad("empty namespace for prefix '" + prefix + "'");
    if (out.size() == kMaxNamespaceBindings) {
      return SelectorError(414, "xmlns() query: more than " + std::to_string(kMaxNamespaceBindings) + " bindings");
    }
    out.emplace_back(std::move(prefix), std::move(uri));
  }
  return out;
}

Result<NodeSelector> ParseNodeSelector(std::string_view decoded_selector, const NamespaceBindings& namespaces,
                                       std::string_view default_ns) {
  if (decoded_selector.size() > kMaxSelectorBytes) {
    return SelectorError(414, "node selector: longer than " + std::to_string(kMaxSelectorBytes) + " bytes");
  }
  return SelectorParser(decoded_selector, namespaces, default_ns).Run();
}

Result<void> LoadDocument(pugi::xml_document& doc, std::string_view text) {
  auto loaded = doc.load_buffer(text.data(), text.size(), kParseOptions, pugi::encoding_utf8);
  if (!loaded || !doc.document_element()) return SelectorError(500, "stored document is not well-formed XML");
  return Ok();
}

std::string SaveDocument(const pugi::xml_document& doc) {
  StringWriter w;
  doc.save(w, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return std::move(w.out);
}

std::vector<pugi::xml_node> SelectElements(const pugi::xml_document& doc, const std::vector<Step>& steps) {
  return Apply({doc}, steps, steps.size());
}

Result<std::string> ReadNode(const pugi::xml_document& doc, const NodeSelector& sel) {
  auto elements = SelectElements(doc, sel.steps);
  if (elements.size() != 1) return SelectorError(404, elements.empty() ? "no such element" : "more than one element");
  if (sel.selects_attribute()) {
    auto attrs = SelectAttributes(elements[0], *sel.attribute);
    if (attrs.size() != 1) return SelectorError(404, "no such attribute");
    return EscapeAttValue(attrs[0].value());
  }
  StringWriter w;
  elements[0].print(w, "", pugi::format_raw, pugi::encoding_utf8);
  return std::move(w.out);
}

Result<bool> PutNode(pugi::xml_document& doc, const NodeSelector& sel, std::string_view body) {
  return sel.selects_attribute() ? PutAttribute(doc, sel, body) : PutElement(doc, sel, body);
}

Result<void> DeleteNode(pugi::xml_document& doc, const NodeSelector& sel) {
  auto elements = SelectElements(doc, sel.steps);
  if (elements.size() != 1) return SelectorError(404, elements.empty() ? "no such element" : "more than one element");
  if (sel.selects_attribute()) {
    auto attrs = SelectAttributes(elements[0], *sel.attribute);
    if (attrs.size() != 1) return SelectorError(404, "no such attribute");
    elements[0].remove_attribute(attrs[0]);
    auto after = SelectElements(doc, sel.steps);
    if (after.size() == 1 && !SelectAttributes(after[0], *sel.attribute).empty()) {
      return Conflict("cannot-delete", "the node selector would still select an attribute");
    }
    return Ok();
  }
  if (elements[0].parent() == doc) {
    return Conflict("cannot-delete", "the root element is deleted with the document");
  }
  elements[0].parent().remove_child(elements[0]);
  if (!SelectElements(doc, sel.steps).empty()) {
    return Conflict("cannot-delete", "the node selector would still select an element");
  }
  return Ok();
}

std::pair<std::string_view, std::string_view> SplitConflict(const Error& e) {
  std::string_view m = e.message;
  size_t sep = m.find(": ");
  if (sep == std::string_view::npos) return {m, {}};
  return {m.substr(0, sep), m.substr(sep + 2)};
}

}  // namespace parley::xcap
