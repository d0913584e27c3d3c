// RFC 5262 partial PIDF documents and the RFC 5261 patch operations they
// carry (presence/doc/pidf_diff.h, presence/doc/patch.h).

#include <gtest/gtest.h>

#include <string>

#include "presence/doc/pidf.h"
#include "presence/doc/pidf_diff.h"

namespace parley::presence {
namespace {

constexpr std::string_view kDiffEntity = "sip:alice@example.com";

// The RFC 5262 §4 shape: PIDF as the default namespace, pidf-diff prefixed.
std::string Full(std::string_view content, uint32_t version = 7) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<p:pidf-full xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\"\n"
         "    xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
         "    entity=\"pres:alice@example.com\" version=\"" +
         std::to_string(version) + "\">\n" + std::string(content) + "</p:pidf-full>\n";
}

std::string Diff(std::string_view ops, uint32_t version = 8) {
  return "<p:pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\"\n"
         "    xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\n"
         "    entity=\"sip:alice@example.com\" version=\"" +
         std::to_string(version) + "\">\n" + std::string(ops) + "</p:pidf-diff>\n";
}

constexpr std::string_view kTwoTuples =
    "  <tuple id=\"phone\">\n    <status><basic>open</basic></status>\n    <note>at my desk</note>\n  </tuple>\n"
    "  <tuple id=\"laptop\">\n    <status><basic>open</basic></status>\n  </tuple>\n"
    "  <dm:person id=\"p1\">\n    <r:activities><r:meeting/></r:activities>\n  </dm:person>\n";

// The full document as the presence agent keeps it.
std::string Base() {
  auto head = ReadPidfDiff(Full(kTwoTuples), kDiffEntity, {});
  EXPECT_TRUE(head.ok()) << head.error().message;
  return head.ok() ? head->pidf : std::string();
}

PresenceDoc Patched(std::string_view ops) {
  auto text = ApplyPidfDiff(Base(), Diff(ops), {});
  EXPECT_TRUE(text.ok()) << text.error().message;
  if (!text.ok()) return {};
  auto doc = ParsePidf(*text, kDiffEntity);
  EXPECT_TRUE(doc.ok()) << doc.error().message << "\n" << *text;
  return doc.ok() ? *doc : PresenceDoc{};
}

std::string PatchError(std::string_view ops) {
  auto text = ApplyPidfDiff(Base(), Diff(ops), {});
  EXPECT_FALSE(text.ok()) << *text;
  return text.ok() ? std::string() : std::to_string(text.error().code) + " " + text.error().message;
}

TEST(PidfDiff, AFullDocumentIsThePidfItCarries) {
  auto head = ReadPidfDiff(Full(kTwoTuples, 567), kDiffEntity, {});
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_TRUE(head->full);
  EXPECT_EQ(head->version, 567u);
  auto doc = ParsePidf(head->pidf, kDiffEntity);
  ASSERT_TRUE(doc.ok()) << doc.error().message << "\n" << head->pidf;
  ASSERT_EQ(doc->tuples.size(), 2u);
  EXPECT_EQ(doc->tuples[0].id, "phone");
  EXPECT_EQ(doc->tuples[0].basic, Basic::kOpen);
  ASSERT_TRUE(doc->person);
  ASSERT_EQ(doc->person->activities->values.size(), 1u);
  EXPECT_EQ(doc->person->activities->values[0], "meeting");

  // PIDF under a prefix and pidf-diff as the default namespace.
  std::string prefixed =
      "<pidf-full xmlns=\"urn:ietf:params:xml:ns:pidf-diff\" xmlns:x=\"urn:ietf:params:xml:ns:pidf\" "
      "entity=\"sip:alice@example.com\" version=\"1\"><x:tuple id=\"a\"><x:status><x:basic>closed</x:basic>"
      "</x:status></x:tuple></pidf-full>";
  head = ReadPidfDiff(prefixed, kDiffEntity, {});
  ASSERT_TRUE(head.ok()) << head.error().message;
  doc = ParsePidf(head->pidf, kDiffEntity);
  ASSERT_TRUE(doc.ok()) << doc.error().message << "\n" << head->pidf;
  EXPECT_EQ(doc->tuples.at(0).basic, Basic::kClosed);
}

TEST(PidfDiff, TheHeadIsChecked) {
  auto err = [](std::string_view body, std::string_view entity = kDiffEntity) {
    auto h = ReadPidfDiff(body, entity, {});
    return h.ok() ? std::string("ok") : std::to_string(h.error().code) + " " + h.error().message;
  };
  EXPECT_EQ(err(Diff("")), "ok");
  EXPECT_EQ(err(Diff(""), "sip:bob@example.com"), "400 pidf-diff: entity does not match the presentity");
  EXPECT_EQ(err("<pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf-diff\" entity=\"sip:alice@example.com\"/>"),
            "400 pidf-diff: missing or invalid version");
  EXPECT_EQ(err("<pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf-diff\" entity=\"sip:alice@example.com\" "
                "version=\"-1\"/>"),
            "400 pidf-diff: missing or invalid version");
  EXPECT_EQ(err("<pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf-diff\" version=\"1\"/>"), "400 pidf-diff: missing entity");
  EXPECT_EQ(err("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@example.com\"/>"),
            "400 pidf-diff: root element is neither <pidf-full> nor <pidf-diff>");
  EXPECT_EQ(err("<p:pidf-diff xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" version=\"1\""),
            "400 pidf-diff: not well-formed XML at offset 66");
  EXPECT_EQ(err("<!DOCTYPE x [<!ENTITY a \"b\">]>" + Diff("")), "400 pidf-diff: DOCTYPE is not allowed");
  Limits small;
  small.max_body_bytes = 100;
  EXPECT_EQ(ReadPidfDiff(Diff(""), kDiffEntity, small).error().code, 413);
  small = {};
  small.max_depth = 3;
  EXPECT_EQ(ReadPidfDiff(Full(kTwoTuples), kDiffEntity, small).error().code, 413);
}

TEST(PidfDiff, ReplaceAddAndRemoveChangeTheDocument) {
  // RFC 5262/5261: replace a text node, an element and an attribute; add a
  // tuple after another, an element appended and prepended, an attribute;
  // remove an element with the whitespace after it.
  PresenceDoc d = Patched(
      "  <p:replace sel=\"presence/tuple[@id='phone']/status/basic/text()\">closed</p:replace>\n"
      "  <p:replace sel=\"*/tuple[@id='phone']/note\"><note>on the road</note></p:replace>\n"
      "  <p:add sel=\"presence/tuple[@id='laptop']\" pos=\"after\"><tuple id=\"tablet\"><status><basic>open</basic>"
      "</status></tuple></p:add>\n"
      "  <p:add sel=\"presence/dm:person/r:activities\"><r:on-the-phone/></p:add>\n"
      "  <p:add sel=\"presence/dm:person\" pos=\"prepend\"><r:mood><r:happy/></r:mood></p:add>\n"
      "  <p:remove sel=\"presence/tuple[2]\" ws=\"before\"/>\n"
      "  <p:replace sel=\"presence/dm:person/@id\">p2</p:replace>\n");
  ASSERT_EQ(d.tuples.size(), 2u);
  EXPECT_EQ(d.tuples[0].id, "phone");
  EXPECT_EQ(d.tuples[0].basic, Basic::kClosed);
  ASSERT_EQ(d.tuples[0].notes.size(), 1u);
  EXPECT_EQ(d.tuples[0].notes[0].text, "on the road");
  EXPECT_EQ(d.tuples[1].id, "tablet");
  ASSERT_TRUE(d.person);
  EXPECT_EQ(d.person->id, "p2");
  ASSERT_EQ(d.person->activities->values.size(), 2u);
  EXPECT_EQ(d.person->activities->values[1], "on-the-phone");
  ASSERT_EQ(d.person->mood->values.size(), 1u);
  EXPECT_EQ(d.person->mood->values[0], "happy");
}

TEST(PidfDiff, SelectorsResolvePrefixesInThePatchNotTheTarget) {
  // The patch binds RPID to "x" and PIDF to "pi"; the target uses "r" and
  // the default namespace.
  std::string diff =
      "<d:pidf-diff xmlns:d=\"urn:ietf:params:xml:ns:pidf-diff\" xmlns:pi=\"urn:ietf:params:xml:ns:pidf\" "
      "xmlns:x=\"urn:ietf:params:xml:ns:pidf:rpid\" xmlns:m=\"urn:ietf:params:xml:ns:pidf:data-model\" "
      "entity=\"sip:alice@example.com\" version=\"2\">"
      "<d:remove sel=\"pi:presence/m:person/x:activities/x:meeting\"/>"
      "<d:add sel=\"pi:presence/m:person/x:activities\"><x:away/></d:add>"
      "<d:replace sel=\"pi:presence/pi:tuple[pi:note='at my desk']/pi:status\"><pi:status><pi:basic>closed"
      "</pi:basic></pi:status></d:replace>"
      "</d:pidf-diff>";
  auto text = ApplyPidfDiff(Base(), diff, {});
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto d = ParsePidf(*text, kDiffEntity);
  ASSERT_TRUE(d.ok()) << d.error().message << "\n" << *text;
  ASSERT_EQ(d->person->activities->values.size(), 1u);
  EXPECT_EQ(d->person->activities->values[0], "away");
  EXPECT_EQ(d->tuples[0].basic, Basic::kClosed);
  EXPECT_EQ(d->tuples[1].basic, Basic::kOpen);
  // The unprefixed name in a patch without a default namespace is in none.
  std::string none =
      "<d:pidf-diff xmlns:d=\"urn:ietf:params:xml:ns:pidf-diff\" entity=\"sip:alice@example.com\" version=\"2\">"
      "<d:remove sel=\"presence/tuple[1]\"/></d:pidf-diff>";
  text = ApplyPidfDiff(Base(), none, {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().message, "pidf-diff: unlocated-node: sel \"presence/tuple[1]\" matches 0 nodes");
}

TEST(PidfDiff, EveryFaultNamesItsRfc5261Error) {
  EXPECT_EQ(PatchError("<p:remove sel=\"presence/tuple\"/>"),
            "400 pidf-diff: unlocated-node: sel \"presence/tuple\" matches 2 nodes");
  EXPECT_EQ(PatchError("<p:remove sel=\"presence/tuple[@id='nope']\"/>"),
            "400 pidf-diff: unlocated-node: sel \"presence/tuple[@id='nope']\" matches 0 nodes");
  EXPECT_EQ(PatchError("<p:remove sel=\"presence\"/>"),
            "400 pidf-diff: invalid-root-element-operation: the root element cannot be removed");
  EXPECT_EQ(PatchError("<p:add sel=\"presence\" pos=\"after\"><tuple id=\"x\"/></p:add>"),
            "400 pidf-diff: invalid-root-element-operation: content beside the root element");
  EXPECT_EQ(PatchError("<p:remove sel=\"presence/tuple[1]/status/basic\" ws=\"before\"/>"),
            "400 pidf-diff: invalid-whitespace-directive: no whitespace text node there");
  EXPECT_EQ(PatchError("<p:remove sel=\"presence/tuple[1]/@id\" ws=\"after\"/>"),
            "400 pidf-diff: invalid-attribute-value: ws on an attribute");
  EXPECT_EQ(PatchError("<p:replace sel=\"presence/tuple[1]/status\">closed</p:replace>"),
            "400 pidf-diff: invalid-node-types: an element is replaced by one element");
  EXPECT_EQ(PatchError("<p:add sel=\"presence/tuple[1]\" pos=\"middle\"><note>x</note></p:add>"),
            "400 pidf-diff: invalid-attribute-value: bad pos");
  EXPECT_EQ(PatchError("<p:add sel=\"presence/tuple[1]/@id\">x</p:add>"),
            "400 pidf-diff: invalid-attribute-value: <add> selects an element, text or comment");
  EXPECT_EQ(PatchError("<p:remove sel=\"presence//tuple\"/>"),
            "400 pidf-diff: invalid-attribute-value: sel \"presence//tuple\": expected a name");
  EXPECT_EQ(PatchError("<p:remove sel=\"id('phone')\"/>"),
            "400 pidf-diff: unsupported-id-function: id() is not supported");
  EXPECT_EQ(PatchError("<p:remove sel=\"presence/q:tuple\"/>"),
            "400 pidf-diff: invalid-namespace-prefix: prefix \"q\" is not declared");
  EXPECT_EQ(PatchError("<p:remove/>"), "400 pidf-diff: invalid-attribute-value: an operation without sel");
  EXPECT_EQ(PatchError("<p:move sel=\"presence/tuple[1]\"/>"),
            "400 pidf-diff: invalid-patch-directive: <move> is not an operation");
  EXPECT_EQ(PatchError("<p:add sel=\"presence/tuple[1]\" type=\"@id\">x</p:add>"),
            "400 pidf-diff: invalid-attribute-value: the attribute exists");
  // A <pidf-full> is not a patch; elements of other namespaces are
  // extensions, skipped.
  auto full = ApplyPidfDiff(Base(), Full(""), {});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().message, "pidf-diff: a <pidf-full> is not a patch");
  EXPECT_EQ(Patched("<ext xmlns=\"urn:example:ext\" sel=\"presence\"/>").tuples.size(), 2u);
}

TEST(PidfDiff, AttributesAndNamespacesAreAddedAndRemoved) {
  auto text = ApplyPidfDiff(Base(),
                            Diff("<p:add sel=\"presence/tuple[1]/status\" type=\"namespace::e\">urn:example:e</p:add>"
                                 "<p:add sel=\"presence/tuple[1]/status\"><e:extra xmlns:e=\"urn:example:e\"/></p:add>"
                                 "<p:add sel=\"presence/tuple[2]\" type=\"@r:class\">work</p:add>"),
                            {});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_NE(text->find("xmlns:e=\"urn:example:e\""), std::string::npos) << *text;
  EXPECT_NE(text->find("r:class=\"work\""), std::string::npos) << *text;
  ASSERT_TRUE(ParsePidf(*text, kDiffEntity).ok());
  // A declaration still used cannot go.
  auto again = ApplyPidfDiff(*text, Diff("<p:remove sel=\"presence/tuple[1]/status/namespace::e\"/>"
                                         "<p:add sel=\"presence/tuple[1]/status/*[2]\" type=\"@e:a\">1</p:add>"),
                             {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "pidf-diff: invalid-namespace-prefix: prefix \"e\" is not declared");
}

TEST(PidfDiff, APatchCanMakeADocumentThatIsNotValidPidf) {
  // The caller validates the result: a patch that removes the last <basic>.
  auto text = ApplyPidfDiff(Base(), Diff("<p:remove sel=\"presence/tuple[1]/status/basic\"/>"), {});
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto doc = ParsePidf(*text, kDiffEntity);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().message, "PIDF: missing <basic>");
}

}  // namespace
}  // namespace parley::presence

namespace parley::presence {
namespace {

// Our own serialization of a document, as the notifier sends it.
std::string Ours(std::string_view content) {
  std::string body =
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
      "xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"sip:alice@example.com\">" +
      std::string(content) + "</presence>";
  auto doc = ParsePidf(body, "");
  EXPECT_TRUE(doc.ok()) << doc.error().message;
  return doc.ok() ? SerializePidf(*doc) : std::string();
}

const std::string kPhone = "<tuple id=\"phone\"><status><basic>open</basic></status></tuple>";
const std::string kPhoneClosed = "<tuple id=\"phone\"><status><basic>closed</basic></status></tuple>";
const std::string kLaptop = "<tuple id=\"laptop\"><status><basic>open</basic></status><note>typing</note></tuple>";
const std::string kPerson = "<dm:person id=\"p\"><r:activities><r:meeting/></r:activities></dm:person>";
const std::string kPersonAway = "<dm:person id=\"p\"><r:activities><r:away/></r:activities></dm:person>";
const std::string kDevice = "<dm:device id=\"d\"><dm:deviceID>urn:uuid:1</dm:deviceID></dm:device>";

// The diff from `a` to `b`, applied to `a` as a watcher does, gives `b`.
void ExpectDiffTurns(const std::string& a, const std::string& b, const char* what) {
  SCOPED_TRACE(what);
  auto diff = MakePidfDiff(a, b, 12);
  ASSERT_TRUE(diff) << a << "\n" << b;
  auto head = ReadPidfDiff(*diff, "sip:alice@example.com", {});
  ASSERT_TRUE(head.ok()) << head.error().message << "\n" << *diff;
  EXPECT_FALSE(head->full);
  EXPECT_EQ(head->version, 12u);
  auto patched = ApplyPidfDiff(a, *diff, {});
  ASSERT_TRUE(patched.ok()) << patched.error().message << "\n" << *diff;
  auto got = ParsePidf(*patched, "");
  auto want = ParsePidf(b, "");
  ASSERT_TRUE(got.ok() && want.ok()) << *patched;
  EXPECT_TRUE(*got == *want) << "diff:\n" << *diff << "\ngot:\n" << *patched << "\nwant:\n" << b;
  EXPECT_LT(diff->size(), b.size() + 200);
}

TEST(PidfDiffOfNotifier, ChangesBecomePatchesThatRebuildTheDocument) {
  std::string a = Ours(kPhone + kLaptop + kPerson);
  ExpectDiffTurns(a, Ours(kPhoneClosed + kLaptop + kPerson), "a tuple changed");
  ExpectDiffTurns(a, Ours(kPhone + kLaptop + kPersonAway), "the person changed");
  ExpectDiffTurns(a, Ours(kLaptop + kPerson), "a tuple gone");
  ExpectDiffTurns(a, Ours(kPhone + kPerson), "the last tuple gone");
  ExpectDiffTurns(Ours(kLaptop + kPerson), a, "a tuple added first");
  ExpectDiffTurns(Ours(kPhone + kPerson), a, "a tuple added after another");
  ExpectDiffTurns(a, Ours(kPhone + kLaptop + kPerson + kDevice), "a device added");
  ExpectDiffTurns(a, a, "nothing changed");
  auto same = MakePidfDiff(a, a, 3);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->find(":replace"), std::string::npos) << *same;

  // Full state when a diff cannot say it: new declarations at the root, a
  // presence-level note (no id) changed.
  EXPECT_FALSE(MakePidfDiff(Ours(kPhone), Ours(kPhone + kPerson), 1))
      << "the rpid prefix is declared only once used";
  EXPECT_FALSE(MakePidfDiff(Ours(kPhone + "<note>a</note>"), Ours(kPhone + "<note>b</note>"), 1));
}

TEST(PidfDiffOfNotifier, AFullDocumentForTheFirstNotify) {
  std::string a = Ours(kPhone + kPerson);
  std::string full = PidfFullOf(a, 0);
  auto head = ReadPidfDiff(full, "sip:alice@example.com", {});
  ASSERT_TRUE(head.ok()) << head.error().message << "\n" << full;
  EXPECT_TRUE(head->full);
  EXPECT_EQ(head->version, 0u);
  auto doc = ParsePidf(head->pidf, "");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_TRUE(*doc == *ParsePidf(a, ""));
}

}  // namespace
}  // namespace parley::presence
