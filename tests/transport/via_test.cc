#include <gtest/gtest.h>

#include "sip/test_util.h"
#include "transport/via.h"

namespace parley::transport {
namespace {

using sip::testing::Crlf;
using sip::testing::Parse;

sip::MessagePtr RequestWithVias(const std::string& via_fields) {
  return Parse(Crlf("OPTIONS sip:a@b SIP/2.0\n" + via_fields +
                    "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\nCall-ID: x\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n"));
}

std::string ViaValues(const sip::Message& m) {
  std::string out;
  for (const auto& h : m.headers()) {
    if (h.id == sip::HeaderId::kVia) out += std::string(h.value) + "|";
  }
  return out;
}

SocketAddress From(const char* ip, uint16_t port) { return *SocketAddress::Parse(ip, port); }

TEST(StampViaTest, AddsReceivedWhenTheHostDiffers) {
  auto m = RequestWithVias("Via: SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK776\n");
  EXPECT_TRUE(StampVia(*m, From("192.0.2.4", 5060)));
  EXPECT_EQ(ViaValues(*m), "SIP/2.0/UDP pc33.example.com:5060;branch=z9hG4bK776;received=192.0.2.4|");
  ASSERT_NE(m->top_via(), nullptr);
  EXPECT_EQ(m->top_via()->received(), "192.0.2.4");
  EXPECT_NE(m->Serialize().find("received=192.0.2.4"), std::string::npos);
}

// The top Via comes from the message's own parse; a malformed Via further down
// (which empties that parse) still leaves the top one stamped.
TEST(StampViaTest, StampsTheTopViaWhenALowerOneIsMalformed) {
  auto m = RequestWithVias("Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1, SIP/2.0/UDP ;bad\n");
  EXPECT_TRUE(m->vias().empty());
  EXPECT_TRUE(StampVia(*m, From("192.0.2.4", 5060)));
  EXPECT_EQ(ViaValues(*m), "SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1;received=192.0.2.4, SIP/2.0/UDP ;bad|");
  auto ok = RequestWithVias("Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1\nVia: SIP/2.0/TCP p.example\n");
  ASSERT_EQ(ok->vias().size(), 2u);  // parsed before the stamp
  EXPECT_TRUE(StampVia(*ok, From("192.0.2.4", 5060)));
  ASSERT_EQ(ok->vias().size(), 2u);  // and again after it
  EXPECT_EQ(ok->top_via()->received(), "192.0.2.4");
}

TEST(StampViaTest, LeavesAMatchingHostAlone) {
  auto m = RequestWithVias("Via: SIP/2.0/UDP 192.0.2.4:5070;branch=z9hG4bK776\n");
  EXPECT_FALSE(StampVia(*m, From("192.0.2.4", 40000)));
  EXPECT_FALSE(m->modified());
  // IPv6: compared as addresses, not as text.
  auto v6 = RequestWithVias("Via: SIP/2.0/UDP [2001:db8:0::1];branch=z9hG4bK776\n");
  EXPECT_FALSE(StampVia(*v6, From("2001:db8::1", 5060)));
}

TEST(StampViaTest, FillsAnEmptyRportAndAddsReceivedEvenIfTheHostMatches) {
  // RFC 3581 §4 example.
  auto m = RequestWithVias("Via: SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff\n");
  EXPECT_TRUE(StampVia(*m, From("192.0.2.1", 9988)));
  EXPECT_EQ(ViaValues(*m), "SIP/2.0/UDP 10.1.1.1:4540;rport=9988;branch=z9hG4bKkjshdyff;received=192.0.2.1|");
  EXPECT_EQ(m->top_via()->rport(), "9988");

  auto same = RequestWithVias("Via: SIP/2.0/UDP 192.0.2.1:4540;branch=z9hG4bK1;rport\n");
  EXPECT_TRUE(StampVia(*same, From("192.0.2.1", 4540)));
  EXPECT_EQ(ViaValues(*same), "SIP/2.0/UDP 192.0.2.1:4540;branch=z9hG4bK1;rport=4540;received=192.0.2.1|");
}

TEST(StampViaTest, ReplacesAStaleReceived) {
  auto m = RequestWithVias("Via: SIP/2.0/UDP host.example;received=10.0.0.1;branch=z9hG4bK1\n");
  EXPECT_TRUE(StampVia(*m, From("192.0.2.1", 5060)));
  EXPECT_EQ(ViaValues(*m), "SIP/2.0/UDP host.example;received=192.0.2.1;branch=z9hG4bK1|");
}

TEST(StampViaTest, ChangesOnlyTheFirstValueOfACombinedField) {
  auto m = RequestWithVias(
      "Via: SIP/2.0/UDP a.example;branch=z9hG4bK1;rport, SIP/2.0/UDP b.example;branch=z9hG4bK2;rport\n"
      "Via: SIP/2.0/UDP c.example;branch=z9hG4bK3\n");
  EXPECT_TRUE(StampVia(*m, From("192.0.2.1", 1234)));
  EXPECT_EQ(ViaValues(*m),
            "SIP/2.0/UDP a.example;branch=z9hG4bK1;rport=1234;received=192.0.2.1, "
            "SIP/2.0/UDP b.example;branch=z9hG4bK2;rport|SIP/2.0/UDP c.example;branch=z9hG4bK3|");
  ASSERT_EQ(m->vias().size(), 3u);
  EXPECT_EQ(m->vias()[1].rport(), "");
}

TEST(StampViaTest, Ipv6ReceivedHasNoBrackets) {
  // RFC 5118 §4.5.
  auto m = RequestWithVias("Via: SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111\n");
  EXPECT_TRUE(StampVia(*m, From("2001:db8::9:255", 5060)));
  EXPECT_EQ(ViaValues(*m), "SIP/2.0/UDP [2001:db8::9:1];branch=z9hG4bKas3-111;received=2001:db8::9:255|");
  ASSERT_NE(m->top_via(), nullptr) << "the stamped Via must still parse";
  EXPECT_EQ(m->top_via()->received(), "2001:db8::9:255");
}

TEST(StampViaTest, MissingOrMalformedViaIsLeftForValidation) {
  auto none = RequestWithVias("");
  EXPECT_FALSE(StampVia(*none, From("192.0.2.1", 5060)));
  auto bad = RequestWithVias("Via: SIP/2.0/UDP\n");
  EXPECT_FALSE(StampVia(*bad, From("192.0.2.1", 5060)));
  EXPECT_FALSE(bad->modified());
}

}  // namespace
}  // namespace parley::transport
