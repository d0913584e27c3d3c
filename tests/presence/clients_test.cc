// Documents shaped the way deployed SIMPLE clients publish them (reconstructed
// from their PIDF generators: the namespaces, prefixes, layout and quirks of
// each, with our own user names). Each must parse, keep what the client
// said, and survive serialize -> parse.

#include <gtest/gtest.h>

#include "presence/doc/pidf.h"
#include "pidf_test_util.h"

namespace parley::presence {
namespace {

using testing::ParseRoundTrip;

// baresip (modules/presence): CRLF line ends, default PIDF namespace,
// prefixed dm/rpid, an empty <rpid:activities/> when simply online.
constexpr std::string_view kBaresipOnline =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\r\n"
    "    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\r\n"
    "    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\r\n"
    "    entity=\"sip:alice@example.com\">\r\n"
    "  <dm:person id=\"p4159\"><rpid:activities/></dm:person>\r\n"
    "  <tuple id=\"t4109\">\r\n"
    "    <status>\r\n"
    "      <basic>open</basic>\r\n"
    "    </status>\r\n"
    "    <contact>sip:alice@192.0.2.10:5060;transport=udp</contact>\r\n"
    "  </tuple>\r\n"
    "</presence>\r\n";

constexpr std::string_view kBaresipBusy =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\r\n"
    "    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\r\n"
    "    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\r\n"
    "    entity=\"sip:alice@example.com\">\r\n"
    "  <dm:person id=\"p4159\"><rpid:activities><rpid:busy/></rpid:activities></dm:person>\r\n"
    "  <tuple id=\"t4109\">\r\n"
    "    <status>\r\n"
    "      <basic>open</basic>\r\n"
    "    </status>\r\n"
    "    <contact>sip:alice@192.0.2.10:5060;transport=udp</contact>\r\n"
    "  </tuple>\r\n"
    "</presence>\r\n";

// Linphone (liblinphone, libxml2 writer): indented, a timestamped tuple, a
// person whose id is the escaped SIP URI, a language-tagged dm:note, and
// an OMA service description in the tuple.
constexpr std::string_view kLinphone = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:bob@sip.example.org">
  <tuple id="ivbxc5">
    <status>
      <basic>open</basic>
    </status>
    <oma:service-description xmlns:oma="urn:oma:xml:prs:pidf:oma-pres">
      <oma:service-id>org.3gpp.urn:urn-7:3gpp-application.ims.iari.rcse.im</oma:service-id>
      <oma:version>1.0</oma:version>
    </oma:service-description>
    <contact>sip:bob@sip.example.org</contact>
    <timestamp>2024-03-11T09:12:54Z</timestamp>
  </tuple>
  <dm:person id="sip_3A_bob_40_sip.example.org">
    <rpid:activities>
      <rpid:on-the-phone/>
    </rpid:activities>
    <dm:note xml:lang="en">Call me later</dm:note>
  </dm:person>
</presence>
)";

// Jitsi (Java DOM transformer): one line, standalone="no", the person first,
// a status icon, and the tuple note carrying the status text.
constexpr std::string_view kJitsi =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="no"?><presence xmlns="urn:ietf:params:xml:ns:pidf" )"
    R"(xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" )"
    R"(entity="sip:carol@example.com"><dm:person id="p4853"><rpid:activities><rpid:away/></rpid:activities>)"
    R"(<rpid:status-icon>http://example.com/avatars/carol.png</rpid:status-icon></dm:person>)"
    R"(<tuple id="t7451"><status><basic>open</basic></status><contact>sip:carol@example.com</contact>)"
    R"(<note>Away</note></tuple></presence>)";

// Pidgin's SIMPLE plugin: the RFC 3863 im: status extension inside <status>.
constexpr std::string_view kPidgin = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:im="urn:ietf:params:xml:ns:pidf:im" entity="sip:dave@example.com">
<tuple id="bs35r9f">
<status>
<basic>open</basic>
<im:im>away</im:im>
</status>
<note>Gone fishing</note>
</tuple>
</presence>
)";

// eyeBeam/X-Lite era: the pre-RFC 4480 RPID drafts' namespaces, a person
// in the draft person namespace whose children use the default namespace.
constexpr std::string_view kEyebeam = R"(<?xml version='1.0' encoding='UTF-8'?>
<presence xmlns='urn:ietf:params:xml:ns:pidf'
xmlns:dm='urn:ietf:params:xml:ns:pidf:data-model'
xmlns:rpid='urn:ietf:params:xml:ns:pidf:rpid'
xmlns:c='urn:ietf:params:xml:ns:pidf:cipid'
xmlns:pp='urn:ietf:params:xml:ns:pidf:person'
xmlns:es='urn:ietf:params:xml:ns:pidf:rpid:status:rpid-status'
xmlns:ep='urn:ietf:params:xml:ns:pidf:rpid:rpid-person'
entity='sip:erin@example.com'>
<tuple id='t2dab6a6'>
<status>
<basic>open</basic>
<es:activities>
<es:activity>busy</es:activity>
</es:activities>
</status>
</tuple>
<dm:person id='p0d6f2bb'>
<rpid:activities><rpid:busy/></rpid:activities>
<c:display-name>Erin</c:display-name>
</dm:person>
<pp:person>
<status>
<ep:activities>
<ep:activity>busy</ep:activity>
</ep:activities>
</status>
</pp:person>
</presence>
)";

// A publisher that prefixes everything, PIDF included, and puts the RPID
// namespace as the default inside the person.
constexpr std::string_view kAllPrefixed = R"(<?xml version="1.0" encoding="UTF-8"?>
<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" xmlns:x="urn:ietf:params:xml:ns:pidf:data-model"
    entity="pres:frank@example.com">
  <p:tuple id="mobile"><p:status><p:basic>closed</p:basic></p:status>
    <p:contact priority="0.25">sip:frank@198.51.100.7:5062</p:contact></p:tuple>
  <x:person id="me" xmlns="urn:ietf:params:xml:ns:pidf:rpid">
    <activities><vacation/></activities>
    <mood><relieved/></mood>
    <x:note xml:lang="en">Back on Monday</x:note>
    <x:note xml:lang="de">Ab Montag wieder da</x:note>
  </x:person>
</p:presence>
)";

TEST(PidfClients, BaresipOnlineAndBusy) {
  PresenceDoc d = ParseRoundTrip(kBaresipOnline, "pres:alice@example.com");
  ASSERT_EQ(d.tuples.size(), 1u);
  EXPECT_EQ(d.tuples[0].basic, Basic::kOpen);
  EXPECT_EQ(d.tuples[0].contact, "sip:alice@192.0.2.10:5060;transport=udp");
  ASSERT_TRUE(d.person && d.person->activities);
  EXPECT_TRUE(d.person->activities->empty());
  PresenceDoc busy = ParseRoundTrip(kBaresipBusy, "sip:alice@example.com");
  EXPECT_TRUE(busy.person->activities->Has("busy"));
}

TEST(PidfClients, Linphone) {
  PresenceDoc d = ParseRoundTrip(kLinphone, "sip:bob@sip.example.org");
  EXPECT_EQ(d.tuples[0].timestamp, "2024-03-11T09:12:54Z");
  ASSERT_EQ(d.tuples[0].extensions.size(), 1u);
  EXPECT_EQ(d.tuples[0].extensions[0],
            "<oma:service-description xmlns:oma=\"urn:oma:xml:prs:pidf:oma-pres\">"
            "<oma:service-id>org.3gpp.urn:urn-7:3gpp-application.ims.iari.rcse.im</oma:service-id>"
            "<oma:version>1.0</oma:version></oma:service-description>");
  EXPECT_EQ(d.person->id, "sip_3A_bob_40_sip.example.org");
  EXPECT_TRUE(d.person->activities->Has("on-the-phone"));
  EXPECT_EQ(d.person->notes, std::vector<Note>{(Note{"en", "Call me later"})});
}

TEST(PidfClients, Jitsi) {
  PresenceDoc d = ParseRoundTrip(kJitsi, "pres:carol@example.com");
  EXPECT_TRUE(d.person->activities->Has("away"));
  EXPECT_EQ(d.person->status_icon, "http://example.com/avatars/carol.png");
  EXPECT_EQ(d.tuples[0].notes[0].text, "Away");
}

TEST(PidfClients, PidginImStatusExtension) {
  PresenceDoc d = ParseRoundTrip(kPidgin, "sip:dave@example.com");
  EXPECT_EQ(d.tuples[0].basic, Basic::kOpen);
  EXPECT_EQ(d.tuples[0].status_extensions,
            std::vector<std::string>{"<im:im xmlns:im=\"urn:ietf:params:xml:ns:pidf:im\">away</im:im>"});
  EXPECT_EQ(d.tuples[0].notes[0].text, "Gone fishing");
  EXPECT_NE(SerializePidf(d).find("<status><basic>open</basic><im:im xmlns:im="), std::string::npos);
}

TEST(PidfClients, EyebeamDraftNamespacesSurvive) {
  PresenceDoc d = ParseRoundTrip(kEyebeam, "sip:erin@example.com");
  EXPECT_EQ(d.tuples[0].status_extensions.size(), 1u);
  ASSERT_TRUE(d.person);
  EXPECT_TRUE(d.person->activities->Has("busy"));
  EXPECT_EQ(d.person->cipid.display_name, "Erin");
  ASSERT_EQ(d.extensions.size(), 1u);
  EXPECT_TRUE(d.extensions[0].starts_with(
      "<pp:person xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:ep=\"urn:ietf:params:xml:ns:pidf:rpid:rpid-person\" "
      "xmlns:pp=\"urn:ietf:params:xml:ns:pidf:person\">"))
      << d.extensions[0];
}

TEST(PidfClients, EverythingPrefixedAndRpidAsDefaultNamespace) {
  PresenceDoc d = ParseRoundTrip(kAllPrefixed, "sip:frank@example.com");
  EXPECT_EQ(d.tuples[0].basic, Basic::kClosed);
  EXPECT_EQ(d.tuples[0].priority, 250);
  EXPECT_EQ(d.person->id, "me");
  EXPECT_TRUE(d.person->activities->Has("vacation"));
  EXPECT_TRUE(d.person->mood->Has("relieved"));
  EXPECT_EQ(d.person->notes.size(), 2u);
}

TEST(PidfClients, Utf8NotesAndBom) {
  std::string body = "\xEF\xBB\xBF" + std::string(R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
      entity="sip:gaelle@example.fr"><tuple id="t"><status><basic>open</basic></status>
      <note xml:lang="fr">En réunion — de retour à 15 h ☕</note></tuple></presence>)");
  PresenceDoc d = ParseRoundTrip(body, "pres:gaelle@example.fr");
  EXPECT_EQ(d.tuples[0].notes[0].text, "En réunion — de retour à 15 h ☕");
}

}  // namespace
}  // namespace parley::presence
