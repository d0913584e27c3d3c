#pragma once
// Presence authorization rules (RFC 5025 pres-rules over RFC 4745 common
// policy), edited the way a client does over XCAP (RFC 4825): read the
// document, set the rule for one watcher, write it back.

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::ua {

// RFC 5025 §3.2.1 sub-handling values: "allow", "block", "polite-block",
// "confirm".
bool ValidSubHandling(std::string_view action);

// Returns `document` (empty = none yet) with `watcher` (a URI) given
// `action`: rules naming only that watcher are replaced by one rule
// (id "parley-…"), other rules are kept as they are
// (presence::rules::SetWatcherRule; error 2 for an unknown action).
Result<std::string> SetPresRule(std::string_view document, const std::string& watcher, const std::string& action);

// The XCAP URI of a user's document "index" of application usage `auid`;
// the AOR is percent-encoded.
std::string XcapUserDocumentUri(std::string_view xcap_root, std::string_view auid, std::string_view aor_uri);
// The user's pres-rules document (RFC 5025 §9.1).
inline std::string PresRulesUri(std::string_view xcap_root, std::string_view aor_uri) {
  return XcapUserDocumentUri(xcap_root, "pres-rules", aor_uri);
}
// The user's hard state, a pidf-manipulation document (RFC 4827).
inline std::string HardStateUri(std::string_view xcap_root, std::string_view aor_uri) {
  return XcapUserDocumentUri(xcap_root, "pidf-manipulation", aor_uri);
}

}  // namespace parley::ua
