#pragma once
// Presence documents: PIDF (RFC 3863) with the RPID extensions (RFC 4480)
// and the data model (RFC 4479); watcher information (RFC 3858); the
// registration state (RFC 3680 reginfo). Pure functions over pugixml.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::ua {

// What `parley status` publishes.
struct PresenceDoc {
  std::string entity;                   // "sip:alice@example.com"
  bool open = true;                     // basic status
  std::vector<std::string> activities;  // RPID activities ("away", "busy", "on-the-phone" …)
  std::string note;
  std::string contact;                  // optional tuple contact
  // false: the person only, no tuple (a hard state, RFC 4827: it says
  // nothing about the user's devices).
  bool with_tuple = true;
};
std::string BuildPidf(const PresenceDoc& doc);

// Parses the user words of `parley status`: open, closed, away, busy, dnd,
// or any RPID activity (which implies open).
Result<PresenceDoc> PresenceFromStatus(std::string_view status, std::string note);
bool IsRpidActivity(std::string_view name);

// What a watcher learns from a presence document.
struct PresenceInfo {
  std::string entity;
  std::string basic;                    // "open", "closed", or "" when no tuple says
  std::vector<std::string> activities;  // from every <person>
  std::string note;                     // the first person note, else tuple note
  // A one-word summary: "away", "busy", "open", "closed", "unknown".
  std::string Summary() const;
};
Result<PresenceInfo> ParsePidf(std::string_view xml);

// RFC 3858 watcherinfo, merged over full and partial documents.
struct Watcher {
  std::string id;
  std::string uri;
  std::string status;  // pending, active, waiting, terminated
  std::string event;   // subscribe, approved, deactivated, probation, rejected, timeout, giveup, noresource
  std::string display_name;
  std::string package;  // of its watcher-list ("presence")
  std::string resource;
};

class WatcherInfoState {
 public:
  // Applies a document. A partial one whose version is not the next is an
  // error (the caller should refresh the subscription to get a full one).
  Result<void> Apply(std::string_view xml);
  // Watchers by id, terminated ones included.
  const std::map<std::string, Watcher>& watchers() const { return watchers_; }
  std::vector<Watcher> Pending() const;
  int64_t version() const { return version_; }

 private:
  int64_t version_ = -1;
  std::map<std::string, Watcher> watchers_;
};

// RFC 3680 reginfo, as one flat list of contacts.
struct RegContact {
  std::string aor;
  std::string aor_state;  // init, active, terminated
  std::string id;
  std::string uri;
  std::string state;  // active, terminated
  std::string event;  // registered, created, refreshed, shortened, expired, deactivated, probation, unregistered, rejected
  uint32_t expires = 0;
};
struct RegInfo {
  int64_t version = 0;
  bool full = true;
  std::vector<RegContact> contacts;
  std::vector<std::string> aors;  // registrations in the document, with or without contacts
};
Result<RegInfo> ParseRegInfo(std::string_view xml);

}  // namespace parley::ua
