// RFC 4825 node selectors: parsing (§6.3, §6.4) and the element and
// attribute operations over pres-rules documents (§7.3-§7.5, §8.2).

#include "xcap/node_selector.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::xcap {
namespace selector_test {
namespace {

constexpr const char* kCp = "urn:ietf:params:xml:ns:common-policy";
constexpr const char* kPr = "urn:ietf:params:xml:ns:pres-rules";

// Common policy under the "cr" prefix; the default namespace is pres-rules.
constexpr const char* kDoc = R"(<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <!-- alice's rules -->
  <cr:rule id="a"><cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions><cr:actions><sub-handling>allow</sub-handling></cr:actions></cr:rule>
  <cr:rule id="b"><cr:actions><sub-handling>block</sub-handling></cr:actions></cr:rule>
</cr:ruleset>)";

NodeSelector Parse(std::string_view s, const NamespaceBindings& ns = {}) {
  auto r = ParseNodeSelector(s, ns, kCp);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : NodeSelector{};
}

int ParseCode(std::string_view s, const NamespaceBindings& ns = {}) {
  auto r = ParseNodeSelector(s, ns, kCp);
  return r.ok() ? 0 : r.error().code;
}

class NodeOps : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(LoadDocument(doc_, kDoc).ok()); }
  Result<std::string> Get(std::string_view s, const NamespaceBindings& ns = {}) { return ReadNode(doc_, Parse(s, ns)); }
  std::string Conflict(const Error& e) { return e.code == 409 ? std::string(SplitConflict(e).first) : "code " + std::to_string(e.code); }
  pugi::xml_document doc_;
};

TEST(NodeSelectorParse, StepsPositionsAttributeTestsAndAttribute) {
  NodeSelector s = Parse("ruleset/rule[2]/*[1][@id='x y']/cr:actions/@id", {{"cr", "urn:other"}});
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].name.ns, kCp);
  EXPECT_EQ(s.steps[0].name.local, "ruleset");
  EXPECT_EQ(s.steps[1].position, 2u);
  EXPECT_FALSE(s.steps[1].attr);
  EXPECT_TRUE(s.steps[2].any);
  EXPECT_EQ(s.steps[2].position, 1u);
  ASSERT_TRUE(s.steps[2].attr);
  EXPECT_EQ(s.steps[2].attr->ns, "");  // unprefixed attributes are in no namespace
  EXPECT_EQ(s.steps[2].attr->local, "id");
  EXPECT_EQ(s.steps[2].attr_value, "x y");
  EXPECT_EQ(s.steps[3].name.ns, "urn:other");
  EXPECT_EQ(s.steps[3].name.prefix, "cr");
  ASSERT_TRUE(s.attribute);
  EXPECT_EQ(s.attribute->local, "id");

  NodeSelector v = Parse(R"(ruleset/rule[@id="a&quot;&#x41;&amp;'"])");
  EXPECT_EQ(v.steps[1].attr_value, "a\"A&'");
  EXPECT_FALSE(v.attribute);
  NodeSelector x = Parse("ruleset/@xml:lang");
  EXPECT_EQ(x.attribute->ns, "http://www.w3.org/XML/1998/namespace");
}

TEST(NodeSelectorParse, NamespaceBindingsFromTheQuery) {
  auto b = ParseNamespaceBindings("xmlns(pr=urn:ietf:params:xml:ns:pres-rules) xmlns(q=urn:a^)b^^)");
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0], (std::pair<std::string, std::string>{"pr", kPr}));
  EXPECT_EQ((*b)[1].second, "urn:a)b^");
  EXPECT_TRUE(ParseNamespaceBindings("")->empty());
  NodeSelector s = Parse("ruleset/rule/actions/pr:sub-handling", *b);
  EXPECT_EQ(s.steps[3].name.ns, kPr);
  // Later bindings win.
  EXPECT_EQ(Parse("p:x", {{"p", "urn:1"}, {"p", "urn:2"}}).steps[0].name.ns, "urn:2");

  for (const char* bad : {"xmlns(p)", "foo(p=urn:x)", "xmlns(p=urn:x", "xmlns(1p=urn:x)", "xmlns(p=)", "xmlns(p=a^b)",
                          "xmlns(xmlns=urn:x)", "xmlns(p=a(b)"}) {
    auto r = ParseNamespaceBindings(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, 400) << bad;
  }
  std::string many;
  for (int i = 0; i <= static_cast<int>(kMaxNamespaceBindings); ++i) many += "xmlns(p" + std::to_string(i) + "=urn:x)";
  auto r = ParseNamespaceBindings(many);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 414);
  EXPECT_NE(r.error().message.find("more than 16 bindings"), std::string::npos) << r.error().message;
}

TEST(NodeSelectorParse, RejectsMalformedSelectors) {
  for (const char* bad : {"", "/", "a//b", "a/", "/a", "a[", "a[0]", "a[x]", "a[]", "a[@id=x]", "a[@id=\"x]", "a[@id='x'",
                          "@id", "a/@id/b", "a/@", "a[1][2]", "a[@id='x'][1]", "a[@id='<']", "a[@id='&bogus;']", "1a",
                          "a:b:c", "a b", "-a", "a[@1='x']", "un:bound"}) {
    EXPECT_EQ(ParseCode(bad), 400) << bad;
  }
  auto unbound = ParseNodeSelector("ruleset/pr:x", {}, kCp);
  ASSERT_FALSE(unbound.ok());
  EXPECT_NE(unbound.error().message.find("prefix 'pr' is not bound"), std::string::npos) << unbound.error().message;
  EXPECT_EQ(ParseCode("ruleset/namespace::*"), 501);
}

TEST(NodeSelectorParse, Limits) {
  std::string steps;
  for (size_t i = 0; i < kMaxSelectorSteps; ++i) steps += (i ? "/a" : "a");
  EXPECT_EQ(ParseCode(steps), 0);
  auto too_many = ParseNodeSelector(steps + "/a", {}, kCp);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, 414);
  EXPECT_EQ(too_many.error().message, "node selector: more than 32 steps");
  EXPECT_EQ(ParseCode(steps + "/@a"), 0);  // the attribute selector is not a step

  std::string longest(kMaxSelectorBytes, 'a');
  EXPECT_EQ(ParseCode(longest), 0);
  auto too_long = ParseNodeSelector(longest + "a", {}, kCp);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, 414);
  EXPECT_EQ(too_long.error().message, "node selector: longer than 1024 bytes");
  EXPECT_EQ(ParseCode("a[100000]"), 0);
  EXPECT_EQ(ParseCode("a[100001]"), 400);
  EXPECT_EQ(ParseCode("a[99999999999999999999999]"), 400);
}

TEST_F(NodeOps, GetElementsAndAttributes) {
  auto rule = Get("ruleset/rule[@id=\"b\"]");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(*rule, R"(<cr:rule id="b"><cr:actions><sub-handling>block</sub-handling></cr:actions></cr:rule>)");
  // Unprefixed names are common-policy, whatever prefix the document uses.
  auto sh = Get("ruleset/rule[1]/actions/pr:sub-handling", {{"pr", kPr}});
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(*sh, "<sub-handling>allow</sub-handling>");
  EXPECT_EQ(*Get("ruleset/*[2]/@id"), "b");
  EXPECT_EQ(*Get("ruleset/rule[1][@id='a']/conditions/identity/one/@id"), "sip:bob@example.com");

  EXPECT_EQ(Get("ruleset/rule").error().code, 404);          // two rules
  EXPECT_EQ(Get("ruleset/rule[3]").error().code, 404);       // none
  EXPECT_EQ(Get("ruleset/rule[2][@id='a']").error().code, 404);
  EXPECT_EQ(Get("ruleset/rule[1]/actions/sub-handling").error().code, 404);  // pres-rules, not common-policy
  EXPECT_EQ(Get("ruleset/rule[1]/actions/pr:sub-handling", {{"pr", "urn:wrong"}}).error().code, 404);
  EXPECT_EQ(Get("ruleset/rule[1]/@nope").error().code, 404);
  EXPECT_EQ(ParseCode("ruleset/@xmlns"), 400);  // namespace declarations are not attributes
  EXPECT_EQ(ParseCode("ruleset[@xmlns='urn:x']"), 400);
}

TEST_F(NodeOps, AttributeValuesAreEscaped) {
  ASSERT_TRUE(PutNode(doc_, Parse("ruleset/rule[2]/@id"), "x&amp;&quot;&lt;y").ok());
  EXPECT_EQ(*Get("ruleset/rule[2]/@id"), "x&amp;&quot;&lt;y");
  EXPECT_TRUE(doc_.document_element().find_child_by_attribute("id", "x&\"<y"));
}

TEST_F(NodeOps, PutReplacesAndCreatesElements) {
  auto replaced = PutNode(doc_, Parse("ruleset/rule[@id='b']"),
                          R"(<cr:rule id="b"><cr:actions><sub-handling>confirm</sub-handling></cr:actions></cr:rule>)");
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_FALSE(*replaced);
  EXPECT_EQ(*Get("ruleset/rule[2]/actions/pr:sub-handling", {{"pr", kPr}}), "<sub-handling>confirm</sub-handling>");

  auto created = PutNode(doc_, Parse("ruleset/rule[@id='c']"),
                         "\n <rule xmlns=\"urn:ietf:params:xml:ns:common-policy\" id=\"c\"/>\n");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_TRUE(*created);
  EXPECT_EQ(*Get("ruleset/rule[3]/@id"), "c");  // after the last element

  // Positional: the new element becomes the n-th.
  auto second = PutNode(doc_, Parse("ruleset/rule[4]"), "<cr:rule id=\"d\"/>");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_TRUE(*second);
  EXPECT_EQ(*Get("ruleset/rule[4]/@id"), "d");
  std::string saved = SaveDocument(doc_);
  EXPECT_TRUE(saved.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><cr:ruleset")) << saved;
  EXPECT_NE(saved.find("<!-- alice's rules -->"), std::string::npos);
}

TEST_F(NodeOps, PutConflicts) {
  auto put = [&](std::string_view sel, std::string_view body) {
    EXPECT_TRUE(LoadDocument(doc_, kDoc).ok());  // a failed operation may leave the document half changed
    auto r = PutNode(doc_, Parse(sel, {{"pr", kPr}}), body);
    return r.ok() ? std::string("ok") : Conflict(r.error());
  };
  // §8.2.5: the new element would not be selected by the selector.
  EXPECT_EQ(put("ruleset/rule[@id='c']", "<cr:rule id='d'/>"), "cannot-insert");
  EXPECT_EQ(put("ruleset/rule[@id='a']", "<cr:rule id='z'/>"), "cannot-insert");
  EXPECT_EQ(put("ruleset/rule[@id='c']", "<pr:rule xmlns:pr='urn:ietf:params:xml:ns:pres-rules' id='c'/>"), "cannot-insert");
  EXPECT_EQ(put("ruleset/rule[7]", "<cr:rule id='q'/>"), "cannot-insert");  // fewer than 6 rules
  EXPECT_EQ(put("ruleset/rule", "<cr:rule id='q'/>"), "cannot-insert");     // selects two
  EXPECT_EQ(put("other", "<cr:other/>"), "cannot-insert");                  // a second root
  EXPECT_EQ(put("ruleset/nope/rule", "<cr:rule id='q'/>"), "no-parent");
  EXPECT_EQ(put("ruleset/rule[1]/@id", "a<b"), "not-xml-att-value");
  EXPECT_EQ(put("ruleset/rule[1]/@id", "a&b"), "not-xml-att-value");
  EXPECT_EQ(put("ruleset/rule[@id='a']/@id", "z"), "cannot-insert");
  EXPECT_EQ(put("ruleset/nope/@id", "z"), "no-parent");
  for (const char* frag : {"", "text", "<a", "<a/><b/>", "<a/>text", "<!DOCTYPE a><a/>"}) {
    EXPECT_EQ(put("ruleset/rule[@id='c']", frag), "not-xml-frag") << frag;
  }
}

TEST_F(NodeOps, PutAttributes) {
  auto replaced = PutNode(doc_, Parse("ruleset/rule[1]/@id"), "a2");
  ASSERT_TRUE(replaced.ok());
  EXPECT_FALSE(*replaced);
  auto created = PutNode(doc_, Parse("ruleset/rule[1]/@note"), "hi");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(*created);
  // A namespaced attribute gets a prefix in scope, or one declared for it.
  auto cp = PutNode(doc_, Parse("ruleset/rule[2]/@x:flag", {{"x", kCp}}), "1");
  ASSERT_TRUE(cp.ok());
  EXPECT_NE(SaveDocument(doc_).find("<cr:rule id=\"b\" cr:flag=\"1\">"), std::string::npos) << SaveDocument(doc_);
  auto fresh = PutNode(doc_, Parse("ruleset/rule[2]/@v:flag", {{"v", "urn:vendor"}}), "2");
  ASSERT_TRUE(fresh.ok());
  EXPECT_NE(SaveDocument(doc_).find("xmlns:v=\"urn:vendor\" v:flag=\"2\""), std::string::npos) << SaveDocument(doc_);
  EXPECT_EQ(*Get("ruleset/rule[2]/@v:flag", {{"v", "urn:vendor"}}), "2");
  EXPECT_EQ(*Get("ruleset/rule[@id='a2']/@note"), "hi");
}

TEST_F(NodeOps, DeleteElementsAndAttributes) {
  auto del = [&](std::string_view sel) {
    auto r = DeleteNode(doc_, Parse(sel));
    return r.ok() ? std::string("ok") : Conflict(r.error());
  };
  EXPECT_EQ(del("ruleset/rule[3]"), "code 404");
  EXPECT_EQ(del("ruleset/rule"), "code 404");  // two
  EXPECT_EQ(del("ruleset/rule[1]/@nope"), "code 404");
  // rule[1] would then select the former rule[2] (RFC 4825 §8.2.5).
  EXPECT_EQ(del("ruleset/rule[1]"), "cannot-delete");
  ASSERT_TRUE(LoadDocument(doc_, kDoc).ok());
  EXPECT_EQ(del("ruleset/rule[@id='a']/conditions"), "ok");
  EXPECT_EQ(Get("ruleset/rule[@id='a']/conditions").error().code, 404);
  EXPECT_EQ(del("ruleset/rule[@id='a']/@id"), "ok");  // the selector selects nothing afterwards
  EXPECT_EQ(del("ruleset/rule[@id='b']"), "ok");
  EXPECT_EQ(SaveDocument(doc_).find("id=\"b\""), std::string::npos);
  EXPECT_EQ(del("ruleset/rule"), "ok");  // the one left
  EXPECT_EQ(del("ruleset"), "cannot-delete");
  EXPECT_EQ(del("*"), "cannot-delete");
}

TEST(NodeDocument, LoadRejectsWhatIsNotXml) {
  pugi::xml_document d;
  EXPECT_FALSE(LoadDocument(d, "<a").ok());
  EXPECT_FALSE(LoadDocument(d, "").ok());
  EXPECT_TRUE(LoadDocument(d, "<a/>").ok());
}

}  // namespace
}  // namespace selector_test
}  // namespace parley::xcap
