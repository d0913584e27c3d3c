#include "presence/rls/services_doc.h"

#include <pugixml.hpp>

#include <algorithm>
#include <set>

#include "common/strings.h"
#include "presence/doc/xml.h"
#include "sip/uri.h"

namespace parley::presence {

namespace {

constexpr int kMaxListDepth = 16;

Error Bad(const std::string& why) { return Error(400, "rls-services: " + why); }
Error BadList(const std::string& why) { return Error(400, "resource-lists: " + why); }

// The AOR of a sip:/sips: URI with a user part, or "".
std::string AorOf(std::string_view text) {
  auto uri = sip::ParseUri(TrimLws(text));
  if (!uri.ok() || !uri->is_sip() || !uri->has_user) return {};
  return sip::AorKey(*uri);
}

// Reads <list> elements into `members` and `refs` (nested lists flattened,
// each resource and reference once, at most `max` of them together); `doc`
// names the document in errors. Without `refs` a reference is refused;
// with `skip_other_uris` an entry that is no SIP AOR is left out.
class ListReader {
 public:
  ListReader(std::string_view doc, size_t max, std::string_view owner, std::vector<std::string>& members,
             std::vector<ListReference>* refs = nullptr, bool skip_other_uris = false)
      : doc_(doc), max_(max), owner_(owner), members_(members), refs_(refs), skip_other_uris_(skip_other_uris) {}

  Result<void> Read(pugi::xml_node list, int depth) {
    if (depth > kMaxListDepth) return Fail("lists nested deeper than " + std::to_string(kMaxListDepth));
    for (pugi::xml_node c = list.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      auto name = xml::ElementName(c);
      if (!name.ok()) return name.error();
      if (name->ns != kNsResourceLists) continue;  // extensions
      if (name->local == "entry") {
        auto uri = xml::Attr(c, "uri");
        if (!uri) return Fail("an <entry> without a uri");
        std::string aor = AorOf(*uri);
        if (aor.empty() && skip_other_uris_) continue;
        if (aor.empty()) return Fail("not a SIP address of record: " + std::string(*uri));
        if (!seen_.insert(aor).second) continue;  // each resource once
        if (auto r = Room(); !r.ok()) return r;
        members_.push_back(std::move(aor));
      } else if (name->local == "list") {
        if (auto r = Read(c, depth + 1); !r.ok()) return r;
      } else if (name->local == "entry-ref" || name->local == "external") {
        const bool entry = name->local == "entry-ref";
        if (refs_ == nullptr) return Fail("<" + std::string(name->local) + "> is not supported here (list the entries)");
        auto target = xml::Attr(c, entry ? "ref" : "anchor");
        std::string uri(TrimLws(target.value_or("")));
        if (uri.empty()) return Fail("an <" + std::string(name->local) + "> without " + (entry ? "a ref" : "an anchor"));
        ListReference ref{entry, std::move(uri)};
        if (std::find(refs_->begin(), refs_->end(), ref) != refs_->end()) continue;  // each reference once
        if (auto r = Room(); !r.ok()) return r;
        refs_->push_back(std::move(ref));
      } else if (name->local != "display-name") {
        return Fail("unexpected <" + std::string(name->local) + "> in a <list>");
      }
    }
    return Ok();
  }

 private:
  Error Fail(const std::string& why) const { return Error(400, std::string(doc_) + ": " + why); }
  Result<void> Room() const {
    if (members_.size() + (refs_ ? refs_->size() : 0) < max_) return Ok();
    return Error(413, std::string(doc_) + ": more than " + std::to_string(max_) + " resources" +
                          (owner_.empty() ? "" : " in " + std::string(owner_)));
  }

  std::string_view doc_;
  size_t max_;
  std::string_view owner_;
  std::vector<std::string>& members_;
  std::vector<ListReference>* refs_;
  bool skip_other_uris_;
  std::set<std::string, std::less<>> seen_;
};

// The document element of a well-formed, bounded XML body.
Result<pugi::xml_node> LoadRoot(pugi::xml_document& doc, std::string_view body, size_t max_bytes,
                                Error (*bad)(const std::string&), std::string_view what) {
  if (body.size() > max_bytes) {
    return Error(413, std::string(what) + ": body too large (" + std::to_string(body.size()) + " bytes)");
  }
  if (auto at = xml::FindInvalidChar(body)) return bad("not well-formed XML at offset " + std::to_string(*at));
  if (body.find("<!DOCTYPE") != std::string_view::npos) return bad("DOCTYPE is not allowed");
  auto loaded = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!loaded) return bad("not well-formed XML at offset " + std::to_string(loaded.offset));
  return doc.document_element();
}

// The named lists inside `list` (whose path is `path`), depth first, each a
// NamedList of its own at path + kListPathSeparator + name: what a reference to a nested
// list (".../list[@name=\"a\"]/list[@name=\"b\"]") names. Sibling names
// are unique (RFC 4826 §3.4.2). At most `max_total` lists in `out`.
Result<void> AddNestedLists(pugi::xml_node list, const std::string& path, int depth, const RlsServicesLimits& limits,
                            size_t max_total, std::vector<NamedList>& out) {
  if (depth > kMaxListDepth) return Ok();  // the reader refused it already
  std::set<std::string, std::less<>> names;
  for (pugi::xml_node c = list.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto name = xml::ElementName(c);
    if (!name.ok()) return name.error();
    if (!name->Is(kNsResourceLists, "list")) continue;
    std::string own(xml::Attr(c, "name").value_or(""));
    if (own.empty()) continue;  // nothing can name it
    if (!names.insert(own).second) {
      std::string shown = path + "/" + own;
      std::replace(shown.begin(), shown.end(), kListPathSeparator, '/');
      return BadList("list " + shown + " given twice");
    }
    if (out.size() >= max_total) {
      return Error(413, "resource-lists: more than " + std::to_string(max_total) + " lists, nested ones included");
    }
    const size_t at = out.size();
    out.emplace_back().name = path + kListPathSeparator + own;
    ListReader reader("resource-lists", limits.max_resources, out[at].name, out[at].members, &out[at].refs,
                      /*skip_other_uris=*/true);
    if (auto r = reader.Read(c, depth + 1); !r.ok()) return r.error();
    std::string nested_path = out[at].name;
    if (auto r = AddNestedLists(c, nested_path, depth + 1, limits, max_total, out); !r.ok()) return r;
  }
  return Ok();
}

// The <resource-lists> element of a well-formed, bounded document.
Result<pugi::xml_node> LoadResourceLists(pugi::xml_document& doc, std::string_view body,
                                         const RlsServicesLimits& limits) {
  auto loaded = LoadRoot(doc, body, limits.max_body_bytes, BadList, "resource-lists");
  if (!loaded.ok()) return loaded.error();
  auto root_name = xml::ElementName(*loaded);
  if (!root_name.ok()) return root_name.error();
  if (!root_name->Is(kNsResourceLists, "resource-lists")) return BadList("the root element is not <resource-lists>");
  return *loaded;
}

}  // namespace

Result<std::vector<RlsService>> ParseRlsServices(std::string_view body, const RlsServicesLimits& limits) {
  pugi::xml_document doc;
  auto loaded = LoadRoot(doc, body, limits.max_body_bytes, Bad, kRlsServicesAuid);
  if (!loaded.ok()) return loaded.error();
  pugi::xml_node root = *loaded;
  auto root_name = xml::ElementName(root);
  if (!root_name.ok()) return root_name.error();
  if (!root_name->Is(kNsRlsServices, "rls-services")) return Bad("the root element is not <rls-services>");
  std::vector<RlsService> out;
  std::set<std::string, std::less<>> uris;
  for (pugi::xml_node s = root.first_child(); s; s = s.next_sibling()) {
    if (s.type() != pugi::node_element) continue;
    auto name = xml::ElementName(s);
    if (!name.ok()) return name.error();
    if (!name->Is(kNsRlsServices, "service")) return Bad("unexpected <" + std::string(name->local) + ">");
    if (out.size() >= limits.max_services) {
      return Error(413, "rls-services: more than " + std::to_string(limits.max_services) + " services");
    }
    RlsService& svc = out.emplace_back();
    auto uri = xml::Attr(s, "uri");
    if (!uri) return Bad("a <service> without a uri");
    svc.uri = AorOf(*uri);
    if (svc.uri.empty()) return Bad("service uri is not a SIP address of record: " + std::string(*uri));
    if (!uris.insert(svc.uri).second) return Bad("service " + svc.uri + " given twice");
    bool has_list = false;
    for (pugi::xml_node c = s.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      auto cn = xml::ElementName(c);
      if (!cn.ok()) return cn.error();
      if (cn->Is(kNsResourceLists, "list")) {
        if (has_list) return Bad("service " + svc.uri + " has two lists");
        has_list = true;
        ListReader reader(kRlsServicesAuid, limits.max_resources, svc.uri, svc.members, &svc.refs);
        if (auto r = reader.Read(c, 1); !r.ok()) return r.error();
      } else if (cn->Is(kNsRlsServices, "resource-list")) {
        if (has_list) return Bad("service " + svc.uri + " has two lists");
        has_list = true;
        svc.list_ref = std::string(TrimLws(xml::Text(c)));
        if (svc.list_ref.empty()) return Bad("an empty <resource-list> in service " + svc.uri);
      } else if (cn->Is(kNsRlsServices, "packages")) {
        svc.packages.emplace();
        for (pugi::xml_node p = c.first_child(); p; p = p.next_sibling()) {
          if (p.type() != pugi::node_element) continue;
          auto pn = xml::ElementName(p);
          if (pn.ok() && pn->Is(kNsRlsServices, "package")) svc.packages->emplace_back(TrimLws(xml::Text(p)));
        }
      }
    }
    if (!has_list) return Bad("service " + svc.uri + " has no <list> or <resource-list>");
  }
  return out;
}

Result<std::vector<std::string>> ParseResourceLists(std::string_view body, const RlsServicesLimits& limits) {
  pugi::xml_document doc;
  auto loaded = LoadResourceLists(doc, body, limits);
  if (!loaded.ok()) return loaded.error();
  std::vector<std::string> members;
  ListReader reader("resource-lists", limits.max_resources, "", members);
  // Every <list> of the document, one after the other (RFC 5367 §4).
  for (pugi::xml_node c = loaded->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto name = xml::ElementName(c);
    if (!name.ok()) return name.error();
    if (!name->Is(kNsResourceLists, "list")) continue;
    if (auto r = reader.Read(c, 1); !r.ok()) return r.error();
  }
  if (members.empty()) return BadList("no resource in the list");
  return members;
}

Result<std::vector<NamedList>> ParseResourceListsDocument(std::string_view body, const RlsServicesLimits& limits) {
  pugi::xml_document doc;
  auto loaded = LoadResourceLists(doc, body, limits);
  if (!loaded.ok()) return loaded.error();
  std::vector<NamedList> out;
  std::set<std::string, std::less<>> names;
  std::vector<std::pair<pugi::xml_node, size_t>> named;  // top-level lists with a name
  for (pugi::xml_node c = loaded->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto name = xml::ElementName(c);
    if (!name.ok()) return name.error();
    if (!name->Is(kNsResourceLists, "list")) continue;  // extensions
    if (out.size() >= limits.max_lists) {
      return Error(413, "resource-lists: more than " + std::to_string(limits.max_lists) + " lists");
    }
    NamedList& list = out.emplace_back();
    list.name = std::string(xml::Attr(c, "name").value_or(""));
    if (!list.name.empty() && !names.insert(list.name).second) return BadList("list " + list.name + " given twice");
    ListReader reader("resource-lists", limits.max_resources, list.name, list.members, &list.refs,
                      /*skip_other_uris=*/true);
    if (auto r = reader.Read(c, 1); !r.ok()) return r.error();
    if (!list.name.empty()) named.emplace_back(c, out.size() - 1);
  }
  // Then the nested lists, after every top-level one.
  const size_t max_total = limits.max_lists * 4;
  for (const auto& [node, index] : named) {
    std::string path = out[index].name;
    if (auto r = AddNestedLists(node, path, 1, limits, max_total, out); !r.ok()) return r.error();
  }
  return out;
}

}  // namespace parley::presence
