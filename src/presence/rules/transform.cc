// ApplyTransformations: builds the watcher's view from the presence
// document model, keeping only what RFC 5025 §3.3 lets through.

#include "presence/rules/transform.h"

#include <algorithm>

#include "common/strings.h"
#include "presence/doc/xml.h"
#include "sip/uri.h"

namespace parley::presence::rules {

namespace {

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Service URIs are compared as URIs when both parse (RFC 3261 §19.1.4).
bool SameUri(std::string_view a, std::string_view b) {
  a = xml::Trim(a);
  b = xml::Trim(b);
  auto ua = sip::ParseUri(a);
  auto ub = sip::ParseUri(b);
  if (ua.ok() && ub.ok()) return sip::UriEquivalent(*ua, *ub);
  return a == b;
}

class Filter {
 public:
  explicit Filter(const Transformations& t) : t_(t) {}

  PresenceDoc Run(const PresenceDoc& doc);

 private:
  bool Allowed(bool Transformations::*m) const { return t_.all_attributes || t_.*m; }
  UserInputLevel InputLevel() const { return t_.all_attributes ? UserInputLevel::kFull : t_.user_input; }
  bool UnknownPermitted(std::string_view ns, std::string_view local) const {
    if (t_.all_attributes) return true;
    return std::any_of(t_.unknown_attributes.begin(), t_.unknown_attributes.end(),
                       [&](const UnknownAttribute& u) { return u.ns == ns && u.name == local; });
  }
  void Extensions(std::vector<std::string>& ext) const;
  void Notes(std::vector<Note>& notes) const {
    if (!Allowed(&Transformations::note)) notes.clear();
  }
  template <typename T>
  void Element(std::optional<T>& v, bool Transformations::*m) const {
    if (!Allowed(m)) v.reset();
    else if (v) Notes(v->notes);
  }
  void Input(std::optional<UserInput>& u) const;
  void CipidFields(Cipid& c) const;
  bool ServicePermitted(const Tuple& t) const;
  bool PersonPermitted(const Person& p) const;
  bool DevicePermitted(const Device& d) const;
  std::optional<Tuple> FilterTuple(const Tuple& in) const;

  const Transformations& t_;
};

void Filter::Extensions(std::vector<std::string>& ext) const {
  if (t_.all_attributes) return;
  if (t_.unknown_attributes.empty()) {
    ext.clear();
    return;
  }
  std::erase_if(ext, [&](const std::string& raw) {
    std::string ns, local;
    return !ExtensionName(raw, ns, local) || !UnknownPermitted(ns, local);
  });
}

void Filter::Input(std::optional<UserInput>& u) const {
  if (!u) return;
  switch (InputLevel()) {
    case UserInputLevel::kFalse:
      u.reset();
      return;
    case UserInputLevel::kBare:
      u->idle_threshold.reset();
      u->last_input.clear();
      return;
    case UserInputLevel::kThresholds:
      u->last_input.clear();
      return;
    case UserInputLevel::kFull:
      return;
  }
}

void Filter::CipidFields(Cipid& c) const {
  // CIPID (RFC 4482) is not named by RFC 5025: each field is an unknown attribute.
  for (auto [name, field] : {std::pair<std::string_view, std::string*>{"display-name", &c.display_name},
                             {"card", &c.card}, {"homepage", &c.homepage}, {"icon", &c.icon}, {"map", &c.map},
                             {"sound", &c.sound}}) {
    if (!field->empty() && !UnknownPermitted(kNsCipid, name)) field->clear();
  }
}

bool Filter::ServicePermitted(const Tuple& t) const {
  const ServiceSelector& s = t_.services;
  if (s.all || Contains(s.occurrence_ids, t.id)) return true;
  if (!t.rpid_class.empty() && Contains(s.classes, t.rpid_class)) return true;
  if (t.contact.empty()) return false;
  for (const auto& uri : s.uris) {
    if (SameUri(uri, t.contact)) return true;
  }
  std::string_view contact = xml::Trim(t.contact);
  size_t colon = contact.find(':');
  return colon != std::string_view::npos && Contains(s.schemes, ToLower(contact.substr(0, colon)));
}

bool Filter::PersonPermitted(const Person& p) const {
  const PersonSelector& s = t_.persons;
  return s.all || (!p.id.empty() && Contains(s.occurrence_ids, p.id)) ||
         (!p.rpid_class.empty() && Contains(s.classes, p.rpid_class));
}

bool Filter::DevicePermitted(const Device& d) const {
  const DeviceSelector& s = t_.devices;
  return s.all || (!d.device_id.empty() && Contains(s.device_ids, d.device_id)) ||
         (!d.id.empty() && Contains(s.occurrence_ids, d.id)) ||
         (!d.rpid_class.empty() && Contains(s.classes, d.rpid_class));
}

std::optional<Tuple> Filter::FilterTuple(const Tuple& in) const {
  Tuple t = in;
  Extensions(t.status_extensions);
  // A status that is only extensions, all withheld, leaves no service to show.
  if (!t.basic && t.status_extensions.empty()) return std::nullopt;
  Notes(t.notes);
  if (!Allowed(&Transformations::device_id)) t.device_id.clear();
  if (t.service_class && !UnknownPermitted(kNsRpid, "service-class")) t.service_class.reset();
  if (t.service_class) Notes(t.service_class->notes);
  Element(t.relationship, &Transformations::relationship);
  Input(t.user_input);
  if (!Allowed(&Transformations::rpid_class)) t.rpid_class.clear();
  if (!Allowed(&Transformations::status_icon)) t.status_icon.clear();
  CipidFields(t.cipid);
  Extensions(t.extensions);
  return t;
}

PresenceDoc Filter::Run(const PresenceDoc& doc) {
  PresenceDoc out;
  out.entity = doc.entity;
  for (const auto& tuple : doc.tuples) {
    if (!ServicePermitted(tuple)) continue;
    if (auto t = FilterTuple(tuple)) out.tuples.push_back(std::move(*t));
  }
  out.notes = doc.notes;
  Notes(out.notes);
  if (doc.person && PersonPermitted(*doc.person)) {
    Person& p = out.person.emplace(*doc.person);
    Element(p.activities, &Transformations::activities);
    Element(p.mood, &Transformations::mood);
    Element(p.place_is, &Transformations::place_is);
    Element(p.place_type, &Transformations::place_type);
    Element(p.privacy, &Transformations::privacy);
    Element(p.sphere, &Transformations::sphere);
    if (!Allowed(&Transformations::time_offset)) p.time_offset.reset();
    Input(p.user_input);
    if (!Allowed(&Transformations::rpid_class)) p.rpid_class.clear();
    if (!Allowed(&Transformations::status_icon)) p.status_icon.clear();
    CipidFields(p.cipid);
    Notes(p.notes);
    Extensions(p.extensions);
  }
  for (const auto& device : doc.devices) {
    if (!DevicePermitted(device)) continue;
    Device& d = out.devices.emplace_back(device);  // <deviceID> names the device: it stays
    Input(d.user_input);
    if (!Allowed(&Transformations::rpid_class)) d.rpid_class.clear();
    Notes(d.notes);
    Extensions(d.extensions);
  }
  // Presence-level extensions: a second <person> or <device> kept raw cannot
  // be filtered attribute by attribute, so it goes only with everything.
  for (const auto& raw : doc.extensions) {
    std::string ns, local;
    if (!ExtensionName(raw, ns, local)) continue;
    bool keep;
    if (ns == kNsDataModel && local == "person") keep = t_.persons.all && t_.all_attributes;
    else if (ns == kNsDataModel && local == "device") keep = t_.devices.all && t_.all_attributes;
    else if (ns == kNsPidf && local == "tuple") keep = t_.services.all && t_.all_attributes;
    else keep = UnknownPermitted(ns, local);
    if (keep) out.extensions.push_back(raw);
  }
  return out;
}

}  // namespace

bool ExtensionName(std::string_view raw, std::string& ns, std::string& local) {
  // Only the start tag is needed: it carries the declarations the element
  // relies on (xml::CaptureOuterXml). Cut it out, close it, parse that.
  if (raw.size() < 2 || raw[0] != '<') return false;
  char quote = 0;
  size_t end = 1;
  for (; end < raw.size(); ++end) {
    char c = raw[end];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      break;
    }
  }
  if (end >= raw.size()) return false;
  std::string tag(raw.substr(0, end));
  if (tag.back() != '/') tag.push_back('/');
  tag.push_back('>');
  pugi::xml_document doc;
  if (!doc.load_buffer(tag.data(), tag.size(), pugi::parse_default, pugi::encoding_utf8)) return false;
  pugi::xml_node e = doc.document_element();
  if (!e) return false;
  auto name = xml::ElementName(e);
  if (!name.ok()) return false;
  ns = std::string(name->ns);
  local = std::string(name->local);
  return true;
}

PresenceDoc ApplyTransformations(const PresenceDoc& doc, const Transformations& t) { return Filter(t).Run(doc); }

}  // namespace parley::presence::rules
