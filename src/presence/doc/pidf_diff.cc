#include "presence/doc/pidf_diff.h"

#include <charconv>
#include <map>
#include <pugixml.hpp>
#include <vector>

#include "presence/doc/patch.h"
#include "presence/doc/xml.h"

namespace parley::presence {

namespace {

constexpr unsigned kLoadFlags = pugi::parse_default | pugi::parse_ws_pcdata | pugi::parse_comments;

Error Bad(std::string_view why) { return Error(400, "pidf-diff: " + std::string(why)); }

// A node's XML as it is (a document: all of it, without a declaration).
std::string Print(pugi::xml_node n) {
  struct Writer : pugi::xml_writer {
    std::string out;
    void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
  } w;
  n.print(w, "", pugi::format_raw, pugi::encoding_utf8);
  return std::move(w.out);
}

// Elements and depth of a tree, against the PIDF limits.
bool WithinLimits(pugi::xml_node e, size_t depth, size_t& elements, const Limits& limits) {
  if (depth > limits.max_depth || ++elements > limits.max_elements) return false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && !WithinLimits(c, depth + 1, elements, limits)) return false;
  }
  return true;
}

// Loads a pidf-diff+xml body and checks its root: `doc` holds it after.
Result<PidfDiffHead> Load(pugi::xml_document& doc, std::string_view body, std::string_view expected_entity,
                          const Limits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return Error(413, "pidf-diff: body too large (" + std::to_string(body.size()) + " bytes, limit " +
                          std::to_string(limits.max_body_bytes) + ")");
  }
  const size_t bom = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (auto bad = xml::FindInvalidChar(body.substr(bom))) {
    return Bad("not well-formed XML at offset " + std::to_string(*bad + bom));
  }
  if (body.find("<!DOCTYPE") != std::string_view::npos) return Bad("DOCTYPE is not allowed");
  auto loaded = doc.load_buffer(body.data(), body.size(), kLoadFlags, pugi::encoding_utf8);
  if (!loaded) return Bad("not well-formed XML at offset " + std::to_string(loaded.offset));
  pugi::xml_node root = doc.document_element();
  size_t elements = 0;
  if (!root || !WithinLimits(root, 1, elements, limits)) return Error(413, "pidf-diff: too many elements or too deep");
  auto name = xml::ElementName(root);
  if (!name.ok()) return Bad("undeclared namespace prefix");
  PidfDiffHead head;
  if (name->Is(kNsPidfDiff, "pidf-full")) {
    head.full = true;
  } else if (!name->Is(kNsPidfDiff, "pidf-diff")) {
    return Bad("root element is neither <pidf-full> nor <pidf-diff>");
  }
  auto version = xml::Attr(root, "version");
  std::string_view v = version ? xml::Trim(*version) : std::string_view();
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), head.version);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return Bad("missing or invalid version");
  auto entity = xml::Attr(root, "entity");
  if (!entity || xml::Trim(*entity).empty()) return Bad("missing entity");
  if (!expected_entity.empty() && !SamePresentity(xml::Trim(*entity), expected_entity)) {
    return Bad("entity does not match the presentity");
  }
  return head;
}

// A prefix of `root` bound to the PIDF namespace, or a new one declared.
std::string PresenceName(pugi::xml_node src, pugi::xml_node root) {
  if (xml::LookupNamespace(src, "") == kNsPidf) return "presence";
  for (pugi::xml_attribute a = src.first_attribute(); a; a = a.next_attribute()) {
    std::string_view n = a.name();
    if (n.starts_with("xmlns:") && a.value() == kNsPidf) return std::string(n.substr(6)) + ":presence";
  }
  std::string prefix = "pidf";
  for (int i = 1; xml::LookupNamespace(src, prefix); ++i) prefix = "pidf" + std::to_string(i);
  root.append_attribute(("xmlns:" + prefix).c_str()).set_value(std::string(kNsPidf).c_str());
  return prefix + ":presence";
}

}  // namespace

Result<PidfDiffHead> ReadPidfDiff(std::string_view body, std::string_view expected_entity, const Limits& limits) {
  pugi::xml_document doc;
  auto head = Load(doc, body, expected_entity, limits);
  if (!head.ok() || !head->full) return head;
  // RFC 5262 §4: <pidf-full> stands where PIDF's <presence> would.
  pugi::xml_node src = doc.document_element();
  pugi::xml_document out;
  pugi::xml_node root = out.append_child(pugi::node_element);
  std::string name = PresenceName(src, root);
  root.set_name(name.c_str());
  for (pugi::xml_attribute a = src.first_attribute(); a; a = a.next_attribute()) {
    if (std::string_view(a.name()) != "version") root.append_attribute(a.name()).set_value(a.value());
  }
  for (pugi::xml_node c = src.first_child(); c; c = c.next_sibling()) root.append_copy(c);
  head->pidf = Print(out);
  return head;
}

Result<std::string> ApplyPidfDiff(std::string_view base, std::string_view diff, const Limits& limits) {
  pugi::xml_document patch_doc;
  auto head = Load(patch_doc, diff, "", limits);
  if (!head.ok()) return head.error();
  if (head->full) return Bad("a <pidf-full> is not a patch");
  pugi::xml_document target;
  if (!target.load_buffer(base.data(), base.size(), kLoadFlags, pugi::encoding_utf8)) {
    return Error(500, "pidf-diff: the published document cannot be read");
  }
  size_t ops = 0;
  for (pugi::xml_node op = patch_doc.document_element().first_child(); op; op = op.next_sibling()) {
    if (op.type() != pugi::node_element) continue;
    auto name = xml::ElementName(op);
    if (!name.ok()) return Bad("undeclared namespace prefix");
    if (name->ns != kNsPidfDiff) continue;  // an extension of another namespace
    if (++ops > kMaxPatchOperations) return Error(413, "pidf-diff: too many operations");
    if (auto r = patch::Apply(target, op); !r.ok()) return Bad(r.error().message);
  }
  return Print(target);
}

namespace {

// A pidf-diff namespace prefix the document's root does not declare.
std::string FreePrefix(pugi::xml_node root) {
  std::string p = "p";
  for (int i = 1; root.attribute(("xmlns:" + p).c_str()); ++i) p = "pd" + std::to_string(i);
  return p;
}

// "<p:pidf-diff" or "<p:pidf-full" with the root's attributes (its
// declarations: the content's prefixes mean the same under it), entity
// and version.
std::string OpenRoot(pugi::xml_node src, const std::string& prefix, std::string_view local, uint32_t version) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + prefix + ":" + std::string(local) + " xmlns:" +
                    prefix + "=\"" + std::string(kNsPidfDiff) + "\"";
  for (pugi::xml_attribute a = src.first_attribute(); a; a = a.next_attribute()) {
    out += " ";
    out += a.name();
    out += "=\"";
    AppendXmlAttr(out, a.value());
    out += "\"";
  }
  out += " version=\"" + std::to_string(version) + "\">";
  return out;
}

}  // namespace

std::string PidfFullOf(std::string_view pidf, uint32_t version) {
  pugi::xml_document doc;
  doc.load_buffer(pidf.data(), pidf.size(), pugi::parse_default, pugi::encoding_utf8);
  pugi::xml_node root = doc.document_element();
  std::string prefix = FreePrefix(root);
  std::string out = OpenRoot(root, prefix, "pidf-full", version);
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) out += Print(c);
  out += "</" + prefix + ":pidf-full>";
  return out;
}

std::optional<std::string> MakePidfDiff(std::string_view old_pidf, std::string_view new_pidf, uint32_t version) {
  pugi::xml_document old_doc, new_doc;
  if (!old_doc.load_buffer(old_pidf.data(), old_pidf.size(), pugi::parse_default, pugi::encoding_utf8) ||
      !new_doc.load_buffer(new_pidf.data(), new_pidf.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return std::nullopt;
  }
  pugi::xml_node old_root = old_doc.document_element(), new_root = new_doc.document_element();
  auto attributes = [](pugi::xml_node e) {
    std::map<std::string, std::string> m;
    for (pugi::xml_attribute a = e.first_attribute(); a; a = a.next_attribute()) m[a.name()] = a.value();
    return m;
  };
  if (std::string_view(old_root.name()) != new_root.name() || attributes(old_root) != attributes(new_root)) {
    return std::nullopt;
  }
  // The children with an id, by "qname#id"; the others in order.
  struct Child {
    std::string key, qname, id, xml;
  };
  auto children = [&](pugi::xml_node root, std::vector<Child>& keyed, std::vector<std::string>& plain) {
    std::map<std::string, int> seen;
    for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) return false;
      pugi::xml_attribute id = c.attribute("id");
      std::string_view v = id ? std::string_view(id.value()) : std::string_view();
      if (v.empty()) {
        plain.push_back(Print(c));
        keyed.push_back({});  // holds its place in the order
        continue;
      }
      if (v.find('\'') != std::string_view::npos) return false;
      Child k{std::string(c.name()) + "#" + std::string(v), c.name(), std::string(v), Print(c)};
      if (seen[k.key]++) return false;
      keyed.push_back(std::move(k));
    }
    return true;
  };
  std::vector<Child> old_keyed, new_keyed;
  std::vector<std::string> old_plain, new_plain;
  if (!children(old_root, old_keyed, old_plain) || !children(new_root, new_keyed, new_plain) || old_plain != new_plain) {
    return std::nullopt;
  }
  std::map<std::string, const Child*> old_by_key, new_by_key;
  for (const Child& c : old_keyed) {
    if (!c.key.empty()) old_by_key[c.key] = &c;
  }
  for (const Child& c : new_keyed) {
    if (!c.key.empty()) new_by_key[c.key] = &c;
  }
  std::string prefix = FreePrefix(new_root);
  std::string out = OpenRoot(new_root, prefix, "pidf-diff", version);
  auto sel = [](const Child& c) { return "*/" + c.qname + "[@id='" + c.id + "']"; };
  auto op = [&](std::string_view name, const std::string& selector, std::string_view extra) {
    out += "<" + prefix + ":" + std::string(name) + " sel=\"";
    AppendXmlAttr(out, selector);
    out += "\"" + std::string(extra);
  };
  for (const Child& c : old_keyed) {
    if (!c.key.empty() && !new_by_key.count(c.key)) {
      op("remove", sel(c), "/>");
    }
  }
  const Child* prev = nullptr;  // the element before, in the new document
  bool plain_before = false;    // an element without id since `prev`
  for (const Child& c : new_keyed) {
    if (c.key.empty()) {
      plain_before = true;
      continue;
    }
    auto was = old_by_key.find(c.key);
    if (was == old_by_key.end()) {
      if (plain_before) return std::nullopt;  // its place among elements without id: not selectable
      if (prev) {
        op("add", sel(*prev), " pos=\"after\">");
      } else {
        op("add", "*", " pos=\"prepend\">");
      }
      out += c.xml + "</" + prefix + ":add>";
    } else if (was->second->xml != c.xml) {
      op("replace", sel(c), ">");
      out += c.xml + "</" + prefix + ":replace>";
    }
    prev = &c;
    plain_before = false;
  }
  out += "</" + prefix + ":pidf-diff>";
  return out;
}

}  // namespace parley::presence
