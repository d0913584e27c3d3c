// isComposing (RFC 3994): the RFC examples, round trips, every error.

#include "im/format/iscomposing.h"

#include <gtest/gtest.h>

namespace parley::im {
namespace {

TEST(IsComposing, Rfc3994Examples) {
  // §7: an active indication with a refresh.
  auto active = ParseIsComposing(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"\n"
      "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
      "  xsi:schemaLocation=\"urn:ietf:params:xml:ns:im-composing iscomposing.xsd\">\n"
      "  <state>active</state>\n"
      "  <contenttype>text/plain</contenttype>\n"
      "  <refresh>90</refresh>\n"
      "</isComposing>");
  ASSERT_TRUE(active.ok()) << active.error().message;
  EXPECT_EQ(*active, (IsComposing{true, "text/plain", 90, ""}));
  // §7: idle, with the time of the last activity.
  auto idle = ParseIsComposing(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\"\n"
      "  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
      "  <state>idle</state>\n"
      "  <lastactive>2003-01-27T10:43:00Z</lastactive>\n"
      "  <contenttype>audio</contenttype>\n"
      "</isComposing>");
  ASSERT_TRUE(idle.ok()) << idle.error().message;
  EXPECT_EQ(*idle, (IsComposing{false, "audio", 0, "2003-01-27T10:43:00Z"}));
}

TEST(IsComposing, RoundTripAndCanonicalForm) {
  for (const IsComposing& c : {IsComposing{true, "", 0, ""}, IsComposing{false, "text/html", 0, ""},
                               IsComposing{true, "a<&>b", 4294967295u, "2024-05-01T10:00:00.25-03:00"}}) {
    auto xml = BuildIsComposing(c);
    ASSERT_TRUE(xml.ok()) << xml.error().message;
    auto back = ParseIsComposing(*xml);
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << *xml;
    EXPECT_EQ(*back, c);
  }
  EXPECT_EQ(*BuildIsComposing({true, "text/plain", 60, ""}),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\n"
            "  <state>active</state>\n  <contenttype>text/plain</contenttype>\n  <refresh>60</refresh>\n"
            "</isComposing>\n");
  // Other namespaces are ignored, any prefix works.
  auto p = ParseIsComposing(
      "<c:isComposing xmlns:c=\"urn:ietf:params:xml:ns:im-iscomposing\"><x:y xmlns:x=\"urn:x\"/>"
      "<c:state> idle </c:state></c:isComposing>");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_FALSE(p->active);
}

TEST(IsComposing, Errors) {
  auto doc = [](const std::string& inner) {
    return "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">" + inner + "</isComposing>";
  };
  const std::pair<std::string, const char*> cases[] = {
      {"", "isComposing: not well-formed XML at offset 0"},
      {"<!DOCTYPE x [<!ENTITY a \"b\">]><isComposing/>", "isComposing: DOCTYPE is not allowed"},
      {"<isComposing><state>active</state></isComposing>",
       "isComposing: root element is not <isComposing> in urn:ietf:params:xml:ns:im-iscomposing"},
      {"<p:isComposing/>", "isComposing: undeclared namespace prefix"},
      {doc(""), "isComposing: no <state>"},
      {doc("<state>typing</state>"), "isComposing: state must be active or idle"},
      {doc("<state>idle</state><state>idle</state>"), "isComposing: more than one <state>"},
      {doc("<state>idle</state><lastactive>today</lastactive>"), "isComposing: lastactive is not RFC 3339: too short"},
      {doc("<state>active</state><refresh>0</refresh>"), "isComposing: refresh is not a positive integer"},
      {doc("<state>active</state><refresh>4294967296</refresh>"), "isComposing: refresh is not a positive integer"},
      {doc("<state>active</state><refresh>-1</refresh>"), "isComposing: refresh is not a positive integer"},
      {doc("<state>active</state><q:x/>"), "isComposing: undeclared namespace prefix"},
  };
  for (const auto& [body, reason] : cases) {
    auto r = ParseIsComposing(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, 400) << body;
    EXPECT_EQ(r.error().message, reason) << body;
  }
  XmlLimits small;
  small.max_bytes = 10;
  EXPECT_EQ(ParseIsComposing(doc("<state>idle</state>"), small).error().code, 413);
  small = {};
  small.max_text_bytes = 3;
  auto r = ParseIsComposing(doc("<state>active</state>"), small);
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "isComposing: <state> longer than 3 bytes");
  EXPECT_EQ(BuildIsComposing({false, "", 0, "yesterday"}).error().message,
            "isComposing: lastactive is not RFC 3339: too short");
  EXPECT_EQ(BuildIsComposing({false, "a\x01", 0, ""}).error().message,
            "isComposing: contenttype has a character XML cannot carry");
}

}  // namespace
}  // namespace parley::im
