// RLMI documents and their multipart/related bodies (RFC 4662 §5).

#include <gtest/gtest.h>

#include "presence/rls/rlmi.h"
#include "sip/fields.h"
#include "sip/multipart.h"

namespace parley::presence {
namespace {

RlmiList Team() {
  RlmiList l;
  l.uri = "sip:team@example.com";
  l.version = 7;
  RlmiResource bob{"sip:bob@example.com", InstanceState::kActive, "", "<presence>bob</presence>",
                   "application/pidf+xml"};
  RlmiResource carol{"sip:carol@example.com", InstanceState::kTerminated, "rejected", "", ""};
  RlmiResource dave{"sip:dave@example.com", InstanceState::kPending, "", "", ""};
  RlmiResource erin{"sip:erin@example.com", InstanceState::kNone, "", "", ""};
  l.resources = {bob, carol, dave, erin};
  return l;
}

TEST(Rlmi, BodyIsMultipartRelatedWithTheRlmiFirst) {
  std::string body = BuildListBody(Team());
  std::string type = ListContentType(body);
  auto ct = sip::ParseMediaType(type);
  ASSERT_TRUE(ct.ok()) << type;
  EXPECT_TRUE(ct->Is("multipart", "related"));
  EXPECT_EQ(ct->params.GetUnquoted("type").value_or(""), "application/rlmi+xml");
  // A token, given as one: Linphone reads a quoted boundary with its quotes.
  EXPECT_NE(type.find(";boundary=parley-rls-b"), std::string::npos) << type;
  auto parts = sip::ParseMultipart(body, ct->params.GetUnquoted("boundary").value_or(""));
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);  // the RLMI, then bob's document: the only active instance
  const sip::BodyPart& root = (*parts)[0];
  EXPECT_EQ(root.Header("Content-ID"), ct->params.GetUnquoted("start").value_or("-"));
  EXPECT_EQ(root.Header("Content-Type"), "application/rlmi+xml;charset=\"UTF-8\"");
  std::string rlmi(root.body);
  EXPECT_NE(rlmi.find("<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"sip:team@example.com\" version=\"7\" "
                      "fullState=\"true\">"),
            std::string::npos);
  std::string bob_id = InstanceId("sip:bob@example.com");
  EXPECT_NE(rlmi.find("<resource uri=\"sip:bob@example.com\"><instance id=\"" + bob_id +
                      "\" state=\"active\" cid=\"" + bob_id + "@example.com\"/></resource>"),
            std::string::npos);
  EXPECT_NE(rlmi.find("state=\"terminated\" reason=\"rejected\"/>"), std::string::npos);
  EXPECT_NE(rlmi.find("<instance id=\"" + InstanceId("sip:dave@example.com") + "\" state=\"pending\"/>"),
            std::string::npos);
  EXPECT_NE(rlmi.find("<resource uri=\"sip:erin@example.com\"></resource>"), std::string::npos);  // no instance yet
  const sip::BodyPart& doc = (*parts)[1];
  EXPECT_EQ(doc.Header("Content-ID"), "<" + bob_id + "@example.com>");
  EXPECT_EQ(doc.Header("Content-Type"), "application/pidf+xml");
  EXPECT_EQ(doc.Header("Content-Transfer-Encoding"), "binary");
  EXPECT_EQ(doc.body, "<presence>bob</presence>");
}

TEST(Rlmi, PartialStateAndStableInstanceIds) {
  RlmiList l = Team();
  l.full_state = false;
  l.resources.resize(1);
  std::string body = BuildListBody(l);
  EXPECT_NE(body.find("fullState=\"false\""), std::string::npos);
  EXPECT_EQ(InstanceId("sip:bob@example.com"), InstanceId("sip:bob@example.com"));
  EXPECT_NE(InstanceId("sip:bob@example.com"), InstanceId("sip:carol@example.com"));
  EXPECT_EQ(InstanceId("sip:bob@example.com").size(), 12u);
}

TEST(Rlmi, TheBoundaryIsInNoPart) {
  RlmiList l = Team();
  // A document that happens to hold the usual boundary on a line of its own.
  l.resources[0].body = "<presence>\r\n--parley-rls-b\r\n</presence>";
  std::string body = BuildListBody(l);
  std::string type = ListContentType(body);  // the parsed media type points into it
  auto ct = sip::ParseMediaType(type);
  ASSERT_TRUE(ct.ok());
  std::string boundary(ct->params.GetUnquoted("boundary").value_or(""));
  EXPECT_NE(boundary, "parley-rls-b");
  auto parts = sip::ParseMultipart(body, boundary);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[1].body, l.resources[0].body);
  // Escaping in the RLMI.
  l.uri = "sip:a&b@example.com";
  EXPECT_NE(BuildListBody(l).find("uri=\"sip:a&amp;b@example.com\""), std::string::npos);
  EXPECT_EQ(ListContentType("not multipart"), "");
}

// Linphone's form: each part's "Content-Id" is the bare cid the RLMI names.
TEST(Rlmi, BareContentIdsForLinphone) {
  RlmiList l = Team();
  l.bare_content_ids = true;
  std::string body = BuildListBody(l);
  EXPECT_EQ(body.find("Content-ID: <"), std::string::npos);
  std::string type = ListContentType(body);
  auto ct = sip::ParseMediaType(type);
  ASSERT_TRUE(ct.ok()) << type;
  const std::string host = "example.com";
  EXPECT_EQ(ct->params.GetUnquoted("start").value_or(""), "<list." + InstanceId(l.uri) + "@" + host + ">");
  auto parts = sip::ParseMultipart(body, ct->params.GetUnquoted("boundary").value_or(""));
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  const std::string cid = InstanceId("sip:bob@example.com") + "@" + host;
  EXPECT_EQ((*parts)[1].Header("Content-Id"), cid);
  EXPECT_NE((*parts)[0].body.find("cid=\"" + cid + "\""), std::string_view::npos);
}

// What a subscriber reads back (ParseListBody) is what was built, bare
// Content-IDs (Linphone's) or not; each resource's state, reason and body.
TEST(Rlmi, ABodyParsesBackToItsList) {
  for (bool bare : {false, true}) {
    RlmiList l = Team();
    l.full_state = false;
    l.bare_content_ids = bare;
    const std::string body = BuildListBody(l);
    auto back = ParseListBody(ListContentType(body), body);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->uri, l.uri);
    EXPECT_EQ(back->version, 7u);
    EXPECT_FALSE(back->full_state);
    ASSERT_EQ(back->resources.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(back->resources[i].uri, l.resources[i].uri);
      EXPECT_EQ(back->resources[i].state, l.resources[i].state);
      EXPECT_EQ(back->resources[i].reason, l.resources[i].reason);
      EXPECT_EQ(back->resources[i].body, l.resources[i].body);
    }
    EXPECT_EQ(back->resources[0].body_type, "application/pidf+xml");
  }
}

TEST(Rlmi, WhatIsNoListBodyIsRefused) {
  const std::string body = BuildListBody(Team());
  const std::string type = ListContentType(body);
  EXPECT_EQ(ParseListBody("application/pidf+xml", body).error().code, 400);
  EXPECT_EQ(ParseListBody("multipart/related", body).error().code, 400);  // no boundary
  EXPECT_EQ(ParseListBody(type, "no parts").error().code, 400);
  EXPECT_EQ(ParseListBody(type, body, 3).error().code, 413);  // four resources
  // An RLMI part that is not well-formed, or whose root is no <list>.
  const std::string bad = "--b\r\nContent-Type: application/rlmi+xml\r\n\r\n<list\r\n--b--\r\n";
  EXPECT_EQ(ParseListBody("multipart/related;boundary=b", bad).error().code, 400);
  const std::string other =
      "--b\r\nContent-Type: application/rlmi+xml\r\n\r\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>\r\n--b--\r\n";
  EXPECT_EQ(ParseListBody("multipart/related;boundary=b", other).error().code, 400);
}

}  // namespace
}  // namespace parley::presence
