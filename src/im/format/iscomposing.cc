#include "im/format/iscomposing.h"

#include "common/strings.h"
#include "im/format/rfc3339.h"
#include "presence/doc/xml.h"

namespace parley::im {

namespace xml = presence::xml;

namespace {
Error BadComposing(std::string reason) { return Error(400, "isComposing: " + std::move(reason)); }
}  // namespace

Result<IsComposing> ParseIsComposing(std::string_view body, const XmlLimits& limits) {
  pugi::xml_document doc;
  auto root = LoadXml(doc, body, "isComposing", limits);
  if (!root.ok()) return root.take_error();
  auto rn = xml::ElementName(*root);
  if (!rn.ok()) return BadComposing("undeclared namespace prefix");
  if (!rn->Is(kIsComposingNs, "isComposing")) {
    return BadComposing("root element is not <isComposing> in " + std::string(kIsComposingNs));
  }
  IsComposing out;
  bool state = false, last = false, type = false, refresh = false;
  for (pugi::xml_node c = root->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto n = xml::ElementName(c);
    if (!n.ok()) return BadComposing("undeclared namespace prefix");
    if (n->ns != kIsComposingNs) continue;  // extensions
    bool* seen = n->local == "state"         ? &state
                 : n->local == "lastactive"  ? &last
                 : n->local == "contenttype" ? &type
                 : n->local == "refresh"     ? &refresh
                                             : nullptr;
    if (!seen) continue;
    if (*seen) return BadComposing("more than one <" + std::string(n->local) + ">");
    *seen = true;
    std::string text = xml::Text(c);
    if (text.size() > limits.max_text_bytes) {
      return Error(413, "isComposing: <" + std::string(n->local) + "> longer than " +
                            std::to_string(limits.max_text_bytes) + " bytes");
    }
    if (seen == &state) {
      if (text == "active") out.active = true;
      else if (text != "idle") return BadComposing("state must be active or idle");
    } else if (seen == &last) {
      if (auto t = ParseRfc3339(text); !t.ok()) return BadComposing("lastactive is " + t.error().message);
      out.last_active = std::move(text);
    } else if (seen == &type) {
      out.content_type = std::move(text);
    } else {
      auto r = ParseUint(text, UINT32_MAX);
      if (!r || *r == 0) return BadComposing("refresh is not a positive integer");
      out.refresh = static_cast<uint32_t>(*r);
    }
  }
  if (!state) return BadComposing("no <state>");
  return out;
}

Result<std::string> BuildIsComposing(const IsComposing& c) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<isComposing xmlns=\"";
  out.append(kIsComposingNs).append("\">\n  <state>").append(c.active ? "active" : "idle").append("</state>\n");
  if (!c.last_active.empty()) {
    if (auto t = ParseRfc3339(c.last_active); !t.ok()) return BadComposing("lastactive is " + t.error().message);
    out.append("  <lastactive>").append(c.last_active).append("</lastactive>\n");
  }
  std::string_view type = xml::Trim(c.content_type);
  if (!type.empty()) {
    if (xml::FindInvalidChar(type)) return BadComposing("contenttype has a character XML cannot carry");
    out.append("  <contenttype>");
    AppendXmlText(out, type);
    out.append("</contenttype>\n");
  }
  if (c.refresh) out.append("  <refresh>").append(std::to_string(c.refresh)).append("</refresh>\n");
  out.append("</isComposing>\n");
  return out;
}

}  // namespace parley::im
