// message/cpim (RFC 3862): the RFC examples, escapes, binary content, the
// builder and parse(build(x)) == x.

#include "im/format/cpim.h"

#include <gtest/gtest.h>

#include "im/format/imdn.h"

namespace parley::im {
namespace {

// RFC 3862 §5.1, with the content type the example means (the RFC text
// lacks the colon after "Content-type").
constexpr std::string_view kRfc3862Example =
    "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
    "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"
    "DateTime: 2000-12-13T13:40:00-08:00\r\n"
    "Subject: the weather will be fine today\r\n"
    "Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
    "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
    "Require: MyFeatures.VitalMessageOption\r\n"
    "MyFeatures.VitalMessageOption: Confirmation-requested\r\n"
    "MyFeatures.WackyMessageOption: Use-silly-font\r\n"
    "\r\n"
    "Content-type: text/xml; charset=utf-8\r\n"
    "Content-ID: <1234567890@foo.com>\r\n"
    "\r\n"
    "<body>\r\n"
    "Here is the text of my message.\r\n"
    "</body>\r\n";

// RFC 5438 §7.1.1.1: a message asking for delivery and display
// notifications.
constexpr std::string_view kRfc5438Request =
    "From: Alice <im:alice@example.com>\r\n"
    "To: Bob <im:bob@example.com>\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: 34jk324j\r\n"
    "DateTime: 2006-04-04T12:16:49-05:00\r\n"
    "imdn.Disposition-Notification: positive-delivery, display\r\n"
    "\r\n"
    "Content-type: text/plain\r\n"
    "Content-length: 12\r\n"
    "\r\n"
    "Hello World\n";

TEST(Cpim, Rfc3862Example) {
  auto v = ParseCpim(kRfc3862Example);
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_NE(v->From(), nullptr);
  EXPECT_EQ(v->From()->address.formal_name, "MR SANDERS");
  EXPECT_EQ(v->From()->address.DisplayName(), "MR SANDERS");
  EXPECT_EQ(v->From()->address.uri, "im:piglet@100akerwood.com");
  auto to = v->Addresses(CpimHeaderKind::kTo);
  ASSERT_EQ(to.size(), 1u);
  EXPECT_EQ(to[0].DisplayName(), "Depressed Donkey");
  EXPECT_EQ(to[0].uri, "im:eeyore@100akerwood.com");
  ASSERT_NE(v->DateTime(), nullptr);
  EXPECT_EQ(v->DateTime()->value, "2000-12-13T13:40:00-08:00");
  EXPECT_EQ(v->datetime_ms, 976743600000);
  ASSERT_EQ(v->headers.size(), 9u);
  EXPECT_EQ(v->headers[3].kind, CpimHeaderKind::kSubject);
  EXPECT_EQ(v->headers[3].Param("lang"), std::nullopt);
  EXPECT_EQ(v->headers[4].Param("lang"), "fr");
  EXPECT_EQ(v->headers[4].params, ";lang=fr");
  EXPECT_EQ(v->headers[4].value, "beau temps prevu pour aujourd'hui");
  EXPECT_EQ(v->headers[5].kind, CpimHeaderKind::kNs);
  EXPECT_EQ(v->headers[5].address.formal_name, "MyFeatures");
  EXPECT_EQ(v->headers[5].address.uri, "mid:MessageFeatures@id.foo.com");
  const CpimHeaderView* vital = v->Find("mid:MessageFeatures@id.foo.com", "VitalMessageOption");
  ASSERT_NE(vital, nullptr);
  EXPECT_EQ(vital->prefix, "MyFeatures");
  EXPECT_EQ(vital->value, "Confirmation-requested");
  EXPECT_EQ(v->Find("mid:MessageFeatures@id.foo.com", "WackyMessageOption")->value, "Use-silly-font");
  EXPECT_EQ(v->Find(kCpimCoreNs, "WackyMessageOption"), nullptr);
  EXPECT_EQ(v->content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(v->ContentHeader("content-id")->value, "<1234567890@foo.com>");
  EXPECT_EQ(v->content, "<body>\r\nHere is the text of my message.\r\n</body>\r\n");

  CpimMessage m = v->ToOwned();
  EXPECT_EQ(m.from, (CpimAddress{"MR SANDERS", "im:piglet@100akerwood.com"}));
  ASSERT_EQ(m.subjects.size(), 2u);
  EXPECT_EQ(m.subjects[1], (CpimSubject{"fr", "beau temps prevu pour aujourd'hui"}));
  EXPECT_EQ(m.namespaces, (std::vector<CpimNamespace>{{"MyFeatures", "mid:MessageFeatures@id.foo.com"}}));
  EXPECT_EQ(m.require, std::vector<std::string>{"MyFeatures.VitalMessageOption"});
  ASSERT_EQ(m.extensions.size(), 2u);
  EXPECT_EQ(m.Extension("MyFeatures", "VitalMessageOption"), "Confirmation-requested");
  EXPECT_EQ(m.ContentHeader("Content-Type"), "text/xml; charset=utf-8");

  // The builder writes the same message canonically; it reads back equal.
  auto built = BuildCpim(m);
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ(*built, kRfc3862Example);
  EXPECT_EQ(ParseCpim(*built)->ToOwned(), m);
}

TEST(Cpim, Rfc5438DispositionRequest) {
  auto v = ParseCpim(kRfc5438Request);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(ImdnMessageId(*v), "34jk324j");
  auto d = RequestedDispositions(*v);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->positive_delivery);
  EXPECT_TRUE(d->display);
  EXPECT_FALSE(d->negative_delivery);
  EXPECT_FALSE(d->processing);
  EXPECT_EQ(v->Find(kImdnNs, "Message-ID")->prefix, "imdn");
  EXPECT_EQ(v->content_type, "text/plain");
  EXPECT_EQ(v->ContentHeader("Content-Length")->value, "12");
  EXPECT_EQ(v->content, "Hello World\n");
}

TEST(Cpim, EscapesAreValidatedAndDecodedOnRequest) {
  constexpr std::string_view body =
      "From: \"Ann \\\"The Hat\\\" O\\\\Neil\" <sip:ann@example.com>\r\n"
      "Subject: tab\\there, cr\\r lf\\n bs\\b \\' \\\" \\\\ \\u00e9 \\uD83D\\uDE00 \\u0041\r\n"
      "\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n";
  auto v = ParseCpim(body);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->From()->address.formal_name, "\"Ann \\\"The Hat\\\" O\\\\Neil\"");
  EXPECT_EQ(v->From()->address.DisplayName(), "Ann \"The Hat\" O\\Neil");
  EXPECT_EQ(v->headers[1].value, "tab\\there, cr\\r lf\\n bs\\b \\' \\\" \\\\ \\u00e9 \\uD83D\\uDE00 \\u0041");
  EXPECT_EQ(v->headers[1].Decoded(), "tab\there, cr\r lf\n bs\b ' \" \\ \xC3\xA9 \xF0\x9F\x98\x80 A");
  EXPECT_EQ(*DecodeCpimEscapes("a\\u0000b"), std::string("a\0b", 3));
  EXPECT_EQ(EncodeCpimEscapes(std::string("a\\b\"\r\n\t\b\x01\x7f", 10)), "a\\\\b\"\\r\\n\\t\\b\\u0001\\u007F");
  EXPECT_EQ(EncodeCpimEscapes("say \"hi\"", true), "say \\\"hi\\\"");
  const std::pair<const char*, const char*> bad[] = {
      {"x\\", "CPIM: bad escape: a backslash at the end"},
      {"\\q", "CPIM: bad escape: an unknown escape"},
      {"\\u12", "CPIM: bad escape: \\u without four hex digits"},
      {"\\u12G4", "CPIM: bad escape: \\u without four hex digits"},
      {"\\uDC00", "CPIM: bad escape: a lone low surrogate"},
      {"\\uD800x", "CPIM: bad escape: a high surrogate without its low surrogate"},
      {"\\uD800\\u0041", "CPIM: bad escape: a high surrogate without its low surrogate"},
  };
  for (const auto& [raw, reason] : bad) {
    auto r = DecodeCpimEscapes(raw);
    ASSERT_FALSE(r.ok()) << raw;
    EXPECT_EQ(r.error().message, reason) << raw;
  }
}

TEST(Cpim, BinaryContentWithNulsIsKeptByteForByte) {
  static constexpr char kPng[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\r\n\r\n\xff";
  std::string content(kPng, sizeof kPng - 1);
  CpimMessage m;
  m.from = CpimAddress{"", "sip:a@example.com"};
  m.to.push_back({"", "sip:b@example.com"});
  m.SetContentHeader("Content-Type", "image/png");
  m.SetContentHeader("Content-Transfer-Encoding", "binary");
  m.content = content;
  auto body = BuildCpim(m);
  ASSERT_TRUE(body.ok());
  auto v = ParseCpim(*body);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->content, content);
  EXPECT_EQ(v->content.size(), 22u);
  EXPECT_EQ(v->ToOwned(), m);
}

CpimMessage FullMessage() {
  CpimMessage m;
  m.from = CpimAddress{"Zoë Ünïcode", "sip:zoe@example.com"};
  m.to = {{"Bob", "sip:bob@example.com"}, {"", "im:carol@example.org"}};
  m.cc = {{"Dan \"the man\"", "sip:dan@example.com"}, {" padded ", "tel:+15551234567"}};
  m.datetime = "2024-05-01T10:11:12.345+02:00";
  m.subjects = {{"", "  spaces at both ends  "}, {"de-CH", "Grüezi\tmit\nZeilen"}, {"", ""}};
  m.DeclareNamespace("imdn", kImdnNs);
  m.DeclareNamespace("", "urn:example:default");
  m.require = {"imdn.Disposition-Notification", "Private"};
  m.AddExtension("imdn", "Message-ID", "m-1");
  m.AddExtension("imdn", "Disposition-Notification", "positive-delivery, negative-delivery, processing");
  m.AddExtension("", "Private", "back\\slash and \"quotes\" and \x01");
  m.extensions.push_back({"imdn", "X", "v", ";a=b;c=\"d e\""});
  m.SetContentHeader("Content-Type", "text/plain;charset=UTF-8");
  m.SetContentHeader("Content-Disposition", "render");
  m.content = "line one\r\n\r\nline three";
  return m;
}

TEST(Cpim, ParseOfBuildIsTheIdentity) {
  CpimMessage m = FullMessage();
  auto body = BuildCpim(m);
  ASSERT_TRUE(body.ok()) << body.error().message;
  auto v = ParseCpim(*body);
  ASSERT_TRUE(v.ok()) << v.error().message << "\n" << *body;
  EXPECT_EQ(v->ToOwned(), m);
  // Canonical form: deterministic, and the unprefixed extension lives in
  // the default namespace NS declared.
  EXPECT_EQ(*BuildCpim(v->ToOwned()), *body);
  EXPECT_NE(v->Find("urn:example:default", "Private"), nullptr);
  EXPECT_EQ(v->Find(kImdnNs, "X")->Param("c"), "\"d e\"");
  EXPECT_NE(body->find("From: \"Zoë Ünïcode\" <sip:zoe@example.com>\r\n"), std::string::npos);
  EXPECT_NE(body->find("cc: \"Dan \\\"the man\\\"\" <sip:dan@example.com>\r\n"), std::string::npos);
  EXPECT_NE(body->find("Subject: \\u0020\\u0020spaces at both ends\\u0020\\u0020\r\n"), std::string::npos);
  EXPECT_NE(body->find("Subject:;lang=de-CH Grüezi\\tmit\\nZeilen\r\n"), std::string::npos);
  EXPECT_NE(body->find("Private: back\\\\slash and \"quotes\" and \\u0001\r\n"), std::string::npos);
  EXPECT_NE(body->find("Require: imdn.Disposition-Notification, Private\r\n"), std::string::npos);
}

TEST(Cpim, ImdnHeadersWrittenByTheBuilder) {
  CpimMessage m;
  m.from = CpimAddress{"", "sip:alice@example.com"};
  m.to.push_back({"", "sip:bob@example.com"});
  m.datetime = "2024-05-01T10:00:00Z";
  m.DeclareNamespace("imdn", kImdnNs);
  m.AddExtension("imdn", "Message-ID", "abc");
  m.AddExtension("imdn", "Disposition-Notification", "positive-delivery");
  m.SetContentHeader("Content-Type", "text/plain;charset=UTF-8");
  m.content = "hi";
  EXPECT_EQ(*BuildCpim(m),
            "From: <sip:alice@example.com>\r\n"
            "To: <sip:bob@example.com>\r\n"
            "DateTime: 2024-05-01T10:00:00Z\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            "imdn.Message-ID: abc\r\n"
            "imdn.Disposition-Notification: positive-delivery\r\n"
            "\r\n"
            "Content-Type: text/plain;charset=UTF-8\r\n"
            "\r\n"
            "hi");
}

TEST(Cpim, LenientWhereClientsDiffer) {
  // LF-only line ends, no space after the colon, a quoted name glued to
  // its URI, header names of the core set in any case, folded content
  // headers, content headers ending the body.
  auto v = ParseCpim(
      "from:\"A\"<sip:a@b>\nTO: <sip:c@d>\nDATETIME: 2024-01-01T00:00:00Z\n\n"
      "Content-Type: text/plain;\n charset=utf-8\nX-Note:\n\tfolded\n");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->From()->address.DisplayName(), "A");
  EXPECT_EQ(v->Addresses(CpimHeaderKind::kTo)[0].uri, "sip:c@d");
  EXPECT_EQ(v->datetime_ms, 1704067200000);
  EXPECT_EQ(v->ContentHeader("Content-Type")->Unfolded(), "text/plain; charset=utf-8");
  EXPECT_EQ(v->ContentHeader("x-note")->Unfolded(), "folded");
  EXPECT_EQ(v->content, "");
  // A message without message headers at all.
  auto bare = ParseCpim("\r\nContent-Type: text/plain\r\n\r\nx");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->From(), nullptr);
  EXPECT_EQ(bare->content, "x");
  // An NS declared after the header that uses it still binds it; the same
  // declaration twice is harmless.
  auto late = ParseCpim("a.B: 1\r\nNS: a <urn:x>\r\nNS: a <urn:x>\r\n\r\nContent-Type: text/plain\r\n\r\n");
  ASSERT_TRUE(late.ok()) << late.error().message;
  EXPECT_EQ(late->Find("urn:x", "B")->value, "1");
  EXPECT_EQ(late->ToOwned().namespaces.size(), 1u);
  // Extension names are case-sensitive (RFC 3862 §3.1).
  EXPECT_EQ(late->Find("urn:x", "b"), nullptr);
}

TEST(Cpim, ViewsCopyAndMove) {
  auto v = ParseCpim(kRfc3862Example);
  ASSERT_TRUE(v.ok());
  CpimView copy = *v;
  CpimView moved = std::move(*v);
  EXPECT_EQ(copy.From()->address.uri, "im:piglet@100akerwood.com");
  EXPECT_EQ(moved.DateTime()->value, "2000-12-13T13:40:00-08:00");
  EXPECT_EQ(copy.ToOwned(), moved.ToOwned());
}

}  // namespace
}  // namespace parley::im
