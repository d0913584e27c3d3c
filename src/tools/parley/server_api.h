#pragma once
// What parley asks of the server over HTTP rather than SIP: the message
// store (GET /v1/messages, DELETE /v1/messages/{id}, GET /v1/history),
// the presence rules (XCAP pres-rules, RFC 4825/5025), the hard state
// (XCAP pidf-manipulation, RFC 4827) and invisibility
// (GET/PUT /v1/presence/invisible). Authorization:
// "Bearer <token>" when a token is configured, else Basic with the SIP
// credentials.

#include <optional>
#include <string>
#include <vector>

#include "tools/parley/options.h"
#include "tools/parley/printer.h"
#include "ua/account.h"
#include "ua/presence_formats.h"

namespace parley::cli {

int InboxFromApi(const Settings& s, Printer& p, bool keep);
int HistoryFromApi(const Settings& s, Printer& p, const std::optional<ua::Aor>& with, size_t limit);
// action: allow | block | polite-block
int SetPresenceRule(const Settings& s, Printer& p, const std::string& action, const ua::Aor& watcher);
// The user's reception policy (GET/PUT /v1/policy): `args` is "show" (or
// nothing), "allow|block|remove SENDER" or "mode reject|discard".
int EditPolicy(const Settings& s, Printer& p, const std::vector<std::string>& args);
// The user's registrations (GET/DELETE /v1/registrations): `args` empty
// lists them, "remove CONTACT" or "remove all" ends them.
int Devices(const Settings& s, Printer& p, const std::vector<std::string>& args);
// The user's hard state: `doc` replaces it (PUT), nullopt removes it (DELETE).
int SetHardState(const Settings& s, Printer& p, const std::optional<ua::PresenceDoc>& doc);
// Invisible mode (seed 003 §17.1): sets it when `on` is given, else shows it.
int SetInvisible(const Settings& s, Printer& p, std::optional<bool> on);

}  // namespace parley::cli
