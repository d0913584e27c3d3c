#pragma once
// The presence document: PIDF (RFC 3863) with the data model (RFC 4479), RPID
// (RFC 4480) and CIPID (RFC 4482). Parsing validates and bounds the input;
// serialization is deterministic. Elements this layer does not model survive
// as raw XML (their outer XML, made self-contained with the namespace
// declarations they need). Pure: no I/O, no clock.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::presence {

inline constexpr std::string_view kNsPidf = "urn:ietf:params:xml:ns:pidf";
inline constexpr std::string_view kNsDataModel = "urn:ietf:params:xml:ns:pidf:data-model";
inline constexpr std::string_view kNsRpid = "urn:ietf:params:xml:ns:pidf:rpid";
inline constexpr std::string_view kNsCipid = "urn:ietf:params:xml:ns:pidf:cipid";
inline constexpr std::string_view kNsLocationType = "urn:ietf:params:xml:ns:location-type";

// A <note> with its (possibly inherited) xml:lang; "" when none applies.
struct Note {
  std::string lang;
  std::string text;
  bool operator==(const Note&) const = default;
};

// An RPID element whose content is a set of empty elements: <activities>,
// <mood>, <place-type>, <privacy>, <relationship>, <service-class>,
// <sphere>. Values are local names ("away", "on-the-phone"; for place-type
// the RFC 4589 location types such as "office").
struct RpidValues {
  std::string id;
  std::string from;   // validity (RFC 4480), xs:dateTime as written
  std::string until;
  std::vector<Note> notes;
  std::vector<std::string> values;
  std::vector<std::string> others;      // texts of <rpid:other>
  std::string text;                     // <sphere> free text
  std::vector<std::string> extensions;  // raw XML of children in other namespaces
  bool empty() const { return values.empty() && others.empty() && text.empty() && extensions.empty(); }
  bool Has(std::string_view value) const;
  bool operator==(const RpidValues&) const = default;
};

// <rpid:place-is>: audio noisy|ok|quiet|unknown, video toobright|ok|dark|unknown,
// text uncomfortable|inappropriate|ok|unknown ("" when absent).
struct PlaceIs {
  std::string id, from, until;
  std::vector<Note> notes;
  std::string audio, video, text;
  bool operator==(const PlaceIs&) const = default;
};

// <rpid:time-offset>: minutes from UTC.
struct TimeOffset {
  std::string id, from, until, description;
  int32_t minutes = 0;
  bool operator==(const TimeOffset&) const = default;
};

// <rpid:user-input>: "active" or "idle".
struct UserInput {
  std::string id;
  std::string value;
  std::optional<uint32_t> idle_threshold;  // seconds
  std::string last_input;                  // xs:dateTime
  bool operator==(const UserInput&) const = default;
};

// RFC 4482 contact information (URIs except display_name).
struct Cipid {
  std::string display_name, card, homepage, icon, map, sound;
  bool empty() const {
    return display_name.empty() && card.empty() && homepage.empty() && icon.empty() && map.empty() &&
           sound.empty();
  }
  bool operator==(const Cipid&) const = default;
};

enum class Basic : uint8_t { kOpen, kClosed };

// A service (<tuple>).
struct Tuple {
  std::string id;
  std::optional<Basic> basic;                  // absent only when <status> carries extensions
  std::vector<std::string> status_extensions;  // raw XML of other <status> children
  std::string contact;
  std::optional<uint16_t> priority;  // contact priority in thousandths ("0.8" -> 800)
  std::vector<Note> notes;
  std::string timestamp;  // xs:dateTime as written
  std::string device_id;  // <dm:deviceID>
  std::optional<RpidValues> service_class, relationship;
  std::optional<UserInput> user_input;
  std::string rpid_class, status_icon;
  Cipid cipid;
  std::vector<std::string> extensions;
  bool operator==(const Tuple&) const = default;
};

// The human (<dm:person>), with RPID and CIPID.
struct Person {
  std::string id;
  std::optional<RpidValues> activities, mood, place_type, privacy, sphere;
  std::optional<PlaceIs> place_is;
  std::optional<TimeOffset> time_offset;
  std::optional<UserInput> user_input;
  std::string rpid_class, status_icon;
  Cipid cipid;
  std::vector<Note> notes;
  std::string timestamp;
  std::vector<std::string> extensions;
  bool operator==(const Person&) const = default;
};

// A device (<dm:device>).
struct Device {
  std::string id;
  std::string device_id;
  std::optional<UserInput> user_input;
  std::string rpid_class;
  std::vector<Note> notes;
  std::string timestamp;
  std::vector<std::string> extensions;
  bool operator==(const Device&) const = default;
};

struct PresenceDoc {
  std::string entity;
  std::vector<Tuple> tuples;
  std::vector<Note> notes;  // <presence>-level notes
  std::optional<Person> person;
  std::vector<Device> devices;
  std::vector<std::string> extensions;  // raw XML of other <presence> children (a second <person> too)
  bool operator==(const PresenceDoc&) const = default;
};

struct Limits {
  size_t max_body_bytes = 64 * 1024;  // 413
  size_t max_tuples = 32;             // 413 beyond each count limit
  size_t max_devices = 16;
  size_t max_notes = 16;      // per element
  size_t max_values = 64;     // per RPID element
  size_t max_extensions = 32; // per element
  size_t max_elements = 4096; // in the whole document
  size_t max_depth = 32;
};

// Parses and validates a PIDF body published for (or notified about)
// `expected_entity`; an empty `expected_entity` skips the entity check.
// Errors carry a SIP status (400, 413) and a reason phrase naming the fault.
Result<PresenceDoc> ParsePidf(std::string_view body, std::string_view expected_entity,
                              const Limits& limits = {});

// application/pidf+xml, UTF-8, deterministic.
std::string SerializePidf(const PresenceDoc& doc);

// True when two presentity URIs name the same presentity: sip:, sips: and
// pres: URIs of the same user@host are equal (RFC 3856, RFC 3859); the
// host is case-insensitive, the user is compared after %-decoding. Other
// URIs are compared as text.
bool SamePresentity(std::string_view a, std::string_view b);

}  // namespace parley::presence
