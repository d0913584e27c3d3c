// Compose: one test per merge rule of src/presence/doc/README.md, and the
// authorization views.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "presence/doc/compose.h"
#include "presence/doc/pidf.h"

namespace parley::presence {
namespace {

constexpr std::string_view kEntity = "pres:alice@example.com";
constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z

Publication Pub(std::string etag, int64_t at, std::string_view inner) {
  std::string body = R"(<presence xmlns="urn:ietf:params:xml:ns:pidf" )"
                     R"(xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" )"
                     R"(xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:alice@example.com">)" +
                     std::string(inner) + "</presence>";
  auto doc = ParsePidf(body, kEntity);
  EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.error().message);
  return Publication{std::move(etag), at, doc.ok() ? *doc : PresenceDoc{}};
}

std::string T(std::string_view id, std::string_view basic, std::string_view extra = "") {
  return "<tuple id=\"" + std::string(id) + "\"><status><basic>" + std::string(basic) + "</basic></status>" +
         std::string(extra) + "</tuple>";
}

std::vector<std::string> Ids(const PresenceDoc& d) {
  std::vector<std::string> ids;
  for (const auto& t : d.tuples) ids.push_back(t.id);
  return ids;
}

TEST(Compose, NoPublicationNoRegistrationIsOneClosedTuple) {
  PresenceDoc d = Compose(kEntity, {}, {}, kNow);
  ASSERT_EQ(d.tuples.size(), 1u);
  EXPECT_EQ(d.tuples[0].basic, Basic::kClosed);
  EXPECT_TRUE(d.tuples[0].contact.empty());
  EXPECT_FALSE(d.person);
  EXPECT_EQ(d.entity, kEntity);
  EXPECT_TRUE(d == Offline(kEntity));
}

TEST(Compose, RegisteredWithoutPublicationIsOpenWithOneTuplePerContact) {
  std::vector<RegisteredContact> regs = {{"sip:alice@192.0.2.1:5060", 500},
                                         {"sip:alice@192.0.2.2:5060;transport=tcp", 900},
                                         {"sip:alice@192.0.2.3:5060", std::nullopt}};
  PresenceDoc d = Compose(kEntity, {}, regs, kNow);
  ASSERT_EQ(d.tuples.size(), 3u);
  // Highest priority first; a contact without q counts as 1.0.
  EXPECT_EQ(d.tuples[0].contact, "sip:alice@192.0.2.3:5060");
  EXPECT_FALSE(d.tuples[0].priority);
  EXPECT_EQ(d.tuples[1].contact, "sip:alice@192.0.2.2:5060;transport=tcp");
  EXPECT_EQ(d.tuples[1].priority, 900);
  EXPECT_EQ(d.tuples[2].priority, 500);
  for (const auto& t : d.tuples) EXPECT_EQ(t.basic, Basic::kOpen);
  // Ids depend on the contact only, so they are stable while it stays registered.
  PresenceDoc again = Compose(kEntity, {}, std::span(regs).subspan(1), kNow + 60);
  EXPECT_EQ(again.tuples[0].id, d.tuples[0].id);
  EXPECT_EQ(again.tuples[1].id, d.tuples[1].id);
}

TEST(Compose, PublishedTuplesOverrideRegistrations) {
  // A user who publishes "closed" (to appear offline) stays offline although registered.
  std::vector<Publication> pubs = {Pub("e1", 100, T("t1", "closed"))};
  std::vector<RegisteredContact> regs = {{"sip:alice@192.0.2.1", std::nullopt}};
  PresenceDoc d = Compose(kEntity, pubs, regs, kNow);
  ASSERT_EQ(d.tuples.size(), 1u);
  EXPECT_EQ(d.tuples[0].id, "t1");
  EXPECT_EQ(d.tuples[0].basic, Basic::kClosed);
}

TEST(Compose, PersonOnlyPublicationKeepsTheRegistrationTuples) {
  std::vector<Publication> pubs = {
      Pub("e1", 100, R"(<dm:person id="p"><rpid:activities><rpid:busy/></rpid:activities></dm:person>)")};
  std::vector<RegisteredContact> regs = {{"sip:alice@192.0.2.1", std::nullopt}};
  PresenceDoc d = Compose(kEntity, pubs, regs, kNow);
  ASSERT_EQ(d.tuples.size(), 1u);
  EXPECT_EQ(d.tuples[0].basic, Basic::kOpen);
  ASSERT_TRUE(d.person);
  EXPECT_TRUE(d.person->activities->Has("busy"));
  // …and without registrations the service layer is one closed tuple.
  PresenceDoc offline = Compose(kEntity, pubs, {}, kNow);
  ASSERT_EQ(offline.tuples.size(), 1u);
  EXPECT_EQ(offline.tuples[0].basic, Basic::kClosed);
}

TEST(Compose, TuplesOfAllPublicationsAreUnitedNewestFirst) {
  std::vector<Publication> pubs = {Pub("e1", 100, T("phone", "open") + T("voicemail", "open")),
                                   Pub("e2", 200, T("desk", "closed"))};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  EXPECT_EQ(Ids(d), (std::vector<std::string>{"desk", "phone", "voicemail"}));
}

TEST(Compose, CollidingTupleIdsAreDisambiguatedTheFirstPublisherKeepsIt) {
  std::vector<Publication> pubs = {Pub("e3", 300, T("t1", "open", "<contact>sip:c@x</contact>")),
                                   Pub("e1", 100, T("t1", "open", "<contact>sip:a@x</contact>")),
                                   Pub("e2", 200, T("t1", "closed", "<contact>sip:b@x</contact>") +
                                                      T("t1-2", "open", "<contact>sip:b2@x</contact>"))};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  ASSERT_EQ(d.tuples.size(), 4u);
  std::vector<std::string> ids = Ids(d);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), 4u);
  auto by_contact = [&](std::string_view c) {
    auto it = std::find_if(d.tuples.begin(), d.tuples.end(), [&](const Tuple& t) { return t.contact == c; });
    return it == d.tuples.end() ? std::string("(none)") : it->id;
  };
  EXPECT_EQ(by_contact("sip:a@x"), "t1");
  EXPECT_EQ(by_contact("sip:b@x"), "t1-2");
  EXPECT_EQ(by_contact("sip:b2@x"), "t1-2-2");
  EXPECT_EQ(by_contact("sip:c@x"), "t1-3");
}

TEST(Compose, IdsAreUniqueAcrossPersonTuplesAndDevices) {
  std::vector<Publication> pubs = {
      Pub("e1", 100, T("x", "open") + R"(<dm:device id="x"><dm:deviceID>urn:d:1</dm:deviceID></dm:device>)"),
      Pub("e2", 200, R"(<dm:person id="x"/><dm:device id="x"><dm:deviceID>urn:d:2</dm:deviceID></dm:device>)")};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  ASSERT_TRUE(d.person);
  EXPECT_EQ(d.person->id, "x");
  EXPECT_EQ(d.tuples[0].id, "x-2");
  ASSERT_EQ(d.devices.size(), 2u);
  EXPECT_EQ(d.devices[0].device_id, "urn:d:2");
  EXPECT_EQ(d.devices[0].id, "x-4");
  EXPECT_EQ(d.devices[1].id, "x-3");
}

TEST(Compose, PersonComesFromTheNewestPublicationThatHasOne) {
  std::vector<Publication> pubs = {
      Pub("e1", 100, R"(<dm:person id="old"><rpid:activities><rpid:meal/></rpid:activities></dm:person>)"),
      Pub("e2", 200, R"(<dm:person id="new"><rpid:activities><rpid:meeting/></rpid:activities></dm:person>)"),
      Pub("e3", 300, T("t", "open"))};  // newest, but says nothing about the person
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  ASSERT_TRUE(d.person);
  EXPECT_EQ(d.person->id, "new");
  EXPECT_TRUE(d.person->activities->Has("meeting"));
}

// RFC 4827 hard state: the oldest source. Its person shows while no
// publication has one, its tuples and notes join theirs, and it hides no
// registration.
TEST(Compose, HardStateIsTheOldestSourceAndHidesNoRegistration) {
  const PresenceDoc hard =
      Pub("", 0, R"(<dm:person id="away"><rpid:activities><rpid:vacation/></rpid:activities></dm:person>)" +
                     T("vm", "open", "<contact>sip:alice-vm@example.com</contact>") + "<note>back on Monday</note>")
          .doc;
  // Alone: its person, its tuple, its note; no closed offline tuple beside it.
  PresenceDoc alone = Compose(kEntity, {}, {}, kNow, &hard);
  EXPECT_EQ(Ids(alone), (std::vector<std::string>{"vm"}));
  ASSERT_TRUE(alone.person);
  EXPECT_TRUE(alone.person->activities->Has("vacation"));
  ASSERT_EQ(alone.notes.size(), 1u);
  EXPECT_EQ(alone.notes[0].text, "back on Monday");
  // Registered: the registration's tuple too (hard tuples hide nothing).
  std::vector<RegisteredContact> regs = {{"sip:alice@192.0.2.1", std::nullopt}};
  PresenceDoc registered = Compose(kEntity, {}, regs, kNow, &hard);
  ASSERT_EQ(registered.tuples.size(), 2u);
  EXPECT_EQ(registered.tuples[0].id, "vm");
  EXPECT_EQ(registered.tuples[1].contact, "sip:alice@192.0.2.1");
  // A device publishing a person and a tuple: its person wins however old
  // the hard state's, its tuple comes first and hides the registrations.
  std::vector<Publication> pubs = {
      Pub("e1", 100, R"(<dm:person id="now"><rpid:activities><rpid:meeting/></rpid:activities></dm:person>)" +
                         T("phone", "open"))};
  PresenceDoc both = Compose(kEntity, pubs, regs, kNow, &hard);
  EXPECT_EQ(Ids(both), (std::vector<std::string>{"phone", "vm"}));
  ASSERT_TRUE(both.person);
  EXPECT_TRUE(both.person->activities->Has("meeting"));
  // A device publishing a tuple only: the hard state's person stays.
  std::vector<Publication> tuple_only = {Pub("e2", 100, T("phone", "closed"))};
  PresenceDoc person_kept = Compose(kEntity, tuple_only, regs, kNow, &hard);
  ASSERT_TRUE(person_kept.person);
  EXPECT_TRUE(person_kept.person->activities->Has("vacation"));
  EXPECT_EQ(Ids(person_kept), (std::vector<std::string>{"phone", "vm"}));
}

TEST(Compose, NotesOnePerLanguageNewestWins) {
  std::vector<Publication> pubs = {
      Pub("e1", 100, R"(<note xml:lang="en">old english</note><note xml:lang="fr">vieux</note><note>no lang</note>)"),
      Pub("e2", 200, R"(<note xml:lang="EN">new english</note><note xml:lang="en">also new</note>)")};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  EXPECT_EQ(d.notes, (std::vector<Note>{{"EN", "new english"}, {"fr", "vieux"}, {"", "no lang"}}));
  // Within one element as well.
  std::vector<Publication> one = {
      Pub("e1", 100, T("t", "open", R"(<note xml:lang="en">a</note><note xml:lang="en">b</note>)"))};
  EXPECT_EQ(Compose(kEntity, one, {}, kNow).tuples[0].notes, (std::vector<Note>{{"en", "a"}}));
}

TEST(Compose, ExpiredRpidElementsAreDropped) {
  std::vector<Publication> pubs = {Pub("e1", 100, R"(<dm:person id="p">
      <rpid:activities until="2023-11-14T22:13:20Z"><rpid:meeting/></rpid:activities>
      <rpid:mood until="2023-11-14T22:13:21Z"><rpid:happy/></rpid:mood>
      <rpid:place-is until="2020-01-01T00:00:00Z"><rpid:audio><rpid:noisy/></rpid:audio></rpid:place-is>
      <rpid:sphere from="2030-01-01T00:00:00Z"><rpid:work/></rpid:sphere></dm:person>)" +
                                                 T("t", "open", R"(<rpid:relationship until="2001-01-01T00:00:00Z"><rpid:self/></rpid:relationship>)"))};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  EXPECT_FALSE(d.person->activities);  // until == now: over
  EXPECT_TRUE(d.person->mood);
  EXPECT_FALSE(d.person->place_is);
  EXPECT_TRUE(d.person->sphere);  // a future element is announced, not dropped
  EXPECT_FALSE(d.tuples[0].relationship);
}

TEST(Compose, ExtensionsAreUnitedOnce) {
  std::string ext = R"(<x:a xmlns:x="urn:x">1</x:a>)";
  std::vector<Publication> pubs = {Pub("e1", 100, T("a", "open") + ext),
                                   Pub("e2", 200, T("b", "open") + ext + R"(<x:b xmlns:x="urn:x"/>)")};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  EXPECT_EQ(d.extensions, (std::vector<std::string>{"<x:a xmlns:x=\"urn:x\">1</x:a>", "<x:b xmlns:x=\"urn:x\"/>"}));
}

TEST(Compose, InputOrderDoesNotMatter) {
  std::vector<Publication> pubs = {Pub("e1", 100, T("t1", "open") + "<note>a</note>"),
                                   Pub("e2", 100, T("t1", "closed") + "<note>b</note>"),
                                   Pub("e3", 50, R"(<dm:person id="p"/>)")};
  std::vector<RegisteredContact> regs = {{"sip:b", 1}, {"sip:a", 1}};
  PresenceDoc first = Compose(kEntity, pubs, regs, kNow);
  std::reverse(pubs.begin(), pubs.end());
  std::reverse(regs.begin(), regs.end());
  EXPECT_TRUE(Compose(kEntity, pubs, regs, kNow) == first);
  EXPECT_EQ(SerializePidf(Compose(kEntity, {}, regs, kNow)),
            SerializePidf(Compose(kEntity, {}, std::vector<RegisteredContact>{{"sip:a", 1}, {"sip:b", 1}}, kNow)));
}

// Rule 11: an answered call adds the activity on-the-phone — to a person of
// its own, or beside what was published, never twice — and the document
// stays valid PIDF.
TEST(Compose, ACallAddsTheActivityOnThePhone) {
  std::vector<RegisteredContact> regs = {{"sip:alice@192.0.2.1", std::nullopt}};
  PresenceDoc own = Compose(kEntity, {}, regs, kNow, nullptr, /*on_the_phone=*/true);
  ASSERT_TRUE(own.person);
  EXPECT_EQ(own.person->id, "p");
  ASSERT_TRUE(own.person->activities);
  EXPECT_EQ(own.person->activities->values, (std::vector<std::string>{"on-the-phone"}));
  ASSERT_EQ(own.tuples.size(), 1u);  // the registration still makes the service layer
  EXPECT_EQ(own.tuples[0].basic, Basic::kOpen);
  auto back = ParsePidf(SerializePidf(own), "sip:alice@example.com");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == own);

  // Beside a published activity, in the published person; a tuple that
  // wanted the id "p" gets another (the person takes its id first).
  std::vector<Publication> pubs = {
      Pub("e1", 100, R"(<dm:person id="me"><rpid:activities><rpid:meeting/></rpid:activities></dm:person>)"),
      Pub("e2", 200, T("p", "open"))};
  PresenceDoc busy = Compose(kEntity, pubs, {}, kNow, nullptr, true);
  ASSERT_TRUE(busy.person);
  EXPECT_EQ(busy.person->id, "me");
  EXPECT_EQ(busy.person->activities->values, (std::vector<std::string>{"meeting", "on-the-phone"}));
  std::vector<Publication> tuple_p = {Pub("e2", 200, T("p", "open"))};
  PresenceDoc alone = Compose(kEntity, tuple_p, {}, kNow, nullptr, true);
  EXPECT_EQ(alone.person->id, "p");
  EXPECT_EQ(Ids(alone), (std::vector<std::string>{"p-2"}));
  // Published already: once.
  std::vector<Publication> said = {
      Pub("e1", 100, R"(<dm:person id="me"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person>)")};
  EXPECT_EQ(Compose(kEntity, said, {}, kNow, nullptr, true).person->activities->values.size(), 1u);
  // Without the call, nothing of it.
  EXPECT_FALSE(Compose(kEntity, {}, regs, kNow).person);
}

TEST(Compose, TheComposedDocumentIsValidPidf) {
  std::vector<Publication> pubs = {Pub("e1", 100, T("t1", "open") + R"(<dm:person id="t1"/>)"),
                                   Pub("e2", 200, T("t1", "open"))};
  PresenceDoc d = Compose(kEntity, pubs, {}, kNow);
  auto back = ParsePidf(SerializePidf(d), "sip:alice@example.com");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == d);
}

TEST(Authorization, PoliteBlockShowsOnlyClosed) {
  PresenceDoc d = PoliteBlock(kEntity);
  EXPECT_EQ(SerializePidf(d),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:alice@example.com\">\n"
            "  <tuple id=\"offline\">\n"
            "    <status><basic>closed</basic></status>\n"
            "  </tuple>\n"
            "</presence>\n");
}

TEST(Authorization, InvisibleAndPoliteBlockAreIndistinguishableFromOffline) {
  EXPECT_TRUE(Invisible(kEntity) == PoliteBlock(kEntity));
  EXPECT_TRUE(PoliteBlock(kEntity) == Compose(kEntity, {}, {}, kNow));
  EXPECT_EQ(SerializePidf(Invisible(kEntity)), SerializePidf(Compose(kEntity, {}, {}, kNow)));
}

}  // namespace
}  // namespace parley::presence
