// ParseRuleset and Evaluate: the RFC 4745 and RFC 5025 examples, every
// condition, combining of several matching rules, limits and malformed
// documents with their status and reason.

#include <gtest/gtest.h>

#include <string>

#include "presence/rules/rules.h"
#include "rules_test_util.h"

namespace parley::presence::rules {
namespace {

using testing::MustParse;
using testing::Rules;
using testing::T;

Decision Eval(const Ruleset& rs, std::string_view who, std::string_view sphere = "", int64_t now = 0,
              bool authenticated = true) {
  return Evaluate(rs, Watcher{who, authenticated}, now, sphere);
}

TEST(RulesRfc5025, ExampleDocument) {
  Ruleset rs = MustParse(testing::kRfc5025Example);
  ASSERT_EQ(rs.rules.size(), 1u);
  const Rule& r = rs.rules[0];
  EXPECT_EQ(r.id, "a");
  ASSERT_EQ(r.identity.size(), 1u);
  ASSERT_EQ(r.identity[0].one.size(), 1u);
  EXPECT_EQ(r.identity[0].one[0].uri, "sip:user@example.com");
  EXPECT_EQ(r.spheres, (std::vector<std::vector<std::string>>{{"work"}}));
  EXPECT_EQ(r.sub_handling, SubHandling::kAllow);
  const Transformations& t = r.transformations;
  EXPECT_FALSE(t.services.all);
  EXPECT_EQ(t.services.schemes, (std::vector<std::string>{"sip", "mailto"}));
  EXPECT_TRUE(t.persons.all);
  EXPECT_FALSE(t.devices.all);
  EXPECT_TRUE(t.activities);
  EXPECT_FALSE(t.mood);
  EXPECT_EQ(t.user_input, UserInputLevel::kBare);
  EXPECT_EQ(t.unknown_attributes, (std::vector<UnknownAttribute>{{"urn:vendor-specific:foo-namespace", "foo"}}));
  EXPECT_FALSE(t.all_attributes);

  // The rule holds for that user while the presentity is at work.
  Decision d = Eval(rs, "sip:user@example.com", "work");
  EXPECT_TRUE(d.matched);
  EXPECT_EQ(d.sub_handling, SubHandling::kAllow);
  EXPECT_EQ(d.matched_rules, (std::vector<uint32_t>{0}));
  EXPECT_EQ(d.transformations, t);
  EXPECT_FALSE(Eval(rs, "sip:user@example.com", "home").matched);
  EXPECT_FALSE(Eval(rs, "sip:user@example.com", "").matched);
  EXPECT_FALSE(Eval(rs, "sip:other@example.com", "work").matched);
}

TEST(RulesRfc4745, Example1AllConditions) {
  Ruleset rs = MustParse(testing::kRfc4745Example1);
  ASSERT_EQ(rs.rules.size(), 1u);
  const Rule& r = rs.rules[0];
  ASSERT_EQ(r.validity.size(), 1u);
  ASSERT_EQ(r.validity[0].size(), 1u);
  EXPECT_EQ(r.validity[0][0].from, T("2003-12-24T16:00:00Z"));
  EXPECT_EQ(r.validity[0][0].until, T("2003-12-24T18:00:00Z"));
  EXPECT_FALSE(r.sub_handling);

  const int64_t inside = T("2003-12-24T17:30:00Z");
  for (const char* who : {"sip:alice@example.com", "tel:+1-212-555-1234", "mailto:bob@example.net"}) {
    Decision d = Eval(rs, who, "work", inside);
    EXPECT_TRUE(d.matched) << who;
    EXPECT_FALSE(d.sub_handling) << "no rule says: the caller's default applies";
  }
  EXPECT_FALSE(Eval(rs, "sip:alice@example.com", "work", T("2003-12-24T15:59:59Z")).matched);
  EXPECT_FALSE(Eval(rs, "sip:alice@example.com", "home", inside).matched);
  EXPECT_FALSE(Eval(rs, "tel:+1-212-555-9999", "work", inside).matched);
}

TEST(RulesRfc4745, Example2DomainWithExceptions) {
  Ruleset rs = MustParse(testing::kRfc4745Example2);
  EXPECT_TRUE(Eval(rs, "sip:carol@example.com", "work").matched);
  EXPECT_TRUE(Eval(rs, "sip:carol@EXAMPLE.COM", "work").matched);
  EXPECT_FALSE(Eval(rs, "sip:alice@example.com", "work").matched);
  EXPECT_FALSE(Eval(rs, "sips:bob@example.com", "work").matched);
  EXPECT_FALSE(Eval(rs, "sip:carol@example.org", "work").matched);
  EXPECT_FALSE(Eval(rs, "sip:carol@sub.example.com", "work").matched);
  EXPECT_FALSE(Eval(rs, "sip:carol@example.com", "work", 0, /*authenticated=*/false).matched);
}

TEST(Rules, AnyPrefixGivesTheSameModel) {
  Ruleset a = MustParse(testing::kRfc5025Example);
  Ruleset b = MustParse(R"(<ruleset xmlns="urn:ietf:params:xml:ns:common-policy">
    <rule id="a"><conditions><identity><one id="sip:user@example.com"/></identity><sphere value="work"/></conditions>
    <actions><sub-handling xmlns="urn:ietf:params:xml:ns:pres-rules">allow</sub-handling></actions>
    <transformations xmlns:x="urn:ietf:params:xml:ns:pres-rules">
      <x:provide-services><x:service-uri-scheme>SIP</x:service-uri-scheme>
        <x:service-uri-scheme>mailto</x:service-uri-scheme></x:provide-services>
      <x:provide-persons><x:all-persons/></x:provide-persons>
      <x:provide-activities> 1 </x:provide-activities>
      <x:provide-user-input>bare</x:provide-user-input>
      <x:provide-unknown-attribute ns="urn:vendor-specific:foo-namespace" name="foo">true</x:provide-unknown-attribute>
    </transformations></rule></ruleset>)");
  EXPECT_EQ(a, b);
}

TEST(Rules, IdentitiesCompareLikePresentities) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:conditions><cr:identity><cr:one id="bob@example.com"/>
    </cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>)"));
  EXPECT_EQ(rs.rules[0].identity[0].one[0].uri, "sip:bob@example.com");
  for (const char* who : {"sip:bob@example.com", "sips:bob@EXAMPLE.com", "pres:bob@example.com",
                          "sip:bob@example.com;transport=tcp", "sip:%62ob@example.com", "bob@example.com",
                          "sip:bob@example.com:5060"}) {
    EXPECT_EQ(Eval(rs, who).sub_handling, SubHandling::kAllow) << who;
  }
  for (const char* who : {"sip:bob@example.org", "sip:bobby@example.com", "sip:BOB@example.com",
                          "sip:example.com", "tel:+123", "not a uri"}) {
    EXPECT_FALSE(Eval(rs, who).matched) << who;
  }
}

TEST(Rules, ManyWithoutDomainIsAnyAuthenticatedIdentity) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:conditions><cr:identity><cr:many>
      <cr:except domain="Spam.example"/><cr:except id="sip:eve@example.com"/></cr:many></cr:identity>
    </cr:conditions><cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions></cr:rule>)"));
  EXPECT_EQ(rs.rules[0].identity[0].many[0].except_domains, (std::vector<std::string>{"spam.example"}));
  EXPECT_EQ(Eval(rs, "sip:bob@example.com").sub_handling, SubHandling::kConfirm);
  EXPECT_TRUE(Eval(rs, "tel:+1-212-555-1234").matched);
  EXPECT_FALSE(Eval(rs, "sip:anyone@spam.example").matched);
  EXPECT_FALSE(Eval(rs, "sip:eve@example.com").matched);
  EXPECT_FALSE(Eval(rs, "sip:bob@example.com", "", 0, /*authenticated=*/false).matched);
}

TEST(Rules, NoConditionsMatchesEveryoneEvenAnonymous) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:conditions/><cr:actions>
    <pr:sub-handling>polite-block</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="bare"/>)"));
  Decision d = Eval(rs, "sip:anonymous@anonymous.invalid", "", 0, false);
  EXPECT_TRUE(d.matched);
  EXPECT_EQ(d.sub_handling, SubHandling::kPoliteBlock);
  EXPECT_EQ(d.matched_rules, (std::vector<uint32_t>{0, 1}));
}

TEST(Rules, EmptyIdentityMatchesNobody) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:conditions><cr:identity/></cr:conditions></cr:rule>)"));
  EXPECT_FALSE(Eval(rs, "sip:bob@example.com").matched);
}

TEST(Rules, UnknownConditionNeverMatches) {
  Ruleset rs = MustParse(Rules(R"(
    <cr:rule id="foreign"><cr:conditions><x:in-contacts xmlns:x="urn:example:x"/></cr:conditions>
      <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="future-cp"><cr:conditions><cr:identity><cr:many/></cr:identity><cr:moon-phase value="full"/>
      </cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="odd-identity"><cr:conditions><cr:identity><x:group xmlns:x="urn:example:x" name="friends"/>
      </cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="odd-many"><cr:conditions><cr:identity><cr:many><x:unless xmlns:x="urn:example:x"/></cr:many>
      </cr:identity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="known"><cr:conditions/><cr:actions><pr:sub-handling>confirm</pr:sub-handling>
      <x:notify-me xmlns:x="urn:example:x"/><pr:future-action/></cr:actions>
      <cr:transformations><x:blur xmlns:x="urn:example:x"/><pr:provide-horoscope>true</pr:provide-horoscope>
      <pr:provide-mood>true</pr:provide-mood></cr:transformations></cr:rule>)"));
  EXPECT_TRUE(rs.rules[0].unknown_condition);
  EXPECT_TRUE(rs.rules[1].unknown_condition);
  EXPECT_EQ(rs.rules[2].identity[0].unknown, 1u);
  EXPECT_EQ(rs.rules[3].identity[0].unknown, 1u);
  Decision d = Eval(rs, "sip:bob@example.com");
  EXPECT_EQ(d.matched_rules, (std::vector<uint32_t>{4}));
  EXPECT_EQ(d.sub_handling, SubHandling::kConfirm);  // unknown actions are ignored
  Transformations mood_only;
  mood_only.mood = true;  // unknown transformations are ignored
  EXPECT_EQ(d.transformations, mood_only);
}

TEST(Rules, ValidityIntervals) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:conditions><cr:validity>
      <cr:from>2024-01-01T00:00:00Z</cr:from><cr:until>2024-01-02T00:00:00Z</cr:until>
      <cr:from>2024-02-01T09:00:00-05:00</cr:from><cr:until>2024-02-01T17:00:00.500-05:00</cr:until>
    </cr:validity></cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>)"));
  ASSERT_EQ(rs.rules[0].validity[0].size(), 2u);
  EXPECT_TRUE(Eval(rs, "sip:b@x", "", T("2024-01-01T00:00:00Z")).matched);  // from: inclusive
  EXPECT_TRUE(Eval(rs, "sip:b@x", "", T("2024-01-01T23:59:59Z")).matched);
  EXPECT_FALSE(Eval(rs, "sip:b@x", "", T("2024-01-02T00:00:00Z")).matched);  // until: exclusive
  EXPECT_FALSE(Eval(rs, "sip:b@x", "", T("2023-12-31T23:59:59Z")).matched);
  EXPECT_TRUE(Eval(rs, "sip:b@x", "", T("2024-02-01T14:00:00Z")).matched);
  EXPECT_TRUE(Eval(rs, "sip:b@x", "", T("2024-02-01T21:59:59Z")).matched);
  EXPECT_FALSE(Eval(rs, "sip:b@x", "", T("2024-02-01T22:00:00Z")).matched);
}

TEST(Rules, SphereTokens) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:conditions><cr:sphere value=" work  home "/>
    </cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions></cr:rule>
    <cr:rule id="never"><cr:conditions><cr:sphere value=""/></cr:conditions></cr:rule>)"));
  EXPECT_EQ(rs.rules[0].spheres[0], (std::vector<std::string>{"work", "home"}));
  EXPECT_EQ(Eval(rs, "sip:b@x", "work").matched_rules, (std::vector<uint32_t>{0}));
  EXPECT_TRUE(Eval(rs, "sip:b@x", "home").matched);
  EXPECT_FALSE(Eval(rs, "sip:b@x", "travel").matched);
  EXPECT_FALSE(Eval(rs, "sip:b@x", "Work").matched);
  EXPECT_FALSE(Eval(rs, "sip:b@x", "").matched);
}

TEST(Rules, NoMatchingRuleGrantsNothingAndSaysSo) {
  Ruleset rs = MustParse(testing::kRfc5025Example);
  Decision d = Eval(rs, "sip:stranger@example.org", "work");
  EXPECT_FALSE(d.matched);
  EXPECT_FALSE(d.sub_handling);
  EXPECT_TRUE(d.matched_rules.empty());
  EXPECT_EQ(d.transformations, Transformations{});
  EXPECT_FALSE(Eval(Ruleset{}, "sip:bob@example.com").matched);
}

TEST(Rules, CombiningTakesTheMaximumAndTheUnion) {
  Ruleset rs = MustParse(Rules(R"(
    <cr:rule id="domain"><cr:conditions><cr:identity><cr:many domain="example.com"/></cr:identity></cr:conditions>
      <cr:actions><pr:sub-handling>confirm</pr:sub-handling></cr:actions>
      <cr:transformations><pr:provide-mood>true</pr:provide-mood>
        <pr:provide-services><pr:class>work</pr:class></pr:provide-services>
        <pr:provide-user-input>full</pr:provide-user-input></cr:transformations></cr:rule>
    <cr:rule id="bob"><cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions>
      <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>
      <cr:transformations><pr:provide-mood>false</pr:provide-mood>
        <pr:provide-services><pr:class>home</pr:class><pr:class>work</pr:class></pr:provide-services>
        <pr:provide-user-input>thresholds</pr:provide-user-input>
        <pr:provide-unknown-attribute ns="urn:x" name="y">true</pr:provide-unknown-attribute></cr:transformations></cr:rule>
    <cr:rule id="everyone"><cr:conditions><cr:identity><cr:many/></cr:identity></cr:conditions>
      <cr:actions><pr:sub-handling>block</pr:sub-handling></cr:actions>
      <cr:transformations><pr:provide-activities>true</pr:provide-activities>
        <pr:provide-unknown-attribute ns="urn:x" name="z">false</pr:provide-unknown-attribute></cr:transformations></cr:rule>)"));
  Decision bob = Eval(rs, "sip:bob@example.com");
  EXPECT_EQ(bob.matched_rules, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(bob.sub_handling, SubHandling::kAllow);  // max(confirm, allow, block)
  EXPECT_TRUE(bob.transformations.mood);             // true OR false
  EXPECT_TRUE(bob.transformations.activities);
  EXPECT_EQ(bob.transformations.services.classes, (std::vector<std::string>{"work", "home"}));
  EXPECT_EQ(bob.transformations.user_input, UserInputLevel::kFull);  // max(full, thresholds)
  EXPECT_EQ(bob.transformations.unknown_attributes, (std::vector<UnknownAttribute>{{"urn:x", "y"}}));

  Decision carol = Eval(rs, "sip:carol@example.com");
  EXPECT_EQ(carol.sub_handling, SubHandling::kConfirm);
  EXPECT_EQ(carol.transformations.user_input, UserInputLevel::kFull);
  Decision dave = Eval(rs, "sip:dave@example.org");
  EXPECT_EQ(dave.sub_handling, SubHandling::kBlock);
  EXPECT_FALSE(dave.transformations.mood);
  EXPECT_TRUE(dave.transformations.activities);

  // The order of rules does not matter.
  Ruleset reversed = rs;
  std::reverse(reversed.rules.begin(), reversed.rules.end());
  EXPECT_EQ(Eval(reversed, "sip:bob@example.com").sub_handling, SubHandling::kAllow);
}

TEST(Rules, SubHandlingNamesAndOrder) {
  for (auto h : {SubHandling::kBlock, SubHandling::kConfirm, SubHandling::kPoliteBlock, SubHandling::kAllow}) {
    EXPECT_EQ(ParseSubHandling(SubHandlingName(h)), h);
  }
  EXPECT_LT(SubHandling::kBlock, SubHandling::kConfirm);
  EXPECT_LT(SubHandling::kConfirm, SubHandling::kPoliteBlock);
  EXPECT_LT(SubHandling::kPoliteBlock, SubHandling::kAllow);
  EXPECT_FALSE(ParseSubHandling("Allow"));
}

TEST(Rules, EveryTransformationElementParses) {
  Ruleset rs = MustParse(Rules(R"(<cr:rule id="r"><cr:transformations xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model">
    <pr:provide-services><pr:service-uri>sip:alice@pc33.example.com</pr:service-uri>
      <pr:service-uri-scheme>tel</pr:service-uri-scheme><pr:occurrence-id>t1</pr:occurrence-id>
      <pr:class>work</pr:class></pr:provide-services>
    <pr:provide-persons><pr:occurrence-id>p1</pr:occurrence-id><pr:class>personal</pr:class></pr:provide-persons>
    <pr:provide-devices><pr:deviceID>mac:1</pr:deviceID><dm:deviceID>mac:2</dm:deviceID>
      <pr:occurrence-id>d1</pr:occurrence-id><pr:class>work</pr:class></pr:provide-devices>
    <pr:provide-activities>true</pr:provide-activities><pr:provide-class>true</pr:provide-class>
    <pr:provide-deviceID>true</pr:provide-deviceID><pr:provide-mood>true</pr:provide-mood>
    <pr:provide-place-is>true</pr:provide-place-is><pr:provide-place-type>true</pr:provide-place-type>
    <pr:provide-privacy>true</pr:provide-privacy><pr:provide-relationship>true</pr:provide-relationship>
    <pr:provide-sphere>true</pr:provide-sphere><pr:provide-status-icon>true</pr:provide-status-icon>
    <pr:provide-time-offset>true</pr:provide-time-offset><pr:provide-user-input>thresholds</pr:provide-user-input>
    <pr:provide-note>true</pr:provide-note><pr:provide-all-attributes/>
  </cr:transformations></cr:rule>)"));
  const Transformations& t = rs.rules[0].transformations;
  EXPECT_EQ(t.services.uris, (std::vector<std::string>{"sip:alice@pc33.example.com"}));
  EXPECT_EQ(t.services.schemes, (std::vector<std::string>{"tel"}));
  EXPECT_EQ(t.services.occurrence_ids, (std::vector<std::string>{"t1"}));
  EXPECT_EQ(t.services.classes, (std::vector<std::string>{"work"}));
  EXPECT_EQ(t.persons.occurrence_ids, (std::vector<std::string>{"p1"}));
  EXPECT_EQ(t.persons.classes, (std::vector<std::string>{"personal"}));
  EXPECT_EQ(t.devices.device_ids, (std::vector<std::string>{"mac:1", "mac:2"}));
  EXPECT_EQ(t.devices.occurrence_ids, (std::vector<std::string>{"d1"}));
  EXPECT_EQ(t.devices.classes, (std::vector<std::string>{"work"}));
  for (bool v : {t.activities, t.rpid_class, t.device_id, t.mood, t.place_is, t.place_type, t.privacy,
                 t.relationship, t.sphere, t.status_icon, t.time_offset, t.note, t.all_attributes}) {
    EXPECT_TRUE(v);
  }
  EXPECT_EQ(t.user_input, UserInputLevel::kThresholds);
}

// --- errors -------------------------------------------------------------------

struct BadCase {
  const char* name;
  std::string body;
  int code;
  const char* reason;
};

std::string ManyRules(size_t n) {
  std::string r;
  for (size_t i = 0; i < n; ++i) r += "<cr:rule id=\"r" + std::to_string(i) + "\"/>";
  return Rules(r);
}

std::string Nested(size_t depth) {
  std::string open, close;
  for (size_t i = 0; i < depth; ++i) {
    open += "<x:n xmlns:x=\"urn:x\">";
    close += "</x:n>";
  }
  return Rules("<cr:rule id=\"r\"><cr:actions>" + open + close + "</cr:actions></cr:rule>");
}

std::string OneRule(std::string_view inside) { return Rules("<cr:rule id=\"r\">" + std::string(inside) + "</cr:rule>"); }

class RulesErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(RulesErrors, StatusAndReason) {
  const BadCase& c = GetParam();
  auto r = ParseRuleset(c.body);
  ASSERT_FALSE(r.ok()) << c.body;
  EXPECT_EQ(r.error().code, c.code);
  EXPECT_EQ(r.error().message, c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    All, RulesErrors,
    ::testing::Values(
        BadCase{"BodyTooLarge", Rules(std::string(300 * 1024, ' ')), 413,
                "pres-rules: body too large (307356 bytes, limit 262144)"},
        BadCase{"TooManyRules", ManyRules(257), 413, "pres-rules: too many rules (limit 256)"},
        BadCase{"TooManyIdentities",
                OneRule("<cr:conditions><cr:identity>" + [] {
                  std::string s;
                  for (int i = 0; i < 257; ++i) s += "<cr:one id=\"sip:u" + std::to_string(i) + "@x\"/>";
                  return s;
                }() + "</cr:identity></cr:conditions>"),
                413, "pres-rules: too many identities in a rule"},
        BadCase{"TooManyExceptions",
                OneRule("<cr:conditions><cr:identity><cr:many>" + [] {
                  std::string s;
                  for (int i = 0; i < 300; ++i) s += "<cr:except domain=\"d" + std::to_string(i) + "\"/>";
                  return s;
                }() + "</cr:many></cr:identity></cr:conditions>"),
                413, "pres-rules: too many identities in a rule"},
        BadCase{"TooManyValues",
                OneRule("<cr:transformations><pr:provide-services>" + [] {
                  std::string s;
                  for (int i = 0; i < 257; ++i) s += "<pr:occurrence-id>t" + std::to_string(i) + "</pr:occurrence-id>";
                  return s;
                }() + "</pr:provide-services></cr:transformations>"),
                413, "pres-rules: too many transformation values in a rule"},
        BadCase{"TooManyIntervals",
                OneRule("<cr:conditions><cr:validity>" + [] {
                  std::string s;
                  for (int i = 0; i < 17; ++i) {
                    s += "<cr:from>2024-01-01T00:00:00Z</cr:from><cr:until>2024-01-02T00:00:00Z</cr:until>";
                  }
                  return s;
                }() + "</cr:validity></cr:conditions>"),
                413, "pres-rules: too many validity intervals"},
        BadCase{"TooDeep", Nested(14), 413, "pres-rules: elements nested too deeply"},
        BadCase{"Doctype", "<!DOCTYPE r [<!ENTITY a 'b'>]>" + Rules(""), 400, "pres-rules: DOCTYPE is not allowed"},
        BadCase{"NotWellFormed", Rules("<cr:rule id=\"r\">"), 400, "pres-rules: not well-formed XML at offset 161"},
        BadCase{"ControlCharacter", Rules("\x01"), 400, "pres-rules: not well-formed XML at offset 143"},
        BadCase{"ControlCharacterReference", OneRule("<cr:actions><pr:sub-handling>&#1;</pr:sub-handling></cr:actions>"),
                400, "pres-rules: invalid character reference"},
        BadCase{"Empty", "", 400, "pres-rules: not well-formed XML at offset 0"},
        BadCase{"TwoRoots", Rules("") + Rules(""), 400, "pres-rules: not well-formed XML at offset 194"},
        BadCase{"RepeatedAttribute", Rules("<cr:rule id=\"a\" id=\"b\"/>"), 400,
                "pres-rules: repeated attribute at offset 143"},
        BadCase{"PrefixBoundTwice",
                "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" xmlns:pr=\"urn:x\" "
                "xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\"/>",
                400, "pres-rules: repeated attribute at offset 0"},
        BadCase{"WrongRoot", "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>", 400,
                "pres-rules: root element is not a common-policy <ruleset>"},
        BadCase{"RulesetWithoutNamespace", "<ruleset><rule id=\"a\"/></ruleset>", 400,
                "pres-rules: root element is not a common-policy <ruleset>"},
        BadCase{"UndeclaredPrefix", Rules("<cr:rule id=\"r\"><q:conditions/></cr:rule>"), 400,
                "pres-rules: undeclared namespace prefix"},
        BadCase{"UnexpectedInRuleset", Rules("<cr:rules/>"), 400, "pres-rules: unexpected <rules> in <ruleset>"},
        BadCase{"UnexpectedInRule", OneRule("<cr:condition/>"), 400, "pres-rules: unexpected <condition> in a rule"},
        BadCase{"RuleWithoutId", Rules("<cr:rule/>"), 400, "pres-rules: <rule> without id"},
        BadCase{"BadRuleId", Rules("<cr:rule id=\"a b\"/>"), 400, "pres-rules: invalid rule id"},
        BadCase{"DuplicateRuleId", Rules("<cr:rule id=\"a\"/><cr:rule id=\"a\"/>"), 400,
                "pres-rules: duplicate rule id"},
        BadCase{"TwoConditions", OneRule("<cr:conditions/><cr:conditions/>"), 400,
                "pres-rules: more than one <conditions> in a rule"},
        BadCase{"TwoActions", OneRule("<cr:actions/><cr:actions/>"), 400, "pres-rules: more than one <actions> in a rule"},
        BadCase{"BadSubHandling", OneRule("<cr:actions><pr:sub-handling>maybe</pr:sub-handling></cr:actions>"), 400,
                "pres-rules: invalid <sub-handling> value"},
        BadCase{"OneWithoutId", OneRule("<cr:conditions><cr:identity><cr:one/></cr:identity></cr:conditions>"), 400,
                "pres-rules: <one> without id"},
        BadCase{"BadIdentityUri",
                OneRule("<cr:conditions><cr:identity><cr:one id=\"sip:\"/></cr:identity></cr:conditions>"), 400,
                "pres-rules: invalid identity URI in <one>"},
        BadCase{"BadExceptUri",
                OneRule("<cr:conditions><cr:identity><cr:many><cr:except id=\"sip:@\"/></cr:many></cr:identity>"
                        "</cr:conditions>"),
                400, "pres-rules: invalid identity URI in <except>"},
        BadCase{"EmptyExceptDomain",
                OneRule("<cr:conditions><cr:identity><cr:many><cr:except domain=\" \"/></cr:many></cr:identity>"
                        "</cr:conditions>"),
                400, "pres-rules: empty domain in <except>"},
        BadCase{"SphereWithoutValue", OneRule("<cr:conditions><cr:sphere/></cr:conditions>"), 400,
                "pres-rules: <sphere> without value"},
        BadCase{"ValidityUntilFirst",
                OneRule("<cr:conditions><cr:validity><cr:until>2024-01-01T00:00:00Z</cr:until></cr:validity>"
                        "</cr:conditions>"),
                400, "pres-rules: <validity> needs <from>/<until> pairs"},
        BadCase{"ValidityFromAlone",
                OneRule("<cr:conditions><cr:validity><cr:from>2024-01-01T00:00:00Z</cr:from></cr:validity>"
                        "</cr:conditions>"),
                400, "pres-rules: <validity> needs <from>/<until> pairs"},
        BadCase{"ValidityEmpty", OneRule("<cr:conditions><cr:validity/></cr:conditions>"), 400,
                "pres-rules: <validity> needs <from>/<until> pairs"},
        BadCase{"ValidityBadFrom",
                OneRule("<cr:conditions><cr:validity><cr:from>yesterday</cr:from></cr:validity></cr:conditions>"), 400,
                "pres-rules: invalid <from> time"},
        BadCase{"ValidityBadUntil",
                OneRule("<cr:conditions><cr:validity><cr:from>2024-01-01T00:00:00Z</cr:from>"
                        "<cr:until>2024-13-01T00:00:00Z</cr:until></cr:validity></cr:conditions>"),
                400, "pres-rules: invalid <until> time"},
        BadCase{"ValidityStranger", OneRule("<cr:conditions><cr:validity><cr:sphere/></cr:validity></cr:conditions>"),
                400, "pres-rules: unexpected element in <validity>"},
        BadCase{"BadBoolean", OneRule("<cr:transformations><pr:provide-mood>yes</pr:provide-mood></cr:transformations>"),
                400, "pres-rules: invalid boolean in <provide-mood>"},
        BadCase{"BadUserInput",
                OneRule("<cr:transformations><pr:provide-user-input>true</pr:provide-user-input></cr:transformations>"),
                400, "pres-rules: invalid <provide-user-input> value"},
        BadCase{"UnknownAttributeWithoutName",
                OneRule("<cr:transformations><pr:provide-unknown-attribute ns=\"urn:x\">true"
                        "</pr:provide-unknown-attribute></cr:transformations>"),
                400, "pres-rules: <provide-unknown-attribute> needs ns and name"}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

TEST(RulesLimits, TooManyElementsAndCustomLimits) {
  Limits small;
  small.max_elements = 10;
  auto r = ParseRuleset(ManyRules(10), small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "pres-rules: too many elements");
  small = Limits{};
  small.max_rules = 2;
  EXPECT_EQ(ParseRuleset(ManyRules(3), small).error().message, "pres-rules: too many rules (limit 2)");
  EXPECT_TRUE(ParseRuleset(ManyRules(2), small).ok());
  small.max_body_bytes = 10;
  EXPECT_EQ(ParseRuleset(ManyRules(0), small).error().code, 413);
  EXPECT_TRUE(ParseRuleset(Nested(13)).ok());  // depth 16 exactly
}

TEST(RulesLimits, Utf8BomAndCommentsAreFine) {
  std::string body = "\xEF\xBB\xBF" + Rules("<!-- a comment --><cr:rule id=\"r\"><?pi x?></cr:rule>");
  auto r = ParseRuleset(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rules.size(), 1u);
}

}  // namespace
}  // namespace parley::presence::rules
