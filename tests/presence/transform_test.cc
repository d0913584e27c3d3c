// ApplyTransformations (RFC 5025 §3.3): what is not provided is removed,
// every transformation on its own, and the result is always valid PIDF.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "presence/rules/transform.h"
#include "rules_test_util.h"

namespace parley::presence::rules {
namespace {

using testing::ExpectValidPidf;
using testing::RichDocument;

std::vector<std::string> TupleIds(const PresenceDoc& d) {
  std::vector<std::string> ids;
  for (const auto& t : d.tuples) ids.push_back(t.id);
  return ids;
}

std::vector<std::string> DeviceIds(const PresenceDoc& d) {
  std::vector<std::string> ids;
  for (const auto& x : d.devices) ids.push_back(x.id);
  return ids;
}

// Every component, no attribute.
Transformations Components() {
  Transformations t;
  t.services.all = t.persons.all = t.devices.all = true;
  return t;
}

TEST(Transform, NothingGrantedLeavesTheBareEntity) {
  PresenceDoc out = ApplyTransformations(RichDocument(), Transformations{});
  PresenceDoc bare;
  bare.entity = "pres:alice@example.com";
  EXPECT_EQ(out, bare);
  ExpectValidPidf(out);
}

TEST(Transform, EverythingGrantedIsTheDocumentItself) {
  Transformations t = Components();
  t.all_attributes = true;
  PresenceDoc doc = RichDocument();
  EXPECT_EQ(ApplyTransformations(doc, t), doc);
}

TEST(Transform, ComponentsWithoutAttributesKeepStatusContactAndTimestamps) {
  PresenceDoc out = ApplyTransformations(RichDocument(), Components());
  // The status-only tuple's status is an unknown attribute: nothing is left to show.
  EXPECT_EQ(TupleIds(out), (std::vector<std::string>{"sip-phone", "mail", "pstn"}));
  const Tuple& phone = out.tuples[0];
  EXPECT_EQ(phone.basic, Basic::kOpen);
  EXPECT_EQ(phone.contact, "sip:alice@pc33.example.com");
  EXPECT_EQ(phone.priority, 800);
  EXPECT_EQ(phone.timestamp, "2024-05-01T12:00:00Z");
  EXPECT_TRUE(phone.notes.empty());
  EXPECT_TRUE(phone.device_id.empty());
  EXPECT_FALSE(phone.service_class);
  EXPECT_FALSE(phone.relationship);
  EXPECT_FALSE(phone.user_input);
  EXPECT_TRUE(phone.rpid_class.empty());
  EXPECT_TRUE(phone.status_icon.empty());
  EXPECT_TRUE(phone.cipid.empty());
  EXPECT_TRUE(phone.extensions.empty());
  EXPECT_EQ(out.tuples[2].basic, Basic::kClosed);
  EXPECT_TRUE(out.notes.empty());
  ASSERT_TRUE(out.person);
  Person bare_person;
  bare_person.id = "p1";
  bare_person.timestamp = "2024-05-01T12:00:00Z";
  EXPECT_EQ(*out.person, bare_person);
  ASSERT_EQ(out.devices.size(), 2u);
  EXPECT_EQ(out.devices[0].device_id, "mac:8asd7d7d70");  // a device is named by its deviceID
  EXPECT_FALSE(out.devices[0].user_input);
  EXPECT_TRUE(out.devices[0].notes.empty());
  EXPECT_TRUE(out.devices[0].extensions.empty());
  EXPECT_TRUE(out.extensions.empty());
  ExpectValidPidf(out);
}

TEST(Transform, ProvideServicesSelectors) {
  PresenceDoc doc = RichDocument();
  auto ids = [&](std::function<void(ServiceSelector&)> set) {
    Transformations t;
    set(t.services);
    PresenceDoc out = ApplyTransformations(doc, t);
    ExpectValidPidf(out);
    return TupleIds(out);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids([](ServiceSelector& s) { s.all = true; }), (V{"sip-phone", "mail", "pstn"}));
  EXPECT_EQ(ids([](ServiceSelector& s) { s.uris = {"SIP:alice@PC33.example.com"}; }), V{"sip-phone"});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.uris = {"sip:alice@pc33.example.com;transport=tcp"}; }), V{});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.uris = {"mailto:alice@example.com"}; }), V{"mail"});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.schemes = {"tel", "mailto"}; }), (V{"mail", "pstn"}));
  EXPECT_EQ(ids([](ServiceSelector& s) { s.schemes = {"sip"}; }), V{"sip-phone"});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.occurrence_ids = {"pstn", "nope"}; }), V{"pstn"});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.classes = {"home"}; }), V{"mail"});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.classes = {"work"}; }), V{"sip-phone"});
  EXPECT_EQ(ids([](ServiceSelector& s) { s.classes = {"home"}; s.occurrence_ids = {"pstn"}; }), (V{"mail", "pstn"}));
  EXPECT_EQ(ids([](ServiceSelector&) {}), V{});
}

TEST(Transform, ProvidePersonsSelectors) {
  PresenceDoc doc = RichDocument();
  auto has_person = [&](std::function<void(PersonSelector&)> set) {
    Transformations t;
    set(t.persons);
    return ApplyTransformations(doc, t).person.has_value();
  };
  EXPECT_TRUE(has_person([](PersonSelector& s) { s.all = true; }));
  EXPECT_TRUE(has_person([](PersonSelector& s) { s.occurrence_ids = {"p1"}; }));
  EXPECT_FALSE(has_person([](PersonSelector& s) { s.occurrence_ids = {"p2"}; }));
  EXPECT_TRUE(has_person([](PersonSelector& s) { s.classes = {"personal"}; }));
  EXPECT_FALSE(has_person([](PersonSelector& s) { s.classes = {"work"}; }));
  EXPECT_FALSE(has_person([](PersonSelector&) {}));
}

TEST(Transform, ProvideDevicesSelectors) {
  PresenceDoc doc = RichDocument();
  auto ids = [&](std::function<void(DeviceSelector&)> set) {
    Transformations t;
    set(t.devices);
    return DeviceIds(ApplyTransformations(doc, t));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids([](DeviceSelector& s) { s.all = true; }), (V{"d1", "d2"}));
  EXPECT_EQ(ids([](DeviceSelector& s) { s.device_ids = {"urn:uuid:2222"}; }), V{"d2"});
  EXPECT_EQ(ids([](DeviceSelector& s) { s.occurrence_ids = {"d1"}; }), V{"d1"});
  EXPECT_EQ(ids([](DeviceSelector& s) { s.classes = {"work"}; }), V{"d1"});
  EXPECT_EQ(ids([](DeviceSelector&) {}), V{});
}

// One boolean attribute permission: what appears with it (and not without).
struct AttributeCase {
  const char* name;
  bool Transformations::*member;
  std::function<bool(const PresenceDoc&)> present;
};

class TransformAttribute : public ::testing::TestWithParam<AttributeCase> {};

TEST_P(TransformAttribute, ProvidedOnlyWhenGranted) {
  const AttributeCase& c = GetParam();
  PresenceDoc doc = RichDocument();
  ASSERT_TRUE(c.present(doc));
  Transformations without = Components();
  PresenceDoc out = ApplyTransformations(doc, without);
  EXPECT_FALSE(c.present(out));
  Transformations with = Components();
  with.*c.member = true;
  out = ApplyTransformations(doc, with);
  EXPECT_TRUE(c.present(out));
  ExpectValidPidf(out);
  // Nothing else came with it.
  for (const auto& other : {&Transformations::activities, &Transformations::mood, &Transformations::place_is,
                            &Transformations::place_type, &Transformations::privacy, &Transformations::sphere,
                            &Transformations::time_offset, &Transformations::relationship,
                            &Transformations::status_icon, &Transformations::device_id, &Transformations::note,
                            &Transformations::rpid_class}) {
    if (other == c.member) continue;
    Transformations only_other = Components();
    only_other.*other = true;
    EXPECT_FALSE(c.present(ApplyTransformations(doc, only_other))) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, TransformAttribute,
    ::testing::Values(
        AttributeCase{"Activities", &Transformations::activities,
                      [](const PresenceDoc& d) { return d.person && d.person->activities.has_value(); }},
        AttributeCase{"Mood", &Transformations::mood,
                      [](const PresenceDoc& d) { return d.person && d.person->mood.has_value(); }},
        AttributeCase{"PlaceIs", &Transformations::place_is,
                      [](const PresenceDoc& d) { return d.person && d.person->place_is.has_value(); }},
        AttributeCase{"PlaceType", &Transformations::place_type,
                      [](const PresenceDoc& d) { return d.person && d.person->place_type.has_value(); }},
        AttributeCase{"Privacy", &Transformations::privacy,
                      [](const PresenceDoc& d) { return d.person && d.person->privacy.has_value(); }},
        AttributeCase{"Sphere", &Transformations::sphere,
                      [](const PresenceDoc& d) { return d.person && d.person->sphere.has_value(); }},
        AttributeCase{"TimeOffset", &Transformations::time_offset,
                      [](const PresenceDoc& d) { return d.person && d.person->time_offset.has_value(); }},
        AttributeCase{"Relationship", &Transformations::relationship,
                      [](const PresenceDoc& d) { return d.tuples[0].relationship.has_value(); }},
        AttributeCase{"StatusIcon", &Transformations::status_icon,
                      [](const PresenceDoc& d) {
                        return !d.tuples[0].status_icon.empty() && d.person && !d.person->status_icon.empty();
                      }},
        AttributeCase{"DeviceID", &Transformations::device_id,
                      [](const PresenceDoc& d) { return !d.tuples[0].device_id.empty(); }},
        AttributeCase{"Class", &Transformations::rpid_class,
                      [](const PresenceDoc& d) {
                        return !d.tuples[0].rpid_class.empty() && d.person && !d.person->rpid_class.empty() &&
                               !d.devices[0].rpid_class.empty();
                      }},
        AttributeCase{"Note", &Transformations::note,
                      [](const PresenceDoc& d) {
                        return !d.notes.empty() && !d.tuples[0].notes.empty() && d.person &&
                               !d.person->notes.empty() && !d.devices[0].notes.empty();
                      }}),
    [](const ::testing::TestParamInfo<AttributeCase>& p) { return std::string(p.param.name); });

TEST(Transform, NotesInsideRpidElementsGoWithProvideNote) {
  PresenceDoc doc = RichDocument();
  Transformations t = Components();
  t.activities = true;
  PresenceDoc out = ApplyTransformations(doc, t);
  ASSERT_TRUE(out.person->activities);
  EXPECT_EQ(out.person->activities->values, (std::vector<std::string>{"meeting"}));
  EXPECT_TRUE(out.person->activities->notes.empty());
  t.note = true;
  out = ApplyTransformations(doc, t);
  ASSERT_EQ(out.person->activities->notes.size(), 1u);
  EXPECT_EQ(out.person->activities->notes[0].text, "in a meeting");
}

TEST(Transform, UserInputLevels) {
  PresenceDoc doc = RichDocument();
  Transformations t = Components();
  t.user_input = UserInputLevel::kFalse;
  PresenceDoc out = ApplyTransformations(doc, t);
  EXPECT_FALSE(out.tuples[0].user_input);
  EXPECT_FALSE(out.person->user_input);
  EXPECT_FALSE(out.devices[0].user_input);

  t.user_input = UserInputLevel::kBare;
  out = ApplyTransformations(doc, t);
  ASSERT_TRUE(out.person->user_input);
  EXPECT_EQ(out.person->user_input->value, "idle");
  EXPECT_FALSE(out.person->user_input->idle_threshold);
  EXPECT_EQ(out.person->user_input->last_input, "");
  EXPECT_EQ(out.tuples[0].user_input->value, "active");
  EXPECT_EQ(out.devices[0].user_input->value, "active");
  ExpectValidPidf(out);

  t.user_input = UserInputLevel::kThresholds;
  out = ApplyTransformations(doc, t);
  EXPECT_EQ(out.person->user_input->idle_threshold, 300u);
  EXPECT_EQ(out.person->user_input->last_input, "");
  EXPECT_EQ(out.tuples[0].user_input->idle_threshold, 600u);

  t.user_input = UserInputLevel::kFull;
  out = ApplyTransformations(doc, t);
  EXPECT_EQ(out.person->user_input, doc.person->user_input);
  EXPECT_EQ(out.tuples[0].user_input, doc.tuples[0].user_input);
  ExpectValidPidf(out);
}

TEST(Transform, UnknownAttributesByNamespaceAndName) {
  PresenceDoc doc = RichDocument();
  Transformations t = Components();
  t.unknown_attributes = {{"urn:vendor-specific:foo-namespace", "foo"}};
  PresenceDoc out = ApplyTransformations(doc, t);
  ASSERT_EQ(out.tuples[0].extensions.size(), 1u);
  EXPECT_NE(out.tuples[0].extensions[0].find("tuple-foo"), std::string::npos);
  ASSERT_EQ(out.person->extensions.size(), 1u);
  EXPECT_NE(out.person->extensions[0].find("person-foo"), std::string::npos);
  ASSERT_EQ(out.devices[0].extensions.size(), 1u);
  ASSERT_EQ(out.extensions.size(), 1u);
  EXPECT_NE(out.extensions[0].find("presence-foo"), std::string::npos);
  // The status-only tuple stays out: its status is foo:im, not foo:foo.
  EXPECT_EQ(TupleIds(out), (std::vector<std::string>{"sip-phone", "mail", "pstn"}));
  ExpectValidPidf(out);

  t.unknown_attributes.push_back({"urn:vendor-specific:foo-namespace", "im"});
  out = ApplyTransformations(doc, t);
  ASSERT_EQ(out.tuples.size(), 4u);
  EXPECT_FALSE(out.tuples[3].basic);
  EXPECT_EQ(out.tuples[3].status_extensions.size(), 1u);
  ExpectValidPidf(out);
}

TEST(Transform, CipidAndServiceClassAreUnknownAttributes) {
  PresenceDoc doc = RichDocument();
  Transformations t = Components();
  t.unknown_attributes = {{std::string(kNsCipid), "display-name"}, {std::string(kNsRpid), "service-class"}};
  PresenceDoc out = ApplyTransformations(doc, t);
  EXPECT_EQ(out.person->cipid.display_name, "Alice");
  EXPECT_EQ(out.person->cipid.homepage, "");
  EXPECT_EQ(out.tuples[0].cipid.card, "");
  ASSERT_TRUE(out.tuples[0].service_class);
  EXPECT_EQ(out.tuples[0].service_class->values, (std::vector<std::string>{"electronic"}));
  ExpectValidPidf(out);
}

TEST(Transform, AllAttributesWithoutComponentsShowsNothing) {
  Transformations t;
  t.all_attributes = true;
  PresenceDoc out = ApplyTransformations(RichDocument(), t);
  EXPECT_TRUE(out.tuples.empty());
  EXPECT_FALSE(out.person);
  EXPECT_TRUE(out.devices.empty());
  // Presence-level notes and extensions are not in any component.
  EXPECT_EQ(out.notes.size(), 1u);
  EXPECT_EQ(out.extensions.size(), 2u);
}

TEST(Transform, RawSecondPersonGoesOnlyWithEverything) {
  auto doc = ParsePidf(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
      entity="sip:alice@example.com">
    <dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities></dm:person>
    <dm:person id="p2"><rpid:mood><rpid:sad/></rpid:mood></dm:person></presence>)", "");
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->extensions.size(), 1u);
  Transformations t = Components();
  t.activities = true;
  t.mood = true;
  EXPECT_TRUE(ApplyTransformations(*doc, t).extensions.empty());
  t.all_attributes = true;
  EXPECT_EQ(ApplyTransformations(*doc, t).extensions.size(), 1u);
}

TEST(Transform, Rfc5025ExampleAppliedToADocument) {
  Ruleset rs = testing::MustParse(testing::kRfc5025Example);
  Decision d = Evaluate(rs, Watcher{"sip:user@example.com"}, 0, "work");
  ASSERT_EQ(d.sub_handling, SubHandling::kAllow);
  PresenceDoc out = ApplyTransformations(RichDocument(), d.transformations);
  EXPECT_EQ(TupleIds(out), (std::vector<std::string>{"sip-phone", "mail"}));  // sip: and mailto: services
  ASSERT_TRUE(out.person);
  EXPECT_TRUE(out.person->activities);
  EXPECT_FALSE(out.person->mood);
  ASSERT_TRUE(out.person->user_input);
  EXPECT_FALSE(out.person->user_input->idle_threshold);  // bare
  ASSERT_EQ(out.person->extensions.size(), 1u);          // foo:foo, not the others
  EXPECT_TRUE(out.devices.empty());
  EXPECT_TRUE(out.tuples[0].notes.empty());
  ExpectValidPidf(out);
}

TEST(Transform, ExtensionNameReadsOnlyTheStartTag) {
  std::string ns, local;
  ASSERT_TRUE(ExtensionName(R"(<x:a xmlns:x="urn:a" b='>'><x:c/></x:a>)", ns, local));
  EXPECT_EQ(ns, "urn:a");
  EXPECT_EQ(local, "a");
  ASSERT_TRUE(ExtensionName(R"(<a xmlns="urn:d&amp;e"/>)", ns, local));
  EXPECT_EQ(ns, "urn:d&e");
  ASSERT_TRUE(ExtensionName(R"(<a xmlns="">text</a>)", ns, local));
  EXPECT_EQ(ns, "");
  EXPECT_FALSE(ExtensionName("<x:a>", ns, local));  // undeclared prefix
  EXPECT_FALSE(ExtensionName("<a b=\">", ns, local));
  EXPECT_FALSE(ExtensionName("text", ns, local));
  EXPECT_FALSE(ExtensionName("", ns, local));
}

}  // namespace
}  // namespace parley::presence::rules
