#include "tools/parley/server_api.h"

#include "common/strings.h"
#include "tools/parley/exit_codes.h"
#include "tools/parley/http.h"
#include "ua/pres_rules.h"

namespace parley::cli {

using nlohmann::json;

namespace {

HttpCall Call(const Settings& s, std::string method, std::string url) {
  HttpCall c;
  c.method = std::move(method);
  c.url = std::move(url);
  c.timeout = s.timeout;
  c.ca_file = s.ua.tls_ca_file;
  c.insecure = s.ua.tls_verify == transport::TlsVerify::kNone;
  if (!s.token.empty()) {
    c.headers.emplace_back("Authorization", "Bearer " + s.token);
  } else if (!s.ua.account.password.empty()) {
    c.headers.emplace_back("Authorization",
                           "Basic " + Base64Encode(s.ua.account.aor.Text() + ":" + s.ua.account.password));
  }
  c.headers.emplace_back("Accept", "application/json");
  return c;
}

// Maps a transport error or an HTTP status to one line and an exit status.
int Failed(Printer& p, const std::string& what, const Error& e) {
  p.Fail(e.code == 6 ? "tls" : "unreachable", what + ": " + e.message);
  return e.code == 6 ? kExitTls : kExitUnreachable;
}

// False, after the usage error, when `what` has no HTTP API to call.
bool HasApi(const Settings& s, Printer& p, const std::string& what) {
  if (!s.api.empty()) return true;
  p.Fail("usage", what + " needs the server's HTTP API: set --api (or api in the config)");
  return false;
}

int FailedStatus(Printer& p, const std::string& what, const HttpReply& r) {
  std::string detail = r.body.size() < 200 ? r.body : r.body.substr(0, 200);
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
  std::string text = what + ": HTTP " + std::to_string(r.status) + (detail.empty() ? "" : " " + detail);
  if (r.status == 401 || r.status == 403) {
    p.Fail("auth", text + " (check --token or the password)", {{"http_status", r.status}});
    return kExitAuth;
  }
  if (r.status == 404) {
    p.Fail("unsupported", text + " (the server has no such API)", {{"http_status", r.status}});
    return kExitFailed;
  }
  p.Fail("rejected", text, {{"http_status", r.status}});
  return kExitFailed;
}

// The list of messages in a reply: a top-level array or {"messages": […]}.
json MessageList(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("messages")) j = j["messages"];
  return j.is_array() ? j : json::array();
}

std::string Str(const json& m, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (m.contains(k) && m[k].is_string()) return m[k].get<std::string>();
    if (m.contains(k) && m[k].is_number()) return m[k].dump();
  }
  return {};
}

void PrintStored(Printer& p, const json& m, const std::string& kind, const std::string& self) {
  std::string from = Str(m, {"from", "sender"});
  std::string to = Str(m, {"to", "recipient"});
  std::string text = Str(m, {"text", "body"});
  std::string time = Str(m, {"time", "timestamp", "received_at", "created_at", "date"});
  json out = {{"id", Str(m, {"id"})}, {"from", from}, {"to", to}, {"text", text}, {"time", time}};
  bool mine = !self.empty() && ShortAor(from) == ShortAor(self);
  std::string line = "[" + LocalTime(time) + "] " + (mine ? "me → " + ShortAor(to) : ShortAor(from)) + ": " + text;
  p.Result(kind, out, line);
}

}  // namespace

int InboxFromApi(const Settings& s, Printer& p, bool keep) {
  auto r = Fetch(Call(s, "GET", s.api + "/v1/messages"));
  if (!r.ok()) return Failed(p, "inbox", r.error());
  if (r->status != 200) return FailedStatus(p, "inbox", *r);
  json list = MessageList(r->body);
  for (const auto& m : list) {
    PrintStored(p, m, "message", "");
    std::string id = Str(m, {"id"});
    if (keep || id.empty()) continue;
    auto d = Fetch(Call(s, "DELETE", s.api + "/v1/messages/" + UrlEncode(id)));
    if (!d.ok()) return Failed(p, "deleting message " + id, d.error());
    if (d->status / 100 != 2) return FailedStatus(p, "deleting message " + id, *d);
  }
  p.Result("inbox", {{"count", list.size()}},
           list.empty() ? "no messages" : std::to_string(list.size()) + " message(s)");
  return kExitOk;
}

int HistoryFromApi(const Settings& s, Printer& p, const std::optional<ua::Aor>& with, size_t limit) {
  std::string url = s.api + "/v1/history?limit=" + std::to_string(limit);
  if (with) url += "&with=" + UrlEncode(with->Uri());
  auto r = Fetch(Call(s, "GET", url));
  if (!r.ok()) return Failed(p, "history", r.error());
  if (r->status != 200) return FailedStatus(p, "history", *r);
  json list = MessageList(r->body);
  for (const auto& m : list) PrintStored(p, m, "history", s.ua.account.aor.Uri());
  if (list.empty()) p.Line("no messages");
  return kExitOk;
}

int SetPresenceRule(const Settings& s, Printer& p, const std::string& action, const ua::Aor& watcher) {
  if (s.xcap_root.empty()) {
    p.Fail("usage", action + " needs the server's XCAP root: set --api (XCAP at <api>/xcap) or xcap_root in the config");
    return kExitUsage;
  }
  std::string uri = ua::PresRulesUri(s.xcap_root, s.ua.account.aor.Uri());
  auto got = Fetch(Call(s, "GET", uri));
  if (!got.ok()) return Failed(p, action, got.error());
  std::string current;
  if (got->status == 200) current = got->body;
  else if (got->status != 404) return FailedStatus(p, action, *got);
  auto doc = ua::SetPresRule(current, watcher.Uri(), action);
  if (!doc.ok()) {
    p.Fail("rejected", action + ": " + doc.error().message);
    return kExitFailed;
  }
  HttpCall put = Call(s, "PUT", uri);
  put.body = *doc;
  put.headers.emplace_back("Content-Type", "application/auth-policy+xml");
  if (got->status == 200 && !got->etag.empty()) put.headers.emplace_back("If-Match", got->etag);
  if (got->status == 404) put.headers.emplace_back("If-None-Match", "*");
  auto r = Fetch(put);
  if (!r.ok()) return Failed(p, action, r.error());
  if (r->status / 100 != 2) return FailedStatus(p, action, *r);
  p.Result("rule", {{"watcher", watcher.Uri()}, {"action", action}},
           watcher.Text() + ": " + (action == "allow" ? "allowed" : action == "block" ? "blocked" : "politely blocked"));
  return kExitOk;
}

int EditPolicy(const Settings& s, Printer& p, const std::vector<std::string>& args) {
  const std::string verb = args.empty() ? "show" : args[0];
  const bool edits_entry = verb == "allow" || verb == "block" || verb == "remove";
  if (!(verb == "show" && args.size() <= 1) && !(edits_entry && args.size() == 2) &&
      !(verb == "mode" && args.size() == 2 && (args[1] == "reject" || args[1] == "discard"))) {
    p.Fail("usage", "screen: show | allow|block|remove SENDER | mode reject|discard");
    return kExitUsage;
  }
  if (!HasApi(s, p, "screen")) return kExitUsage;
  const std::string url = s.api + "/v1/policy";
  auto got = Fetch(Call(s, "GET", url));
  if (!got.ok()) return Failed(p, "screen", got.error());
  if (got->status != 200) return FailedStatus(p, "screen", *got);
  json policy = json::parse(got->body, nullptr, false);
  if (!policy.is_object() || !policy["entries"].is_array()) {
    p.Fail("rejected", "screen: the server's policy is not JSON");
    return kExitFailed;
  }
  if (verb != "show") {
    if (verb == "mode") {
      policy["mode"] = args[1];
    } else {
      json kept = json::array();
      for (const auto& e : policy["entries"]) {
        if (e.value("pattern", "") != args[1]) kept.push_back(e);
      }
      if (verb != "remove") kept.push_back({{"pattern", args[1]}, {"action", verb}});
      policy["entries"] = std::move(kept);
    }
    HttpCall put = Call(s, "PUT", url);
    put.body = policy.dump();
    put.headers.emplace_back("Content-Type", "application/json");
    auto r = Fetch(put);
    if (!r.ok()) return Failed(p, "screen", r.error());
    if (r->status != 200) return FailedStatus(p, "screen", *r);
    policy = json::parse(r->body, nullptr, false);
    if (!policy.is_object() || !policy["entries"].is_array()) policy = {{"mode", "?"}, {"entries", json::array()}};
  }
  std::string text = "blocked senders get: " + policy.value("mode", std::string("?")) +
                     (policy.value("mode", std::string()) == "discard" ? " (a 200, nothing delivered)" : " (403)");
  for (const auto& e : policy["entries"]) text += "\n" + e.value("action", std::string()) + " " + e.value("pattern", std::string());
  p.Result("policy", policy, text);
  return kExitOk;
}

int Devices(const Settings& s, Printer& p, const std::vector<std::string>& args) {
  if (!args.empty() && !(args.size() == 2 && args[0] == "remove")) {
    p.Fail("usage", "devices: nothing to list them, or remove CONTACT|all");
    return kExitUsage;
  }
  if (!HasApi(s, p, "devices")) return kExitUsage;
  std::string url = s.api + "/v1/registrations";
  if (args.empty()) {
    auto r = Fetch(Call(s, "GET", url));
    if (!r.ok()) return Failed(p, "devices", r.error());
    if (r->status != 200) return FailedStatus(p, "devices", *r);
    json j = json::parse(r->body, nullptr, false);
    json list = j.is_object() && j["registrations"].is_array() ? j["registrations"] : json::array();
    std::string text = std::to_string(list.size()) + " registration(s)";
    for (const auto& b : list) {
      text += "\n" + b.value("contact", std::string()) + "  expires in " +
              std::to_string(b.value("expires_in", int64_t{0})) + " s" +
              (b.contains("user_agent") ? "  " + b.value("user_agent", std::string()) : std::string());
    }
    p.Result("devices", {{"registrations", list}}, text);
    return kExitOk;
  }
  if (args[1] != "all") url += "?contact=" + UrlEncode(args[1]);
  auto r = Fetch(Call(s, "DELETE", url));
  if (!r.ok()) return Failed(p, "devices", r.error());
  if (r->status == 404) {
    p.Fail("rejected", "devices: no such registration: " + args[1]);
    return kExitFailed;
  }
  if (r->status != 200) return FailedStatus(p, "devices", *r);
  json j = json::parse(r->body, nullptr, false);
  const int64_t n = j.is_object() ? j.value("removed", int64_t{0}) : 0;
  p.Result("devices", {{"removed", n}}, "removed " + std::to_string(n) + " registration(s)");
  return kExitOk;
}

int SetHardState(const Settings& s, Printer& p, const std::optional<ua::PresenceDoc>& doc) {
  if (s.xcap_root.empty()) {
    p.Fail("usage", "status --permanent needs the server's XCAP root: set --api (XCAP at <api>/xcap) or xcap_root in "
                    "the config");
    return kExitUsage;
  }
  HttpCall c = Call(s, doc ? "PUT" : "DELETE", ua::HardStateUri(s.xcap_root, s.ua.account.aor.Uri()));
  if (doc) {
    c.body = ua::BuildPidf(*doc);
    c.headers.emplace_back("Content-Type", "application/pidf+xml");
  }
  auto r = Fetch(c);
  if (!r.ok()) return Failed(p, "status", r.error());
  if (!doc && r->status == 404) {
    p.Result("permanent", {{"cleared", true}}, "no permanent status was set");
    return kExitOk;
  }
  if (r->status / 100 != 2) return FailedStatus(p, "status", *r);
  if (!doc) {
    p.Result("permanent", {{"cleared", true}}, "permanent status cleared");
    return kExitOk;
  }
  json j = {{"activities", doc->activities}};
  if (!doc->note.empty()) j["note"] = doc->note;
  std::string what = doc->activities.empty() ? std::string() : doc->activities.front();
  if (!doc->note.empty()) what += (what.empty() ? "" : " — ") + doc->note;
  p.Result("permanent", j, "permanent status of " + s.ua.account.aor.Text() + ": " + what);
  return kExitOk;
}

int SetInvisible(const Settings& s, Printer& p, std::optional<bool> on) {
  if (!HasApi(s, p, "invisible")) return kExitUsage;
  HttpCall c = Call(s, on ? "PUT" : "GET", s.api + "/v1/presence/invisible");
  if (on) {
    c.body = json{{"invisible", *on}}.dump();
    c.headers.emplace_back("Content-Type", "application/json");
  }
  auto r = Fetch(c);
  if (!r.ok()) return Failed(p, "invisible", r.error());
  if (r->status != 200) return FailedStatus(p, "invisible", *r);
  json j = json::parse(r->body, nullptr, false);
  bool now = j.is_object() && j.value("invisible", false);
  p.Result("invisible", {{"invisible", now}},
           now ? "invisible: you look offline to everyone, and still see them" : "visible");
  return kExitOk;
}

}  // namespace parley::cli
