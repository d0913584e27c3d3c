// RFC 4475 (SIP torture messages) and RFC 5118 (IPv6 torture messages): one
// test per message asserting the outcome in tests/sip/conformance/README.md
// and, for valid messages, the parsed values.

#include <gtest/gtest.h>

#include "sip/checks.h"
#include "sip/multipart.h"
#include "sip/validate.h"
#include "test_util.h"

namespace parley::sip {
namespace {

using testing::Conformance;

MessagePtr Load(const std::string& name) {
  auto m = testing::Parse(Conformance(name));
  EXPECT_NE(m, nullptr) << name;
  return m;
}

// A valid request: parses, passes the syntax gate.
MessagePtr ValidRequest(const std::string& name) {
  auto m = Load(name);
  if (!m) return m;
  auto rej = ValidateRequest(*m);
  EXPECT_FALSE(rej.has_value()) << name << ": " << (rej ? rej->reason : "");
  EXPECT_TRUE(m->is_request());
  return m;
}

void ExpectRejected(const std::string& name, uint16_t status) {
  auto m = Load(name);
  ASSERT_NE(m, nullptr);
  auto rej = ValidateRequest(*m);
  ASSERT_TRUE(rej.has_value()) << name << " was accepted";
  EXPECT_EQ(rej->status, status) << name << ": " << rej->reason;
  EXPECT_FALSE(rej->reason.empty());
}

std::string Decoded(std::string_view s) { return PercentDecode(s); }

// A UA-like element (accepts SDP, knows the usual methods) for §8.2 checks.
Capabilities UaCaps() {
  Capabilities c;
  c.methods = {Method::kInvite, Method::kAck, Method::kBye, Method::kCancel, Method::kOptions,
               Method::kRegister, Method::kMessage};
  c.extensions = {"path", "outbound"};
  c.accepted_types = {"application/sdp"};
  return c;
}

// ---------------------------------------------------------------- 3.1.1 valid

TEST(Rfc4475, WsinvShortTorture) {
  auto m = ValidRequest("rfc4475/wsinv.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kInvite);
  EXPECT_EQ(m->request_uri()->user, "vivekg");
  EXPECT_EQ(m->request_uri()->host, "chair-dnrc.example.com");
  EXPECT_TRUE(m->request_uri()->params.Has("unknownparam"));
  EXPECT_EQ(m->to()->uri.user, "vivekg");
  EXPECT_EQ(m->to()->tag(), "1918181833n");
  EXPECT_EQ(m->from()->DisplayName(), "J Rosenberg \\\"");
  EXPECT_EQ(m->from()->tag(), "98asjd8");
  EXPECT_EQ(m->max_forwards(), 68u);
  EXPECT_EQ(m->call_id(), "wsinv.ndaksdj@192.0.2.1");
  EXPECT_EQ(m->cseq()->number, 9u);
  EXPECT_EQ(m->cseq()->method, Method::kInvite);
  ASSERT_EQ(m->vias().size(), 3u);
  EXPECT_EQ(m->vias()[0].transport, "UDP");
  EXPECT_EQ(m->vias()[0].host, "192.0.2.2");
  EXPECT_EQ(m->vias()[0].branch(), "390skdjuw");
  EXPECT_EQ(m->vias()[1].transport, "TCP");
  EXPECT_EQ(m->vias()[1].host, "spindle.example.com");
  EXPECT_EQ(m->vias()[1].branch(), "z9hG4bK9ikj8");
  EXPECT_EQ(m->vias()[2].host, "192.168.255.111");
  EXPECT_EQ(m->vias()[2].branch(), "z9hG4bK30239");
  ASSERT_EQ(m->contacts().size(), 1u);
  EXPECT_EQ(m->contacts()[0].DisplayName(), "Quoted string \"\"");
  EXPECT_EQ(m->contacts()[0].params.Get("newparam"), "newvalue");
  EXPECT_TRUE(m->contacts()[0].params.Has("secondparam"));
  EXPECT_EQ(m->contacts()[0].params.Get("q"), "0.33");
  EXPECT_EQ(m->Value(HeaderId::kSubject), "");
  EXPECT_NE(m->Find("NewFangledHeader"), nullptr);
  EXPECT_EQ(m->Value(HeaderId::kContentType), "application/sdp");
  EXPECT_EQ(m->body().size(), 150u);
}

TEST(Rfc4475, IntmethWideRangeOfCharacters) {
  auto m = ValidRequest("rfc4475/intmeth.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kUnknown);
  EXPECT_EQ(m->method_text(), "!interesting-Method0123456789_*+`.%indeed'~");
  EXPECT_EQ(m->request_uri()->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m->request_uri()->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  EXPECT_EQ(m->request_uri()->host, "example.com");
  EXPECT_EQ(m->vias()[0].branch(), "z9hG4bK-.!%66*_+`'~");
  std::string to_dn = m->to()->DisplayName();
  EXPECT_EQ(to_dn.size(), std::string("BEL:\x07 NUL:").size() + 1 + std::string(" DEL:\x7f").size());
  EXPECT_EQ(to_dn[10], '\0');
  EXPECT_EQ(m->to()->uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  EXPECT_EQ(m->from()->display_name, "token1~` token2'+_ token3*%!.-");
  EXPECT_EQ(m->from()->tag(), "_token~1'+`*%!-.");
  EXPECT_TRUE(m->from()->params.Has("fromParam''~+*_!.-%"));
  EXPECT_EQ(m->call_id(), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  EXPECT_EQ(m->cseq()->number, 139122385u);
  EXPECT_EQ(m->cseq()->method_text, m->method_text());
  EXPECT_EQ(m->max_forwards(), 255u);
  const HeaderField* ext = m->Find("extensionHeader-!.%*+_`'~");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->value, "\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB");
  EXPECT_TRUE(m->body().empty());
}

TEST(Rfc4475, Esc01EscapedCharacters) {
  auto m = ValidRequest("rfc4475/esc01.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->DecodedUser(), "sips:user@example.com");
  EXPECT_EQ(m->request_uri()->host, "example.net");
  EXPECT_EQ(m->to()->uri.DecodedUser(), "user");
  EXPECT_EQ(m->from()->uri.DecodedUser(), "I have spaces");
  EXPECT_EQ(m->call_id(), "esc01.239409asdfakjkn23onasd0-3234");
  ASSERT_EQ(m->contacts().size(), 1u);
  const Uri& c = m->contacts()[0].uri;
  EXPECT_EQ(c.DecodedUser(), "caller");
  EXPECT_TRUE(c.params.Has("%6C%72"));
  EXPECT_EQ(Decoded(*c.params.Get("n%61me")), "value%41");
  // An escaped user equals its unescaped form (RFC 3261 §19.1.4).
  auto plain = ParseUri("sip:user@example.com");
  EXPECT_TRUE(UriEquivalent(m->to()->uri, *plain));
  EXPECT_EQ(m->body().size(), 150u);
}

TEST(Rfc4475, EscnullEscapedNulls) {
  auto m = ValidRequest("rfc4475/escnull.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kRegister);
  EXPECT_EQ(m->to()->uri.DecodedUser(), std::string("null-\0-null", 11));
  ASSERT_EQ(m->contacts().size(), 2u);
  EXPECT_EQ(m->contacts()[0].uri.DecodedUser(), std::string(1, '\0'));
  EXPECT_EQ(m->contacts()[1].uri.DecodedUser(), std::string(2, '\0'));
}

TEST(Rfc4475, Esc02PercentNotAnEscape) {
  auto m = ValidRequest("rfc4475/esc02.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kUnknown);
  EXPECT_EQ(m->method_text(), "RE%47IST%45R");
  EXPECT_EQ(m->cseq()->method_text, "RE%47IST%45R");
  EXPECT_EQ(m->to()->DisplayName(), "%Z%45");
  EXPECT_EQ(m->vias()[0].branch(), "z9hG4bK209%fzsnel234");
  // "C%6Fntact" is an unknown header, not a third Contact.
  EXPECT_EQ(m->contacts().size(), 2u);
  EXPECT_NE(m->Find("C%6Fntact"), nullptr);
}

TEST(Rfc4475, LwsdispNoLwsBeforeAngle) {
  auto m = ValidRequest("rfc4475/lwsdisp.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->from()->display_name, "caller");
  EXPECT_EQ(m->from()->uri.user, "caller");
  EXPECT_EQ(m->from()->tag(), "323");
}

TEST(Rfc4475, LongreqLongValues) {
  auto m = ValidRequest("rfc4475/longreq.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to()->uri.port, 6000);
  EXPECT_TRUE(m->to()->uri.params.Has(
      "verylonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglonglongParameterNameWithNoValue"));
  EXPECT_GT(m->from()->tag().size(), 100u);
  EXPECT_EQ(m->vias().size(), 34u);
  EXPECT_GT(m->call_id().size(), 100u);
  EXPECT_EQ(m->Count(HeaderId::kUnknown) >= 1, true);
  EXPECT_EQ(m->body().size(), 150u);
}

TEST(Rfc4475, DblreqExtraOctetsIgnored) {
  auto m = ValidRequest("rfc4475/dblreq.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kRegister);
  EXPECT_EQ(m->body().size(), 0u);
  // The second request in the datagram is not part of the message.
  EXPECT_EQ(m->Serialize().find("INVITE"), std::string::npos);
}

TEST(Rfc4475, SemiuriSemicolonInUser) {
  auto m = ValidRequest("rfc4475/semiuri.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->user, "user;par=u%40example.net");
  EXPECT_EQ(m->request_uri()->host, "example.com");
  EXPECT_TRUE(m->request_uri()->params.empty());
  int accepts = 0;
  m->ForEachValue(HeaderId::kAccept, [&](std::string_view) { return ++accepts; });
  EXPECT_EQ(accepts, 6);
}

TEST(Rfc4475, TransportsUnknownTokens) {
  auto m = ValidRequest("rfc4475/transports.dat");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->vias().size(), 5u);
  EXPECT_EQ(m->vias()[1].transport, "SCTP");
  EXPECT_EQ(m->vias()[2].transport, "TLS");
  EXPECT_EQ(m->vias()[3].transport, "UNKNOWN");
  EXPECT_EQ(m->vias()[4].transport, "TCP");
  EXPECT_EQ(m->call_id(), "transports.kijh4akdnaqjkwendsasfdj");
}

TEST(Rfc4475, Mpart01MultipartBinary) {
  auto m = ValidRequest("rfc4475/mpart01.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), Method::kMessage);
  EXPECT_EQ(m->body().size(), 553u);
  auto ct = m->content_type();
  ASSERT_TRUE(ct);
  EXPECT_TRUE(ct->Is("multipart", "mixed"));
  auto parts = ParseMultipart(m->body(), *ct->params.Get("boundary"));
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].Header("Content-Type"), "text/plain");
  EXPECT_EQ((*parts)[0].body, "Hello");
  EXPECT_EQ((*parts)[1].Header("content-type"), "application/octet-stream");
  // The binary part runs byte-exact up to the CRLF before the close delimiter.
  std::string_view bin = (*parts)[1].body;
  EXPECT_EQ(bin.substr(0, 2), "0\x82");
  EXPECT_EQ(bin.data() + bin.size(), m->body().data() + m->body().rfind("\r\n--7a9cbec02ceef655--"));
}

TEST(Rfc4475, UnreasonUnusualReasonPhrase) {
  auto m = Load("rfc4475/unreason.dat");
  ASSERT_TRUE(m);
  EXPECT_TRUE(ValidResponse(*m));
  EXPECT_EQ(m->status(), 200);
  EXPECT_TRUE(m->reason().starts_with("= 2**3 * 5**2 "));
  EXPECT_EQ(m->body().size(), 154u);
}

TEST(Rfc4475, NoreasonEmptyReasonPhrase) {
  auto m = Load("rfc4475/noreason.dat");
  ASSERT_TRUE(m);
  EXPECT_TRUE(ValidResponse(*m));
  EXPECT_EQ(m->status(), 100);
  EXPECT_EQ(m->reason(), "");
}

// -------------------------------------------------------------- 3.1.2 invalid

TEST(Rfc4475, Badinv01ExtraneousSeparators) { ExpectRejected("rfc4475/badinv01.dat", 400); }
TEST(Rfc4475, ClerrContentLengthTooLarge) { ExpectRejected("rfc4475/clerr.dat", 400); }
TEST(Rfc4475, NclNegativeContentLength) { ExpectRejected("rfc4475/ncl.dat", 400); }
TEST(Rfc4475, Scalar02OverlargeScalars) { ExpectRejected("rfc4475/scalar02.dat", 400); }

TEST(Rfc4475, ScalarlgResponseDropped) {
  auto m = Load("rfc4475/scalarlg.dat");
  ASSERT_TRUE(m);
  EXPECT_FALSE(ValidResponse(*m));
}

TEST(Rfc4475, QuotbalUnterminatedQuote) { ExpectRejected("rfc4475/quotbal.dat", 400); }
TEST(Rfc4475, LtgtruriAngleBracketsInRequestUri) { ExpectRejected("rfc4475/ltgtruri.dat", 400); }
TEST(Rfc4475, LwsruriLwsInRequestUri) { ExpectRejected("rfc4475/lwsruri.dat", 400); }
TEST(Rfc4475, LwsstartMultipleSpaces) { ExpectRejected("rfc4475/lwsstart.dat", 400); }

TEST(Rfc4475, TrwsTrailingWhitespaceAccepted) {
  // Either outcome conforms; Parley accepts and parses the request.
  auto m = ValidRequest("rfc4475/trws.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->version(), "SIP/2.0");
  EXPECT_EQ(m->request_uri()->user, "remote-target");
}

TEST(Rfc4475, EscruriEscapedHeadersInRequestUri) { ExpectRejected("rfc4475/escruri.dat", 400); }
TEST(Rfc4475, BaddateNonGmtDate) { ExpectRejected("rfc4475/baddate.dat", 400); }
TEST(Rfc4475, RegbadctUriWithHeadersOutsideAngles) { ExpectRejected("rfc4475/regbadct.dat", 400); }
TEST(Rfc4475, BadaspecSpacesInAddrSpec) { ExpectRejected("rfc4475/badaspec.dat", 400); }
TEST(Rfc4475, BaddnNonTokenDisplayName) { ExpectRejected("rfc4475/baddn.dat", 400); }
TEST(Rfc4475, BadversUnknownVersion) { ExpectRejected("rfc4475/badvers.dat", 505); }
TEST(Rfc4475, Mismatch01CSeqMethodMismatch) { ExpectRejected("rfc4475/mismatch01.dat", 400); }
TEST(Rfc4475, Mismatch02UnknownMethodMismatch) { ExpectRejected("rfc4475/mismatch02.dat", 400); }

TEST(Rfc4475, BigcodeResponseDropped) {
  auto m = Load("rfc4475/bigcode.dat");
  ASSERT_TRUE(m);
  EXPECT_FALSE(ValidResponse(*m));
}

// ------------------------------------------------------------ 3.2 / 3.3 / 3.4

TEST(Rfc4475, BadbranchMagicCookieOnly) {
  // Parses; the transaction layer treats a bare cookie as an RFC 2543 branch
  // (tests/transaction covers the matching).
  auto m = ValidRequest("rfc4475/badbranch.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->top_via()->branch(), "z9hG4bK");
}

TEST(Rfc4475, InsufMissingRequiredHeaders) {
  auto m = Load("rfc4475/insuf.dat");
  ASSERT_TRUE(m);
  auto rej = ValidateRequest(*m);
  ASSERT_TRUE(rej);
  EXPECT_EQ(rej->status, 400);
  EXPECT_EQ(rej->reason, "Missing To Header");
}

TEST(Rfc4475, UnkscmUnknownRequestUriScheme) {
  auto m = ValidRequest("rfc4475/unkscm.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->scheme, Scheme::kOther);
  EXPECT_EQ(m->request_uri()->scheme_text, "nobodyKnowsThisScheme");
  auto f = CheckAsUas(*m, UaCaps());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 416);
  EXPECT_EQ(CheckAsProxy(*m, UaCaps())->status, 416);
}

TEST(Rfc4475, NovelscKnownButAtypicalScheme) {
  auto m = ValidRequest("rfc4475/novelsc.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->scheme_text, "soap.beep");
  EXPECT_EQ(CheckAsUas(*m, UaCaps())->status, 416);
}

TEST(Rfc4475, Unksm2UnknownSchemesInHeaders) {
  auto m = ValidRequest("rfc4475/unksm2.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to()->uri.scheme_text, "isbn");
  EXPECT_EQ(m->from()->uri.scheme_text, "http");
  EXPECT_EQ(m->contacts()[0].uri.scheme_text, "name");
  // A proxy forwards it: no check fails.
  EXPECT_FALSE(CheckAsProxy(*m, UaCaps()).has_value());
}

TEST(Rfc4475, Bext01UnknownExtensions) {
  auto m = ValidRequest("rfc4475/bext01.dat");
  ASSERT_TRUE(m);
  auto f = CheckAsUas(*m, UaCaps());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 420);
  EXPECT_EQ(f->header, HeaderId::kUnsupported);
  EXPECT_EQ(f->header_value, "nothingSupportsThis, nothingSupportsThisEither");
  auto p = CheckAsProxy(*m, UaCaps());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 420);
  EXPECT_EQ(p->header_value, "noProxiesSupportThis, norDoAnyProxiesSupportThis");
  auto resp = MakeFailureResponse(*m, *f, "abc");
  EXPECT_EQ(resp->Value(HeaderId::kUnsupported), "nothingSupportsThis, nothingSupportsThisEither");
}

TEST(Rfc4475, InvutUnknownContentType) {
  auto m = ValidRequest("rfc4475/invut.dat");
  ASSERT_TRUE(m);
  auto f = CheckAsUas(*m, UaCaps());
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 415);
  EXPECT_EQ(f->header, HeaderId::kAccept);
  EXPECT_EQ(f->header_value, "application/sdp");
}

TEST(Rfc4475, Regaut01UnknownAuthorizationScheme) {
  auto m = ValidRequest("rfc4475/regaut01.dat");
  ASSERT_TRUE(m);
  auto a = ParseAuthField(m->Value(HeaderId::kAuthorization));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "NoOneKnowsThisScheme");
  EXPECT_FALSE(IEquals(a->scheme, "Digest"));
  // The digest layer treats it as "not Digest" (tests/auth/digest_test.cc,
  // Digest.Regaut01UnknownSchemeIsIgnored), so the element challenges.
}

TEST(Rfc4475, Multi01MultipleSingleValuedHeaders) { ExpectRejected("rfc4475/multi01.dat", 400); }
TEST(Rfc4475, Mcl01MultipleContentLength) { ExpectRejected("rfc4475/mcl01.dat", 400); }

TEST(Rfc4475, BcastResponseToBroadcast) {
  auto m = Load("rfc4475/bcast.dat");
  ASSERT_TRUE(m);
  EXPECT_TRUE(ValidResponse(*m));
  ASSERT_EQ(m->vias().size(), 2u);
  EXPECT_EQ(m->vias()[1].host, "255.255.255.255");
  // Transport refuses broadcast destinations: tests/transport/address_test.cc.
}

TEST(Rfc4475, ZeromfMaxForwardsZero) {
  auto m = ValidRequest("rfc4475/zeromf.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->max_forwards(), 0u);
  // Not OPTIONS to the proxy itself: 483.
  auto f = CheckAsProxy(*m, UaCaps(), /*options_to_self=*/false);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 483);
  // An OPTIONS addressed to the proxy may be answered by it.
  EXPECT_FALSE(CheckAsProxy(*m, UaCaps(), /*options_to_self=*/true));
}

TEST(Rfc4475, Cparam01ContactHeaderParameter) {
  auto m = ValidRequest("rfc4475/cparam01.dat");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->contacts().size(), 1u);
  const NameAddr& c = m->contacts()[0];
  EXPECT_FALSE(c.angle_brackets);
  EXPECT_TRUE(c.params.Has("unknownparam"));
  EXPECT_TRUE(c.uri.params.empty());
  EXPECT_EQ(c.uri.user, "+19725552222");
}

TEST(Rfc4475, Cparam02ContactUriParameter) {
  auto m = ValidRequest("rfc4475/cparam02.dat");
  ASSERT_TRUE(m);
  const NameAddr& c = m->contacts()[0];
  EXPECT_TRUE(c.angle_brackets);
  EXPECT_TRUE(c.uri.params.Has("unknownparam"));
  EXPECT_TRUE(c.params.empty());
}

TEST(Rfc4475, RegescrtEscapedHeaderInContact) {
  auto m = ValidRequest("rfc4475/regescrt.dat");
  ASSERT_TRUE(m);
  const Uri& c = m->contacts()[0].uri;
  EXPECT_EQ(c.headers, "Route=%3Csip:sip.example.com%3E");
  EXPECT_EQ(c.host, "example.com");
}

TEST(Rfc4475, Sdp01NothingAcceptable) {
  auto m = ValidRequest("rfc4475/sdp01.dat");
  ASSERT_TRUE(m);
  // The answer would carry SDP; the request accepts only text/nobodyKnowsThis.
  auto f = CheckAsUas(*m, UaCaps(), {"application/sdp"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 406);
}

TEST(Rfc4475, Inv2543Rfc2543StyleInvite) {
  auto m = ValidRequest("rfc4475/inv2543.dat");
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->max_forwards().has_value());
  EXPECT_EQ(m->top_via()->branch(), "");
  // Without '<>', ";user=phone" is a To header parameter (RFC 3261 §20).
  EXPECT_EQ(m->to()->params.Get("user"), "phone");
  EXPECT_EQ(m->from()->uri.params.Get("user"), "phone");
  EXPECT_GT(m->body().size(), 0u);  // no Content-Length: the rest of the datagram
}

// ---------------------------------------------------------------- RFC 5118

TEST(Rfc5118, Ipv6Good) {
  auto m = ValidRequest("rfc5118/ipv6-good.dat");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->request_uri()->host_is_ipv6);
  EXPECT_EQ(m->request_uri()->host, "2001:db8::10");
  EXPECT_EQ(m->top_via()->host, "2001:db8::9:1");
  EXPECT_EQ(m->contacts()[0].uri.host, "2001:db8::1");
}

TEST(Rfc5118, PortAmbiguous) {
  // Valid: the "port" is part of the IPv6 address.
  auto m = ValidRequest("rfc5118/port-ambiguous.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->host, "2001:db8::10:5070");
  EXPECT_FALSE(m->request_uri()->has_port);
}

TEST(Rfc5118, PortUnambiguous) {
  auto m = ValidRequest("rfc5118/port-unambiguous.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->host, "2001:db8::10");
  EXPECT_EQ(m->request_uri()->port, 5070);
}

TEST(Rfc5118, Ipv6Bad) { ExpectRejected("rfc5118/ipv6-bad.dat", 400); }

TEST(Rfc5118, ViaReceivedParamWithDelim) {
  auto m = ValidRequest("rfc5118/via-received-param-with-delim.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->top_via()->received(), "[2001:db8::9:255]");
}

TEST(Rfc5118, ViaReceivedParamNoDelim) {
  auto m = ValidRequest("rfc5118/via-received-param-no-delim.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->top_via()->received(), "2001:db8::9:255");
  EXPECT_EQ(m->top_via()->branch(), "z9hG4bKas3");
}

TEST(Rfc5118, Ipv6InSdp) {
  auto m = ValidRequest("rfc5118/ipv6-in-sdp.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body().size(), 241u);
  EXPECT_NE(m->body().find("c=IN IP6 2001:db8::20"), std::string_view::npos);
}

TEST(Rfc5118, MultIpInHeader) {
  auto m = ValidRequest("rfc5118/mult-ip-in-header.dat");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->vias().size(), 3u);
  EXPECT_EQ(m->vias()[0].host, "2001:db8::9:1");
  EXPECT_EQ(m->vias()[0].port, 6050);
  EXPECT_EQ(m->vias()[1].host, "192.0.2.1");
  EXPECT_EQ(m->vias()[2].transport, "TCP");
  EXPECT_EQ(m->vias()[2].received(), "192.0.2.200");
}

TEST(Rfc5118, MultIpInSdp) {
  auto m = ValidRequest("rfc5118/mult-ip-in-sdp.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->body().size(), 181u);
}

TEST(Rfc5118, Ipv4MappedIpv6) {
  auto m = ValidRequest("rfc5118/ipv4-mapped-ipv6.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->vias()[0].host, "::ffff:192.0.2.10");
  EXPECT_EQ(m->vias()[0].port, 19823);
  EXPECT_EQ(m->contacts()[0].uri.host, "::ffff:192.0.2.2");
  EXPECT_EQ(m->body().size(), 236u);
}

TEST(Rfc5118, Ipv6CorrectAbnf2Colons) {
  auto m = ValidRequest("rfc5118/ipv6-correct-abnf-2-colons.dat");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->request_uri()->host, "2001:db8::192.0.2.1");
}

TEST(Rfc5118, Ipv6BugAbnf3Colons) { ExpectRejected("rfc5118/ipv6-bug-abnf-3-colons.dat", 400); }

}  // namespace
}  // namespace parley::sip
