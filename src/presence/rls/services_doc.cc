#include "presence/rls/services_doc.h"

#include <pugixml.hpp>

#include <set>

#include "common/strings.h"
#include "presence/doc/xml.h"
#include "sip/uri.h"

namespace parley::presence {

namespace {

constexpr std::string_view kNsResourceLists = "urn:ietf:params:xml:ns:resource-lists";
constexpr int kMaxListDepth = 16;

Error Bad(const std::string& why) { return Error(400, "rls-services: " + why); }

// The AOR of a sip:/sips: URI with a user part, or "".
std::string AorOf(std::string_view text) {
  auto uri = sip::ParseUri(TrimLws(text));
  if (!uri.ok() || !uri->is_sip() || !uri->has_user) return {};
  return sip::AorKey(*uri);
}

class ListReader {
 public:
  ListReader(const RlsServicesLimits& limits, RlsService& out) : limits_(limits), out_(out) {}

  Result<void> Read(pugi::xml_node list, int depth) {
    if (depth > kMaxListDepth) return Bad("lists nested deeper than " + std::to_string(kMaxListDepth));
    for (pugi::xml_node c = list.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      auto name = xml::ElementName(c);
      if (!name.ok()) return name.error();
      if (name->ns != kNsResourceLists) continue;  // extensions
      if (name->local == "entry") {
        auto uri = xml::Attr(c, "uri");
        if (!uri) return Bad("an <entry> without a uri");
        std::string aor = AorOf(*uri);
        if (aor.empty()) return Bad("not a SIP address of record: " + std::string(*uri));
        if (!seen_.insert(aor).second) continue;  // each resource once
        if (out_.members.size() >= limits_.max_resources) {
          return Error(413, "rls-services: more than " + std::to_string(limits_.max_resources) + " resources in " +
                                out_.uri);
        }
        out_.members.push_back(std::move(aor));
      } else if (name->local == "list") {
        if (auto r = Read(c, depth + 1); !r.ok()) return r;
      } else if (name->local == "entry-ref" || name->local == "external") {
        return Bad("<" + std::string(name->local) + "> is not supported (list the entries)");
      } else if (name->local != "display-name") {
        return Bad("unexpected <" + std::string(name->local) + "> in a <list>");
      }
    }
    return Ok();
  }

 private:
  const RlsServicesLimits& limits_;
  RlsService& out_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace

Result<std::vector<RlsService>> ParseRlsServices(std::string_view body, const RlsServicesLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return Error(413, "rls-services: body too large (" + std::to_string(body.size()) + " bytes)");
  }
  if (auto bad = xml::FindInvalidChar(body)) {
    return Bad("not well-formed XML at offset " + std::to_string(*bad));
  }
  if (body.find("<!DOCTYPE") != std::string_view::npos) return Bad("DOCTYPE is not allowed");
  pugi::xml_document doc;
  auto loaded = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!loaded) return Bad("not well-formed XML at offset " + std::to_string(loaded.offset));
  pugi::xml_node root = doc.document_element();
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
        if (auto r = ListReader(limits, svc).Read(c, 1); !r.ok()) return r.error();
      } else if (cn->Is(kNsRlsServices, "resource-list")) {
        return Bad("<resource-list> references are not supported (put the <list> in the service)");
      } else if (cn->Is(kNsRlsServices, "packages")) {
        svc.presence = false;
        for (pugi::xml_node p = c.first_child(); p; p = p.next_sibling()) {
          if (p.type() != pugi::node_element) continue;
          auto pn = xml::ElementName(p);
          if (pn.ok() && pn->Is(kNsRlsServices, "package") && xml::Text(p) == "presence") svc.presence = true;
        }
      }
    }
    if (!has_list) return Bad("service " + svc.uri + " has no <list>");
  }
  return out;
}

}  // namespace parley::presence
