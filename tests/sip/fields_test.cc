#include <gtest/gtest.h>

#include <cstdint>

#include "sip/fields.h"
#include "sip/lex.h"

namespace parley::sip {
namespace {

TEST(NameAddr, Forms) {
  auto a = ParseNameAddr("\"Alice A.\" <sip:alice@example.com;transport=tcp>;tag=abc;expires=60");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->DisplayName(), "Alice A.");
  EXPECT_EQ(a->uri.user, "alice");
  EXPECT_EQ(a->uri.Transport(), "tcp");
  EXPECT_EQ(a->tag(), "abc");
  EXPECT_EQ(a->params.Get("expires"), "60");

  auto b = ParseNameAddr("sip:bob@example.com;tag=x");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->angle_brackets);
  EXPECT_EQ(b->tag(), "x");
  EXPECT_TRUE(b->uri.params.empty());

  auto star = ParseNameAddr("*", NameAddrOptions::kAllowStar);
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->is_star);
  EXPECT_FALSE(ParseNameAddr("*").ok());
  EXPECT_FALSE(ParseNameAddr("sip:a@b", NameAddrOptions::kRequireAngle).ok());
}

TEST(NameAddr, FirstOfAList) {
  auto first = ParseFirstNameAddr(" <sip:edge.example.com;lr;ob>, <sip:192.0.2.4;lr>");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->uri_text, "sip:edge.example.com;lr;ob");
  // A comma inside the angle brackets or a quoted name does not split.
  first = ParseFirstNameAddr("\"a, b\" <sip:x@192.0.2.1;lr>,<sip:y@192.0.2.2>");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->uri.user, "x");
  EXPECT_FALSE(ParseFirstNameAddr("").ok());
  EXPECT_FALSE(ParseFirstNameAddr(", <sip:192.0.2.4;lr>").ok());
}

TEST(NameAddr, Rejects) {
  for (const char* bad : {"", "\"unterminated <sip:a@b>", "<sip:a@b", "< sip:a@b>", "<sip:a@b >", "Bell, A <sip:a@b>",
                          "<sip:a@b>;;", "<sip:a@b> junk", "sip:a@b?x=y", "\"x\" sip:a@b"}) {
    EXPECT_FALSE(ParseNameAddr(bad).ok()) << bad;
  }
}

TEST(Via, Basic) {
  auto v = ParseVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;received=10.0.0.1;rport");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->transport, "UDP");
  EXPECT_EQ(v->host, "192.0.2.1");
  EXPECT_EQ(v->port, 5060);
  EXPECT_EQ(v->branch(), "z9hG4bK776");
  EXPECT_EQ(v->received(), "10.0.0.1");
  ASSERT_TRUE(v->rport().has_value());
  EXPECT_EQ(*v->rport(), "");
  EXPECT_EQ(v->SentBy(), "192.0.2.1:5060");
}

TEST(Via, Ipv6AndLws) {
  auto v = ParseVia("SIP / 2.0 / TCP [2001:db8::1] : 5061 ; branch = z9hG4bKx");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_TRUE(v->host_is_ipv6);
  EXPECT_EQ(v->port, 5061);
  EXPECT_EQ(v->branch(), "z9hG4bKx");
  EXPECT_EQ(v->SentBy(), "[2001:db8::1]:5061");
}

TEST(Via, Rejects) {
  for (const char* bad : {"SIP/2.0/UDP", "SIP/2.0 UDP host", "SIP/3.0/UDP host", "SIP/2.0/UDP host;;",
                          "SIP/2.0/UDP host:99999", "SIP/2.0/UDP ho$t", "SIP/2.0/UDP [::1"}) {
    EXPECT_FALSE(ParseVia(bad).ok()) << bad;
  }
}

TEST(CSeq, ParseAndBounds) {
  auto c = ParseCSeq("4711 REGISTER");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->number, 4711u);
  EXPECT_EQ(c->method, Method::kRegister);
  EXPECT_TRUE(ParseCSeq("2147483647 INVITE").ok());
  EXPECT_FALSE(ParseCSeq("2147483648 INVITE").ok());
  EXPECT_FALSE(ParseCSeq("12").ok());
  EXPECT_FALSE(ParseCSeq("INVITE").ok());
  EXPECT_FALSE(ParseCSeq("-1 INVITE").ok());
}

TEST(Scalars, Bounds) {
  EXPECT_EQ(*ParseMaxForwards("70"), 70u);
  EXPECT_FALSE(ParseMaxForwards("256").ok());
  EXPECT_EQ(*ParseDeltaSeconds("4294967295"), 4294967295u);
  EXPECT_FALSE(ParseDeltaSeconds("4294967296").ok());
  EXPECT_FALSE(ParseContentLength("-1").ok());
  EXPECT_FALSE(ParseContentLength("99999999999999999999999").ok());
  EXPECT_EQ(*ParseContentLength("0012"), 12u);
}

TEST(MediaType, Parse) {
  auto m = ParseMediaType("Application/PIDF+XML ; charset=\"utf-8\"");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->Is("application", "pidf+xml"));
  EXPECT_EQ(m->Essence(), "application/pidf+xml");
  EXPECT_EQ(*m->params.GetUnquoted("charset"), "utf-8");
  EXPECT_FALSE(ParseMediaType("text").ok());
  EXPECT_FALSE(ParseMediaType("text/").ok());
}

TEST(Date, Parse) {
  auto d = ParseSipDate("Sat, 13 Nov 2010 23:29:00 GMT");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->ToUnix(), 1289690940);
  EXPECT_FALSE(ParseSipDate("Sat, 13 Nov 2010 23:29:00 EST").ok());
  EXPECT_FALSE(ParseSipDate("Sat, 13 Foo 2010 23:29:00 GMT").ok());
}

// SipDate::ToString(FromUnix(t)) is the rfc1123-date ParseSipDate reads
// back as t, over the whole range of years (weekdays: the fixed dates).
TEST(Date, FormatsWhatItParses) {
  EXPECT_EQ(SipDate::FromUnix(0).ToString(), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(SipDate::FromUnix(1289690940).ToString(), "Sat, 13 Nov 2010 23:29:00 GMT");  // §20.17
  EXPECT_EQ(SipDate::FromUnix(-1).ToString(), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(SipDate::FromUnix(951782400).ToString(), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(SipDate::FromUnix(INT64_MIN).ToString(), "Mon, 01 Jan 0001 00:00:00 GMT");
  EXPECT_EQ(SipDate::FromUnix(INT64_MAX).ToString(), "Fri, 31 Dec 9999 23:59:59 GMT");
  for (int64_t t = -62135596800; t <= 253402300799; t += 86400 * 97 + 3677) {
    auto d = ParseSipDate(SipDate::FromUnix(t).ToString());
    ASSERT_TRUE(d.ok()) << t;
    ASSERT_EQ(d->ToUnix(), t);
  }
}

TEST(Auth, Digest) {
  auto a = ParseAuthField(
      "Digest username=\"alice\", realm=\"example.com\", nonce=\"abc\", uri=\"sip:example.com\", "
      "response=\"0123\", qop=auth, nc=00000001, cnonce=\"xyz\", algorithm=MD5");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "Digest");
  EXPECT_EQ(*a->Param("username"), "alice");
  EXPECT_EQ(*a->Param("qop"), "auth");
  EXPECT_EQ(*a->Param("nc"), "00000001");
  EXPECT_FALSE(a->Param("opaque").has_value());
}

TEST(Lists, SplitRespectsQuotesAndAngles) {
  std::vector<std::string> out;
  bool ok = ForEachListElement("\"a, b\" <sip:x@y;p=1,2>, <sip:z@w> , sip:q@r", [&](std::string_view e) {
    out.emplace_back(e);
    return true;
  });
  ASSERT_TRUE(ok);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], "\"a, b\" <sip:x@y;p=1,2>");
  EXPECT_EQ(out[2], "sip:q@r");
  EXPECT_FALSE(ForEachListElement("a,,b", [](std::string_view) { return true; }));
  EXPECT_FALSE(ForEachListElement("\"open", [](std::string_view) { return true; }));
}

TEST(CallId, Syntax) {
  EXPECT_TRUE(ValidCallId("abc@host"));
  EXPECT_TRUE(ValidCallId("a.b-c"));
  EXPECT_FALSE(ValidCallId("a b"));
  EXPECT_FALSE(ValidCallId("a@b@c"));
  EXPECT_FALSE(ValidCallId(""));
}

}  // namespace
}  // namespace parley::sip
