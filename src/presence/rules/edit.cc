// Per-watcher editing of a pres-rules document over a pugixml DOM: the
// document is parsed first (limits, validation), the i-th common-policy
// <rule> element is the i-th rule of that parse, and the result is parsed
// again before it is handed out.

#include "presence/rules/edit.h"

#include <cstdio>
#include <set>

#include "presence/doc/timestamp.h"
#include "presence/doc/xml.h"

namespace parley::presence::rules {

namespace {

struct StringWriter : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override { out.append(static_cast<const char*>(data), size); }
};

// A prefix bound to `ns` on the root (where a new rule sees it; a named
// one rather than the default namespace), else a new declaration of
// `preferred` (made unique) on the root.
std::string PrefixFor(pugi::xml_node root, std::string_view ns, std::string_view preferred) {
  std::set<std::string, std::less<>> declared;
  bool is_default = false;
  for (pugi::xml_attribute a = root.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    if (name == "xmlns" && ns == a.value()) is_default = true;
    if (name.starts_with("xmlns:")) {
      std::string_view prefix = name.substr(6);
      if (ns == a.value() && xml::IsNcName(prefix)) return std::string(prefix);  // not "xmlns:a:b"
      declared.emplace(prefix);
    }
  }
  if (is_default) return {};
  std::string prefix(preferred);
  for (int n = 2; declared.count(prefix); ++n) prefix = std::string(preferred) + std::to_string(n);
  root.append_attribute(("xmlns:" + prefix).c_str()) = std::string(ns).c_str();
  return prefix;
}

std::string Qualified(const std::string& prefix, const char* local) {
  return prefix.empty() ? std::string(local) : prefix + ":" + local;
}

std::string RuleIdFor(const IdentityRef& watcher, const std::set<std::string, std::less<>>& taken) {
  const std::string& key = watcher.aor_key.empty() ? watcher.uri : watcher.aor_key;
  uint32_t h = 2166136261u;  // FNV-1a: the same watcher gets the same id everywhere
  for (char c : key) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char buf[24];
  std::snprintf(buf, sizeof buf, "parley-%08x", h);
  std::string id = buf;
  for (int n = 2; taken.count(id); ++n) id = std::string(buf) + "-" + std::to_string(n);
  return id;
}

// The document loaded for editing, with its parse.
struct Editable {
  pugi::xml_document dom;
  pugi::xml_node root;
  Ruleset model;
  std::vector<pugi::xml_node> rule_nodes;  // rule_nodes[i] is model.rules[i]
};

Result<void> Load(std::string_view document, const Limits& limits, Editable& e) {
  if (xml::Trim(document).empty()) {
    e.root = e.dom.append_child("cr:ruleset");
    e.root.append_attribute("xmlns:cr") = std::string(kNsCommonPolicy).c_str();
    e.root.append_attribute("xmlns:pr") = std::string(kNsPresRules).c_str();
    return Ok();
  }
  auto parsed = ParseRuleset(document, limits);
  if (!parsed.ok()) return parsed.error();
  e.model = std::move(*parsed);
  if (!e.dom.load_buffer(document.data(), document.size(), pugi::parse_default | pugi::parse_fragment,
                         pugi::encoding_utf8)) {
    return Error(400, "pres-rules: not well-formed XML");
  }
  e.root = e.dom.document_element();
  for (pugi::xml_node c = e.root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto name = xml::ElementName(c);
    if (name.ok() && name->Is(kNsCommonPolicy, "rule")) e.rule_nodes.push_back(c);
  }
  if (e.rule_nodes.size() != e.model.rules.size()) return Error(500, "pres-rules: rule elements out of step");
  return Ok();
}

Result<std::string> Save(const pugi::xml_document& dom, const Limits& limits) {
  StringWriter w;
  w.out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  dom.save(w, "  ", pugi::format_indent | pugi::format_no_declaration, pugi::encoding_utf8);
  auto again = ParseRuleset(w.out, limits);
  if (!again.ok()) return again.error();
  return std::move(w.out);
}

// Indices of the single-watcher rules about `watcher`.
std::vector<size_t> RulesAbout(const Ruleset& model, const IdentityRef& watcher) {
  std::vector<size_t> out;
  for (size_t i = 0; i < model.rules.size(); ++i) {
    const IdentityRef* one = SingleWatcher(model.rules[i]);
    if (one && SameIdentity(*one, watcher)) out.push_back(i);
  }
  return out;
}

void WriteRule(pugi::xml_node rule, const std::string& id, const IdentityRef& watcher, SubHandling handling,
               const std::string& cp, const std::string& pr) {
  rule.append_attribute("id") = id.c_str();
  rule.append_child(Qualified(cp, "conditions").c_str())
      .append_child(Qualified(cp, "identity").c_str())
      .append_child(Qualified(cp, "one").c_str())
      .append_attribute("id") = watcher.uri.c_str();
  rule.append_child(Qualified(cp, "actions").c_str())
      .append_child(Qualified(pr, "sub-handling").c_str())
      .text()
      .set(std::string(SubHandlingName(handling)).c_str());
  if (handling != SubHandling::kAllow) return;
  auto t = rule.append_child(Qualified(cp, "transformations").c_str());
  t.append_child(Qualified(pr, "provide-services").c_str()).append_child(Qualified(pr, "all-services").c_str());
  t.append_child(Qualified(pr, "provide-persons").c_str()).append_child(Qualified(pr, "all-persons").c_str());
  t.append_child(Qualified(pr, "provide-devices").c_str()).append_child(Qualified(pr, "all-devices").c_str());
  t.append_child(Qualified(pr, "provide-all-attributes").c_str());
}

std::string Describe(const IdentityCondition& c) {
  std::string out;
  auto add = [&](const std::string& s) { out.append(out.empty() ? "" : " or ").append(s); };
  for (const auto& one : c.one) add(one.uri);
  for (const auto& m : c.many) {
    std::string s = m.domain.empty() ? "any authenticated identity" : "domain " + m.domain;
    std::string except;
    for (const auto& e : m.except_ids) except.append(except.empty() ? "" : ", ").append(e.uri);
    for (const auto& d : m.except_domains) except.append(except.empty() ? "" : ", ").append("domain " + d);
    if (!except.empty()) s += " except " + except;
    add(s);
  }
  if (c.unknown) add(std::to_string(c.unknown) + " unknown identity element(s)");
  return out.empty() ? "nobody" : out;
}

}  // namespace

const IdentityRef* SingleWatcher(const Rule& r) {
  if (r.unknown_condition || !r.spheres.empty() || !r.validity.empty() || r.identity.size() != 1) return nullptr;
  const IdentityCondition& c = r.identity[0];
  if (c.one.size() != 1 || !c.many.empty() || c.unknown) return nullptr;
  return &c.one[0];
}

Result<std::string> SetWatcherRule(std::string_view document, std::string_view watcher_uri, SubHandling handling,
                                   const Limits& limits) {
  auto watcher = MakeIdentityRef(watcher_uri);
  if (!watcher.ok()) return Error(400, "pres-rules: invalid watcher URI");
  Editable e;
  if (auto loaded = Load(document, limits, e); !loaded.ok()) return loaded.error();
  const std::string cp = PrefixFor(e.root, kNsCommonPolicy, "cr");
  const std::string pr = PrefixFor(e.root, kNsPresRules, "pr");

  std::vector<size_t> replace = RulesAbout(e.model, *watcher);
  std::set<std::string, std::less<>> taken;
  for (size_t i = 0, k = 0; i < e.model.rules.size(); ++i) {
    if (k < replace.size() && replace[k] == i) {
      ++k;
      continue;
    }
    taken.insert(e.model.rules[i].id);
  }
  const std::string name = Qualified(cp, "rule");
  pugi::xml_node rule = replace.empty() ? e.root.append_child(name.c_str())
                                        : e.root.insert_child_before(name.c_str(), e.rule_nodes[replace[0]]);
  WriteRule(rule, RuleIdFor(*watcher, taken), *watcher, handling, cp, pr);
  for (size_t i : replace) e.root.remove_child(e.rule_nodes[i]);
  return Save(e.dom, limits);
}

Result<std::string> RemoveWatcherRule(std::string_view document, std::string_view watcher_uri,
                                      const Limits& limits) {
  auto watcher = MakeIdentityRef(watcher_uri);
  if (!watcher.ok()) return Error(400, "pres-rules: invalid watcher URI");
  Editable e;
  if (auto loaded = Load(document, limits, e); !loaded.ok()) return loaded.error();
  std::vector<size_t> remove = RulesAbout(e.model, *watcher);
  if (remove.empty()) return Error(404, "pres-rules: no rule for " + watcher->uri);
  for (size_t i : remove) e.root.remove_child(e.rule_nodes[i]);
  return Save(e.dom, limits);
}

std::vector<RuleSummary> ListRules(const Ruleset& ruleset) {
  std::vector<RuleSummary> out;
  for (const Rule& r : ruleset.rules) {
    RuleSummary& s = out.emplace_back();
    s.id = r.id;
    s.sub_handling = r.sub_handling;
    const Transformations& t = r.transformations;
    s.provides_all = t.services.all && t.persons.all && t.devices.all && t.all_attributes;
    if (const IdentityRef* one = SingleWatcher(r)) {
      s.watcher = one->uri;
      s.conditions = one->uri;
      continue;
    }
    if (r.unknown_condition) {
      s.conditions = "unknown condition (never matches)";
      continue;
    }
    std::vector<std::string> parts;
    for (const auto& c : r.identity) parts.push_back(Describe(c));
    for (const auto& tokens : r.spheres) {
      std::string p = "sphere";
      for (const auto& tok : tokens) p.append(p.size() == 6 ? " " : "|").append(tok);
      parts.push_back(std::move(p));
    }
    for (const auto& intervals : r.validity) {
      std::string p = "valid";
      for (const auto& i : intervals) p += " " + FormatDateTime(i.from) + ".." + FormatDateTime(i.until);
      parts.push_back(std::move(p));
    }
    for (const auto& p : parts) s.conditions.append(s.conditions.empty() ? "" : ", ").append(p);
    if (s.conditions.empty()) s.conditions = "anyone";
  }
  return out;
}

Result<std::vector<RuleSummary>> ListRules(std::string_view document, const Limits& limits) {
  if (xml::Trim(document).empty()) return std::vector<RuleSummary>{};
  auto parsed = ParseRuleset(document, limits);
  if (!parsed.ok()) return parsed.error();
  return ListRules(*parsed);
}

}  // namespace parley::presence::rules
