// ParseRuleset: pugixml does the XML; elements are matched by namespace URI
// and local name (presence/doc/xml.h) and mapped onto the rules model.

#include <algorithm>
#include <set>
#include <vector>

#include "common/strings.h"
#include "presence/doc/timestamp.h"
#include "presence/doc/xml.h"
#include "presence/rules/rules.h"

namespace parley::presence::rules {

namespace {

using xml::Name;

constexpr std::string_view kNsDataModel = "urn:ietf:params:xml:ns:pidf:data-model";

std::optional<bool> ParseBoolean(std::string_view s) {
  s = xml::Trim(s);
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

std::optional<UserInputLevel> ParseUserInputLevel(std::string_view s) {
  s = xml::Trim(s);
  if (s == "false") return UserInputLevel::kFalse;
  if (s == "bare") return UserInputLevel::kBare;
  if (s == "thresholds") return UserInputLevel::kThresholds;
  if (s == "full") return UserInputLevel::kFull;
  return std::nullopt;
}

bool ValidRuleId(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  return std::none_of(id.begin(), id.end(), [](char c) { return xml::IsXmlSpace(c); });
}

// The boolean attribute permissions of RFC 5025 §3.3.2, by element name.
struct BoolPermission {
  std::string_view name;
  bool Transformations::*member;
};
constexpr BoolPermission kBoolPermissions[] = {
    {"provide-activities", &Transformations::activities},
    {"provide-class", &Transformations::rpid_class},
    {"provide-deviceID", &Transformations::device_id},
    {"provide-mood", &Transformations::mood},
    {"provide-place-is", &Transformations::place_is},
    {"provide-place-type", &Transformations::place_type},
    {"provide-privacy", &Transformations::privacy},
    {"provide-relationship", &Transformations::relationship},
    {"provide-sphere", &Transformations::sphere},
    {"provide-status-icon", &Transformations::status_icon},
    {"provide-time-offset", &Transformations::time_offset},
    {"provide-note", &Transformations::note},
};

class Parser {
 public:
  explicit Parser(const Limits& limits) : limits_(limits) {}

  Result<Ruleset> Run(std::string_view body);

 private:
  bool Fail(int code, std::string reason) {
    if (!error_) error_ = Error(code, std::move(reason));
    return false;
  }
  bool Bad(std::string what) { return Fail(400, "pres-rules: " + what); }
  bool Resolve(pugi::xml_node e, Name& name) {
    auto n = xml::ElementName(e);
    if (!n.ok()) {
      std::string_view m = n.error().message;
      if (m.starts_with("PIDF: ")) m.remove_prefix(6);
      return Bad(std::string(m));
    }
    name = *n;
    return true;
  }
  bool CheckTree(const pugi::xml_document& doc, pugi::xml_node& root, bool check_values);
  bool ParseRule(pugi::xml_node e, Rule& r);
  bool ParseConditions(pugi::xml_node e, Rule& r);
  bool ParseIdentity(pugi::xml_node e, IdentityCondition& c);
  bool ParseMany(pugi::xml_node e, ManyCondition& m, bool& understood);
  bool IdentityAttr(pugi::xml_node e, std::string_view element, IdentityRef& out);
  bool ParseValidity(pugi::xml_node e, std::vector<ValidityInterval>& out);
  bool ParseActions(pugi::xml_node e, Rule& r);
  bool ParseTransformations(pugi::xml_node e, Transformations& t);
  bool ParseServices(pugi::xml_node e, ServiceSelector& s);
  bool ParsePersons(pugi::xml_node e, PersonSelector& s);
  bool ParseDevices(pugi::xml_node e, DeviceSelector& s);
  bool Boolean(pugi::xml_node e, std::string_view what, bool& out);
  bool AddValue(std::vector<std::string>& into, std::string value);
  bool CountIdentity() {
    if (++identities_ > limits_.max_identities) return Fail(413, "pres-rules: too many identities in a rule");
    return true;
  }

  const Limits& limits_;
  std::optional<Error> error_;
  size_t identities_ = 0;  // per rule
  size_t values_ = 0;      // per rule
};

bool Parser::CheckTree(const pugi::xml_document& doc, pugi::xml_node& root, bool check_values) {
  for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) {
      if (root) {
        return Bad("not well-formed XML at offset " + std::to_string(c.offset_debug() - 1));
      }
      root = c;
    } else if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      return Bad("not well-formed XML at offset " + std::to_string(c.offset_debug()));
    }
  }
  if (!root) return Bad("not well-formed XML at offset 0");
  size_t elements = 0, depth = 1;
  for (pugi::xml_node n = root; n;) {
    if (n.type() == pugi::node_element) {
      if (++elements > limits_.max_elements) return Fail(413, "pres-rules: too many elements");
      if (depth > limits_.max_depth) return Fail(413, "pres-rules: elements nested too deeply");
      // pugixml lets a repeated attribute through; XML does not (and two
      // bindings of one prefix would make the editor write what it did not mean).
      if (n.first_attribute() && n.first_attribute().next_attribute()) {
        std::vector<std::string_view> names;
        for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) names.emplace_back(a.name());
        std::sort(names.begin(), names.end());
        if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
          return Bad("repeated attribute at offset " + std::to_string(n.offset_debug() - 1));
        }
      }
      for (pugi::xml_attribute a = n.first_attribute(); check_values && a; a = a.next_attribute()) {
        if (xml::FindInvalidChar(a.value())) return Bad("invalid character reference");
      }
      if (n.first_child()) {
        n = n.first_child();
        ++depth;
        continue;
      }
    } else if (check_values && xml::FindInvalidChar(n.value())) {
      return Bad("invalid character reference");
    }
    while (n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    n = n == root ? pugi::xml_node() : n.next_sibling();
  }
  return true;
}

bool Parser::AddValue(std::vector<std::string>& into, std::string value) {
  if (++values_ > limits_.max_selectors) return Fail(413, "pres-rules: too many transformation values in a rule");
  into.push_back(std::move(value));
  return true;
}

bool Parser::Boolean(pugi::xml_node e, std::string_view what, bool& out) {
  auto v = ParseBoolean(xml::Text(e));
  if (!v) return Bad("invalid boolean in <" + std::string(what) + ">");
  out = out || *v;
  return true;
}

bool Parser::IdentityAttr(pugi::xml_node e, std::string_view element, IdentityRef& out) {
  auto id = xml::Attr(e, "id");
  if (!id || xml::Trim(*id).empty()) return Bad("<" + std::string(element) + "> without id");
  auto ref = MakeIdentityRef(*id);
  if (!ref.ok()) return Bad("invalid identity URI in <" + std::string(element) + ">");
  out = std::move(*ref);
  return true;
}

bool Parser::ParseMany(pugi::xml_node e, ManyCondition& m, bool& understood) {
  understood = true;
  if (auto d = xml::Attr(e, "domain")) m.domain = ToLower(xml::Trim(*d));
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (!n.Is(kNsCommonPolicy, "except")) {
      understood = false;  // an extension we cannot evaluate: this <many> never matches
      continue;
    }
    if (!CountIdentity()) return false;
    if (xml::Attr(c, "id")) {
      if (!IdentityAttr(c, "except", m.except_ids.emplace_back())) return false;
    }
    if (auto d = xml::Attr(c, "domain")) {
      std::string domain = ToLower(xml::Trim(*d));
      if (domain.empty()) return Bad("empty domain in <except>");
      m.except_domains.push_back(std::move(domain));
    }
  }
  return true;
}

bool Parser::ParseIdentity(pugi::xml_node e, IdentityCondition& c) {
  for (pugi::xml_node child = e.first_child(); child; child = child.next_sibling()) {
    if (child.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(child, n)) return false;
    if (!CountIdentity()) return false;
    if (n.Is(kNsCommonPolicy, "one")) {
      if (!IdentityAttr(child, "one", c.one.emplace_back())) return false;
    } else if (n.Is(kNsCommonPolicy, "many")) {
      ManyCondition m;
      bool understood;
      if (!ParseMany(child, m, understood)) return false;
      if (understood) c.many.push_back(std::move(m));
      else ++c.unknown;
    } else {
      ++c.unknown;  // extension: never matches
    }
  }
  return true;
}

bool Parser::ParseValidity(pugi::xml_node e, std::vector<ValidityInterval>& out) {
  bool open = false;  // a <from> waits for its <until>
  int64_t from = 0;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    const bool is_from = n.Is(kNsCommonPolicy, "from");
    if (!is_from && !n.Is(kNsCommonPolicy, "until")) return Bad("unexpected element in <validity>");
    auto t = ParseDateTime(xml::Text(c));
    if (!t) return Bad(is_from ? "invalid <from> time" : "invalid <until> time");
    if (is_from == open) return Bad("<validity> needs <from>/<until> pairs");
    open = is_from;
    if (is_from) {
      from = *t;
      continue;
    }
    if (out.size() >= limits_.max_intervals) return Fail(413, "pres-rules: too many validity intervals");
    out.push_back(ValidityInterval{from, *t});
  }
  if (open || out.empty()) return Bad("<validity> needs <from>/<until> pairs");
  return true;
}

bool Parser::ParseConditions(pugi::xml_node e, Rule& r) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.Is(kNsCommonPolicy, "identity")) {
      if (!ParseIdentity(c, r.identity.emplace_back())) return false;
    } else if (n.Is(kNsCommonPolicy, "sphere")) {
      auto value = xml::Attr(c, "value");
      if (!value) return Bad("<sphere> without value");
      auto& tokens = r.spheres.emplace_back();
      std::string_view rest = *value;
      while (!(rest = xml::Trim(rest)).empty()) {
        size_t end = 0;
        while (end < rest.size() && !xml::IsXmlSpace(rest[end])) ++end;
        if (!AddValue(tokens, std::string(rest.substr(0, end)))) return false;
        rest.remove_prefix(end);
      }
    } else if (n.Is(kNsCommonPolicy, "validity")) {
      if (!ParseValidity(c, r.validity.emplace_back())) return false;
    } else {
      r.unknown_condition = true;  // RFC 4745 §7: not understood, so the rule never matches
    }
  }
  return true;
}

bool Parser::ParseActions(pugi::xml_node e, Rule& r) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (!n.Is(kNsPresRules, "sub-handling")) continue;  // unknown actions are ignored
    auto h = ParseSubHandling(xml::Trim(xml::Text(c)));
    if (!h) return Bad("invalid <sub-handling> value");
    if (!r.sub_handling || *h > *r.sub_handling) r.sub_handling = h;
  }
  return true;
}

bool Parser::ParseServices(pugi::xml_node e, ServiceSelector& s) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.ns != kNsPresRules) continue;
    std::string text = xml::Text(c);
    bool ok = true;
    if (n.local == "all-services") s.all = true;
    else if (n.local == "service-uri") ok = AddValue(s.uris, std::move(text));
    else if (n.local == "service-uri-scheme") ok = AddValue(s.schemes, ToLower(text));
    else if (n.local == "occurrence-id") ok = AddValue(s.occurrence_ids, std::move(text));
    else if (n.local == "class") ok = AddValue(s.classes, std::move(text));
    if (!ok) return false;
  }
  return true;
}

bool Parser::ParsePersons(pugi::xml_node e, PersonSelector& s) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.ns != kNsPresRules) continue;
    bool ok = true;
    if (n.local == "all-persons") s.all = true;
    else if (n.local == "occurrence-id") ok = AddValue(s.occurrence_ids, xml::Text(c));
    else if (n.local == "class") ok = AddValue(s.classes, xml::Text(c));
    if (!ok) return false;
  }
  return true;
}

bool Parser::ParseDevices(pugi::xml_node e, DeviceSelector& s) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    bool ok = true;
    // <deviceID> is the pres-rules element; the data-model one is accepted too.
    if (n.Is(kNsPresRules, "deviceID") || n.Is(kNsDataModel, "deviceID")) ok = AddValue(s.device_ids, xml::Text(c));
    else if (n.ns != kNsPresRules) continue;
    else if (n.local == "all-devices") s.all = true;
    else if (n.local == "occurrence-id") ok = AddValue(s.occurrence_ids, xml::Text(c));
    else if (n.local == "class") ok = AddValue(s.classes, xml::Text(c));
    if (!ok) return false;
  }
  return true;
}

bool Parser::ParseTransformations(pugi::xml_node e, Transformations& t) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.ns != kNsPresRules) continue;  // unknown transformations are ignored
    bool ok = true;
    if (n.local == "provide-services") {
      ok = ParseServices(c, t.services);
    } else if (n.local == "provide-persons") {
      ok = ParsePersons(c, t.persons);
    } else if (n.local == "provide-devices") {
      ok = ParseDevices(c, t.devices);
    } else if (n.local == "provide-user-input") {
      auto level = ParseUserInputLevel(xml::Text(c));
      if (!level) return Bad("invalid <provide-user-input> value");
      t.user_input = std::max(t.user_input, *level);
    } else if (n.local == "provide-unknown-attribute") {
      auto ns = xml::Attr(c, "ns");
      auto name = xml::Attr(c, "name");
      if (!ns || !name || xml::Trim(*name).empty()) return Bad("<provide-unknown-attribute> needs ns and name");
      bool on = false;
      if (!Boolean(c, n.local, on)) return false;
      if (++values_ > limits_.max_selectors) {
        return Fail(413, "pres-rules: too many transformation values in a rule");
      }
      if (on) t.unknown_attributes.push_back({std::string(xml::Trim(*ns)), std::string(xml::Trim(*name))});
    } else if (n.local == "provide-all-attributes") {
      t.all_attributes = true;
    } else {
      for (const auto& p : kBoolPermissions) {
        if (p.name == n.local) {
          ok = Boolean(c, n.local, t.*p.member);
          break;
        }
      }
    }
    if (!ok) return false;
  }
  return true;
}

bool Parser::ParseRule(pugi::xml_node e, Rule& r) {
  auto id = xml::Attr(e, "id");
  if (!id) return Bad("<rule> without id");
  if (!ValidRuleId(*id)) return Bad("invalid rule id");
  r.id = std::string(*id);
  identities_ = values_ = 0;
  bool seen_conditions = false, seen_actions = false, seen_transformations = false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.ns != kNsCommonPolicy) continue;
    auto once = [&](bool& seen) {
      if (seen) return Bad("more than one <" + std::string(n.local) + "> in a rule");
      seen = true;
      return true;
    };
    bool ok;
    if (n.local == "conditions") ok = once(seen_conditions) && ParseConditions(c, r);
    else if (n.local == "actions") ok = once(seen_actions) && ParseActions(c, r);
    else if (n.local == "transformations") ok = once(seen_transformations) && ParseTransformations(c, r.transformations);
    else ok = Bad("unexpected <" + std::string(n.local) + "> in a rule");
    if (!ok) return false;
  }
  return true;
}

Result<Ruleset> Parser::Run(std::string_view body) {
  if (body.size() > limits_.max_body_bytes) {
    return Error(413, "pres-rules: body too large (" + std::to_string(body.size()) + " bytes, limit " +
                          std::to_string(limits_.max_body_bytes) + ")");
  }
  const size_t bom = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (auto bad = xml::FindInvalidChar(body.substr(bom))) {
    return Error(400, "pres-rules: not well-formed XML at offset " + std::to_string(*bad + bom));
  }
  if (body.find("<!DOCTYPE") != std::string_view::npos) return Error(400, "pres-rules: DOCTYPE is not allowed");
  pugi::xml_document doc;
  auto loaded = doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_fragment,
                                pugi::encoding_utf8);
  if (!loaded) return Error(400, "pres-rules: not well-formed XML at offset " + std::to_string(loaded.offset));
  pugi::xml_node root;
  if (!CheckTree(doc, root, body.find("&#") != std::string_view::npos)) return *error_;
  Name name;
  if (!Resolve(root, name)) return *error_;
  if (!name.Is(kNsCommonPolicy, "ruleset")) return Error(400, "pres-rules: root element is not a common-policy <ruleset>");

  Ruleset out;
  std::set<std::string, std::less<>> ids;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (!Resolve(c, name)) return *error_;
    if (name.ns != kNsCommonPolicy) continue;
    if (name.local != "rule") return Error(400, "pres-rules: unexpected <" + std::string(name.local) + "> in <ruleset>");
    if (out.rules.size() >= limits_.max_rules) {
      return Error(413, "pres-rules: too many rules (limit " + std::to_string(limits_.max_rules) + ")");
    }
    if (!ParseRule(c, out.rules.emplace_back())) return *error_;
    if (!ids.insert(out.rules.back().id).second) return Error(400, "pres-rules: duplicate rule id");
  }
  return out;
}

}  // namespace

std::string_view SubHandlingName(SubHandling h) {
  switch (h) {
    case SubHandling::kBlock: return "block";
    case SubHandling::kConfirm: return "confirm";
    case SubHandling::kPoliteBlock: return "polite-block";
    case SubHandling::kAllow: return "allow";
  }
  return "block";
}

std::optional<SubHandling> ParseSubHandling(std::string_view s) {
  if (s == "block") return SubHandling::kBlock;
  if (s == "confirm") return SubHandling::kConfirm;
  if (s == "polite-block") return SubHandling::kPoliteBlock;
  if (s == "allow") return SubHandling::kAllow;
  return std::nullopt;
}

Result<Ruleset> ParseRuleset(std::string_view body, const Limits& limits) { return Parser(limits).Run(body); }

}  // namespace parley::presence::rules
