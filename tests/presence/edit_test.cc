// SetWatcherRule / RemoveWatcherRule / ListRules: round trips through the
// parser, other rules untouched, any prefixes, limits and errors.

#include <gtest/gtest.h>

#include <string>

#include "presence/rules/edit.h"
#include "rules_test_util.h"

namespace parley::presence::rules {
namespace {

using testing::MustParse;
using testing::Rules;

std::string Set(std::string_view doc, std::string_view watcher, SubHandling h) {
  auto r = SetWatcherRule(doc, watcher, h);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::string();
}

Decision Eval(const std::string& doc, std::string_view who) {
  return Evaluate(MustParse(doc), Watcher{who}, 0, "");
}

TEST(EditRules, SetOnAnEmptyDocumentMakesARuleset) {
  std::string doc = Set("", "sip:bob@example.com", SubHandling::kAllow);
  EXPECT_TRUE(doc.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<cr:ruleset"));
  Ruleset rs = MustParse(doc);
  ASSERT_EQ(rs.rules.size(), 1u);
  EXPECT_EQ(rs.rules[0].id.substr(0, 7), "parley-");
  ASSERT_NE(SingleWatcher(rs.rules[0]), nullptr);
  EXPECT_EQ(SingleWatcher(rs.rules[0])->uri, "sip:bob@example.com");
  Decision d = Eval(doc, "sip:bob@example.com");
  EXPECT_EQ(d.sub_handling, SubHandling::kAllow);
  EXPECT_TRUE(d.transformations.services.all);
  EXPECT_TRUE(d.transformations.persons.all);
  EXPECT_TRUE(d.transformations.devices.all);
  EXPECT_TRUE(d.transformations.all_attributes);
  EXPECT_FALSE(Eval(doc, "sip:carol@example.com").matched);
  // Whitespace only is empty too.
  EXPECT_EQ(Set(" \n", "sip:bob@example.com", SubHandling::kAllow), doc);
}

TEST(EditRules, ReplacingKeepsOneRulePerWatcherInItsPlace) {
  std::string d1 = Set("", "sip:bob@example.com", SubHandling::kAllow);
  std::string d2 = Set(d1, "sip:carol@example.com", SubHandling::kPoliteBlock);
  std::string d3 = Set(d2, "bob@EXAMPLE.com", SubHandling::kBlock);  // same watcher, written differently
  Ruleset r2 = MustParse(d2), r3 = MustParse(d3);
  ASSERT_EQ(r3.rules.size(), 2u);
  EXPECT_EQ(r3.rules[0].id, r2.rules[0].id);  // the id follows the watcher
  EXPECT_EQ(SingleWatcher(r3.rules[0])->uri, "sip:bob@EXAMPLE.com");
  EXPECT_EQ(r3.rules[0].sub_handling, SubHandling::kBlock);
  EXPECT_EQ(r3.rules[0].transformations, Transformations{});  // only allow grants anything
  EXPECT_EQ(r3.rules[1], r2.rules[1]);
  EXPECT_EQ(Eval(d3, "sip:bob@example.com").sub_handling, SubHandling::kBlock);
  EXPECT_EQ(Eval(d3, "sip:carol@example.com").sub_handling, SubHandling::kPoliteBlock);
  // Setting it again changes nothing.
  std::string d4 = Set(d3, "sip:bob@example.com", SubHandling::kBlock);
  EXPECT_EQ(Set(d4, "sip:bob@example.com", SubHandling::kBlock), d4);
  EXPECT_EQ(MustParse(Set(d3, "sips:bob@example.com", SubHandling::kConfirm)).rules.size(), 2u);
}

TEST(EditRules, SeveralRulesForTheWatcherBecomeOne) {
  std::string doc = Rules(R"(
    <cr:rule id="one"><cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions>
      <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="keep"><cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity>
      <cr:sphere value="work"/></cr:conditions><cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="two"><cr:conditions><cr:identity><cr:one id="pres:bob@example.com"/></cr:identity></cr:conditions>
      <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions></cr:rule>)");
  Ruleset rs = MustParse(Set(doc, "sip:bob@example.com", SubHandling::kPoliteBlock));
  ASSERT_EQ(rs.rules.size(), 2u);
  EXPECT_EQ(rs.rules[0].sub_handling, SubHandling::kPoliteBlock);  // in the place of "one"
  EXPECT_EQ(rs.rules[1].id, "keep");  // has another condition: not a single-watcher rule
}

TEST(EditRules, OtherRulesSurviveWithAnyPrefixes) {
  Ruleset before = MustParse(testing::kRfc5025Example);
  std::string doc = Set(testing::kRfc5025Example, "sip:bob@example.com", SubHandling::kConfirm);
  Ruleset after = MustParse(doc);
  ASSERT_EQ(after.rules.size(), 2u);
  EXPECT_EQ(after.rules[0], before.rules[0]);
  EXPECT_NE(doc.find("<cr:rule id=\"parley-"), std::string::npos);
  EXPECT_NE(doc.find("<pr:sub-handling>confirm</pr:sub-handling>"), std::string::npos);

  // Common policy as the default namespace, "pr" taken by something else.
  std::string other = R"(<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:example:not-pres-rules">
    <rule id="keep"><conditions/><actions/><pr:x/></rule></ruleset>)";
  doc = Set(other, "sip:bob@example.com", SubHandling::kAllow);
  EXPECT_NE(doc.find("xmlns:pr2=\"urn:ietf:params:xml:ns:pres-rules\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("<rule id=\"parley-"), std::string::npos) << doc;
  EXPECT_NE(doc.find("<pr2:sub-handling>allow</pr2:sub-handling>"), std::string::npos) << doc;
  after = MustParse(doc);
  ASSERT_EQ(after.rules.size(), 2u);
  EXPECT_EQ(after.rules[0].id, "keep");
  EXPECT_EQ(Eval(doc, "sip:bob@example.com").sub_handling, SubHandling::kAllow);
}

TEST(EditRules, OnlyRealPrefixesAreReused) {
  // "xmlns:cr:pr" binds no prefix (found by fuzz_pres_rules): a "pr" declaration is added.
  std::string doc = R"(<cr:ruleset xmlns:cr:pr="urn:ietf:params:xml:ns:pres-rules"
      xmlns:cr="urn:ietf:params:xml:ns:common-policy"/>)";
  std::string out = Set(doc, "sip:bob@example.com", SubHandling::kAllow);
  EXPECT_NE(out.find("<pr:sub-handling>allow</pr:sub-handling>"), std::string::npos) << out;
  EXPECT_EQ(Eval(out, "sip:bob@example.com").sub_handling, SubHandling::kAllow);
}

TEST(EditRules, RuleIdsStayUnique) {
  std::string first = Set("", "sip:bob@example.com", SubHandling::kAllow);
  std::string id = MustParse(first).rules[0].id;
  // A broader rule already holds that id: the new one gets another.
  std::string doc = Rules("<cr:rule id=\"" + id + "\"><cr:conditions/></cr:rule>");
  Ruleset rs = MustParse(Set(doc, "sip:bob@example.com", SubHandling::kAllow));
  ASSERT_EQ(rs.rules.size(), 2u);
  EXPECT_EQ(rs.rules[1].id, id + "-2");
}

TEST(EditRules, Remove) {
  std::string d = Set(Set("", "sip:bob@example.com", SubHandling::kAllow), "sip:carol@example.com",
                      SubHandling::kBlock);
  auto removed = RemoveWatcherRule(d, "pres:bob@example.com");
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  Ruleset rs = MustParse(*removed);
  ASSERT_EQ(rs.rules.size(), 1u);
  EXPECT_EQ(SingleWatcher(rs.rules[0])->uri, "sip:carol@example.com");
  EXPECT_FALSE(Eval(*removed, "sip:bob@example.com").matched);
  auto again = RemoveWatcherRule(*removed, "sip:bob@example.com");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, 404);
  EXPECT_EQ(again.error().message, "pres-rules: no rule for sip:bob@example.com");
  EXPECT_EQ(RemoveWatcherRule("", "sip:bob@example.com").error().code, 404);
}

TEST(EditRules, ListShowsWatchersAndBroaderRules) {
  std::string doc = Set(Rules(R"(
    <cr:rule id="colleagues"><cr:conditions><cr:identity><cr:many domain="example.com">
      <cr:except id="sip:eve@example.com"/></cr:many></cr:identity><cr:sphere value="work home"/></cr:conditions>
      <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="holidays"><cr:conditions><cr:validity><cr:from>2024-12-24T00:00:00Z</cr:from>
      <cr:until>2024-12-27T00:00:00Z</cr:until></cr:validity></cr:conditions></cr:rule>
    <cr:rule id="odd"><cr:conditions><x:y xmlns:x="urn:x"/></cr:conditions></cr:rule>
    <cr:rule id="all"/>)"),
                        "sip:bob@example.com", SubHandling::kAllow);
  auto list = ListRules(doc);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 5u);
  EXPECT_EQ((*list)[0].id, "colleagues");
  EXPECT_EQ((*list)[0].watcher, "");
  EXPECT_EQ((*list)[0].conditions, "domain example.com except sip:eve@example.com, sphere work|home");
  EXPECT_EQ((*list)[0].sub_handling, SubHandling::kConfirm);
  EXPECT_EQ((*list)[1].conditions, "valid 2024-12-24T00:00:00Z..2024-12-27T00:00:00Z");
  EXPECT_FALSE((*list)[1].sub_handling);
  EXPECT_EQ((*list)[2].conditions, "unknown condition (never matches)");
  EXPECT_EQ((*list)[3].conditions, "anyone");
  EXPECT_EQ((*list)[4].watcher, "sip:bob@example.com");
  EXPECT_EQ((*list)[4].sub_handling, SubHandling::kAllow);
  EXPECT_TRUE((*list)[4].provides_all);
  EXPECT_FALSE((*list)[0].provides_all);
  EXPECT_TRUE(ListRules("")->empty());
  EXPECT_EQ(ListRules("<x/>").error().code, 400);
}

TEST(EditRules, Errors) {
  auto bad_doc = SetWatcherRule("<ruleset/>", "sip:bob@example.com", SubHandling::kAllow);
  ASSERT_FALSE(bad_doc.ok());
  EXPECT_EQ(bad_doc.error().message, "pres-rules: root element is not a common-policy <ruleset>");
  auto bad_watcher = SetWatcherRule("", "sip:", SubHandling::kAllow);
  ASSERT_FALSE(bad_watcher.ok());
  EXPECT_EQ(bad_watcher.error().code, 400);
  EXPECT_EQ(bad_watcher.error().message, "pres-rules: invalid watcher URI");
  EXPECT_EQ(RemoveWatcherRule("", "<>").error().message, "pres-rules: invalid watcher URI");
  // A document at the rule limit takes no new watcher, but an existing one can change.
  Limits two;
  two.max_rules = 2;
  std::string full = Set(Set("", "sip:a@x", SubHandling::kAllow), "sip:b@x", SubHandling::kAllow);
  auto more = SetWatcherRule(full, "sip:c@x", SubHandling::kAllow, two);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.error().code, 413);
  EXPECT_TRUE(SetWatcherRule(full, "sip:b@x", SubHandling::kBlock, two).ok());
}

TEST(EditRules, OutputEscapesAndStaysWellFormed) {
  std::string doc = Rules(R"(<cr:rule id="n"><cr:conditions><cr:identity><cr:one id="sip:a%26b@x"/>
    </cr:identity></cr:conditions><x:note xmlns:x="urn:x">a &amp; b &lt; c <![CDATA[<d>]]></x:note></cr:rule>)");
  std::string out = Set(doc, "sip:o'neil@example.com", SubHandling::kConfirm);
  Ruleset rs = MustParse(out);
  ASSERT_EQ(rs.rules.size(), 2u);
  EXPECT_EQ(SingleWatcher(rs.rules[1])->uri, "sip:o'neil@example.com");
  EXPECT_EQ(Eval(out, "sip:o'neil@example.com").sub_handling, SubHandling::kConfirm);
  EXPECT_NE(out.find("a &amp; b &lt; c"), std::string::npos) << out;
}

}  // namespace
}  // namespace parley::presence::rules
