// message/cpim: every parse and build error with its status and reason,
// and the limits.

#include <gtest/gtest.h>

#include <string>

#include "im/format/cpim.h"

namespace parley::im {
namespace {

struct ErrorCase {
  const char* name;
  std::string body;
  int code;
  const char* reason;
};

std::string WithHeaders(const std::string& headers) {
  return headers + "\r\nContent-Type: text/plain\r\n\r\nbody";
}

class CpimErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(CpimErrors, StatusAndReason) {
  const auto& c = GetParam();
  auto r = ParseCpim(c.body);
  ASSERT_FALSE(r.ok()) << c.body;
  EXPECT_EQ(r.error().code, c.code);
  EXPECT_EQ(r.error().message, c.reason);
}

INSTANTIATE_TEST_SUITE_P(
    All, CpimErrors,
    testing::Values(
        ErrorCase{"Empty", "", 400, "CPIM: no blank line after the message headers"},
        ErrorCase{"NoBlankLine", "From: <sip:a@b>\r\n", 400, "CPIM: no blank line after the message headers"},
        ErrorCase{"Unterminated", "From: <sip:a@b>", 400, "CPIM: no blank line after the message headers"},
        ErrorCase{"NoColon", WithHeaders("Just text\r\n"), 400, "CPIM: header line without ':' (Just text)"},
        ErrorCase{"Folded", WithHeaders("Subject: a\r\n b\r\n"), 400, "CPIM: message headers cannot be folded"},
        ErrorCase{"BadName", WithHeaders("Bad Name: x\r\n"), 400, "CPIM: bad header name 'Bad Name'"},
        ErrorCase{"TwoDots", WithHeaders("a.b.c: x\r\n"), 400, "CPIM: bad header name 'a.b.c'"},
        ErrorCase{"EmptyPrefix", WithHeaders(".c: x\r\n"), 400, "CPIM: bad header name '.c'"},
        ErrorCase{"EmptyName", WithHeaders(": x\r\n"), 400, "CPIM: bad header name ''"},
        ErrorCase{"BadParam", WithHeaders("Subject:;lang x\r\n"), 400, "CPIM: bad parameter in Subject"},
        ErrorCase{"UnterminatedParamString", WithHeaders("X:;a=\"b x\r\n"), 400, "CPIM: bad parameter in X"},
        ErrorCase{"BadLang", WithHeaders("Subject:;lang=-fr x\r\n"), 400, "CPIM: Subject lang is not a language tag"},
        ErrorCase{"ControlCharacter", WithHeaders(std::string("X: a\x01z\r\n")), 400,
                  "CPIM: X value has a control character"},
        ErrorCase{"BareCr", WithHeaders("X: a\rz\r\n"), 400, "CPIM: X value has a control character"},
        ErrorCase{"Nul", WithHeaders(std::string("X: a\0z\r\n", 8)), 400, "CPIM: X value has a control character"},
        ErrorCase{"NotUtf8", WithHeaders("X: caf\xE9\r\n"), 400, "CPIM: X value has ill-formed UTF-8"},
        ErrorCase{"Overlong", WithHeaders("X: \xC0\xAF\r\n"), 400, "CPIM: X value has ill-formed UTF-8"},
        ErrorCase{"EncodedSurrogate", WithHeaders("X: \xED\xA0\x80\r\n"), 400, "CPIM: X value has ill-formed UTF-8"},
        ErrorCase{"BadEscape", WithHeaders("X: a\\qb\r\n"), 400, "CPIM: X value has an unknown escape"},
        ErrorCase{"FromWithoutBrackets", WithHeaders("From: sip:a@b\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"FromBadUri", WithHeaders("From: <a b>\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"FromNoScheme", WithHeaders("From: <alice@example.com>\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"FromEmptyUri", WithHeaders("From: Al <>\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"FromUnterminatedName", WithHeaders("From: \"Al <sip:a@b>\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"FromTextAfterName", WithHeaders("From: \"Al\" x <sip:a@b>\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"FromQuoteInName", WithHeaders("From: Al\"x <sip:a@b>\r\n"), 400,
                  "CPIM: From is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"ToBad", WithHeaders("To: <sip:a@b\r\n"), 400, "CPIM: To is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"CcBad", WithHeaders("CC: x\r\n"), 400, "CPIM: cc is not 'Formal-name <URI>' or '<URI>'"},
        ErrorCase{"TwoFroms", WithHeaders("From: <sip:a@b>\r\nFrom: <sip:c@d>\r\n"), 400, "CPIM: more than one From"},
        ErrorCase{"BadDateTime", WithHeaders("DateTime: 2000-12-13 13:40:00Z\r\n"), 400,
                  "CPIM: DateTime is not RFC 3339: no 'T' between date and time"},
        ErrorCase{"DateTimeNoOffset", WithHeaders("DateTime: 2000-12-13T13:40:00\r\n"), 400,
                  "CPIM: DateTime is not RFC 3339: no time offset"},
        ErrorCase{"TwoDateTimes",
                  WithHeaders("DateTime: 2000-12-13T13:40:00Z\r\nDateTime: 2000-12-13T13:40:00Z\r\n"), 400,
                  "CPIM: more than one DateTime"},
        ErrorCase{"NsWithoutUrn", WithHeaders("NS: imdn\r\n"), 400, "CPIM: NS is not '[prefix] <URN>'"},
        ErrorCase{"NsBadPrefix", WithHeaders("NS: a.b <urn:x>\r\n"), 400, "CPIM: NS is not '[prefix] <URN>'"},
        ErrorCase{"NsTwice", WithHeaders("NS: a <urn:x>\r\nNS: a <urn:y>\r\n"), 400,
                  "CPIM: name prefix 'a' declared twice"},
        ErrorCase{"UndeclaredPrefix", WithHeaders("imdn.Message-ID: 1\r\n"), 400,
                  "CPIM: name prefix 'imdn' is not declared by NS"},
        ErrorCase{"BadRequire", WithHeaders("Require: a,,b\r\n"), 400, "CPIM: Require is not a list of header names"},
        ErrorCase{"EmptyRequire", WithHeaders("Require: \r\n"), 400, "CPIM: Require is not a list of header names"},
        ErrorCase{"NoContentType", "From: <sip:a@b>\r\n\r\nContent-ID: <x>\r\n\r\nbody", 400,
                  "CPIM: no Content-Type in the content headers"},
        ErrorCase{"NoContentHeaders", "From: <sip:a@b>\r\n\r\n\r\nbody", 400,
                  "CPIM: no Content-Type in the content headers"},
        ErrorCase{"TwoContentTypes", "\r\nContent-Type: text/plain\r\ncontent-type: text/html\r\n\r\n", 400,
                  "CPIM: more than one Content-Type"},
        ErrorCase{"ContentTypeNotAMediaType", "\r\nContent-Type: text\r\n\r\n", 400,
                  "CPIM: Content-Type is not a media type"},
        ErrorCase{"ContentHeaderWithoutColon", "\r\nContent-Type text/plain\r\n\r\n", 400,
                  "CPIM: content header line without ':' (Content-Type text/plain)"},
        ErrorCase{"ContentHeaderBadName", "\r\nContent\x01Type: text/plain\r\n\r\n", 400,
                  "CPIM: bad content header name 'Content?Type'"},
        ErrorCase{"ContentHeadersStartFolded", "\r\n folded: x\r\n\r\n", 400,
                  "CPIM: content headers start with a folded line"},
        ErrorCase{"ContentHeaderControl", "\r\nContent-Type: text/plain\x7f\r\n\r\n", 400,
                  "CPIM: control character in content header Content-Type"}),
    [](const testing::TestParamInfo<ErrorCase>& p) { return std::string(p.param.name); });

TEST(CpimLimits, HeaderCountLineLengthAndHeaderBytes) {
  CpimLimits small;
  small.max_headers = 3;
  small.max_line_bytes = 40;
  small.max_header_bytes = 120;
  std::string three = "A: 1\r\nB: 2\r\nC: 3\r\n";
  EXPECT_TRUE(ParseCpim(WithHeaders(three), small).ok());
  auto r = ParseCpim(WithHeaders(three + "D: 4\r\n"), small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "CPIM: more than 3 message headers");

  r = ParseCpim(WithHeaders("A: " + std::string(38, 'x') + "\r\n"), small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "CPIM: header line longer than 40 bytes");
  EXPECT_TRUE(ParseCpim(WithHeaders("A: " + std::string(37, 'x') + "\r\n"), small).ok());

  r = ParseCpim("\r\nContent-Type: text/plain\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "CPIM: more than 3 content headers");

  r = ParseCpim("\r\nContent-Type: text/plain\r\nX: 1\r\n " + std::string(40, 'y') + "\r\n\r\n", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "CPIM: header line longer than 40 bytes");

  std::string big = "A: " + std::string(30, 'a') + "\r\nB: " + std::string(30, 'b') + "\r\n";
  r = ParseCpim(big + "\r\nContent-Type: text/plain\r\nX: " + std::string(30, 'x') + "\r\n\r\n", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "CPIM: headers larger than 120 bytes");
  r = ParseCpim(big + big + "\r\n", small);  // the message headers alone
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "CPIM: headers larger than 120 bytes");
  // The content does not count against the header limits.
  EXPECT_TRUE(ParseCpim("\r\nContent-Type: text/plain\r\n\r\n" + std::string(100000, 'z'), small).ok());
}

TEST(CpimBuildErrors, EveryFieldIsChecked) {
  auto base = [] {
    CpimMessage m;
    m.SetContentHeader("Content-Type", "text/plain");
    return m;
  };
  auto expect = [](const CpimMessage& m, const char* reason) {
    auto r = BuildCpim(m);
    ASSERT_FALSE(r.ok()) << reason;
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().message, reason);
  };
  auto m = base();
  m.from = CpimAddress{"A", "not a uri"};
  expect(m, "CPIM: From URI is not valid");
  m = base();
  m.to.push_back({"", "sip:x>y"});
  expect(m, "CPIM: To URI is not valid");
  m = base();
  m.cc.push_back({"\xff", "sip:x@y"});
  expect(m, "CPIM: cc formal name is not UTF-8");
  m = base();
  m.datetime = "yesterday";
  expect(m, "CPIM: DateTime is not RFC 3339: too short");
  m = base();
  m.subjects.push_back({"e n", "x"});
  expect(m, "CPIM: Subject lang is not a language tag");
  m = base();
  m.subjects.push_back({"", "\xc0"});
  expect(m, "CPIM: Subject is not UTF-8");
  m = base();
  m.namespaces.push_back({"a.b", "urn:x"});
  expect(m, "CPIM: bad name prefix 'a.b'");
  m = base();
  m.namespaces.push_back({"a", "x"});
  expect(m, "CPIM: NS URN is not valid");
  m = base();
  m.namespaces = {{"a", "urn:x"}, {"a", "urn:y"}};
  expect(m, "CPIM: name prefix 'a' declared twice");
  m = base();
  m.require = {"a b"};
  expect(m, "CPIM: Require names a bad header name");
  m = base();
  m.AddExtension("", "bad name", "x");
  expect(m, "CPIM: bad header name '.bad name'");
  m = base();
  m.AddExtension("", "subject", "x");
  expect(m, "CPIM: extension header 'subject' has the name of a core header");
  m = base();
  m.AddExtension("imdn", "Message-ID", "x");
  expect(m, "CPIM: name prefix 'imdn' is not declared by NS");
  m = base();
  m.extensions.push_back({"", "X", "v", ";a"});
  expect(m, "CPIM: bad parameter in X");
  m = base();
  m.AddExtension("", "X", "\xff");
  expect(m, "CPIM: X value is not UTF-8");
  m = base();
  m.SetContentHeader("Bad Name", "x");
  expect(m, "CPIM: bad content header name 'Bad Name'");
  m = base();
  m.SetContentHeader("X", "a\r\nb");
  expect(m, "CPIM: control character in content header X");
  m = base();
  m.SetContentHeader("Content-Type", "plain");
  expect(m, "CPIM: Content-Type is not a media type");
  m = base();
  m.content_headers.clear();
  expect(m, "CPIM: no Content-Type in the content headers");
  m = base();
  m.content_headers.push_back({"content-type", "text/html"});
  expect(m, "CPIM: more than one Content-Type");
}

}  // namespace
}  // namespace parley::im
