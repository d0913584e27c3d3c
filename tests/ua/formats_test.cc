// The body formats and parsers of the UA: addresses, PIDF/RPID,
// watcherinfo, reginfo, pres-rules. CPIM, IMDN and isComposing are
// im/format's (tests/im).

#include <gtest/gtest.h>

#include "ua/account.h"
#include "ua/dialog_info.h"
#include "ua/pres_rules.h"
#include "ua/presence_formats.h"

namespace parley::ua {
namespace {

TEST(AccountTest, ParseAor) {
  EXPECT_EQ(ParseAor("bob@Example.COM")->Uri(), "sip:bob@example.com");
  EXPECT_EQ(ParseAor("sip:bob@example.com")->Text(), "bob@example.com");
  EXPECT_EQ(ParseAor("<sip:bob@example.com>")->user, "bob");
  EXPECT_EQ(ParseAor("bob", "example.org")->Uri(), "sip:bob@example.org");
  // GRUUs (RFC 5627): one device of bob, addressed as such.
  auto pub = ParseAor("sip:bob@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->Uri(), "sip:bob@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  EXPECT_EQ(pub->Text(), "bob@example.com");
  auto temp = ParseAor("<sip:tgruu.abc@example.com;gr>");
  ASSERT_TRUE(temp.ok());
  EXPECT_EQ(temp->Uri(), "sip:tgruu.abc@example.com;gr");
  EXPECT_NE(*temp, *ParseAor("tgruu.abc@example.com"));
  EXPECT_EQ(ParseAor("im:bob@example.com")->Uri(), "sip:bob@example.com");
  EXPECT_FALSE(ParseAor("bob").ok());
  EXPECT_FALSE(ParseAor("@example.com").ok());
}

TEST(AccountTest, ParseProxySpec) {
  auto p = ParseProxySpec("127.0.0.1:5070");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->port, 5070);
  EXPECT_EQ(p->protocol, transport::Protocol::kUdp);
  p = ParseProxySpec("sip.example.com;transport=tls");
  EXPECT_EQ(p->port, 5061);
  EXPECT_EQ(p->protocol, transport::Protocol::kTls);
  p = ParseProxySpec("[::1]:5080;transport=TCP");
  EXPECT_EQ(p->host, "::1");
  EXPECT_EQ(p->protocol, transport::Protocol::kTcp);
  EXPECT_EQ(ParseProxySpec("h:5061")->protocol, transport::Protocol::kTls);
  EXPECT_EQ(p->ToString(), "[::1]:5080;transport=tcp");
  EXPECT_FALSE(ParseProxySpec("h:99999").ok());
  EXPECT_FALSE(ParseProxySpec("h;transport=ws").ok());
  EXPECT_FALSE(ParseProxySpec("").ok());
}

TEST(PidfTest, BuildThenParse) {
  auto doc = PresenceFromStatus("away", "back at 2");
  ASSERT_TRUE(doc.ok());
  doc->entity = "sip:alice@example.com";
  auto info = ParsePidf(BuildPidf(*doc));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->entity, "sip:alice@example.com");
  EXPECT_EQ(info->basic, "open");
  ASSERT_EQ(info->activities.size(), 1u);
  EXPECT_EQ(info->activities[0], "away");
  EXPECT_EQ(info->note, "back at 2");
  EXPECT_EQ(info->Summary(), "away");
  auto closed = ParsePidf(BuildPidf(*PresenceFromStatus("closed", "")));
  EXPECT_EQ(closed->Summary(), "closed");
  EXPECT_EQ(PresenceFromStatus("dnd", "")->activities[0], "busy");
  EXPECT_EQ(PresenceFromStatus("on-the-phone", "")->activities[0], "on-the-phone");
  EXPECT_FALSE(PresenceFromStatus("sleepy", "").ok());
}

TEST(PidfTest, ParsesForeignPrefixesAndSeveralTuples) {
  // RFC 4480 §4 style with other prefixes, plus a second, open tuple.
  const char* xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
  xmlns:rp="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:someone@example.com">
  <tuple id="bs35r9"><status><basic>closed</basic></status></tuple>
  <tuple id="x"><status><basic>open</basic></status><note>phone</note></tuple>
  <dm:person id="p1"><rp:activities><rp:meeting/><rp:other>coding</rp:other></rp:activities>
  <dm:note>In a meeting</dm:note></dm:person>
</presence>)";
  auto info = ParsePidf(xml);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->basic, "open");
  ASSERT_EQ(info->activities.size(), 2u);
  EXPECT_EQ(info->activities[1], "coding");
  EXPECT_EQ(info->note, "In a meeting");
  EXPECT_EQ(info->Summary(), "meeting");
  EXPECT_FALSE(ParsePidf("<notpresence/>").ok());
  EXPECT_FALSE(ParsePidf("not xml <").ok());
}

TEST(WatcherInfoTest, FullThenPartialThenOutOfSequence) {
  WatcherInfoState s;
  ASSERT_TRUE(s.Apply(R"(<?xml version="1.0"?>
<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="0" state="full">
  <watcher-list resource="sip:alice@example.com" package="presence">
    <watcher status="active" id="sr8fdsj" duration-subscribed="509" expiration="3600" event="approved">sip:hr@example.com</watcher>
    <watcher status="pending" id="hh8juja87s997-ass7" display-name="Mr. Subscriber" event="subscribe">sip:bob@example.org</watcher>
  </watcher-list>
</watcherinfo>)")
                  .ok());
  EXPECT_EQ(s.watchers().size(), 2u);
  auto pending = s.Pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].uri, "sip:bob@example.org");
  EXPECT_EQ(pending[0].display_name, "Mr. Subscriber");
  EXPECT_EQ(pending[0].resource, "sip:alice@example.com");
  // Partial: bob approved.
  ASSERT_TRUE(s.Apply(R"(<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="1" state="partial">
  <watcher-list resource="sip:alice@example.com" package="presence">
    <watcher status="active" id="hh8juja87s997-ass7" event="approved">sip:bob@example.org</watcher>
  </watcher-list></watcherinfo>)")
                  .ok());
  EXPECT_TRUE(s.Pending().empty());
  EXPECT_EQ(s.version(), 1);
  // A gap in versions is an error.
  EXPECT_FALSE(s.Apply(R"(<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo" version="5" state="partial"/>)").ok());
}

TEST(DialogInfoTest, Rfc4235ExamplesFullThenPartial) {
  DialogInfoState s;
  // RFC 4235 §5.1 (one early dialog), with a prefix of its own choosing.
  auto full = s.Apply(R"(<?xml version="1.0"?>
<d:dialog-info xmlns:d="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:alice@example.com">
  <d:dialog id="as7d900as8" call-id="a84b4c76e66710" local-tag="1928301774" direction="initiator">
    <d:state>early</d:state>
    <d:remote><d:identity display="Bob">sip:bob@example.com</d:identity></d:remote>
  </d:dialog>
</d:dialog-info>)");
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_EQ(full->size(), 1u);
  EXPECT_TRUE(s.last_full());
  ASSERT_EQ(s.dialogs().count("as7d900as8"), 1u);
  const DialogEntry& d = s.dialogs().at("as7d900as8");
  EXPECT_EQ(d.state, "early");
  EXPECT_EQ(d.direction, "initiator");
  EXPECT_EQ(d.remote_identity, "sip:bob@example.com");
  EXPECT_EQ(d.remote_display, "Bob");
  // Partial: confirmed, then terminated (no longer kept, but named).
  ASSERT_TRUE(s.Apply(R"(<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="partial" entity="sip:alice@example.com"><dialog id="as7d900as8"><state>confirmed</state><duration>3</duration></dialog></dialog-info>)").ok());
  EXPECT_EQ(s.dialogs().at("as7d900as8").state, "confirmed");
  EXPECT_EQ(s.dialogs().at("as7d900as8").duration, 3u);
  EXPECT_FALSE(s.last_full());
  auto ended = s.Apply(R"(<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="2" state="partial" entity="sip:alice@example.com"><dialog id="as7d900as8"><state event="remote-bye" code="200">terminated</state></dialog></dialog-info>)");
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ((*ended)[0].event, "remote-bye");
  EXPECT_EQ((*ended)[0].code, 200);
  EXPECT_TRUE(s.dialogs().empty());
  // A gap in versions is an error (409); a stale full document changes nothing.
  auto gap = s.Apply(R"(<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="9" state="partial" entity="x"/>)");
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.error().code, 409);
  auto stale = s.Apply(R"(<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="x"><dialog id="z"><state>early</state></dialog></dialog-info>)");
  ASSERT_TRUE(stale.ok());
  EXPECT_TRUE(stale->empty());
  EXPECT_TRUE(s.dialogs().empty());
  // Refused: not XML, another root, a dialog without id or state, no version.
  for (const char* bad : {"not xml <", "<reginfo version=\"0\" state=\"full\"/>",
                          "<dialog-info version=\"3\" state=\"full\"><dialog><state>early</state></dialog></dialog-info>",
                          "<dialog-info version=\"3\" state=\"full\"><dialog id=\"a\"/></dialog-info>",
                          "<dialog-info state=\"full\"/>"}) {
    EXPECT_FALSE(DialogInfoState().Apply(bad).ok()) << bad;
  }
}

TEST(DialogInfoTest, PartialDocumentsDoNotGrowTheStateBeyondTheBound) {
  DialogInfoState s;
  ASSERT_TRUE(s.Apply(R"(<dialog-info version="0" state="full" entity="x"/>)").ok());
  auto one = [](size_t v) {
    return "<dialog-info version=\"" + std::to_string(v) + "\" state=\"partial\" entity=\"x\"><dialog id=\"d" +
           std::to_string(v) + "\"><state>confirmed</state></dialog></dialog-info>";
  };
  for (size_t v = 1; v <= DialogInfoState::kMaxDialogs; ++v) ASSERT_TRUE(s.Apply(one(v)).ok()) << v;
  auto over = s.Apply(one(DialogInfoState::kMaxDialogs + 1));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, 413);
  EXPECT_EQ(s.dialogs().size(), DialogInfoState::kMaxDialogs);  // unchanged
  EXPECT_EQ(s.version(), static_cast<int64_t>(DialogInfoState::kMaxDialogs));
}

TEST(RegInfoTest, Rfc3680Example) {
  auto r = ParseRegInfo(R"(<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full">
  <registration aor="sip:user@example.com" id="as9" state="active">
    <contact id="76" state="active" event="registered" duration-registered="7322" q="0.8">
      <uri>sip:user@pc887.example.com</uri></contact>
    <contact id="77" state="terminated" event="expired" duration-registered="36000">
      <uri>sip:user@university.edu</uri></contact>
  </registration>
</reginfo>)");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->full);
  ASSERT_EQ(r->contacts.size(), 2u);
  EXPECT_EQ(r->contacts[0].uri, "sip:user@pc887.example.com");
  EXPECT_EQ(r->contacts[1].event, "expired");
}

TEST(PresRulesTest, SetRuleReplacesOnlyThatWatcher) {
  auto d1 = SetPresRule("", "sip:bob@example.com", "allow");
  ASSERT_TRUE(d1.ok());
  EXPECT_NE(d1->find("sub-handling>allow<"), std::string::npos);
  EXPECT_NE(d1->find("id=\"sip:bob@example.com\""), std::string::npos);
  auto d2 = SetPresRule(*d1, "sip:carol@example.com", "polite-block");
  auto d3 = SetPresRule(*d2, "sip:bob@example.com", "block");
  ASSERT_TRUE(d3.ok());
  EXPECT_EQ(d3->find("sub-handling>allow<"), std::string::npos);
  EXPECT_NE(d3->find(">block<"), std::string::npos);
  EXPECT_NE(d3->find(">polite-block<"), std::string::npos);
  // A document written by someone else, with a default namespace, is kept.
  std::string other = R"(<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"><rule id="keep"><conditions/><actions/></rule></ruleset>)";
  auto d4 = SetPresRule(other, "sip:bob@example.com", "allow");
  ASSERT_TRUE(d4.ok());
  EXPECT_NE(d4->find("id=\"keep\""), std::string::npos);
  EXPECT_FALSE(SetPresRule("", "sip:x@y", "maybe").ok());
  EXPECT_EQ(PresRulesUri("http://h:8080/xcap/", "sip:alice@example.com"),
            "http://h:8080/xcap/pres-rules/users/sip:alice@example.com/index");
}

}  // namespace
}  // namespace parley::ua
