#include "presence/doc/patch.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "presence/doc/xml.h"

namespace parley::presence::patch {

namespace {

Error Fail(std::string_view element, std::string_view phrase) {
  return Error(400, std::string(element) + ": " + std::string(phrase));
}

struct QName {
  std::string ns;
  std::string local;
};

enum class PredicateKind { kPosition, kAttribute, kChild, kSelf };

struct Predicate {
  PredicateKind kind = PredicateKind::kPosition;
  size_t position = 0;
  QName name;
  std::string value;
};

struct Step {
  bool any = false;  // "*"
  QName name;
  std::vector<Predicate> predicates;
};

enum class Kind { kElement, kText, kComment, kAttribute, kNamespace };

struct Selector {
  std::vector<Step> steps;
  Kind kind = Kind::kElement;
  size_t position = 0;  // of text() or comment(); 0: none
  QName attribute;      // kAttribute
  std::string prefix;   // kNamespace
};

constexpr bool IsNameStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
constexpr bool IsNameMore(unsigned char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// Parses a selector; prefixes are resolved at `context`, the operation
// element (RFC 5261 §4.2.1).
class SelectorParser {
 public:
  SelectorParser(std::string_view text, pugi::xml_node context) : s_(text), context_(context) {}

  Result<Selector> Run() {
    if (s_.size() > kMaxSelectorBytes) return Bad("selector too long");
    if (s_.starts_with("id(") || s_.starts_with("/id(")) {
      return Fail("unsupported-id-function", "id() is not supported");
    }
    if (Eat("/") && At("/")) return Bad("'//' is not allowed");
    Selector sel;
    for (;;) {
      if (sel.steps.size() >= kMaxSelectorSteps) return Bad("too many steps");
      const bool text = !sel.steps.empty() && Eat("text()");
      if (text || (!sel.steps.empty() && Eat("comment()"))) {
        sel.kind = text ? Kind::kText : Kind::kComment;
        if (Eat("[")) {
          auto n = Number();
          if (!n || !Eat("]")) return Bad("bad position");
          sel.position = *n;
        }
        break;
      }
      if (!sel.steps.empty() && Eat("@")) {
        auto q = Name(false);
        if (!q.ok()) return q.error();
        sel.kind = Kind::kAttribute;
        sel.attribute = std::move(*q);
        break;
      }
      if (!sel.steps.empty() && Eat("namespace::")) {
        size_t start = i_;
        while (i_ < s_.size() && IsNameMore(static_cast<unsigned char>(s_[i_]))) ++i_;
        sel.prefix = std::string(s_.substr(start, i_ - start));
        if (!xml::IsNcName(sel.prefix)) return Bad("bad namespace prefix");
        sel.kind = Kind::kNamespace;
        break;
      }
      Step step;
      if (Eat("*")) {
        step.any = true;
      } else {
        auto q = Name(true);
        if (!q.ok()) return q.error();
        step.name = std::move(*q);
      }
      while (Eat("[")) {
        auto p = ParsePredicate();
        if (!p.ok()) return p.error();
        step.predicates.push_back(std::move(*p));
      }
      sel.steps.push_back(std::move(step));
      if (i_ == s_.size()) break;
      if (!Eat("/") || i_ == s_.size()) return Bad("expected '/' between steps");
    }
    if (i_ != s_.size()) return Bad("unexpected text after the last step");
    return sel;
  }

 private:
  Error Bad(std::string_view why) const {
    return Fail("invalid-attribute-value", "sel \"" + std::string(s_.substr(0, 200)) + "\": " + std::string(why));
  }
  bool At(std::string_view t) const { return s_.substr(i_).starts_with(t); }
  bool Eat(std::string_view t) {
    if (!At(t)) return false;
    i_ += t.size();
    return true;
  }
  std::optional<size_t> Number() {
    size_t start = i_, v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9' && i_ - start < 7) v = v * 10 + static_cast<size_t>(s_[i_++] - '0');
    if (i_ == start || v == 0) return std::nullopt;
    return v;
  }
  // A QName; an element's unprefixed name takes the default namespace in
  // scope (§4.2.2), an attribute's none.
  Result<QName> Name(bool element) {
    size_t start = i_;
    if (i_ >= s_.size() || !IsNameStart(static_cast<unsigned char>(s_[i_]))) return Bad("expected a name");
    while (i_ < s_.size() && (IsNameMore(static_cast<unsigned char>(s_[i_])) || s_[i_] == ':')) ++i_;
    std::string_view q = s_.substr(start, i_ - start);
    size_t colon = q.find(':');
    std::string_view prefix = colon == std::string_view::npos ? std::string_view() : q.substr(0, colon);
    std::string_view local = colon == std::string_view::npos ? q : q.substr(colon + 1);
    if (!xml::IsNcName(local) || (colon != std::string_view::npos && !xml::IsNcName(prefix))) return Bad("bad name");
    QName out;
    out.local = std::string(local);
    if (!prefix.empty() || element) {
      auto ns = xml::LookupNamespace(context_, prefix);
      if (!ns) return Fail("invalid-namespace-prefix", "prefix \"" + std::string(prefix) + "\" is not declared");
      out.ns = std::string(*ns);
    }
    return out;
  }
  std::optional<std::string> Literal() {
    if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return std::nullopt;
    char quote = s_[i_++];
    size_t end = s_.find(quote, i_);
    if (end == std::string_view::npos) return std::nullopt;
    std::string v(s_.substr(i_, end - i_));
    i_ = end + 1;
    return v;
  }
  Result<Predicate> ParsePredicate() {
    Predicate p;
    if (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') {
      auto n = Number();
      if (!n) return Bad("bad position");
      p.kind = PredicateKind::kPosition;
      p.position = *n;
    } else {
      if (Eat("@")) {
        auto q = Name(false);
        if (!q.ok()) return q.error();
        p.kind = PredicateKind::kAttribute;
        p.name = std::move(*q);
      } else if (Eat(".")) {
        p.kind = PredicateKind::kSelf;
      } else {
        auto q = Name(true);
        if (!q.ok()) return q.error();
        p.kind = PredicateKind::kChild;
        p.name = std::move(*q);
      }
      auto v = Eat("=") ? Literal() : std::nullopt;
      if (!v) return Bad("expected ='value' in a predicate");
      p.value = std::move(*v);
    }
    if (!Eat("]")) return Bad("expected ']'");
    return p;
  }

  std::string_view s_;
  pugi::xml_node context_;
  size_t i_ = 0;
};

// ---- evaluation -------------------------------------------------------------

bool IsText(pugi::xml_node n) { return n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata; }

// XPath's string-value of an element: all its descendant text.
std::string StringValue(pugi::xml_node e) {
  std::string out;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (IsText(c)) out.append(c.value());
    else if (c.type() == pugi::node_element) out.append(StringValue(c));
  }
  return out;
}

bool NameMatches(pugi::xml_node e, const QName& name) {
  auto n = xml::ElementName(e);
  return n.ok() && n->ns == name.ns && n->local == name.local;
}

bool IsDeclaration(std::string_view name) { return name == "xmlns" || name.starts_with("xmlns:"); }

// The attribute of `e` with this expanded name (never a declaration).
pugi::xml_attribute FindAttribute(pugi::xml_node e, const QName& name) {
  for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) {
    std::string_view q = a.name();
    if (IsDeclaration(q)) continue;
    size_t colon = q.find(':');
    std::string_view local = colon == std::string_view::npos ? q : q.substr(colon + 1);
    if (local != name.local) continue;
    std::optional<std::string_view> ns = std::string_view();
    if (colon != std::string_view::npos) ns = xml::LookupNamespace(e, q.substr(0, colon));
    if (ns && *ns == name.ns) return a;
  }
  return {};
}

bool PredicateHolds(pugi::xml_node e, const Predicate& p) {
  switch (p.kind) {
    case PredicateKind::kAttribute: {
      pugi::xml_attribute a = FindAttribute(e, p.name);
      return a && p.value == a.value();
    }
    case PredicateKind::kSelf:
      return StringValue(e) == p.value;
    case PredicateKind::kChild:
      for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element && NameMatches(c, p.name) && StringValue(c) == p.value) return true;
      }
      return false;
    case PredicateKind::kPosition:
      break;
  }
  return false;
}

std::vector<pugi::xml_node> SelectElements(pugi::xml_node start, const std::vector<Step>& steps) {
  std::vector<pugi::xml_node> contexts{start};
  for (const Step& step : steps) {
    std::vector<pugi::xml_node> next;
    for (pugi::xml_node ctx : contexts) {
      std::vector<pugi::xml_node> cand;
      for (pugi::xml_node c = ctx.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element && (step.any || NameMatches(c, step.name))) cand.push_back(c);
      }
      for (const Predicate& p : step.predicates) {
        std::vector<pugi::xml_node> kept;
        if (p.kind == PredicateKind::kPosition) {
          if (p.position <= cand.size()) kept.push_back(cand[p.position - 1]);
        } else {
          for (pugi::xml_node c : cand) {
            if (PredicateHolds(c, p)) kept.push_back(c);
          }
        }
        cand = std::move(kept);
      }
      next.insert(next.end(), cand.begin(), cand.end());
    }
    contexts = std::move(next);
  }
  return contexts;
}

// The one node a selector designates.
struct Located {
  Kind kind = Kind::kElement;
  pugi::xml_node node;       // element, text or comment; the owner of an attribute
  pugi::xml_attribute attr;  // kAttribute, kNamespace
};

Result<Located> Locate(pugi::xml_document& doc, const Selector& sel, std::string_view text) {
  std::vector<Located> found;
  for (pugi::xml_node e : SelectElements(doc, sel.steps)) {
    switch (sel.kind) {
      case Kind::kElement:
        found.push_back({Kind::kElement, e, {}});
        break;
      case Kind::kText:
      case Kind::kComment: {
        size_t n = 0;
        for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
          bool match = sel.kind == Kind::kText ? IsText(c) : c.type() == pugi::node_comment;
          if (match && (sel.position == 0 || ++n == sel.position)) found.push_back({sel.kind, c, {}});
        }
        break;
      }
      case Kind::kAttribute:
        if (pugi::xml_attribute a = FindAttribute(e, sel.attribute)) found.push_back({Kind::kAttribute, e, a});
        break;
      case Kind::kNamespace:
        if (pugi::xml_attribute a = e.attribute(("xmlns:" + sel.prefix).c_str())) found.push_back({Kind::kNamespace, e, a});
        break;
    }
  }
  if (found.size() != 1) {
    return Fail("unlocated-node", "sel \"" + std::string(text.substr(0, 200)) + "\" matches " +
                                      std::to_string(found.size()) + " nodes");
  }
  return found[0];
}

// ---- operations -------------------------------------------------------------

bool IsWhitespaceText(pugi::xml_node n) {
  if (!n || n.type() != pugi::node_pcdata) return false;
  std::string_view v = n.value();
  return xml::Trim(v).empty();
}

bool IsRootElement(pugi::xml_node n) {
  return n.type() == pugi::node_element && n.parent().type() == pugi::node_document;
}

// `element` of the patch made self-contained in `frag` (the namespaces it
// uses declared on it, RFC 5261 §4.2.3), to be copied into the target.
Result<void> SelfContained(pugi::xml_node element, pugi::xml_document& frag) {
  auto outer = xml::CaptureOuterXml(element);
  if (!outer.ok()) return Fail("invalid-namespace-prefix", "content uses an undeclared prefix");
  if (!frag.load_buffer(outer->data(), outer->size(), pugi::parse_default | pugi::parse_ws_pcdata,
                        pugi::encoding_utf8)) {
    return Fail("invalid-diff-format", "content cannot be copied");
  }
  return Ok();
}

enum class Where { kAppend, kPrepend, kBefore, kAfter };

// Copies the content of `op` (elements made self-contained, text, comments)
// to where `at` says, in order.
Result<void> InsertContent(pugi::xml_node op, pugi::xml_node at, Where where) {
  pugi::xml_node parent = where == Where::kBefore || where == Where::kAfter ? at.parent() : at;
  pugi::xml_node first = parent.first_child();  // for kPrepend
  pugi::xml_node anchor = at;                   // for kAfter: the last node inserted
  auto place = [&](pugi::xml_node src) -> pugi::xml_node {
    switch (where) {
      case Where::kAppend: return parent.append_copy(src);
      case Where::kPrepend: return first ? parent.insert_copy_before(src, first) : parent.append_copy(src);
      case Where::kBefore: return parent.insert_copy_before(src, at);
      case Where::kAfter: return anchor = parent.insert_copy_after(src, anchor);
    }
    return {};
  };
  for (pugi::xml_node c = op.first_child(); c; c = c.next_sibling()) {
    if (parent.type() == pugi::node_document && (c.type() == pugi::node_element || (IsText(c) && !IsWhitespaceText(c)))) {
      return Fail("invalid-root-element-operation", "content beside the root element");
    }
    pugi::xml_node inserted;
    if (c.type() == pugi::node_element) {
      pugi::xml_document frag;
      if (auto r = SelfContained(c, frag); !r.ok()) return r;
      inserted = place(frag.document_element());
    } else if (IsText(c) || c.type() == pugi::node_comment) {
      if (parent.type() == pugi::node_document && IsText(c)) continue;  // whitespace beside the root
      inserted = place(c);
    } else {
      continue;
    }
    if (!inserted) return Fail("invalid-node-types", "content cannot go there");
  }
  return Ok();
}

// An attribute added by <add type="@p:name">: its prefix in the target is
// one bound to the same URI there, or a declaration is added.
Result<void> AddAttribute(pugi::xml_node op, pugi::xml_node e, std::string_view qname, const std::string& value) {
  size_t colon = qname.find(':');
  std::string name(qname);
  if (colon != std::string_view::npos) {
    std::string_view prefix = qname.substr(0, colon), local = qname.substr(colon + 1);
    auto uri = xml::LookupNamespace(op, prefix);
    if (!uri) return Fail("invalid-namespace-prefix", "prefix \"" + std::string(prefix) + "\" is not declared");
    std::string use(prefix);
    for (int n = 1; xml::LookupNamespace(e, use) && *xml::LookupNamespace(e, use) != *uri; ++n) {
      use = "ns" + std::to_string(n);
    }
    if (!xml::LookupNamespace(e, use)) e.append_attribute(("xmlns:" + use).c_str()).set_value(std::string(*uri).c_str());
    name = use + ":" + std::string(local);
    if (FindAttribute(e, QName{std::string(*uri), std::string(local)})) {
      return Fail("invalid-attribute-value", "the attribute exists");
    }
  } else if (FindAttribute(e, QName{"", name})) {
    return Fail("invalid-attribute-value", "the attribute exists");
  }
  e.append_attribute(name.c_str()).set_value(value.c_str());
  return Ok();
}

Result<void> Add(pugi::xml_node op, Located at) {
  pugi::xml_attribute type = op.attribute("type");
  pugi::xml_attribute pos = op.attribute("pos");
  if (type) {
    std::string_view t = type.value();
    if (pos || at.kind != Kind::kElement) return Fail("invalid-attribute-value", "type needs an element and no pos");
    std::string value = StringValue(op);
    if (t.starts_with("@")) {
      std::string_view q = t.substr(1);
      size_t colon = q.find(':');
      if (!xml::IsNcName(q.substr(colon == std::string_view::npos ? 0 : colon + 1)) ||
          (colon != std::string_view::npos && !xml::IsNcName(q.substr(0, colon))) || IsDeclaration(q)) {
        return Fail("invalid-attribute-value", "bad type");
      }
      return AddAttribute(op, at.node, q, value);
    }
    if (t.starts_with("namespace::") && xml::IsNcName(t.substr(11))) {
      std::string attr = "xmlns:" + std::string(t.substr(11));
      if (value.empty()) return Fail("invalid-namespace-uri", "empty namespace URI");
      if (at.node.attribute(attr.c_str())) return Fail("invalid-namespace-prefix", "the prefix is declared there");
      at.node.append_attribute(attr.c_str()).set_value(value.c_str());
      return Ok();
    }
    return Fail("invalid-attribute-value", "bad type");
  }
  std::string_view p = pos ? std::string_view(pos.value()) : std::string_view();
  Where where;
  if (!pos) where = Where::kAppend;
  else if (p == "prepend") where = Where::kPrepend;
  else if (p == "before") where = Where::kBefore;
  else if (p == "after") where = Where::kAfter;
  else return Fail("invalid-attribute-value", "bad pos");
  bool sibling = where == Where::kBefore || where == Where::kAfter;
  if (at.kind == Kind::kAttribute || at.kind == Kind::kNamespace || (!sibling && at.kind != Kind::kElement)) {
    return Fail("invalid-node-types", "nothing can be added there");
  }
  return InsertContent(op, at.node, where);
}

Result<void> Replace(pugi::xml_node op, Located at) {
  pugi::xml_node element, comment;
  bool other = false;
  for (pugi::xml_node c = op.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) {
      other |= static_cast<bool>(element);
      element = c;
    } else if (c.type() == pugi::node_comment) {
      other |= static_cast<bool>(comment);
      comment = c;
    } else if (IsText(c) && !IsWhitespaceText(c)) {
      other = true;
    }
  }
  switch (at.kind) {
    case Kind::kElement: {
      if (!element || other || comment) return Fail("invalid-node-types", "an element is replaced by one element");
      pugi::xml_document frag;
      if (auto r = SelfContained(element, frag); !r.ok()) return r;
      pugi::xml_node parent = at.node.parent();
      if (!parent.insert_copy_before(frag.document_element(), at.node)) return Fail("invalid-node-types", "cannot replace");
      parent.remove_child(at.node);
      return Ok();
    }
    case Kind::kAttribute:
    case Kind::kNamespace: {
      if (element || comment) return Fail("invalid-node-types", "an attribute value is text");
      std::string v = StringValue(op);
      if (at.kind == Kind::kNamespace && v.empty()) return Fail("invalid-namespace-uri", "empty namespace URI");
      at.attr.set_value(v.c_str());
      return Ok();
    }
    case Kind::kText: {
      if (element || comment) return Fail("invalid-node-types", "text is replaced by text");
      at.node.set_value(StringValue(op).c_str());
      return Ok();
    }
    case Kind::kComment:
      if (!comment || element || other) return Fail("invalid-node-types", "a comment is replaced by a comment");
      at.node.set_value(comment.value());
      return Ok();
  }
  return Ok();
}

// True when every prefixed name in `e`'s subtree still resolves.
bool PrefixesResolve(pugi::xml_node e) {
  if (!xml::ElementName(e).ok()) return false;
  for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) {
    std::string_view q = a.name();
    size_t colon = q.find(':');
    if (colon != std::string_view::npos && !IsDeclaration(q) && !xml::LookupNamespace(e, q.substr(0, colon))) return false;
  }
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && !PrefixesResolve(c)) return false;
  }
  return true;
}

Result<void> Remove(pugi::xml_node op, Located at) {
  pugi::xml_attribute ws_attr = op.attribute("ws");
  std::string_view ws = ws_attr ? std::string_view(ws_attr.value()) : std::string_view();
  bool before = ws == "before" || ws == "both", after = ws == "after" || ws == "both";
  if (ws_attr && !before && !after) return Fail("invalid-attribute-value", "bad ws");
  if (op.first_child() && !(IsWhitespaceText(op.first_child()) && !op.first_child().next_sibling())) {
    return Fail("invalid-diff-format", "<remove> has content");
  }
  switch (at.kind) {
    case Kind::kElement:
    case Kind::kComment: {
      if (IsRootElement(at.node)) return Fail("invalid-root-element-operation", "the root element cannot be removed");
      pugi::xml_node prev = at.node.previous_sibling(), next = at.node.next_sibling();
      if ((before && !IsWhitespaceText(prev)) || (after && !IsWhitespaceText(next))) {
        return Fail("invalid-whitespace-directive", "no whitespace text node there");
      }
      pugi::xml_node parent = at.node.parent();
      if (before) parent.remove_child(prev);
      if (after) parent.remove_child(next);
      parent.remove_child(at.node);
      return Ok();
    }
    case Kind::kText:
      if (ws_attr) return Fail("invalid-attribute-value", "ws on a text node");
      at.node.parent().remove_child(at.node);
      return Ok();
    case Kind::kAttribute:
    case Kind::kNamespace:
      if (ws_attr) return Fail("invalid-attribute-value", "ws on an attribute");
      at.node.remove_attribute(at.attr);
      if (at.kind == Kind::kNamespace && !PrefixesResolve(at.node)) {
        return Fail("invalid-namespace-prefix", "the namespace is still in use");
      }
      return Ok();
  }
  return Ok();
}

}  // namespace

Result<void> Apply(pugi::xml_document& target, pugi::xml_node operation) {
  std::string_view name = operation.name();
  if (size_t colon = name.find(':'); colon != std::string_view::npos) name = name.substr(colon + 1);
  if (name != "add" && name != "replace" && name != "remove") {
    return Fail("invalid-patch-directive", "<" + std::string(name) + "> is not an operation");
  }
  pugi::xml_attribute sel_attr = operation.attribute("sel");
  if (!sel_attr) return Fail("invalid-attribute-value", "an operation without sel");
  std::string_view text = sel_attr.value();
  auto sel = SelectorParser(text, operation).Run();
  if (!sel.ok()) return sel.error();
  if (name == "add" && sel->kind != Kind::kElement && sel->kind != Kind::kText && sel->kind != Kind::kComment) {
    return Fail("invalid-attribute-value", "<add> selects an element, text or comment");
  }
  auto at = Locate(target, *sel, text);
  if (!at.ok()) return at.error();
  if (name == "add") return Add(operation, *at);
  if (name == "replace") return Replace(operation, *at);
  return Remove(operation, *at);
}

}  // namespace parley::presence::patch
