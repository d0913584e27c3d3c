#pragma once
// Editing a pres-rules document the way users and admins think of it: one
// rule per watcher. Other rules, and everything in them, are left as they
// are. Used by the client (ua::SetPresRule over XCAP) and by the server's
// administration (parleyctl presence rule …).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "presence/rules/rules.h"

namespace parley::presence::rules {

// Returns `document` (empty = none yet: a new ruleset is made) with the
// rule for `watcher_uri` set to `handling`. A rule whose only condition is
// an <identity> with a single <one> naming that watcher is replaced in place
// (several: the first is replaced, the others removed); otherwise a rule is
// added. Its id is "parley-" + a hash of the watcher, made unique. An
// `allow` rule grants all services, persons and devices and
// <provide-all-attributes/>; the other handlings grant nothing.
// `document` must parse (its error otherwise); the result always parses
// with the same limits (413 when it would not fit them). Error 400 when
// `watcher_uri` is not a URI.
Result<std::string> SetWatcherRule(std::string_view document, std::string_view watcher_uri, SubHandling handling,
                                   const Limits& limits = {});

// Removes the single-watcher rules for `watcher_uri`. Error 404 when there
// is none.
Result<std::string> RemoveWatcherRule(std::string_view document, std::string_view watcher_uri,
                                      const Limits& limits = {});

// One rule as a list shows it.
struct RuleSummary {
  std::string id;
  std::string watcher;     // the one watcher a single-watcher rule is about, "" otherwise
  std::string conditions;  // e.g. "sip:bob@example.com", "anyone", "domain example.com except sip:eve@example.com"
  std::optional<SubHandling> sub_handling;
  bool provides_all = false;  // all services, persons, devices and attributes
};

std::vector<RuleSummary> ListRules(const Ruleset& ruleset);
Result<std::vector<RuleSummary>> ListRules(std::string_view document, const Limits& limits = {});

// The <one> watcher of a rule that has no other condition (nullptr otherwise).
const IdentityRef* SingleWatcher(const Rule& rule);

}  // namespace parley::presence::rules
