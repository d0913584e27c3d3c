// ParsePidf: pugixml does the XML; this file maps elements by namespace URI
// and local name onto the model, validates, and keeps what it does not model
// as raw XML.

#include <set>

#include "common/strings.h"
#include "presence/doc/pidf.h"
#include "presence/doc/timestamp.h"
#include "presence/doc/xml.h"

namespace parley::presence {

namespace {

using xml::Name;

// The PIDF contact priority (qvalue): "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"].
std::optional<uint16_t> ParsePriority(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
  unsigned v = s[0] == '1' ? 1000 : 0;
  if (s.size() == 1) return static_cast<uint16_t>(v);
  if (s[1] != '.' || s.size() > 5) return std::nullopt;
  unsigned scale = 100;
  for (size_t i = 2; i < s.size(); ++i, scale /= 10) {
    if (!IsDigit(s[i]) || (v == 1000 && s[i] != '0')) return std::nullopt;
    v += static_cast<unsigned>(s[i] - '0') * scale;
  }
  return static_cast<uint16_t>(v);
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (char c : id) {
    if (xml::IsXmlSpace(c)) return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(const Limits& limits) : limits_(limits) {}

  Result<PresenceDoc> Run(std::string_view body, std::string_view expected_entity);

 private:
  bool Fail(int code, std::string reason) {
    if (!error_) error_ = Error(code, std::move(reason));
    return false;
  }
  bool Resolve(pugi::xml_node e, Name& name) {
    auto n = xml::ElementName(e);
    if (!n.ok()) return Fail(n.error().code, n.error().message);
    name = *n;
    return true;
  }
  // `check_values`: the body has character references, whose values the
  // byte scan of the body did not see.
  bool CheckTree(const pugi::xml_document& doc, pugi::xml_node& root, bool check_values);
  bool AddExtension(std::vector<std::string>& into, pugi::xml_node e);
  bool AddNote(std::vector<Note>& into, pugi::xml_node e);
  bool DateTime(pugi::xml_node e, std::string& into, const char* what);
  bool DateAttr(pugi::xml_node e, const char* attr, std::string& into);
  bool ParseTuple(pugi::xml_node e, Tuple& t);
  bool ParseStatus(pugi::xml_node e, Tuple& t);
  bool ParsePerson(pugi::xml_node e, Person& p);
  bool ParseDevice(pugi::xml_node e, Device& d);
  bool ParseValues(pugi::xml_node e, std::string_view kind, RpidValues& v);
  bool ParsePlaceIs(pugi::xml_node e, PlaceIs& p);
  bool ParseTimeOffset(pugi::xml_node e, TimeOffset& t);
  bool ParseUserInput(pugi::xml_node e, UserInput& u);
  // CIPID and the RPID elements shared by tuples, persons and devices;
  // false with no error when `name` is not one of them.
  bool ParseCipid(const Name& name, pugi::xml_node e, Cipid& c, std::vector<std::string>& ext, bool& handled);

  const Limits& limits_;
  std::optional<Error> error_;
};

bool Parser::CheckTree(const pugi::xml_document& doc, pugi::xml_node& root, bool check_values) {
  for (pugi::xml_node c = doc.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) {
      if (root) {  // offset_debug() is the name's; report the '<'
        return Fail(400, "PIDF: not well-formed XML at offset " + std::to_string(c.offset_debug() - 1));
      }
      root = c;
    } else if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      return Fail(400, "PIDF: not well-formed XML at offset " + std::to_string(c.offset_debug()));
    }
  }
  if (!root) return Fail(400, "PIDF: not well-formed XML at offset 0");
  // Element count, depth, and characters that entered through references.
  size_t elements = 0, depth = 1;
  for (pugi::xml_node n = root; n;) {
    if (n.type() == pugi::node_element) {
      if (++elements > limits_.max_elements) return Fail(413, "PIDF: too many elements");
      if (depth > limits_.max_depth) return Fail(413, "PIDF: elements nested too deeply");
      for (pugi::xml_attribute a = n.first_attribute(); check_values && a; a = a.next_attribute()) {
        if (xml::FindInvalidChar(a.value())) return Fail(400, "PIDF: invalid character reference");
      }
      if (n.first_child()) {
        n = n.first_child();
        ++depth;
        continue;
      }
    } else if (check_values && xml::FindInvalidChar(n.value())) {
      return Fail(400, "PIDF: invalid character reference");
    }
    while (n != root && !n.next_sibling()) {
      n = n.parent();
      --depth;
    }
    n = n == root ? pugi::xml_node() : n.next_sibling();
  }
  return true;
}

bool Parser::AddExtension(std::vector<std::string>& into, pugi::xml_node e) {
  if (into.size() >= limits_.max_extensions) return Fail(413, "PIDF: too many extension elements");
  auto raw = xml::CaptureOuterXml(e);
  if (!raw.ok()) return Fail(raw.error().code, raw.error().message);
  into.push_back(std::move(*raw));
  return true;
}

bool Parser::AddNote(std::vector<Note>& into, pugi::xml_node e) {
  if (into.size() >= limits_.max_notes) return Fail(413, "PIDF: too many notes");
  into.push_back(Note{std::string(xml::LangInScope(e)), xml::Text(e)});
  return true;
}

bool Parser::DateTime(pugi::xml_node e, std::string& into, const char* what) {
  into = xml::Text(e);
  if (!ParseDateTime(into)) return Fail(400, std::string("PIDF: invalid <") + what + ">");
  return true;
}

bool Parser::DateAttr(pugi::xml_node e, const char* attr, std::string& into) {
  auto v = xml::Attr(e, attr);
  if (!v) return true;
  into = std::string(xml::Trim(*v));
  if (!ParseDateTime(into)) return Fail(400, std::string("PIDF: invalid '") + attr + "' time");
  return true;
}

bool Parser::ParseValues(pugi::xml_node e, std::string_view kind, RpidValues& v) {
  v.id = std::string(xml::Attr(e, "id").value_or(""));
  if (!DateAttr(e, "from", v.from) || !DateAttr(e, "until", v.until)) return false;
  const bool place_type = kind == "place-type";
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.Is(kNsRpid, "note")) {
      if (!AddNote(v.notes, c)) return false;
    } else if (n.Is(kNsRpid, "other")) {
      if (v.others.size() >= limits_.max_values) return Fail(413, "PIDF: too many RPID values");
      v.others.push_back(xml::Text(c));
    } else if (n.ns == kNsRpid || (place_type && n.ns == kNsLocationType)) {
      if (v.values.size() >= limits_.max_values) return Fail(413, "PIDF: too many RPID values");
      v.values.emplace_back(n.local);
    } else if (!AddExtension(v.extensions, c)) {
      return false;
    }
  }
  if (kind == "sphere") v.text = xml::Text(e);
  return true;
}

bool Parser::ParsePlaceIs(pugi::xml_node e, PlaceIs& p) {
  p.id = std::string(xml::Attr(e, "id").value_or(""));
  if (!DateAttr(e, "from", p.from) || !DateAttr(e, "until", p.until)) return false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.ns != kNsRpid) continue;
    if (n.local == "note") {
      if (!AddNote(p.notes, c)) return false;
      continue;
    }
    std::string* slot = n.local == "audio" ? &p.audio : n.local == "video" ? &p.video
                      : n.local == "text"  ? &p.text  : nullptr;
    if (!slot) continue;
    for (pugi::xml_node v = c.first_child(); v; v = v.next_sibling()) {
      Name vn;
      if (v.type() != pugi::node_element) continue;
      if (!Resolve(v, vn)) return false;
      if (vn.ns == kNsRpid) {
        *slot = std::string(vn.local);
        break;
      }
    }
  }
  return true;
}

bool Parser::ParseTimeOffset(pugi::xml_node e, TimeOffset& t) {
  t.id = std::string(xml::Attr(e, "id").value_or(""));
  t.description = std::string(xml::Attr(e, "description").value_or(""));
  if (!DateAttr(e, "from", t.from) || !DateAttr(e, "until", t.until)) return false;
  std::string text = xml::Text(e);
  std::string_view digits = text;
  bool negative = !digits.empty() && digits[0] == '-';
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  auto v = ParseUint(digits, 1440);  // at most a day either way
  if (!v) return Fail(400, "PIDF: invalid <rpid:time-offset>");
  t.minutes = static_cast<int32_t>(*v) * (negative ? -1 : 1);
  return true;
}

bool Parser::ParseUserInput(pugi::xml_node e, UserInput& u) {
  u.id = std::string(xml::Attr(e, "id").value_or(""));
  u.value = xml::Text(e);
  if (u.value != "active" && u.value != "idle") return Fail(400, "PIDF: invalid <rpid:user-input>");
  if (auto t = xml::Attr(e, "idle-threshold")) {
    auto v = ParseUint(xml::Trim(*t), UINT32_MAX);
    if (!v) return Fail(400, "PIDF: invalid 'idle-threshold'");
    u.idle_threshold = static_cast<uint32_t>(*v);
  }
  return DateAttr(e, "last-input", u.last_input);
}

bool Parser::ParseCipid(const Name& n, pugi::xml_node e, Cipid& c, std::vector<std::string>& ext,
                        bool& handled) {
  handled = false;
  if (n.ns != kNsCipid) return true;
  std::string* slot = n.local == "display-name" ? &c.display_name
                    : n.local == "card"         ? &c.card
                    : n.local == "homepage"     ? &c.homepage
                    : n.local == "icon"         ? &c.icon
                    : n.local == "map"          ? &c.map
                    : n.local == "sound"        ? &c.sound
                                                : nullptr;
  if (!slot) return true;
  handled = true;
  std::string v = xml::Text(e);
  if (!slot->empty() || v.empty()) return AddExtension(ext, e);  // a second one survives as raw XML
  *slot = std::move(v);
  return true;
}

bool Parser::ParseStatus(pugi::xml_node e, Tuple& t) {
  bool seen_basic = false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    if (n.Is(kNsPidf, "basic")) {
      if (seen_basic) return Fail(400, "PIDF: more than one <basic>");
      seen_basic = true;
      std::string v = xml::Text(c);
      if (v == "open") t.basic = Basic::kOpen;
      else if (v == "closed") t.basic = Basic::kClosed;
      else return Fail(400, "PIDF: invalid <basic> value");
    } else if (!AddExtension(t.status_extensions, c)) {
      return false;
    }
  }
  // RFC 3863: <basic> is optional only because <status> may carry other elements instead.
  if (!seen_basic && t.status_extensions.empty()) return Fail(400, "PIDF: missing <basic>");
  return true;
}

bool Parser::ParseTuple(pugi::xml_node e, Tuple& t) {
  auto id = xml::Attr(e, "id");
  if (!id || id->empty()) return Fail(400, "PIDF: <tuple> without id");
  if (!ValidId(*id)) return Fail(400, "PIDF: invalid tuple id");
  t.id = std::string(*id);
  bool seen_status = false, seen_contact = false, seen_timestamp = false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    bool ok = true, handled = true;
    if (n.Is(kNsPidf, "status")) {
      if (seen_status) return Fail(400, "PIDF: more than one <status> in a tuple");
      seen_status = true;
      ok = ParseStatus(c, t);
    } else if (n.Is(kNsPidf, "contact")) {
      if (seen_contact) return Fail(400, "PIDF: more than one <contact> in a tuple");
      seen_contact = true;
      t.contact = xml::Text(c);
      if (auto p = xml::Attr(c, "priority")) {
        t.priority = ParsePriority(xml::Trim(*p));
        if (!t.priority) return Fail(400, "PIDF: invalid contact priority");
      }
    } else if (n.Is(kNsPidf, "note") || n.Is(kNsDataModel, "note")) {
      ok = AddNote(t.notes, c);
    } else if (n.Is(kNsPidf, "timestamp")) {
      if (seen_timestamp) return Fail(400, "PIDF: more than one <timestamp> in a tuple");
      seen_timestamp = true;
      ok = DateTime(c, t.timestamp, "timestamp");
    } else if (n.Is(kNsDataModel, "deviceID") && t.device_id.empty()) {
      t.device_id = xml::Text(c);
    } else if (n.Is(kNsRpid, "service-class") && !t.service_class) {
      ok = ParseValues(c, n.local, t.service_class.emplace());
    } else if (n.Is(kNsRpid, "relationship") && !t.relationship) {
      ok = ParseValues(c, n.local, t.relationship.emplace());
    } else if (n.Is(kNsRpid, "user-input") && !t.user_input) {
      ok = ParseUserInput(c, t.user_input.emplace());
    } else if (n.Is(kNsRpid, "class") && t.rpid_class.empty()) {
      t.rpid_class = xml::Text(c);
    } else if (n.Is(kNsRpid, "status-icon") && t.status_icon.empty()) {
      t.status_icon = xml::Text(c);
    } else {
      ok = ParseCipid(n, c, t.cipid, t.extensions, handled);
      if (ok && !handled) ok = AddExtension(t.extensions, c);
    }
    if (!ok) return false;
  }
  if (!seen_status) return Fail(400, "PIDF: <tuple> without <status>");
  return true;
}

bool Parser::ParsePerson(pugi::xml_node e, Person& p) {
  p.id = std::string(xml::Attr(e, "id").value_or(""));
  bool seen_timestamp = false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    bool ok = true, handled = true;
    auto values = [&](std::optional<RpidValues>& slot) {
      if (slot) return AddExtension(p.extensions, c);  // a second one (other from/until) stays raw
      return ParseValues(c, n.local, slot.emplace());
    };
    if (n.ns == kNsRpid && n.local == "activities") {
      ok = values(p.activities);
    } else if (n.Is(kNsRpid, "mood")) {
      ok = values(p.mood);
    } else if (n.Is(kNsRpid, "place-type")) {
      ok = values(p.place_type);
    } else if (n.Is(kNsRpid, "privacy")) {
      ok = values(p.privacy);
    } else if (n.Is(kNsRpid, "sphere")) {
      ok = values(p.sphere);
    } else if (n.Is(kNsRpid, "place-is") && !p.place_is) {
      ok = ParsePlaceIs(c, p.place_is.emplace());
    } else if (n.Is(kNsRpid, "time-offset") && !p.time_offset) {
      ok = ParseTimeOffset(c, p.time_offset.emplace());
    } else if (n.Is(kNsRpid, "user-input") && !p.user_input) {
      ok = ParseUserInput(c, p.user_input.emplace());
    } else if (n.Is(kNsRpid, "class") && p.rpid_class.empty()) {
      p.rpid_class = xml::Text(c);
    } else if (n.Is(kNsRpid, "status-icon") && p.status_icon.empty()) {
      p.status_icon = xml::Text(c);
    } else if (n.Is(kNsDataModel, "note") || n.Is(kNsPidf, "note")) {
      ok = AddNote(p.notes, c);
    } else if (n.Is(kNsDataModel, "timestamp") || n.Is(kNsPidf, "timestamp")) {
      if (seen_timestamp) return Fail(400, "PIDF: more than one <timestamp> in a person");
      seen_timestamp = true;
      ok = DateTime(c, p.timestamp, "timestamp");
    } else {
      ok = ParseCipid(n, c, p.cipid, p.extensions, handled);
      if (ok && !handled) ok = AddExtension(p.extensions, c);
    }
    if (!ok) return false;
  }
  return true;
}

bool Parser::ParseDevice(pugi::xml_node e, Device& d) {
  d.id = std::string(xml::Attr(e, "id").value_or(""));
  bool seen_timestamp = false, seen_device_id = false;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Name n;
    if (!Resolve(c, n)) return false;
    bool ok = true;
    // The serializer writes extensions before <deviceID>, so a second
    // deviceID or timestamp could not stay second: both are errors.
    if (n.Is(kNsDataModel, "deviceID")) {
      if (seen_device_id) return Fail(400, "PIDF: more than one <deviceID> in a device");
      seen_device_id = true;
      d.device_id = xml::Text(c);
    } else if (n.Is(kNsDataModel, "note") || n.Is(kNsPidf, "note")) {
      ok = AddNote(d.notes, c);
    } else if (n.Is(kNsDataModel, "timestamp") || n.Is(kNsPidf, "timestamp")) {
      if (seen_timestamp) return Fail(400, "PIDF: more than one <timestamp> in a device");
      seen_timestamp = true;
      ok = DateTime(c, d.timestamp, "timestamp");
    } else if (n.Is(kNsRpid, "user-input") && !d.user_input) {
      ok = ParseUserInput(c, d.user_input.emplace());
    } else if (n.Is(kNsRpid, "class") && d.rpid_class.empty()) {
      d.rpid_class = xml::Text(c);
    } else {
      ok = AddExtension(d.extensions, c);
    }
    if (!ok) return false;
  }
  return true;
}

Result<PresenceDoc> Parser::Run(std::string_view body, std::string_view expected_entity) {
  if (body.size() > limits_.max_body_bytes) {
    return Error(413, "PIDF: body too large (" + std::to_string(body.size()) + " bytes, limit " +
                          std::to_string(limits_.max_body_bytes) + ")");
  }
  const size_t bom = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (auto bad = xml::FindInvalidChar(body.substr(bom))) {
    return Error(400, "PIDF: not well-formed XML at offset " + std::to_string(*bad + bom));
  }
  // No DTDs: nothing to expand, nothing to fetch.
  if (body.find("<!DOCTYPE") != std::string_view::npos) return Error(400, "PIDF: DOCTYPE is not allowed");
  pugi::xml_document doc;
  auto loaded = doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_fragment,
                                pugi::encoding_utf8);
  if (!loaded) return Error(400, "PIDF: not well-formed XML at offset " + std::to_string(loaded.offset));
  pugi::xml_node root;
  if (!CheckTree(doc, root, body.find("&#") != std::string_view::npos)) return *error_;
  Name name;
  if (!Resolve(root, name)) return *error_;
  if (!name.Is(kNsPidf, "presence")) return Error(400, "PIDF: root element is not a PIDF <presence>");

  PresenceDoc out;
  auto entity = xml::Attr(root, "entity");
  if (!entity || xml::Trim(*entity).empty()) return Error(400, "PIDF: <presence> without entity");
  out.entity = std::string(xml::Trim(*entity));
  if (!expected_entity.empty() && !SamePresentity(out.entity, expected_entity)) {
    return Error(400, "PIDF entity does not match the presentity");
  }
  std::set<std::string, std::less<>> tuple_ids, device_ids;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (!Resolve(c, name)) return *error_;
    bool ok = true;
    if (name.Is(kNsPidf, "tuple")) {
      if (out.tuples.size() >= limits_.max_tuples) return Error(413, "PIDF: too many tuples");
      ok = ParseTuple(c, out.tuples.emplace_back());
      if (ok && !tuple_ids.insert(out.tuples.back().id).second) {
        return Error(400, "PIDF: duplicate tuple id");
      }
    } else if (name.Is(kNsPidf, "note")) {
      ok = AddNote(out.notes, c);
    } else if (name.Is(kNsDataModel, "person") && !out.person) {
      ok = ParsePerson(c, out.person.emplace());
    } else if (name.Is(kNsDataModel, "device")) {
      if (out.devices.size() >= limits_.max_devices) return Error(413, "PIDF: too many devices");
      ok = ParseDevice(c, out.devices.emplace_back());
      if (ok && !out.devices.back().id.empty() && !device_ids.insert(out.devices.back().id).second) {
        return Error(400, "PIDF: duplicate device id");
      }
    } else {
      ok = AddExtension(out.extensions, c);
    }
    if (!ok) return *error_;
  }
  return out;
}

}  // namespace

bool RpidValues::Has(std::string_view value) const {
  for (const auto& v : values) {
    if (v == value) return true;
  }
  return false;
}

Result<PresenceDoc> ParsePidf(std::string_view body, std::string_view expected_entity, const Limits& limits) {
  return Parser(limits).Run(body, expected_entity);
}

}  // namespace parley::presence
