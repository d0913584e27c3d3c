#include "tools/parley/printer.h"

#include <ctime>

namespace parley::cli {

using nlohmann::json;

std::string ShortAor(const std::string& uri) {
  std::string s = uri;
  if (s.rfind("sip:", 0) == 0) s = s.substr(4);
  else if (s.rfind("sips:", 0) == 0) s = s.substr(5);
  size_t semi = s.find(';');
  return semi == std::string::npos ? s : s.substr(0, semi);
}

std::string LocalTime(const std::string& ts) {
  std::tm tm{};
  if (ts.size() >= 19 && strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) {
    std::time_t t = timegm(&tm);
    if (ts.find('Z') != std::string::npos || ts.size() == 19) {
      std::tm local{};
      localtime_r(&t, &local);
      char buf[16];
      std::strftime(buf, sizeof(buf), "%H:%M:%S", &local);
      return buf;
    }
    return ts.substr(11, 8);
  }
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%H:%M:%S", &local);
  return buf;
}

json OutcomeJson(const ua::Outcome& o) {
  json j = {{"status", o.status}, {"reason", o.reason}};
  if (!o.ok()) j["failure"] = std::string(ua::FailureName(o.failure));
  if (!o.detail.empty()) j["detail"] = o.detail;
  return j;
}

namespace {

struct ToJsonVisitor {
  json operator()(const ua::RegistrationEvent& e) const {
    json j = {{"event", "registration"}, {"state", std::string(ua::RegistrationStateName(e.state))}};
    if (e.outcome.status) j["response"] = OutcomeJson(e.outcome);
    if (e.expires) j["expires"] = e.expires;
    if (!e.contacts.empty()) j["contacts"] = e.contacts;
    if (!e.gruu.empty()) j["gruu"] = e.gruu;
    if (e.retry_in.count()) j["retry_in"] = e.retry_in.count();
    if (!e.note.empty()) j["note"] = e.note;
    return j;
  }
  json operator()(const ua::SubscriptionEvent& e) const {
    json j = {{"event", "subscription"},
              {"target", e.target},
              {"package", std::string(ua::PackageName(e.package))},
              {"state", std::string(ua::SubscriptionStateName(e.state))}};
    if (!e.reason.empty()) j["reason"] = e.reason;
    if (e.outcome.status) j["response"] = OutcomeJson(e.outcome);
    if (e.expires) j["expires"] = e.expires;
    if (e.retry_in.count()) j["retry_in"] = e.retry_in.count();
    return j;
  }
  json operator()(const ua::ReceivedMessage& m) const {
    json j = {{"event", "message"}, {"from", m.from},       {"to", m.to},
              {"text", m.text},     {"time", m.datetime}, {"content_type", m.content_type}};
    if (!m.from_display.empty()) j["display_name"] = m.from_display;
    if (!m.message_id.empty()) j["message_id"] = m.message_id;
    if (m.cpim) j["cpim"] = true;
    return j;
  }
  json operator()(const ua::ComposingIndication& c) const {
    json j = {{"event", "composing"}, {"from", c.from}, {"state", c.state.active ? "active" : "idle"}};
    if (c.state.refresh) j["refresh"] = c.state.refresh;
    return j;
  }
  json operator()(const ua::DeliveryNotice& d) const {
    return {{"event", "delivery"},
            {"from", d.from},
            {"message_id", d.imdn.message_id},
            {"kind", std::string(im::ToString(d.imdn.kind))},
            {"status", std::string(im::ToString(d.imdn.status))}};
  }
  json operator()(const ua::PresenceEvent& p) const {
    json j = {{"event", "presence"},
              {"entity", p.target},
              {"status", p.info.Summary()},
              {"basic", p.info.basic},
              {"activities", p.info.activities}};
    if (!p.info.note.empty()) j["note"] = p.info.note;
    return j;
  }
  json operator()(const ua::WatcherInfoEvent& w) const {
    json list = json::array();
    for (const auto& x : w.watchers) {
      list.push_back({{"id", x.id}, {"uri", x.uri}, {"status", x.status}, {"event", x.event},
                      {"package", x.package}});
      if (!x.display_name.empty()) list.back()["display_name"] = x.display_name;
    }
    return {{"event", "watchers"}, {"resource", w.resource}, {"watchers", list}};
  }
  json operator()(const ua::RegInfoEvent& r) const {
    json list = json::array();
    for (const auto& c : r.info.contacts) {
      list.push_back({{"aor", c.aor}, {"uri", c.uri}, {"state", c.state}, {"event", c.event}, {"expires", c.expires}});
    }
    return {{"event", "reginfo"}, {"target", r.target}, {"version", r.info.version}, {"contacts", list}};
  }
  json operator()(const ua::DialogInfoEvent& d) const {
    auto list = [](const std::vector<ua::DialogEntry>& v) {
      json a = json::array();
      for (const auto& x : v) {
        a.push_back({{"id", x.id}, {"call_id", x.call_id}, {"direction", x.direction}, {"state", x.state},
                     {"duration", x.duration}});
        if (!x.event.empty()) a.back()["event"] = x.event;
        if (x.code != 0) a.back()["code"] = x.code;
        if (!x.remote_identity.empty()) a.back()["remote"] = x.remote_identity;
        if (!x.remote_display.empty()) a.back()["remote_display"] = x.remote_display;
      }
      return a;
    };
    return {{"event", "dialogs"}, {"target", d.target}, {"full", d.full}, {"dialogs", list(d.dialogs)},
            {"changed", list(d.changed)}};
  }
  json operator()(const ua::ListEvent& l) const {
    json members = json::array();
    for (const auto& m : l.members) {
      members.push_back({{"uri", m.uri}, {"state", m.state}});
      if (!m.reason.empty()) members.back()["reason"] = m.reason;
    }
    return {{"event", "list"}, {"target", l.target}, {"full", l.full}, {"members", members}};
  }
  json operator()(const ua::NoticeEvent& n) const { return {{"event", "notice"}, {"text", n.text}}; }
};

struct ToTextVisitor {
  std::string operator()(const ua::RegistrationEvent& e) const {
    switch (e.state) {
      case ua::RegistrationEvent::State::kRegistered:
        return "registered (expires in " + std::to_string(e.expires) + "s, " + std::to_string(e.contacts.size()) +
               " binding" + (e.contacts.size() == 1 ? "" : "s") + ")" +
               (e.gruu.empty() ? "" : "; this device: " + e.gruu);
      case ua::RegistrationEvent::State::kUnregistered: return "unregistered";
      case ua::RegistrationEvent::State::kFailed: return "registration failed: " + e.outcome.Describe();
      case ua::RegistrationEvent::State::kRetrying:
        if (!e.note.empty()) return e.note;
        return "registration refresh failed (" + e.outcome.Describe() + "), retrying in " +
               std::to_string(e.retry_in.count()) + "s";
    }
    return {};
  }
  std::string operator()(const ua::SubscriptionEvent& e) const {
    std::string what = std::string(ua::PackageName(e.package)) + " of " + ShortAor(e.target);
    switch (e.state) {
      case ua::SubscriptionEvent::State::kPending: return "subscription to " + what + " is pending authorization";
      case ua::SubscriptionEvent::State::kActive: return {};  // the NOTIFY content says more
      case ua::SubscriptionEvent::State::kTerminated:
        return e.reason == "unsubscribed" ? std::string() : "subscription to " + what + " ended (" + e.reason + ")";
      case ua::SubscriptionEvent::State::kFailed: return "subscription to " + what + " failed: " + e.outcome.Describe();
      case ua::SubscriptionEvent::State::kRetrying:
        return "resubscribing to " + what + " in " + std::to_string(e.retry_in.count()) + "s";
    }
    return {};
  }
  std::string operator()(const ua::ReceivedMessage& m) const {
    return "[" + LocalTime(m.datetime) + "] " + ShortAor(m.from) + ": " + m.text;
  }
  std::string operator()(const ua::ComposingIndication& c) const {
    return ShortAor(c.from) + (c.state.active ? " is typing…" : " stopped typing");
  }
  std::string operator()(const ua::DeliveryNotice& d) const {
    return "message " + d.imdn.message_id + " " + std::string(im::ToString(d.imdn.status)) + " (" +
           ShortAor(d.from) + ")";
  }
  std::string operator()(const ua::PresenceEvent& p) const {
    std::string s = ShortAor(p.target) + " is " + p.info.Summary();
    if (!p.info.note.empty()) s += " — " + p.info.note;
    return s;
  }
  std::string operator()(const ua::WatcherInfoEvent& w) const {
    std::string s = "watchers of " + ShortAor(w.resource) + ":";
    if (w.watchers.empty()) return s + " none";
    for (const auto& x : w.watchers) s += "\n  " + ShortAor(x.uri) + "  " + x.status + " (" + x.event + ")";
    return s;
  }
  std::string operator()(const ua::RegInfoEvent& r) const {
    std::string s = "registrations of " + ShortAor(r.target) + ":";
    if (r.info.contacts.empty()) return s + " none";
    for (const auto& c : r.info.contacts) {
      s += "\n  " + c.uri + "  " + c.state + " (" + c.event + ", expires " + std::to_string(c.expires) + "s)";
    }
    return s;
  }
  std::string operator()(const ua::DialogInfoEvent& d) const {
    // What changed; a full document with nothing in it: the user is free.
    std::string who = ShortAor(d.target);
    if (d.changed.empty()) return d.full ? who + ": no calls" : std::string();
    std::string s;
    for (const auto& x : d.changed) {
      if (!s.empty()) s += "\n";
      std::string other = x.remote_identity.empty() ? std::string("someone") : ShortAor(x.remote_identity);
      if (!x.remote_display.empty()) other = x.remote_display + " <" + other + ">";
      bool calling = x.direction == "initiator";
      if (x.state == "terminated") {
        s += who + ": call " + (calling ? "to " : "from ") + other + " ended" + (x.event.empty() ? "" : " (" + x.event + ")");
      } else if (x.state == "confirmed") {
        s += who + ": in a call " + std::string(calling ? "to " : "from ") + other;
      } else {
        s += who + (calling ? ": calling " + other : ": ringing, " + other + " calling");
      }
    }
    return s;
  }
  std::string operator()(const ua::ListEvent& l) const {
    // The members (each one's own state follows as its own lines); after
    // the first, only those whose subscription is not active.
    std::string s;
    for (const auto& m : l.members) {
      if (!l.full && m.state == "active") continue;
      s += (s.empty() ? "" : ", ") + ShortAor(m.uri);
      if (m.state != "active") s += " " + (m.state.empty() ? std::string("unknown") : m.state);
      if (!m.reason.empty()) s += " (" + m.reason + ")";
    }
    if (s.empty()) return l.full ? ShortAor(l.target) + ": an empty list" : std::string();
    return ShortAor(l.target) + ": " + s;
  }
  std::string operator()(const ua::NoticeEvent& n) const { return n.text; }
};

}  // namespace

json ToJson(const ua::Event& e) { return std::visit(ToJsonVisitor{}, e); }
std::string ToText(const ua::Event& e) { return std::visit(ToTextVisitor{}, e); }

void Printer::Event(const ua::Event& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (json_) {
    std::fprintf(out_, "%s\n", ToJson(e).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  } else {
    std::string t = ToText(e);
    if (!t.empty()) std::fprintf(out_, "%s\n", t.c_str());
  }
  std::fflush(out_);
}

void Printer::Result(const std::string& kind, nlohmann::json j, const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (json_) {
    nlohmann::json out = {{"event", kind}};
    out.update(j);
    std::fprintf(out_, "%s\n", out.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  } else if (!text.empty()) {
    std::fprintf(out_, "%s\n", text.c_str());
  }
  std::fflush(out_);
}

void Printer::Fail(const std::string& kind, const std::string& text, nlohmann::json extra) {
  std::lock_guard<std::mutex> lock(mu_);
  if (json_) {
    nlohmann::json out = {{"event", "error"}, {"error", kind}, {"message", text}};
    out.update(extra);
    std::fprintf(out_, "%s\n", out.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    std::fflush(out_);
  } else {
    std::fprintf(err_, "parley: %s\n", text.c_str());
    std::fflush(err_);
  }
}

void Printer::Line(const std::string& text) {
  if (json_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace parley::cli
