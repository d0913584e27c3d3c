// SerializePidf: written by hand (no DOM) in the order the PIDF, data-model
// and RPID schemas require; prefixes dm/rpid/cipid/lt are declared on
// <presence> only when used.

#include "presence/doc/pidf.h"
#include "presence/doc/xml.h"

namespace parley::presence {

namespace {

class Writer {
 public:
  std::string Finish(const PresenceDoc& doc);

 private:
  void Indent(int level) { body_.append(static_cast<size_t>(level) * 2, ' '); }
  void Attr(std::string_view name, std::string_view value) {
    if (value.empty()) return;
    body_.push_back(' ');
    body_.append(name).append("=\"");
    AppendXmlAttr(body_, value);
    body_.push_back('"');
  }
  // <qname>text</qname> on its own line (nothing when text is empty).
  void Leaf(int level, std::string_view qname, std::string_view text) {
    if (text.empty()) return;
    Indent(level);
    Inline(qname, text);
    body_.push_back('\n');
  }
  void Inline(std::string_view qname, std::string_view text) {
    body_.append("<").append(qname).append(">");
    AppendXmlText(body_, text);
    body_.append("</").append(qname).append(">");
  }
  void RpidLeaf(int level, std::string_view qname, std::string_view text) {
    rpid_ = true;
    Leaf(level, qname, text);
  }
  void Notes(int level, std::string_view qname, const std::vector<Note>& notes);
  void Raw(int level, const std::vector<std::string>& raw) {
    for (const auto& r : raw) {
      Indent(level);
      body_.append(r).push_back('\n');
    }
  }
  void Values(int level, std::string_view local, const RpidValues& v);
  void PlaceIsElement(int level, const PlaceIs& p);
  void TimeOffsetElement(int level, const TimeOffset& t);
  void UserInputElement(int level, const UserInput& u);
  void CipidElements(int level, const Cipid& c);
  void TupleElement(const Tuple& t);
  void PersonElement(const Person& p);
  void DeviceElement(const Device& d);

  std::string body_;
  bool dm_ = false, rpid_ = false, cipid_ = false, lt_ = false;
};

void Writer::Notes(int level, std::string_view qname, const std::vector<Note>& notes) {
  for (const auto& n : notes) {
    Indent(level);
    body_.append("<").append(qname);
    Attr("xml:lang", n.lang);
    body_.push_back('>');
    AppendXmlText(body_, n.text);
    body_.append("</").append(qname).append(">\n");
  }
}

void Writer::Values(int level, std::string_view local, const RpidValues& v) {
  rpid_ = true;
  const bool place_type = local == "place-type";
  Indent(level);
  body_.append("<rpid:").append(local);
  Attr("id", v.id);
  Attr("from", v.from);
  Attr("until", v.until);
  if (v.notes.empty() && v.empty()) {
    body_.append("/>\n");
    return;
  }
  body_.push_back('>');
  for (const auto& n : v.notes) {
    body_.append("<rpid:note");
    Attr("xml:lang", n.lang);
    body_.push_back('>');
    AppendXmlText(body_, n.text);
    body_.append("</rpid:note>");
  }
  for (const auto& value : v.values) {
    if (!xml::IsNcName(value)) {  // not an element name: say it as text
      Inline("rpid:other", value);
    } else if (place_type) {
      lt_ = true;
      body_.append("<lt:").append(value).append("/>");
    } else {
      body_.append("<rpid:").append(value).append("/>");
    }
  }
  for (const auto& o : v.others) Inline("rpid:other", o);
  for (const auto& e : v.extensions) body_.append(e);
  AppendXmlText(body_, v.text);
  body_.append("</rpid:").append(local).append(">\n");
}

void Writer::PlaceIsElement(int level, const PlaceIs& p) {
  Indent(level);
  rpid_ = true;
  body_.append("<rpid:place-is");
  Attr("id", p.id);
  Attr("from", p.from);
  Attr("until", p.until);
  body_.push_back('>');
  for (const auto& n : p.notes) {
    body_.append("<rpid:note");
    Attr("xml:lang", n.lang);
    body_.push_back('>');
    AppendXmlText(body_, n.text);
    body_.append("</rpid:note>");
  }
  for (auto [name, value] : {std::pair<std::string_view, const std::string*>{"audio", &p.audio},
                             {"video", &p.video}, {"text", &p.text}}) {
    if (value->empty()) continue;
    body_.append("<rpid:").append(name).append(">");
    if (xml::IsNcName(*value)) body_.append("<rpid:").append(*value).append("/>");
    body_.append("</rpid:").append(name).append(">");
  }
  body_.append("</rpid:place-is>\n");
}

void Writer::TimeOffsetElement(int level, const TimeOffset& t) {
  Indent(level);
  rpid_ = true;
  body_.append("<rpid:time-offset");
  Attr("id", t.id);
  Attr("from", t.from);
  Attr("until", t.until);
  Attr("description", t.description);
  body_.append(">").append(std::to_string(t.minutes)).append("</rpid:time-offset>\n");
}

void Writer::UserInputElement(int level, const UserInput& u) {
  Indent(level);
  rpid_ = true;
  body_.append("<rpid:user-input");
  Attr("id", u.id);
  if (u.idle_threshold) Attr("idle-threshold", std::to_string(*u.idle_threshold));
  Attr("last-input", u.last_input);
  body_.push_back('>');
  AppendXmlText(body_, u.value == "idle" ? "idle" : "active");
  body_.append("</rpid:user-input>\n");
}

void Writer::CipidElements(int level, const Cipid& c) {
  if (c.empty()) return;
  cipid_ = true;
  Leaf(level, "cipid:display-name", c.display_name);
  Leaf(level, "cipid:card", c.card);
  Leaf(level, "cipid:homepage", c.homepage);
  Leaf(level, "cipid:icon", c.icon);
  Leaf(level, "cipid:map", c.map);
  Leaf(level, "cipid:sound", c.sound);
}

std::string FormatPriority(uint16_t q) {
  if (q >= 1000) return "1";
  std::string s = "0." + std::to_string(1000 + q).substr(1);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

void Writer::TupleElement(const Tuple& t) {
  Indent(1);
  body_.append("<tuple");
  Attr("id", t.id);
  body_.append(">\n");
  Indent(2);
  body_.append("<status>");
  if (t.basic) body_.append(*t.basic == Basic::kOpen ? "<basic>open</basic>" : "<basic>closed</basic>");
  for (const auto& e : t.status_extensions) body_.append(e);
  body_.append("</status>\n");
  // PIDF schema (RFC 3863): elements of other namespaces sit between <status> and <contact>.
  if (!t.device_id.empty()) {
    dm_ = true;
    Leaf(2, "dm:deviceID", t.device_id);
  }
  if (t.service_class) Values(2, "service-class", *t.service_class);
  if (t.relationship) Values(2, "relationship", *t.relationship);
  if (t.user_input) UserInputElement(2, *t.user_input);
  if (!t.rpid_class.empty()) RpidLeaf(2, "rpid:class", t.rpid_class);
  if (!t.status_icon.empty()) RpidLeaf(2, "rpid:status-icon", t.status_icon);
  CipidElements(2, t.cipid);
  Raw(2, t.extensions);
  if (!t.contact.empty() || t.priority) {
    Indent(2);
    body_.append("<contact");
    if (t.priority) Attr("priority", FormatPriority(*t.priority));
    body_.push_back('>');
    AppendXmlText(body_, t.contact);
    body_.append("</contact>\n");
  }
  Notes(2, "note", t.notes);
  Leaf(2, "timestamp", t.timestamp);
  Indent(1);
  body_.append("</tuple>\n");
}

void Writer::PersonElement(const Person& p) {
  dm_ = true;
  Indent(1);
  body_.append("<dm:person");
  Attr("id", p.id);
  body_.append(">\n");
  if (p.activities) Values(2, "activities", *p.activities);
  if (p.mood) Values(2, "mood", *p.mood);
  if (p.place_is) PlaceIsElement(2, *p.place_is);
  if (p.place_type) Values(2, "place-type", *p.place_type);
  if (p.privacy) Values(2, "privacy", *p.privacy);
  if (p.sphere) Values(2, "sphere", *p.sphere);
  if (p.time_offset) TimeOffsetElement(2, *p.time_offset);
  if (p.user_input) UserInputElement(2, *p.user_input);
  if (!p.rpid_class.empty()) RpidLeaf(2, "rpid:class", p.rpid_class);
  if (!p.status_icon.empty()) RpidLeaf(2, "rpid:status-icon", p.status_icon);
  CipidElements(2, p.cipid);
  Raw(2, p.extensions);
  Notes(2, "dm:note", p.notes);
  Leaf(2, "dm:timestamp", p.timestamp);
  Indent(1);
  body_.append("</dm:person>\n");
}

void Writer::DeviceElement(const Device& d) {
  dm_ = true;
  Indent(1);
  body_.append("<dm:device");
  Attr("id", d.id);
  body_.append(">\n");
  if (d.user_input) UserInputElement(2, *d.user_input);
  if (!d.rpid_class.empty()) RpidLeaf(2, "rpid:class", d.rpid_class);
  Raw(2, d.extensions);
  // The data-model schema requires <deviceID>; an unknown one is written empty.
  Indent(2);
  Inline("dm:deviceID", d.device_id);
  body_.push_back('\n');
  Notes(2, "dm:note", d.notes);
  Leaf(2, "dm:timestamp", d.timestamp);
  Indent(1);
  body_.append("</dm:device>\n");
}

std::string Writer::Finish(const PresenceDoc& doc) {
  for (const auto& t : doc.tuples) TupleElement(t);
  Notes(1, "note", doc.notes);
  if (doc.person) PersonElement(*doc.person);
  for (const auto& d : doc.devices) DeviceElement(d);
  Raw(1, doc.extensions);

  std::string out;
  out.reserve(body_.size() + 320);
  out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<presence xmlns=\"").append(kNsPidf).append("\"");
  if (dm_) out.append(" xmlns:dm=\"").append(kNsDataModel).append("\"");
  if (rpid_) out.append(" xmlns:rpid=\"").append(kNsRpid).append("\"");
  if (cipid_) out.append(" xmlns:cipid=\"").append(kNsCipid).append("\"");
  if (lt_) out.append(" xmlns:lt=\"").append(kNsLocationType).append("\"");
  out.append(" entity=\"");
  AppendXmlAttr(out, doc.entity);
  out.append("\">\n").append(body_).append("</presence>\n");
  return out;
}

}  // namespace

std::string SerializePidf(const PresenceDoc& doc) { return Writer().Finish(doc); }

}  // namespace parley::presence
