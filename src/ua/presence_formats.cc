#include "ua/presence_formats.h"

#include <algorithm>
#include <array>

#include "common/strings.h"
#include "sip/response.h"
#include "ua/now.h"
#include "ua/xml_util.h"

namespace parley::ua {

namespace {

// RFC 4480 §3.2 activities.
constexpr std::array<std::string_view, 27> kActivities = {
    "appointment", "away",      "breakfast", "busy",         "dinner",  "holiday",  "in-transit",
    "looking-for-work", "lunch", "meal",     "meeting",      "on-the-phone", "other", "performance",
    "permanent-absence", "playing", "presentation", "shopping", "sleeping", "spectator", "steering",
    "travel",    "tv",        "unknown",   "vacation",     "working", "worship"};

void AddNote(pugi::xml_node parent, const char* name, const std::string& note) {
  if (note.empty()) return;
  parent.append_child(name).text() = note.c_str();
}

}  // namespace

bool IsRpidActivity(std::string_view name) {
  return std::find(kActivities.begin(), kActivities.end(), name) != kActivities.end();
}

std::string BuildPidf(const PresenceDoc& d) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto p = doc.append_child("presence");
  p.append_attribute("xmlns") = "urn:ietf:params:xml:ns:pidf";
  p.append_attribute("xmlns:dm") = "urn:ietf:params:xml:ns:pidf:data-model";
  p.append_attribute("xmlns:rpid") = "urn:ietf:params:xml:ns:pidf:rpid";
  p.append_attribute("entity") = d.entity.c_str();
  if (d.with_tuple) {
    auto tuple = p.append_child("tuple");
    tuple.append_attribute("id") = ("t" + sip::RandomToken(4)).c_str();
    tuple.append_child("status").append_child("basic").text() = d.open ? "open" : "closed";
    if (!d.contact.empty()) tuple.append_child("contact").text() = d.contact.c_str();
    AddNote(tuple, "note", d.note);
    tuple.append_child("timestamp").text() = NowRfc3339().c_str();
  }
  if (!d.activities.empty() || !d.note.empty()) {
    auto person = p.append_child("dm:person");
    person.append_attribute("id") = ("p" + sip::RandomToken(4)).c_str();
    if (!d.activities.empty()) {
      auto acts = person.append_child("rpid:activities");
      for (const auto& a : d.activities) {
        if (IsRpidActivity(a)) acts.append_child(("rpid:" + a).c_str());
        else acts.append_child("rpid:other").text() = a.c_str();
      }
    }
    AddNote(person, "dm:note", d.note);
  }
  return xml::ToString(doc);
}

Result<PresenceDoc> PresenceFromStatus(std::string_view status, std::string note) {
  PresenceDoc d;
  d.note = std::move(note);
  std::string s = ToLower(status);
  if (s == "open" || s == "online" || s == "available") {
    d.open = true;
  } else if (s == "closed" || s == "offline") {
    d.open = false;
  } else if (s == "dnd") {
    d.activities = {"busy"};
  } else if (IsRpidActivity(s)) {
    d.activities = {s};
  } else {
    return Error(2, "unknown status '" + std::string(status) +
                        "' (open, closed, away, busy, dnd, or an RPID activity such as on-the-phone)");
  }
  return d;
}

std::string PresenceInfo::Summary() const {
  if (basic == "closed") return "closed";
  for (const auto& a : activities) {
    if (a != "unknown") return a;
  }
  return basic.empty() ? "unknown" : basic;
}

Result<PresenceInfo> ParsePidf(std::string_view text) {
  pugi::xml_document doc;
  if (!xml::Load(doc, text)) return Error(400, "PIDF: not XML");
  auto root = doc.document_element();
  if (xml::LocalName(root.name()) != "presence") return Error(400, "PIDF: root is not <presence>");
  PresenceInfo info;
  info.entity = root.attribute("entity").as_string();
  std::string tuple_note;
  for (auto c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    std::string_view name = xml::LocalName(c.name());
    if (name == "tuple") {
      std::string basic = xml::ChildText(xml::Child(c, "status"), "basic");
      if (basic == "open" || info.basic.empty()) info.basic = basic;  // any open tuple makes the whole open
      if (tuple_note.empty()) tuple_note = xml::ChildText(c, "note");
    } else if (name == "person") {
      for (auto acts = c.first_child(); acts; acts = acts.next_sibling()) {
        if (xml::LocalName(acts.name()) == "activities") {
          for (auto a = acts.first_child(); a; a = a.next_sibling()) {
            if (a.type() != pugi::node_element) continue;
            std::string_view act = xml::LocalName(a.name());
            if (act == "note") continue;
            std::string v = act == "other" && *a.text().as_string() ? a.text().as_string() : std::string(act);
            info.activities.push_back(std::move(v));
          }
        }
      }
      if (info.note.empty()) info.note = xml::ChildText(c, "note");
    } else if (name == "note" && info.note.empty()) {
      info.note = c.text().as_string();
    }
  }
  if (info.note.empty()) info.note = tuple_note;
  return info;
}

Result<void> WatcherInfoState::Apply(std::string_view text) {
  pugi::xml_document doc;
  if (!xml::Load(doc, text)) return Error(400, "watcherinfo: not XML");
  auto root = doc.document_element();
  if (xml::LocalName(root.name()) != "watcherinfo") return Error(400, "watcherinfo: wrong root element");
  auto version = ParseUint(root.attribute("version").as_string(), INT64_MAX);
  std::string state = root.attribute("state").as_string();
  if (!version || (state != "full" && state != "partial")) return Error(400, "watcherinfo: bad version or state");
  int64_t v = static_cast<int64_t>(*version);
  if (state == "partial") {
    if (version_ < 0 || v != version_ + 1) return Error(409, "watcherinfo: partial document out of sequence");
  } else {
    if (version_ >= 0 && v <= version_) return Ok();  // stale full document (RFC 3858 §4.4: discard)
    watchers_.clear();
  }
  version_ = v;
  for (auto list = root.first_child(); list; list = list.next_sibling()) {
    if (xml::LocalName(list.name()) != "watcher-list") continue;
    std::string resource = list.attribute("resource").as_string();
    std::string package = list.attribute("package").as_string();
    for (auto w = list.first_child(); w; w = w.next_sibling()) {
      if (xml::LocalName(w.name()) != "watcher") continue;
      Watcher watcher;
      watcher.id = w.attribute("id").as_string();
      std::string t = w.text().as_string();
      size_t b = t.find_first_not_of(" \t\r\n"), e = t.find_last_not_of(" \t\r\n");
      watcher.uri = b == std::string::npos ? std::string() : t.substr(b, e - b + 1);
      watcher.status = w.attribute("status").as_string();
      watcher.event = w.attribute("event").as_string();
      watcher.display_name = w.attribute("display-name").as_string();
      watcher.package = package;
      watcher.resource = resource;
      if (watcher.id.empty()) watcher.id = watcher.uri;
      watchers_[watcher.id] = std::move(watcher);
    }
  }
  return Ok();
}

std::vector<Watcher> WatcherInfoState::Pending() const {
  std::vector<Watcher> out;
  for (const auto& [id, w] : watchers_) {
    if (w.status == "pending" || w.status == "waiting") out.push_back(w);
  }
  return out;
}

Result<RegInfo> ParseRegInfo(std::string_view text) {
  pugi::xml_document doc;
  if (!xml::Load(doc, text)) return Error(400, "reginfo: not XML");
  auto root = doc.document_element();
  if (xml::LocalName(root.name()) != "reginfo") return Error(400, "reginfo: wrong root element");
  RegInfo info;
  info.version = root.attribute("version").as_llong(0);
  info.full = std::string_view(root.attribute("state").as_string()) != "partial";
  for (auto reg = root.first_child(); reg; reg = reg.next_sibling()) {
    if (xml::LocalName(reg.name()) != "registration") continue;
    std::string aor = reg.attribute("aor").as_string();
    std::string aor_state = reg.attribute("state").as_string();
    info.aors.push_back(aor);
    for (auto c = reg.first_child(); c; c = c.next_sibling()) {
      if (xml::LocalName(c.name()) != "contact") continue;
      RegContact rc;
      rc.aor = aor;
      rc.aor_state = aor_state;
      rc.id = c.attribute("id").as_string();
      rc.state = c.attribute("state").as_string();
      rc.event = c.attribute("event").as_string();
      rc.expires = static_cast<uint32_t>(c.attribute("expires").as_uint(0));
      rc.uri = xml::ChildText(c, "uri");
      info.contacts.push_back(std::move(rc));
    }
  }
  return info;
}

}  // namespace parley::ua
