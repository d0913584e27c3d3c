#pragma once
// Presence authorization rules: RFC 4745 common policy carrying the RFC 5025
// pres-rules action (<sub-handling>) and transformations. Parsed once into a
// model that is evaluated per subscription and per notification without
// touching XML again. Pure: no I/O, no clock (time is a parameter).
// Semantics and choices: README.md beside this file.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::presence::rules {

inline constexpr std::string_view kNsCommonPolicy = "urn:ietf:params:xml:ns:common-policy";
inline constexpr std::string_view kNsPresRules = "urn:ietf:params:xml:ns:pres-rules";

// RFC 5025 §3.2.1: an enumerated integer; matching rules combine by maximum.
enum class SubHandling : uint8_t { kBlock = 0, kConfirm = 10, kPoliteBlock = 20, kAllow = 30 };

std::string_view SubHandlingName(SubHandling h);  // "block", "confirm", "polite-block", "allow"
std::optional<SubHandling> ParseSubHandling(std::string_view text);

// <provide-user-input> (RFC 5025 §3.3.2): false < bare < thresholds < full.
enum class UserInputLevel : uint8_t { kFalse, kBare, kThresholds, kFull };

// <provide-services>: a tuple is provided when it matches any selector.
struct ServiceSelector {
  bool all = false;                         // <all-services/>
  std::vector<std::string> uris;            // <service-uri>: the tuple's <contact>
  std::vector<std::string> schemes;         // <service-uri-scheme>, lower-cased
  std::vector<std::string> occurrence_ids;  // <occurrence-id>: the tuple id
  std::vector<std::string> classes;         // <class>: the tuple's <rpid:class>
  bool operator==(const ServiceSelector&) const = default;
};

// <provide-persons>.
struct PersonSelector {
  bool all = false;
  std::vector<std::string> occurrence_ids;
  std::vector<std::string> classes;
  bool operator==(const PersonSelector&) const = default;
};

// <provide-devices>.
struct DeviceSelector {
  bool all = false;
  std::vector<std::string> device_ids;  // <deviceID>
  std::vector<std::string> occurrence_ids;
  std::vector<std::string> classes;
  bool operator==(const DeviceSelector&) const = default;
};

// <provide-unknown-attribute ns=… name=…>true</…>: an element this
// specification does not name, by expanded name.
struct UnknownAttribute {
  std::string ns, name;
  bool operator==(const UnknownAttribute&) const = default;
};

// What a watcher may see. The default value grants nothing: a watcher with
// no transformation sees the entity and nothing else (RFC 5025 §3.3).
struct Transformations {
  ServiceSelector services;
  PersonSelector persons;
  DeviceSelector devices;
  // Boolean attribute permissions (<provide-activities> …).
  bool activities = false, rpid_class = false, device_id = false, mood = false, place_is = false,
       place_type = false, privacy = false, relationship = false, sphere = false, status_icon = false,
       time_offset = false, note = false;
  UserInputLevel user_input = UserInputLevel::kFalse;
  std::vector<UnknownAttribute> unknown_attributes;
  bool all_attributes = false;  // <provide-all-attributes/>

  // RFC 4745 §10.2 combining: booleans OR, integers max, sets union.
  void Merge(const Transformations& other);
  bool operator==(const Transformations&) const = default;
};

// A URI named by a rule (<one id>, <except id>), prepared once for matching
// the way presentities are compared (presence::SamePresentity).
struct IdentityRef {
  std::string uri;      // as written, "sip:" put in front when it had no scheme
  std::string aor_key;  // "user@host" of a sip:/sips:/pres: URI with a user, else ""
  bool presentity_scheme = false;
  bool operator==(const IdentityRef&) const = default;
};

// <many>: any authenticated identity (domain ""), or any in `domain`, minus
// the exceptions.
struct ManyCondition {
  std::string domain;  // lower-cased
  std::vector<IdentityRef> except_ids;
  std::vector<std::string> except_domains;  // lower-cased
  bool operator==(const ManyCondition&) const = default;
};

// <identity>: matches when any <one> or <many> does. Children in other
// namespaces are counted, never matched.
struct IdentityCondition {
  std::vector<IdentityRef> one;
  std::vector<ManyCondition> many;
  size_t unknown = 0;
  bool operator==(const IdentityCondition&) const = default;
};

// One <from>/<until> pair of <validity>, Unix seconds, from <= now < until.
struct ValidityInterval {
  int64_t from = 0, until = 0;
  bool operator==(const ValidityInterval&) const = default;
};

struct Rule {
  std::string id;
  // Conditions; all present ones must hold (a rule without any matches everyone).
  std::vector<IdentityCondition> identity;
  std::vector<std::vector<std::string>> spheres;  // each <sphere value>'s tokens: any one matches
  std::vector<std::vector<ValidityInterval>> validity;  // each <validity>: any interval holds
  bool unknown_condition = false;  // RFC 4745 §7: a condition not understood never holds
  // Actions and transformations.
  std::optional<SubHandling> sub_handling;
  Transformations transformations;
  bool operator==(const Rule&) const = default;
};

struct Ruleset {
  std::vector<Rule> rules;
  bool operator==(const Ruleset&) const = default;
};

struct Limits {
  size_t max_body_bytes = 256 * 1024;  // 413 beyond each limit
  size_t max_rules = 256;
  size_t max_identities = 256;  // <one>, <many> and <except> in one rule
  size_t max_selectors = 256;   // values in one rule's transformations
  size_t max_intervals = 16;    // <from>/<until> pairs in one rule
  size_t max_elements = 16384;  // in the whole document
  size_t max_depth = 16;
};

// Parses and validates a pres-rules document (application/auth-policy+xml).
// Namespaces are matched by URI (any prefix). Errors carry 413 for a limit
// and 400 with a reason naming the fault ("pres-rules: …").
Result<Ruleset> ParseRuleset(std::string_view body, const Limits& limits = {});

// The watcher asking, as the server authenticated it (RFC 5025 §3.1.1).
struct Watcher {
  std::string_view uri;
  bool authenticated = true;  // false (anonymous): no identity condition holds
};

// The outcome for one watcher. RFC 4745 §10 grants nothing when no rule
// matches, and RFC 5025 leaves what to do with such a subscription to the
// server: `matched` is false and the caller applies its configured default.
// `sub_handling` is empty when no matching rule carries one.
struct Decision {
  bool matched = false;
  std::optional<SubHandling> sub_handling;
  Transformations transformations;
  std::vector<uint32_t> matched_rules;  // indices into Ruleset::rules
};

// Evaluates every rule for `watcher` at `now` (Unix seconds) while the
// presentity is in `sphere` (its current RPID sphere, "" when unknown) and
// combines the matching ones (RFC 4745 §10.2).
Decision Evaluate(const Ruleset& ruleset, const Watcher& watcher, int64_t now, std::string_view sphere);

// Prepares a URI for <one>/<except> matching; "alice@example.com" is read as
// "sip:alice@example.com". Error 400 when it is not a URI.
Result<IdentityRef> MakeIdentityRef(std::string_view uri);

// True when `ref` names the watcher URI `uri` (SamePresentity semantics).
bool SameIdentity(const IdentityRef& ref, const IdentityRef& uri);

// Presence options in the store (store::OptionEntry), read by the presence
// agent's authorizer and written by parleyctl and the HTTP API.
inline constexpr const char* kOptionDefaultRule = "presence-default-rule";  // per domain: a SubHandling name
inline constexpr const char* kOptionInvisible = "presence-invisible";       // per user, "1"

}  // namespace parley::presence::rules
