// ParsePidf / SerializePidf: round trips, every RPID and CIPID element,
// foreign namespaces, each error with its status and reason, limits.

#include <gtest/gtest.h>

#include <string>

#include "presence/doc/pidf.h"
#include "presence/doc/timestamp.h"
#include "pidf_test_util.h"

namespace parley::presence {
namespace {

using testing::ParseRoundTrip;

// RFC 3863 §6 (the "impp" prefix is the RFC's own).
constexpr std::string_view kRfc3863Example = R"(<?xml version="1.0" encoding="UTF-8"?>
<impp:presence xmlns:impp="urn:ietf:params:xml:ns:pidf"
    xmlns:myex="http://id.example.com/presence/"
    entity="pres:someone@example.com">
  <impp:tuple id="bs35r9">
    <impp:status>
      <impp:basic>open</impp:basic>
    </impp:status>
    <myex:complex-extension>
      <myex:inner>x</myex:inner>
    </myex:complex-extension>
    <impp:contact priority="0.8">im:someone@mobilecarrier.net</impp:contact>
    <impp:note xml:lang="en">Don't Disturb Please!</impp:note>
    <impp:note xml:lang="fr">Ne derangez pas, s'il vous plait</impp:note>
    <impp:timestamp>2001-10-27T16:49:29Z</impp:timestamp>
  </impp:tuple>
  <impp:tuple id="eg92n8">
    <impp:status>
      <impp:basic>open</impp:basic>
    </impp:status>
    <impp:contact priority="1.0">mailto:someone@example.com</impp:contact>
  </impp:tuple>
  <impp:note>I'll be in Tokyo next week</impp:note>
</impp:presence>
)";

// Every RPID element (RFC 4480) in the places the RFC allows them.
constexpr std::string_view kRpidAll = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:lt="urn:ietf:params:xml:ns:location-type"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
    entity="pres:someone@example.com">
  <tuple id="bs35r9">
    <status><basic>open</basic></status>
    <dm:deviceID>urn:device:0003ba4811e3</dm:deviceID>
    <rpid:relationship><rpid:self/></rpid:relationship>
    <rpid:service-class><rpid:electronic/></rpid:service-class>
    <rpid:user-input>active</rpid:user-input>
    <rpid:class>phone</rpid:class>
    <rpid:status-icon>http://example.com/phone.png</rpid:status-icon>
    <contact priority="0.8">im:someone@mobilecarrier.net</contact>
    <timestamp>2005-10-27T16:49:29Z</timestamp>
  </tuple>
  <tuple id="ty4658">
    <status><basic>open</basic></status>
    <rpid:relationship><rpid:note>Ask her</rpid:note><rpid:assistant/></rpid:relationship>
    <contact priority="1.0">mailto:secretary@example.com</contact>
  </tuple>
  <note>I'll be in Tokyo next week</note>
  <dm:device id="pc147">
    <rpid:user-input idle-threshold="600" last-input="2004-10-21T13:20:00.000-05:00">idle</rpid:user-input>
    <rpid:class>laptop</rpid:class>
    <dm:deviceID>urn:device:0003ba4811e3</dm:deviceID>
    <dm:note>PC</dm:note>
    <dm:timestamp>2005-05-30T16:09:44+05:00</dm:timestamp>
  </dm:device>
  <dm:person id="p1">
    <rpid:activities id="a1" from="2005-05-30T12:00:00+05:00" until="2005-05-30T17:00:00+05:00">
      <rpid:note>Far away</rpid:note>
      <rpid:away/>
      <rpid:meeting/>
    </rpid:activities>
    <rpid:class>calendar</rpid:class>
    <rpid:mood><rpid:angry/><rpid:other>brooding</rpid:other></rpid:mood>
    <rpid:place-is>
      <rpid:audio><rpid:noisy/></rpid:audio>
      <rpid:video><rpid:toobright/></rpid:video>
      <rpid:text><rpid:uncomfortable/></rpid:text>
    </rpid:place-is>
    <rpid:place-type><lt:residence/></rpid:place-type>
    <rpid:privacy><rpid:audio/><rpid:video/></rpid:privacy>
    <rpid:sphere>bowling league</rpid:sphere>
    <rpid:status-icon>http://example.com/play.gif</rpid:status-icon>
    <rpid:time-offset description="Eastern" until="2005-06-30T00:00:00Z">-240</rpid:time-offset>
    <rpid:user-input last-input="2005-05-30T16:00:00Z">active</rpid:user-input>
    <dm:note>Scoring 120</dm:note>
    <dm:timestamp>2005-05-30T16:09:44+05:00</dm:timestamp>
  </dm:person>
</presence>
)";

TEST(Pidf, Rfc3863ExampleWithAnyPrefix) {
  PresenceDoc d = ParseRoundTrip(kRfc3863Example, "pres:someone@example.com");
  EXPECT_EQ(d.entity, "pres:someone@example.com");
  ASSERT_EQ(d.tuples.size(), 2u);
  const Tuple& t = d.tuples[0];
  EXPECT_EQ(t.id, "bs35r9");
  EXPECT_EQ(t.basic, Basic::kOpen);
  EXPECT_EQ(t.contact, "im:someone@mobilecarrier.net");
  EXPECT_EQ(t.priority, 800);
  ASSERT_EQ(t.notes.size(), 2u);
  EXPECT_EQ(t.notes[0], (Note{"en", "Don't Disturb Please!"}));
  EXPECT_EQ(t.notes[1], (Note{"fr", "Ne derangez pas, s'il vous plait"}));
  EXPECT_EQ(t.timestamp, "2001-10-27T16:49:29Z");
  EXPECT_EQ(d.tuples[1].priority, 1000);
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].text, "I'll be in Tokyo next week");
  // The unknown element survives, self-contained.
  ASSERT_EQ(t.extensions.size(), 1u);
  EXPECT_EQ(t.extensions[0],
            "<myex:complex-extension xmlns:myex=\"http://id.example.com/presence/\">"
            "<myex:inner>x</myex:inner></myex:complex-extension>");
}

TEST(Pidf, EveryRpidElement) {
  PresenceDoc d = ParseRoundTrip(kRpidAll);
  ASSERT_EQ(d.tuples.size(), 2u);
  const Tuple& t = d.tuples[0];
  EXPECT_EQ(t.device_id, "urn:device:0003ba4811e3");
  ASSERT_TRUE(t.relationship && t.service_class && t.user_input);
  EXPECT_EQ(t.relationship->values, std::vector<std::string>{"self"});
  EXPECT_EQ(t.service_class->values, std::vector<std::string>{"electronic"});
  EXPECT_EQ(t.user_input->value, "active");
  EXPECT_EQ(t.rpid_class, "phone");
  EXPECT_EQ(t.status_icon, "http://example.com/phone.png");
  ASSERT_TRUE(d.tuples[1].relationship);
  EXPECT_EQ(d.tuples[1].relationship->notes, std::vector<Note>{(Note{"", "Ask her"})});

  ASSERT_EQ(d.devices.size(), 1u);
  const Device& dev = d.devices[0];
  EXPECT_EQ(dev.id, "pc147");
  EXPECT_EQ(dev.device_id, "urn:device:0003ba4811e3");
  ASSERT_TRUE(dev.user_input);
  EXPECT_EQ(dev.user_input->value, "idle");
  EXPECT_EQ(dev.user_input->idle_threshold, 600u);
  EXPECT_EQ(dev.user_input->last_input, "2004-10-21T13:20:00.000-05:00");
  EXPECT_EQ(dev.rpid_class, "laptop");
  EXPECT_EQ(dev.notes[0].text, "PC");

  ASSERT_TRUE(d.person);
  const Person& p = *d.person;
  EXPECT_EQ(p.id, "p1");
  ASSERT_TRUE(p.activities);
  EXPECT_EQ(p.activities->id, "a1");
  EXPECT_EQ(p.activities->from, "2005-05-30T12:00:00+05:00");
  EXPECT_EQ(p.activities->until, "2005-05-30T17:00:00+05:00");
  EXPECT_EQ(p.activities->values, (std::vector<std::string>{"away", "meeting"}));
  EXPECT_TRUE(p.activities->Has("meeting"));
  EXPECT_EQ(p.activities->notes[0].text, "Far away");
  ASSERT_TRUE(p.mood);
  EXPECT_EQ(p.mood->values, std::vector<std::string>{"angry"});
  EXPECT_EQ(p.mood->others, std::vector<std::string>{"brooding"});
  ASSERT_TRUE(p.place_is);
  EXPECT_EQ(p.place_is->audio, "noisy");
  EXPECT_EQ(p.place_is->video, "toobright");
  EXPECT_EQ(p.place_is->text, "uncomfortable");
  ASSERT_TRUE(p.place_type);
  EXPECT_EQ(p.place_type->values, std::vector<std::string>{"residence"});
  ASSERT_TRUE(p.privacy);
  EXPECT_EQ(p.privacy->values, (std::vector<std::string>{"audio", "video"}));
  ASSERT_TRUE(p.sphere);
  EXPECT_EQ(p.sphere->text, "bowling league");
  EXPECT_EQ(p.status_icon, "http://example.com/play.gif");
  ASSERT_TRUE(p.time_offset);
  EXPECT_EQ(p.time_offset->minutes, -240);
  EXPECT_EQ(p.time_offset->description, "Eastern");
  EXPECT_EQ(p.time_offset->until, "2005-06-30T00:00:00Z");
  ASSERT_TRUE(p.user_input);
  EXPECT_EQ(p.user_input->last_input, "2005-05-30T16:00:00Z");
  EXPECT_EQ(p.rpid_class, "calendar");
  EXPECT_EQ(p.notes[0].text, "Scoring 120");
  EXPECT_EQ(p.timestamp, "2005-05-30T16:09:44+05:00");
  EXPECT_TRUE(p.extensions.empty());
}

TEST(Pidf, SphereWorkAndHomeAndEmptyActivities) {
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
      entity="sip:a@example.com"><dm:person id="p"><r:activities/><r:sphere><r:work/></r:sphere>
      <r:privacy><r:unknown/></r:privacy></dm:person></presence>)");
  ASSERT_TRUE(d.person && d.person->activities && d.person->sphere);
  EXPECT_TRUE(d.person->activities->empty());
  EXPECT_EQ(d.person->sphere->values, std::vector<std::string>{"work"});
  EXPECT_EQ(d.person->privacy->values, std::vector<std::string>{"unknown"});
  EXPECT_NE(SerializePidf(d).find("<rpid:activities/>"), std::string::npos);
}

TEST(Pidf, CipidInPersonAndTuple) {
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:c="urn:ietf:params:xml:ns:pidf:cipid"
      entity="pres:alice@example.com">
    <tuple id="t1"><status><basic>open</basic></status><c:display-name>Alice's phone</c:display-name></tuple>
    <dm:person id="p1">
      <c:card>http://example.com/~alice/card.vcd</c:card>
      <c:display-name>Alice Example</c:display-name>
      <c:homepage>http://example.com/~alice</c:homepage>
      <c:icon>http://example.com/~alice/me.png</c:icon>
      <c:map>http://example.com/~alice/map.png</c:map>
      <c:sound>http://example.com/~alice/hello.wav</c:sound>
    </dm:person></presence>)");
  EXPECT_EQ(d.tuples[0].cipid.display_name, "Alice's phone");
  const Cipid& c = d.person->cipid;
  EXPECT_EQ(c.display_name, "Alice Example");
  EXPECT_EQ(c.card, "http://example.com/~alice/card.vcd");
  EXPECT_EQ(c.homepage, "http://example.com/~alice");
  EXPECT_EQ(c.icon, "http://example.com/~alice/me.png");
  EXPECT_EQ(c.map, "http://example.com/~alice/map.png");
  EXPECT_EQ(c.sound, "http://example.com/~alice/hello.wav");
}

TEST(Pidf, SerializationIsExactAndDeterministic) {
  PresenceDoc d;
  d.entity = "pres:a&b@example.com";
  Tuple& t = d.tuples.emplace_back();
  t.id = "t1";
  t.basic = Basic::kOpen;
  t.contact = "sip:a@192.0.2.1;transport=tcp";
  t.priority = 500;
  t.notes.push_back({"en", "<fish> & \"chips\""});
  Person& p = d.person.emplace();
  p.id = "p1";
  p.activities.emplace().values = {"lunch"};
  EXPECT_EQ(SerializePidf(d),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
            "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
            "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"pres:a&amp;b@example.com\">\n"
            "  <tuple id=\"t1\">\n"
            "    <status><basic>open</basic></status>\n"
            "    <contact priority=\"0.5\">sip:a@192.0.2.1;transport=tcp</contact>\n"
            "    <note xml:lang=\"en\">&lt;fish&gt; &amp; \"chips\"</note>\n"
            "  </tuple>\n"
            "  <dm:person id=\"p1\">\n"
            "    <rpid:activities><rpid:lunch/></rpid:activities>\n"
            "  </dm:person>\n"
            "</presence>\n");
  EXPECT_EQ(SerializePidf(d), SerializePidf(d));
  auto back = ParsePidf(SerializePidf(d), "sip:a&b@example.com");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == d);
}

TEST(Pidf, ValuesThatAreNotElementNamesAreWrittenAsOther) {
  PresenceDoc d;
  d.entity = "sip:a@example.com";
  Tuple& t = d.tuples.emplace_back();
  t.id = "t";
  t.basic = Basic::kClosed;
  d.person.emplace().activities.emplace().values = {"on the <phone>"};
  std::string out = SerializePidf(d);
  EXPECT_NE(out.find("<rpid:other>on the &lt;phone&gt;</rpid:other>"), std::string::npos) << out;
  EXPECT_TRUE(ParsePidf(out, "").ok());
}

TEST(Pidf, EscapesAndWhitespaceSurviveTheRoundTrip) {
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@example.com">
    <tuple id="t&amp;1"><status><basic> closed </basic></status>
    <note>  line one&#13;&#10;line two &lt;&gt;&amp; <![CDATA[<raw>]]>  </note></tuple></presence>)");
  EXPECT_EQ(d.tuples[0].id, "t&1");
  EXPECT_EQ(d.tuples[0].basic, Basic::kClosed);
  EXPECT_EQ(d.tuples[0].notes[0].text, "line one\r\nline two <>& <raw>");
}

TEST(Pidf, InheritedLanguage) {
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xml:lang="de"
      entity="sip:a@example.com"><tuple id="t"><status><basic>open</basic></status>
      <note>Mittagspause</note><note xml:lang="en">Lunch</note></tuple><note>Hallo</note></presence>)");
  EXPECT_EQ(d.tuples[0].notes[0], (Note{"de", "Mittagspause"}));
  EXPECT_EQ(d.tuples[0].notes[1], (Note{"en", "Lunch"}));
  EXPECT_EQ(d.notes[0], (Note{"de", "Hallo"}));
  // An unknown element takes the language it inherited along.
  PresenceDoc x = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" xml:lang="de"
      entity="sip:a@example.com"><x:note xmlns:x="urn:x">Hallo</x:note></presence>)");
  EXPECT_EQ(x.extensions, std::vector<std::string>{"<x:note xml:lang=\"de\" xmlns:x=\"urn:x\">Hallo</x:note>"});
}

// --- foreign namespaces -----------------------------------------------------

TEST(PidfForeign, ElementsInOtherNamespacesSurviveEverywhere) {
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
      xmlns:caps="urn:ietf:params:xml:ns:pidf:caps" xmlns:geo="urn:example:geo"
      entity="sip:a@example.com">
    <tuple id="t1">
      <status><basic>open</basic><geo:moving speed="3">yes</geo:moving></status>
      <caps:servcaps><caps:audio>true</caps:audio><caps:message>true</caps:message></caps:servcaps>
    </tuple>
    <dm:person id="p">
      <rpid:activities><rpid:busy/><geo:skiing/></rpid:activities>
      <geo:where lat="1.5" lon="2.5"><geo:label xml:lang="en">Slope &amp; lift</geo:label></geo:where>
    </dm:person>
    <dm:device id="d"><geo:battery>80</geo:battery><dm:deviceID>urn:x:1</dm:deviceID></dm:device>
    <geo:top xmlns:geo="urn:example:other">shadowed prefix</geo:top>
  </presence>)");
  EXPECT_EQ(d.tuples[0].status_extensions,
            std::vector<std::string>{"<geo:moving xmlns:geo=\"urn:example:geo\" speed=\"3\">yes</geo:moving>"});
  EXPECT_EQ(d.tuples[0].extensions,
            std::vector<std::string>{"<caps:servcaps xmlns:caps=\"urn:ietf:params:xml:ns:pidf:caps\">"
                                     "<caps:audio>true</caps:audio><caps:message>true</caps:message>"
                                     "</caps:servcaps>"});
  EXPECT_EQ(d.person->activities->extensions,
            std::vector<std::string>{"<geo:skiing xmlns:geo=\"urn:example:geo\"/>"});
  EXPECT_EQ(d.person->extensions,
            std::vector<std::string>{"<geo:where xmlns:geo=\"urn:example:geo\" lat=\"1.5\" lon=\"2.5\">"
                                     "<geo:label xml:lang=\"en\">Slope &amp; lift</geo:label></geo:where>"});
  EXPECT_EQ(d.devices[0].extensions,
            std::vector<std::string>{"<geo:battery xmlns:geo=\"urn:example:geo\">80</geo:battery>"});
  EXPECT_EQ(d.extensions,
            std::vector<std::string>{"<geo:top xmlns:geo=\"urn:example:other\">shadowed prefix</geo:top>"});
}

TEST(PidfForeign, UnprefixedChildrenKeepTheirDefaultNamespace) {
  // An old-draft person in another namespace whose children rely on the
  // document's default (PIDF) namespace, and one in no namespace at all.
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      xmlns:pp="urn:ietf:params:xml:ns:pidf:person" entity="sip:a@example.com">
    <tuple id="t"><status><basic>open</basic></status></tuple>
    <pp:person><status><basic>open</basic></status></pp:person>
    <nons xmlns="">plain</nons>
  </presence>)");
  ASSERT_EQ(d.extensions.size(), 2u);
  EXPECT_EQ(d.extensions[0],
            "<pp:person xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:pp=\"urn:ietf:params:xml:ns:pidf:person\">"
            "<status><basic>open</basic></status></pp:person>");
  EXPECT_EQ(d.extensions[1], "<nons xmlns=\"\">plain</nons>");
  EXPECT_FALSE(d.person);
}

TEST(PidfForeign, NamespacesAreMatchedByUriNotByPrefix) {
  // "rpid" bound to something else is not RPID; the real RPID namespace
  // arrives as the default namespace of the person.
  PresenceDoc d = ParseRoundTrip(R"(<pidf:presence xmlns:pidf="urn:ietf:params:xml:ns:pidf"
      xmlns:rpid="urn:example:not-rpid" entity="sip:a@example.com">
    <pidf:tuple id="t"><pidf:status><pidf:basic>open</pidf:basic></pidf:status></pidf:tuple>
    <m:person xmlns:m="urn:ietf:params:xml:ns:pidf:data-model" xmlns="urn:ietf:params:xml:ns:pidf:rpid" id="p">
      <activities><meal/></activities><rpid:activities><rpid:sleeping/></rpid:activities>
    </m:person></pidf:presence>)");
  ASSERT_TRUE(d.person && d.person->activities);
  EXPECT_EQ(d.person->activities->values, std::vector<std::string>{"meal"});
  EXPECT_EQ(d.person->extensions.size(), 1u);
  // A <presence> outside the PIDF namespace is not a PIDF document.
  auto r = ParsePidf(R"(<presence entity="sip:a@example.com"><tuple id="t"/></presence>)", "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 400);
  EXPECT_EQ(r.error().message, "PIDF: root element is not a PIDF <presence>");
}

TEST(PidfForeign, SecondPersonAndRepeatedRpidElementsAreKeptRaw) {
  PresenceDoc d = ParseRoundTrip(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
      entity="sip:a@example.com">
    <dm:person id="p1"><rpid:activities><rpid:busy/></rpid:activities>
      <rpid:activities from="2030-01-01T10:00:00Z"><rpid:vacation/></rpid:activities></dm:person>
    <dm:person id="p2"><rpid:mood><rpid:happy/></rpid:mood></dm:person></presence>)");
  EXPECT_EQ(d.person->id, "p1");
  EXPECT_EQ(d.person->extensions.size(), 1u);
  EXPECT_EQ(d.extensions.size(), 1u);
}

// --- errors -------------------------------------------------------------------

struct BadCase {
  const char* name;
  std::string body;
  int code;
  const char* reason;
};

std::string Doc(std::string_view inner, std::string_view entity = "sip:alice@example.com") {
  return std::string(R"(<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" )"
                     R"(xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" )"
                     R"(xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity=")") +
         std::string(entity) + "\">" + std::string(inner) + "</presence>";
}

std::string Tuple1(std::string_view inside = "<status><basic>open</basic></status>") {
  return "<tuple id=\"t1\">" + std::string(inside) + "</tuple>";
}

class PidfErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(PidfErrors, StatusAndReason) {
  const BadCase& c = GetParam();
  auto r = ParsePidf(c.body, "pres:alice@example.com");
  ASSERT_FALSE(r.ok()) << c.body;
  EXPECT_EQ(r.error().code, c.code);
  EXPECT_EQ(r.error().message, c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    All, PidfErrors,
    ::testing::Values(
        BadCase{"MissingBasic", Doc(Tuple1("<status/>")), 400, "PIDF: missing <basic>"},
        BadCase{"MissingBasicWhitespace", Doc(Tuple1("<status>\n </status>")), 400, "PIDF: missing <basic>"},
        BadCase{"BadBasic", Doc(Tuple1("<status><basic>online</basic></status>")), 400,
                "PIDF: invalid <basic> value"},
        BadCase{"TwoBasics", Doc(Tuple1("<status><basic>open</basic><basic>closed</basic></status>")), 400,
                "PIDF: more than one <basic>"},
        BadCase{"NoStatus", Doc(Tuple1("<contact>sip:a@b</contact>")), 400, "PIDF: <tuple> without <status>"},
        BadCase{"NoTupleId", Doc("<tuple><status><basic>open</basic></status></tuple>"), 400,
                "PIDF: <tuple> without id"},
        BadCase{"DuplicateTupleId", Doc(Tuple1() + Tuple1()), 400, "PIDF: duplicate tuple id"},
        BadCase{"BadPriority", Doc(Tuple1("<status><basic>open</basic></status><contact priority=\"1.5\">x</contact>")),
                400, "PIDF: invalid contact priority"},
        BadCase{"BadTimestamp", Doc(Tuple1("<status><basic>open</basic></status><timestamp>yesterday</timestamp>")),
                400, "PIDF: invalid <timestamp>"},
        BadCase{"TwoDeviceIds",
                Doc("<dm:device id=\"d\"><dm:deviceID>urn:a</dm:deviceID><dm:deviceID>urn:b</dm:deviceID></dm:device>"),
                400, "PIDF: more than one <deviceID> in a device"},
        BadCase{"TwoPersonTimestamps",
                Doc("<dm:person id=\"p\"><dm:timestamp>2005-05-30T16:09:44Z</dm:timestamp>"
                    "<dm:timestamp>2005-05-30T16:09:45Z</dm:timestamp></dm:person>"),
                400, "PIDF: more than one <timestamp> in a person"},
        BadCase{"BadFrom", Doc("<dm:person id=\"p\"><rpid:activities from=\"noon\"/></dm:person>"), 400,
                "PIDF: invalid 'from' time"},
        BadCase{"BadUserInput", Doc("<dm:person id=\"p\"><rpid:user-input>asleep</rpid:user-input></dm:person>"),
                400, "PIDF: invalid <rpid:user-input>"},
        BadCase{"BadTimeOffset", Doc("<dm:person id=\"p\"><rpid:time-offset>9999</rpid:time-offset></dm:person>"),
                400, "PIDF: invalid <rpid:time-offset>"},
        BadCase{"EntityMismatch", Doc(Tuple1(), "pres:mallory@example.com"), 400,
                "PIDF entity does not match the presentity"},
        BadCase{"EntityOtherDomain", Doc(Tuple1(), "sip:alice@example.net"), 400,
                "PIDF entity does not match the presentity"},
        BadCase{"NoEntity", R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"/>)", 400,
                "PIDF: <presence> without entity"},
        BadCase{"TruncatedDocument", R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="s)", 400,
                "PIDF: not well-formed XML at offset 54"},
        BadCase{"Empty", "", 400, "PIDF: not well-formed XML at offset 0"},
        BadCase{"ControlCharacterReference", Doc(Tuple1("<status><basic>open</basic></status><note>&#1;</note>")),
                400, "PIDF: invalid character reference"},
        BadCase{"UndeclaredPrefix", Doc(Tuple1("<status><basic>open</basic><x:y/></status>")), 400,
                "PIDF: undeclared namespace prefix"},
        BadCase{"Doctype", "<!DOCTYPE presence [<!ENTITY e \"x\">]>" + Doc(Tuple1()), 400,
                "PIDF: DOCTYPE is not allowed"},
        BadCase{"NotPidf", R"(<reginfo xmlns="urn:ietf:params:xml:ns:reginfo"/>)", 400,
                "PIDF: root element is not a PIDF <presence>"}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

// The offset names the byte where the document stops being XML.
TEST(PidfNotWellFormed, ReasonNamesTheOffset) {
  auto expect_at = [](const std::string& body, size_t offset) {
    auto r = ParsePidf(body, "");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().message, "PIDF: not well-formed XML at offset " + std::to_string(offset)) << body;
  };
  std::string mismatch = Doc("<tuple id=\"t1\"><status></tuple>");
  expect_at(mismatch, mismatch.find("</tuple>") + 2);  // the name of the wrong end tag
  std::string two_roots = Doc(Tuple1()) + "<x/>";
  expect_at(two_roots, two_roots.find("<x/>"));
  std::string text_after = Doc(Tuple1()) + "junk";
  expect_at(text_after, text_after.find("junk"));
  std::string bad_utf8 = Doc(Tuple1("<status><basic>open</basic></status><note>caf\xC3</note>"));
  expect_at(bad_utf8, bad_utf8.find('\xC3'));
  std::string overlong = Doc(Tuple1("<status><basic>open</basic></status><note>\xC0\xAF</note>"));
  expect_at(overlong, overlong.find('\xC0'));
  std::string surrogate = Doc(Tuple1("<status><basic>open</basic></status><note>\xED\xA0\x80</note>"));
  expect_at(surrogate, surrogate.find('\xED'));
  std::string control = Doc(Tuple1("<status><basic>open</basic></status><note>\x01</note>"));
  expect_at(control, control.find('\x01'));
  std::string utf16 = std::string("\xFF\xFE<\0p\0", 6);
  expect_at(utf16, 0);
}

TEST(PidfLimits, BodyTooLargeIs413) {
  Limits limits;
  limits.max_body_bytes = 200;
  std::string body = Doc(Tuple1());
  auto r = ParsePidf(body, "", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "PIDF: body too large (" + std::to_string(body.size()) + " bytes, limit 200)");
  limits.max_body_bytes = body.size();
  EXPECT_TRUE(ParsePidf(body, "", limits).ok());
}

TEST(PidfLimits, TuplesNotesElementsDepthAndExtensions) {
  Limits limits;
  limits.max_tuples = 2;
  limits.max_notes = 2;
  limits.max_extensions = 1;
  limits.max_elements = 40;
  limits.max_depth = 6;
  auto expect413 = [&](const std::string& body, const char* reason) {
    auto r = ParsePidf(body, "", limits);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, 413);
    EXPECT_EQ(r.error().message, reason);
  };
  std::string t2 = "<tuple id=\"a\"><status><basic>open</basic></status></tuple>"
                   "<tuple id=\"b\"><status><basic>open</basic></status></tuple>";
  EXPECT_TRUE(ParsePidf(Doc(t2), "", limits).ok());
  expect413(Doc(t2 + Tuple1()), "PIDF: too many tuples");
  expect413(Doc("<note>1</note><note>2</note><note>3</note>"), "PIDF: too many notes");
  expect413(Doc("<x:a xmlns:x=\"urn:x\"/><x:b xmlns:x=\"urn:x\"/>"), "PIDF: too many extension elements");
  expect413(Doc("<x:a xmlns:x=\"urn:x\"><x:b><x:c><x:d><x:e><x:f/></x:e></x:d></x:c></x:b></x:a>"),
            "PIDF: elements nested too deeply");
  std::string many;
  for (int i = 0; i < 40; ++i) many += "<note/>";
  expect413(Doc(many), "PIDF: too many elements");
}

TEST(PidfLimits, DefaultsAcceptAFullDocumentAndRejectAHugeOne) {
  std::string tuples;
  for (int i = 0; i < 32; ++i) {
    tuples += "<tuple id=\"t" + std::to_string(i) + "\"><status><basic>open</basic></status></tuple>";
  }
  EXPECT_TRUE(ParsePidf(Doc(tuples), "").ok());
  auto r = ParsePidf(Doc(tuples + "<tuple id=\"x\"><status><basic>open</basic></status></tuple>"), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 413);
  std::string big = Doc("<note>" + std::string(70000, 'a') + "</note>");
  EXPECT_EQ(ParsePidf(big, "").error().code, 413);
}

// --- entity ---------------------------------------------------------------------

TEST(Entity, PresAndSipOfTheSameUserAtHostAreEqual) {
  EXPECT_TRUE(SamePresentity("pres:alice@example.com", "sip:alice@example.com"));
  EXPECT_TRUE(SamePresentity("sip:alice@EXAMPLE.com", "pres:alice@example.COM"));
  EXPECT_TRUE(SamePresentity("sips:alice@example.com", "sip:alice@example.com;transport=tcp"));
  EXPECT_TRUE(SamePresentity("sip:alice@example.com:5060", "pres:alice@example.com"));
  EXPECT_TRUE(SamePresentity("pres:al%69ce@example.com", "sip:alice@example.com"));
  EXPECT_TRUE(SamePresentity(" pres:alice@example.com\n", "sip:alice@example.com"));
  EXPECT_FALSE(SamePresentity("pres:Alice@example.com", "sip:alice@example.com"));  // users are case-sensitive
  EXPECT_FALSE(SamePresentity("pres:alice@example.net", "sip:alice@example.com"));
  EXPECT_FALSE(SamePresentity("im:alice@example.com", "sip:alice@example.com"));
  EXPECT_FALSE(SamePresentity("sip:example.com", "sip:example.com"));  // not a presentity
  EXPECT_FALSE(SamePresentity("not a uri", "sip:alice@example.com"));
  EXPECT_TRUE(SamePresentity("tel:+1-201-555-0123", "tel:+1-201-555-0123"));
}

TEST(Entity, ParseAcceptsTheEquivalentUri) {
  EXPECT_TRUE(ParsePidf(Doc(Tuple1(), "pres:alice@Example.COM"), "sip:alice@example.com").ok());
  EXPECT_TRUE(ParsePidf(Doc(Tuple1(), "sip:alice@example.com"), "pres:alice@example.com").ok());
  EXPECT_TRUE(ParsePidf(Doc(Tuple1(), "sip:mallory@example.com"), "").ok());  // no check asked for
}

// --- timestamps -------------------------------------------------------------------

TEST(Timestamp, ParseAndFormat) {
  EXPECT_EQ(ParseDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseDateTime("2001-10-27T16:49:29Z"), 1004201369);
  EXPECT_EQ(ParseDateTime("2001-10-27T18:49:29.250+02:00"), 1004201369);
  EXPECT_EQ(ParseDateTime("2001-10-27T11:49:29-05:00"), 1004201369);
  EXPECT_EQ(ParseDateTime("2001-10-27T16:49:29"), 1004201369);  // no zone: taken as UTC
  EXPECT_EQ(ParseDateTime("2024-02-29T00:00:00Z"), 1709164800);
  EXPECT_FALSE(ParseDateTime("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(ParseDateTime("2001-10-27 16:49:29Z"));
  EXPECT_FALSE(ParseDateTime("2001-10-27T16:49:29+2:00"));
  EXPECT_FALSE(ParseDateTime("2001-10-27T16:61:29Z"));
  EXPECT_FALSE(ParseDateTime("2001-10-27T16:49:29Zjunk"));
  EXPECT_EQ(FormatDateTime(1004201369), "2001-10-27T16:49:29Z");
  EXPECT_EQ(FormatDateTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatDateTime(-1), "1969-12-31T23:59:59Z");
  for (int64_t t : {951782400LL, 1709164800LL, 4102444799LL}) EXPECT_EQ(ParseDateTime(FormatDateTime(t)), t);
}

}  // namespace
}  // namespace parley::presence
