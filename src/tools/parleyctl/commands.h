#pragma once
// parleyctl's commands, on an open and migrated Store. Each prints its
// result on `out`, a one-line error on `err`, and returns the exit code.
// Passwords and HA1s are never printed.

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace parley::ctl {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // the store refused or failed, nothing to delete, bad import lines
  kExitUsage = 2,    // malformed command line or argument
};

struct Output {
  std::ostream& out;
  std::ostream& err;
};

// Prints "parleyctl: MESSAGE" on the error stream; returns `code`.
inline int Fail(Output o, int code, const std::string& message) {
  o.err << "parleyctl: " << message << "\n";
  return code;
}

// A line of user-supplied text made safe for a terminal (control
// characters shown as '?').
inline std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  return out;
}

// A user record with both HA1s (realm = the AOR's domain).
store::UserRecord MakeUser(const std::string& normalized_aor, const std::string& password);

int UserAdd(store::Store& s, const std::string& aor, const std::string& password, Output o);
int UserDel(store::Store& s, const std::string& aor, Output o);
int UserList(store::Store& s, const std::string& domain, Output o);
// The user's registrations as last stored (a refresh reaches the store
// within a moment), with their public GRUUs; `now` in unix seconds.
int UserShow(store::Store& s, const std::string& aor, int64_t now, Output o);
// Removes the user's registrations (all, or the one whose contact is
// `contact` as `user show` prints it); a running server drops them within
// its change-feed poll and tells reg event watchers (`deactivated`).
int UserUnregister(store::Store& s, const std::string& aor, const std::string& contact, Output o);
// `path` "-" reads stdin. All or nothing unless `skip_bad`, which imports
// the good lines (the exit code still reports the bad ones).
int UserImport(store::Store& s, const std::string& path, bool skip_bad, Output o);

int DomainAdd(store::Store& s, const std::string& domain, Output o);
int DomainDel(store::Store& s, const std::string& domain, Output o);
int DomainList(store::Store& s, Output o);

int PolicyMode(store::Store& s, const std::string& aor, const std::string& mode, Output o);
int PolicySet(store::Store& s, const std::string& aor, const std::string& pattern, store::PolicyAction action,
              Output o);
int PolicyRemove(store::Store& s, const std::string& aor, const std::string& pattern, Output o);
int PolicyShow(store::Store& s, const std::string& aor, Output o);

// Presence authorization (presence_commands.cc).
int PresenceRuleSet(store::Store& s, const std::string& aor, const std::string& watcher, const std::string& handling,
                    Output o);
int PresenceRuleRemove(store::Store& s, const std::string& aor, const std::string& watcher, Output o);
int PresenceRuleList(store::Store& s, const std::string& aor, Output o);
// What the store holds of a user's presence: its live publications, the
// subscriptions to it and its own, its hard state and invisibility; `now`
// in unix seconds.
int PresenceShow(store::Store& s, const std::string& aor, int64_t now, Output o);
// `handling` "server" removes the domain's own default.
int PresenceDefault(store::Store& s, const std::string& domain, const std::string& handling, Output o);
int PresenceInvisible(store::Store& s, const std::string& aor, bool on, Output o);

// Groups (group_commands.cc). Create also changes an existing group's
// settings (its members stay); members are added or removed all or none.
int GroupCreate(store::Store& s, const std::string& aor, const std::string& ack, const std::string& posting,
                Output o);
int GroupDelete(store::Store& s, const std::string& aor, Output o);
int GroupMembers(store::Store& s, const std::string& aor, const std::vector<std::string>& members, bool add,
                 Output o);
int GroupList(store::Store& s, Output o);
int GroupShow(store::Store& s, const std::string& aor, Output o);

constexpr int64_t kMaxTokenDays = 36500;

// API tokens for the HTTP API. `expires_days` 0 = never; `now_ms` is the
// current time (unix ms). Create prints the secret once, on its own line.
int TokenCreate(store::Store& s, const std::string& aor, const std::string& label, int64_t expires_days,
                int64_t now_ms, Output o);
int TokenList(store::Store& s, const std::string& aor, int64_t now_ms, Output o);
int TokenRevoke(store::Store& s, const std::string& aor, const std::string& id, Output o);

// The per-user message history setting.
int HistorySet(store::Store& s, const std::string& aor, bool enabled, Output o);
// The deferred delivery queue: count, bytes, and the first `shown` messages.
int MessagesList(store::Store& s, const std::string& aor, size_t shown, Output o);

}  // namespace parley::ctl
