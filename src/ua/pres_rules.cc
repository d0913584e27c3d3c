#include "ua/pres_rules.h"

#include <vector>

#include "auth/digest.h"
#include "ua/xml_util.h"

namespace parley::ua {

namespace {

constexpr const char* kCp = "urn:ietf:params:xml:ns:common-policy";
constexpr const char* kPr = "urn:ietf:params:xml:ns:pres-rules";

// The prefix bound to `ns` on `node` or its ancestors ("" for a default namespace).
std::optional<std::string> PrefixFor(pugi::xml_node node, const char* ns) {
  for (; node; node = node.parent()) {
    for (auto a = node.first_attribute(); a; a = a.next_attribute()) {
      std::string_view n = a.name();
      if (std::string_view(a.value()) != ns) continue;
      if (n == "xmlns") return std::string();
      if (n.rfind("xmlns:", 0) == 0) return std::string(n.substr(6));
    }
  }
  return std::nullopt;
}

std::string Q(const std::string& prefix, const char* local) {
  return prefix.empty() ? std::string(local) : prefix + ":" + local;
}

// Watcher URIs a rule's identity condition names (<one id="…"/>).
std::vector<std::string> Identities(pugi::xml_node rule) {
  std::vector<std::string> out;
  auto identity = xml::Child(xml::Child(rule, "conditions"), "identity");
  for (auto c = identity.first_child(); c; c = c.next_sibling()) {
    if (xml::LocalName(c.name()) == "one") out.emplace_back(c.attribute("id").as_string());
    else if (c.type() == pugi::node_element) out.emplace_back("*");  // <many>: not ours to touch
  }
  return out;
}

}  // namespace

bool ValidSubHandling(std::string_view a) {
  return a == "allow" || a == "block" || a == "polite-block" || a == "confirm";
}

Result<std::string> SetPresRule(std::string_view document, const std::string& watcher, const std::string& action) {
  if (!ValidSubHandling(action)) return Error(2, "unknown action " + action);
  pugi::xml_document doc;
  pugi::xml_node root;
  if (document.empty()) {
    auto decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    root = doc.append_child("cr:ruleset");
    root.append_attribute("xmlns:cr") = kCp;
    root.append_attribute("xmlns:pr") = kPr;
  } else {
    if (!xml::Load(doc, document)) return Error(400, "pres-rules: the stored document is not XML");
    root = doc.document_element();
    if (xml::LocalName(root.name()) != "ruleset") return Error(400, "pres-rules: the stored document is not a ruleset");
  }
  auto cp = PrefixFor(root, kCp);
  if (!cp) {
    root.append_attribute("xmlns:cr") = kCp;
    cp = "cr";
  }
  auto pr = PrefixFor(root, kPr);
  if (!pr) {
    root.append_attribute("xmlns:pr") = kPr;
    pr = "pr";
  }
  // Drop rules about exactly this watcher.
  std::vector<pugi::xml_node> drop;
  for (auto r = root.first_child(); r; r = r.next_sibling()) {
    if (xml::LocalName(r.name()) != "rule") continue;
    auto ids = Identities(r);
    if (ids.size() == 1 && ids[0] == watcher) drop.push_back(r);
  }
  for (auto r : drop) root.remove_child(r);

  std::string hex;
  for (unsigned char c : auth::RandomBytes(4)) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  auto rule = root.append_child(Q(*cp, "rule").c_str());
  rule.append_attribute("id") = ("parley-" + hex).c_str();
  rule.append_child(Q(*cp, "conditions").c_str())
      .append_child(Q(*cp, "identity").c_str())
      .append_child(Q(*cp, "one").c_str())
      .append_attribute("id") = watcher.c_str();
  rule.append_child(Q(*cp, "actions").c_str()).append_child(Q(*pr, "sub-handling").c_str()).text() = action.c_str();
  auto tr = rule.append_child(Q(*cp, "transformations").c_str());
  if (action == "allow") {
    tr.append_child(Q(*pr, "provide-services").c_str()).append_child(Q(*pr, "all-services").c_str());
    tr.append_child(Q(*pr, "provide-persons").c_str()).append_child(Q(*pr, "all-persons").c_str());
    tr.append_child(Q(*pr, "provide-devices").c_str()).append_child(Q(*pr, "all-devices").c_str());
    tr.append_child(Q(*pr, "provide-all-attributes").c_str());
  }
  return xml::ToString(doc);
}

std::string PresRulesUri(std::string_view xcap_root, std::string_view aor_uri) {
  std::string out(xcap_root);
  while (!out.empty() && out.back() == '/') out.pop_back();
  out += "/pres-rules/users/";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : aor_uri) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_' || c == '~' || c == ':' || c == '@';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "/index";
}

}  // namespace parley::ua
