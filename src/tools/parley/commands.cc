#include "tools/parley/commands.h"

#include <fstream>
#include <map>
#include <set>

#include "tools/parley/client.h"
#include "tools/parley/exit_codes.h"
#include "tools/parley/server_api.h"

namespace parley::cli {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

Clock::time_point Until(double seconds) {
  if (seconds <= 0) return Clock::time_point::max();
  return Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

Result<ua::Aor> Peer(const Settings& s, const std::string& text) { return ua::ParseAor(text, s.ua.account.aor.domain); }

int BadPeer(Printer& p, const Error& e) {
  p.Fail("usage", e.message);
  return kExitUsage;
}

}  // namespace

int CmdLogin(const Settings& s, Printer& p, const LoginArgs& a) {
  std::vector<ua::Aor> watch;
  for (const auto& w : a.watch) {
    auto aor = Peer(s, w);
    if (!aor.ok()) return BadPeer(p, aor.error());
    watch.push_back(*aor);
  }
  std::optional<ua::PresenceDoc> doc;
  if (!a.status.empty()) {
    auto d = ua::PresenceFromStatus(a.status, a.note);
    if (!d.ok()) return BadPeer(p, d.error());
    doc = *d;
  }
  Client c(s, p);
  if (int rc = c.Start()) return rc;
  p.Line("logging in as " + s.ua.account.aor.Text() + " via " + c.ua().ServerDescription());
  if (int rc = c.Register()) return rc;
  if (doc) {
    auto done = c.Publish(*doc);
    if (done && done->outcome.ok()) {
      p.Result("published", {{"status", a.status}, {"response", OutcomeJson(done->outcome)}},
               "presence: " + a.status + (a.note.empty() ? "" : " — " + a.note));
    } else if (done) {
      c.FailWith("publishing presence failed", done->outcome);
    }
  }
  for (const auto& w : watch) c.ua().Subscribe(w, ua::EventPackage::kPresence);
  if (a.winfo) c.ua().Subscribe(s.ua.account.aor, ua::EventPackage::kWinfo);
  p.Result("online", {{"aor", s.ua.account.aor.Uri()}}, "online; press Ctrl-C to log out");

  auto until = Until(a.duration_s);
  int rc = kExitOk;
  while (!g_interrupted.load() && Clock::now() < until) {
    auto item = c.queue().Pop(std::min(until, Clock::now() + std::chrono::seconds(1)));
    if (!item) continue;
    if (auto* e = std::get_if<ua::Event>(&*item)) {
      c.Show(*e);
      if (auto* r = std::get_if<ua::RegistrationEvent>(e); r && r->state == ua::RegistrationEvent::State::kFailed) {
        rc = ExitFor(r->outcome);
        break;
      }
    }
  }
  g_interrupted.store(false);
  c.Unregister();
  p.Result("offline", {{"aor", s.ua.account.aor.Uri()}}, "logged out");
  return rc;
}

int CmdSend(const Settings& s, Printer& p, const SendArgs& a) {
  auto to = Peer(s, a.to);
  if (!to.ok()) return BadPeer(p, to.error());
  Client c(s, p);
  if (int rc = c.Start()) return rc;
  if (a.imdn) {
    // The delivery notification comes back as a MESSAGE: be reachable.
    if (int rc = c.Register()) return rc;
  }
  ua::SendOptions opts;
  opts.cpim = a.cpim;
  opts.request_imdn = a.imdn;
  c.ua().SendMessage(*to, a.text, opts, [&c](const ua::SendResult& r) {
    c.queue().Push(Completion::Of("send", r.outcome, r.message_id));
  });
  auto done = c.WaitFor("send");
  int rc;
  if (!done) {
    ua::Outcome o;
    o.status = 408;
    o.reason = "Request Timeout";
    o.failure = ua::Failure::kUnreachable;
    rc = c.FailWith("message to " + to->Text() + " failed", o);
  } else if (done->outcome.ok() && done->outcome.status != 202) {
    c.LogSent(to->Uri(), a.text, done->outcome);
    json j = {{"to", to->Uri()}, {"result", "delivered"}, {"response", OutcomeJson(done->outcome)}};
    if (!done->message_id.empty()) j["message_id"] = done->message_id;
    p.Result("sent", j, "delivered to " + to->Text() + " (" + std::to_string(done->outcome.status) + " " +
                            done->outcome.reason + ")");
    rc = kExitOk;
  } else if (done->outcome.status == 202) {
    c.LogSent(to->Uri(), a.text, done->outcome);
    p.Result("sent", {{"to", to->Uri()}, {"result", "stored"}, {"response", OutcomeJson(done->outcome)}},
             "stored for later delivery to " + to->Text() + " (202 " + done->outcome.reason + ")");
    rc = kExitStored;
  } else {
    rc = c.FailWith("message to " + to->Text() + " failed", done->outcome);
  }
  if (a.imdn && done && done->outcome.ok()) {
    // Wait for the IMDN (RFC 5438) that names our message.
    auto deadline = c.Deadline();
    bool got = false;
    while (!got) {
      auto item = c.queue().Pop(deadline);
      if (!item) break;
      if (auto* e = std::get_if<ua::Event>(&*item)) {
        if (auto* d = std::get_if<ua::DeliveryNotice>(e); d && d->imdn.message_id == done->message_id) got = true;
        c.Show(*e);
      }
    }
    if (!got) p.Fail("timeout", "no delivery notification for message " + done->message_id);
  }
  if (a.imdn) c.Unregister();
  return rc;
}

int CmdStatus(const Settings& s, Printer& p, const StatusArgs& a) {
  if (a.permanent) {
    if (a.status == "clear") return SetHardState(s, p, std::nullopt);
    auto hard = ua::PresenceFromStatus(a.status, a.note);
    if (!hard.ok()) return BadPeer(p, hard.error());
    if (hard->activities.empty() && hard->note.empty()) {
      return BadPeer(p, Error(2, "a permanent status is an activity or a note (open/closed are the devices')"));
    }
    hard->with_tuple = false;
    hard->entity = s.ua.account.aor.Uri();
    return SetHardState(s, p, *hard);
  }
  auto doc = ua::PresenceFromStatus(a.status, a.note);
  if (!doc.ok()) return BadPeer(p, doc.error());
  Settings settings = s;
  Client c(settings, p);
  if (int rc = c.Start()) return rc;
  auto done = c.Publish(*doc, a.expires);
  if (!done) {
    ua::Outcome o;
    o.status = 408;
    o.reason = "Request Timeout";
    o.failure = ua::Failure::kUnreachable;
    return c.FailWith("publishing presence failed", o);
  }
  if (!done->outcome.ok()) return c.FailWith("publishing presence failed", done->outcome);
  json j = {{"status", a.status}, {"basic", doc->open ? "open" : "closed"}, {"activities", doc->activities},
            {"response", OutcomeJson(done->outcome)}};
  if (!a.note.empty()) j["note"] = a.note;
  p.Result("published", j, "presence of " + s.ua.account.aor.Text() + " is now " + a.status +
                               (a.note.empty() ? "" : " — " + a.note));
  return kExitOk;
}

int CmdWatch(const Settings& s, Printer& p, const WatchArgs& a) {
  ua::EventPackage package = ua::EventPackage::kPresence;
  if (a.package == "reg") package = ua::EventPackage::kReg;
  else if (a.package == "dialog") package = ua::EventPackage::kDialog;
  else if (a.package != "presence") return BadPeer(p, Error(2, "--package must be presence, reg or dialog"));
  std::vector<ua::Aor> targets;
  for (const auto& t : a.targets) {
    auto aor = Peer(s, t);
    if (!aor.ok()) return BadPeer(p, aor.error());
    targets.push_back(*aor);
  }
  if (targets.empty()) targets.push_back(s.ua.account.aor);
  Client c(s, p);
  if (int rc = c.Start()) return rc;
  for (const auto& t : targets) c.ua().Subscribe(t, package);
  std::set<std::string> waiting;
  for (const auto& t : targets) waiting.insert(t.Uri());
  std::set<std::string> failed;
  auto until = a.once ? c.Deadline() : Until(a.duration_s);
  int rc = kExitOk;
  while (!g_interrupted.load() && Clock::now() < until) {
    auto item = c.queue().Pop(std::min(until, Clock::now() + std::chrono::seconds(1)));
    if (!item) continue;
    auto* e = std::get_if<ua::Event>(&*item);
    if (!e) continue;
    c.Show(*e);
    if (auto* pe = std::get_if<ua::PresenceEvent>(e)) waiting.erase(pe->target);
    if (auto* re = std::get_if<ua::RegInfoEvent>(e)) waiting.erase(re->target);
    if (auto* de = std::get_if<ua::DialogInfoEvent>(e)) waiting.erase(de->target);
    if (auto* le = std::get_if<ua::ListEvent>(e)) waiting.erase(le->target);  // a list: its first NOTIFY
    if (auto* se = std::get_if<ua::SubscriptionEvent>(e)) {
      if (se->state == ua::SubscriptionEvent::State::kFailed) {
        rc = ExitFor(se->outcome);
        waiting.erase(se->target);
        failed.insert(se->target);
      } else if (se->state == ua::SubscriptionEvent::State::kPending && a.once) {
        waiting.erase(se->target);
      } else if (se->state == ua::SubscriptionEvent::State::kTerminated && se->reason != "unsubscribed" &&
                 (se->reason == "rejected" || se->reason == "noresource")) {
        waiting.erase(se->target);
        failed.insert(se->target);
        rc = kExitFailed;
      }
    }
    if (failed.size() == targets.size()) break;
    if (a.once && waiting.empty()) break;
  }
  if (a.once && !waiting.empty() && !g_interrupted.load()) {
    p.Fail("timeout", "no notification from " + ShortAor(*waiting.begin()) + " in time");
    rc = kExitFailed;
  }
  g_interrupted.store(false);
  for (const auto& t : targets) {
    if (failed.count(t.Uri())) continue;
    c.ua().Unsubscribe(t, package, [&c] { c.queue().Push(Completion::Of("unsubscribe", {}, {})); });
    c.WaitFor("unsubscribe", [](const ua::Event&) {});
  }
  return rc;
}

int CmdWatchers(const Settings& s, Printer& p, const WatchersArgs& a) {
  ua::EventPackage package;
  if (a.package == "presence") {
    package = ua::EventPackage::kWinfo;
  } else if (a.package == "dialog") {
    package = ua::EventPackage::kDialogWinfo;
  } else {
    p.Fail("usage", "--package must be presence or dialog");
    return kExitUsage;
  }
  Client c(s, p);
  if (int rc = c.Start()) return rc;
  c.ua().Subscribe(s.ua.account.aor, package);
  auto until = a.follow ? Clock::time_point::max() : c.Deadline();
  int rc = kExitFailed;
  bool got = false;
  while (!g_interrupted.load() && Clock::now() < until && (a.follow || !got)) {
    auto item = c.queue().Pop(std::min(until, Clock::now() + std::chrono::seconds(1)));
    if (!item) continue;
    auto* e = std::get_if<ua::Event>(&*item);
    if (!e) continue;
    if (auto* w = std::get_if<ua::WatcherInfoEvent>(e)) {
      got = true;
      rc = kExitOk;
      ua::WatcherInfoEvent shown = *w;
      if (!a.all) {
        std::erase_if(shown.watchers, [](const ua::Watcher& x) { return x.status != "pending" && x.status != "waiting"; });
      }
      if (p.json()) {
        p.Event(shown);
      } else if (shown.watchers.empty()) {
        p.Line(a.all ? "no watchers" : "no pending watchers");
      } else {
        for (const auto& x : shown.watchers) {
          p.Line(ShortAor(x.uri) + "  " + x.status + (x.display_name.empty() ? "" : "  \"" + x.display_name + "\""));
        }
      }
      continue;
    }
    if (auto* se = std::get_if<ua::SubscriptionEvent>(e); se && se->state == ua::SubscriptionEvent::State::kFailed) {
      c.Show(*e);
      rc = ExitFor(se->outcome);
      if (se->outcome.status == 489) p.Fail("unsupported", "the server does not offer watcher information (489 Bad Event)");
      return rc;
    }
    c.Show(*e);
  }
  if (!got && !g_interrupted.load()) p.Fail("timeout", "no watcher information received in time");
  g_interrupted.store(false);
  c.ua().Unsubscribe(s.ua.account.aor, package, [&c] { c.queue().Push(Completion::Of("unsubscribe", {}, {})); });
  c.WaitFor("unsubscribe", [](const ua::Event&) {});
  return rc;
}

int CmdInbox(const Settings& s, Printer& p, const InboxArgs& a) {
  if (!s.api.empty()) return InboxFromApi(s, p, a.keep);
  // Without the HTTP API: register and print what the server's store
  // delivers to us on registration (store-and-forward, e.g. Kamailio msilo).
  Client c(s, p);
  if (int rc = c.Start()) return rc;
  if (int rc = c.Register()) return rc;
  auto until = Until(a.wait_s);
  size_t count = 0;
  while (!g_interrupted.load() && Clock::now() < until) {
    auto item = c.queue().Pop(until);
    if (!item) continue;
    auto* e = std::get_if<ua::Event>(&*item);
    if (!e) continue;
    if (std::holds_alternative<ua::ReceivedMessage>(*e)) ++count;
    if (std::holds_alternative<ua::RegistrationEvent>(*e) && !p.json()) continue;
    c.Show(*e);
  }
  g_interrupted.store(false);
  c.Unregister();
  p.Result("inbox", {{"count", count}}, count == 0 ? "no messages" : std::to_string(count) + " message(s)");
  return kExitOk;
}

int CmdHistory(const Settings& s, Printer& p, const HistoryArgs& a) {
  std::optional<ua::Aor> with;
  if (!a.with.empty()) {
    auto aor = Peer(s, a.with);
    if (!aor.ok()) return BadPeer(p, aor.error());
    with = *aor;
  }
  if (!s.api.empty()) return HistoryFromApi(s, p, with, a.limit);
  if (s.history_file.empty()) {
    p.Fail("usage", "no history: the local log is off and no --api is configured");
    return kExitUsage;
  }
  std::ifstream in(s.history_file);
  std::vector<json> lines;
  std::string line;
  std::string account = s.ua.account.aor.Uri();
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    if (j.value("account", account) != account) continue;
    if (with && ua::ParseAor(j.value("peer", "")).value_or(ua::Aor{}) != *with) continue;
    lines.push_back(std::move(j));
  }
  size_t start = lines.size() > a.limit ? lines.size() - a.limit : 0;
  for (size_t i = start; i < lines.size(); ++i) {
    const json& j = lines[i];
    bool out = j.value("dir", "") == "out";
    std::string peer = ShortAor(j.value("peer", ""));
    p.Result("history", j,
             "[" + LocalTime(j.value("time", "")) + "] " + (out ? "me → " + peer : peer) + ": " + j.value("text", ""));
  }
  if (lines.empty()) p.Line("no messages");
  return kExitOk;
}

int CmdRule(const Settings& s, Printer& p, const std::string& action, const std::string& aor_text) {
  auto aor = Peer(s, aor_text);
  if (!aor.ok()) return BadPeer(p, aor.error());
  return SetPresenceRule(s, p, action, *aor);
}

}  // namespace parley::cli
