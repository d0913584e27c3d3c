// Rule evaluation (RFC 4745 §7 conditions, §10 combining) over the parsed
// model: no XML here, and the watcher's URI is parsed once per evaluation.

#include <algorithm>

#include "presence/doc/pidf.h"
#include "presence/doc/xml.h"
#include "presence/rules/rules.h"
#include "sip/uri.h"

namespace parley::presence::rules {

namespace {

template <typename T>
void Union(std::vector<T>& into, const std::vector<T>& from) {
  for (const auto& v : from) {
    if (std::find(into.begin(), into.end(), v) == into.end()) into.push_back(v);
  }
}

// The watcher, prepared once: its identity and the domain of its user@host.
struct Who {
  IdentityRef ref;
  std::string_view domain;  // "" when it has no user@host
};

bool ManyHolds(const ManyCondition& m, const Who& who) {
  if (!m.domain.empty() && m.domain != who.domain) return false;
  for (const auto& d : m.except_domains) {
    if (d == who.domain) return false;
  }
  for (const auto& e : m.except_ids) {
    if (SameIdentity(e, who.ref)) return false;
  }
  return true;
}

bool IdentityHolds(const IdentityCondition& c, const Who& who) {
  for (const auto& one : c.one) {
    if (SameIdentity(one, who.ref)) return true;
  }
  for (const auto& many : c.many) {
    if (ManyHolds(many, who)) return true;
  }
  return false;
}

bool Holds(const Rule& r, const Who* who, int64_t now, std::string_view sphere) {
  if (r.unknown_condition) return false;
  for (const auto& c : r.identity) {
    if (!who || !IdentityHolds(c, *who)) return false;
  }
  for (const auto& tokens : r.spheres) {
    if (sphere.empty() || std::find(tokens.begin(), tokens.end(), sphere) == tokens.end()) return false;
  }
  for (const auto& intervals : r.validity) {
    bool any = std::any_of(intervals.begin(), intervals.end(),
                           [&](const ValidityInterval& i) { return i.from <= now && now < i.until; });
    if (!any) return false;
  }
  return true;
}

}  // namespace

Result<IdentityRef> MakeIdentityRef(std::string_view uri) {
  std::string_view t = xml::Trim(uri);
  IdentityRef ref;
  // "alice@example.com" (no scheme before the user part) is a SIP address.
  size_t colon = t.find(':'), at = t.find('@');
  if (colon == std::string_view::npos || (at != std::string_view::npos && at < colon)) {
    ref.uri = "sip:" + std::string(t);
  } else {
    ref.uri = std::string(t);
  }
  auto parsed = sip::ParseUri(ref.uri);
  if (!parsed.ok()) return Error(400, "pres-rules: invalid identity URI");
  ref.presentity_scheme = parsed->scheme == sip::Scheme::kSip || parsed->scheme == sip::Scheme::kSips ||
                          parsed->scheme == sip::Scheme::kPres;
  if (ref.presentity_scheme && parsed->has_user) ref.aor_key = sip::AorKey(*parsed);
  return ref;
}

bool SameIdentity(const IdentityRef& a, const IdentityRef& b) {
  // sip:, sips: and pres: of the same user@host are one identity, as for
  // presentities; anything else is compared by presence::SamePresentity.
  if (a.presentity_scheme && b.presentity_scheme) return !a.aor_key.empty() && a.aor_key == b.aor_key;
  return SamePresentity(a.uri, b.uri);
}

void Transformations::Merge(const Transformations& o) {
  services.all = services.all || o.services.all;
  Union(services.uris, o.services.uris);
  Union(services.schemes, o.services.schemes);
  Union(services.occurrence_ids, o.services.occurrence_ids);
  Union(services.classes, o.services.classes);
  persons.all = persons.all || o.persons.all;
  Union(persons.occurrence_ids, o.persons.occurrence_ids);
  Union(persons.classes, o.persons.classes);
  devices.all = devices.all || o.devices.all;
  Union(devices.device_ids, o.devices.device_ids);
  Union(devices.occurrence_ids, o.devices.occurrence_ids);
  Union(devices.classes, o.devices.classes);
  for (bool Transformations::*m :
       {&Transformations::activities, &Transformations::rpid_class, &Transformations::device_id,
        &Transformations::mood, &Transformations::place_is, &Transformations::place_type, &Transformations::privacy,
        &Transformations::relationship, &Transformations::sphere, &Transformations::status_icon,
        &Transformations::time_offset, &Transformations::note, &Transformations::all_attributes}) {
    this->*m = this->*m || o.*m;
  }
  user_input = std::max(user_input, o.user_input);
  Union(unknown_attributes, o.unknown_attributes);
}

Decision Evaluate(const Ruleset& ruleset, const Watcher& watcher, int64_t now, std::string_view sphere) {
  std::optional<Who> who;
  if (watcher.authenticated) {
    auto ref = MakeIdentityRef(watcher.uri);
    if (ref.ok()) {
      who.emplace();
      who->ref = std::move(*ref);
      size_t at = who->ref.aor_key.rfind('@');
      if (at != std::string::npos) who->domain = std::string_view(who->ref.aor_key).substr(at + 1);
    }
  }
  Decision d;
  for (size_t i = 0; i < ruleset.rules.size(); ++i) {
    const Rule& r = ruleset.rules[i];
    if (!Holds(r, who ? &*who : nullptr, now, sphere)) continue;
    d.matched = true;
    d.matched_rules.push_back(static_cast<uint32_t>(i));
    if (r.sub_handling && (!d.sub_handling || *r.sub_handling > *d.sub_handling)) d.sub_handling = r.sub_handling;
    d.transformations.Merge(r.transformations);
  }
  return d;
}

}  // namespace parley::presence::rules
