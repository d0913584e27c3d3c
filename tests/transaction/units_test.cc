// Building blocks: timer derivation, keys, the slab, the messages the layer
// builds.

#include <gtest/gtest.h>

#include "transaction/harness.h"
#include "transaction/matching.h"
#include "transaction/messages.h"
#include "transaction/slab.h"
#include "transaction/timer_config.h"

namespace parley::transaction::testing {
namespace {

TEST(TimerConfig, DerivesRfc3261Table4) {
  TimerConfig c;
  EXPECT_EQ(c.A(), 500ms);
  EXPECT_EQ(c.B(), 32s);
  EXPECT_EQ(c.D(false), 32s);
  EXPECT_EQ(c.D(true), 0s);
  EXPECT_EQ(c.E(), 500ms);
  EXPECT_EQ(c.F(), 32s);
  EXPECT_EQ(c.G(), 500ms);
  EXPECT_EQ(c.H(), 32s);
  EXPECT_EQ(c.I(false), 5s);
  EXPECT_EQ(c.I(true), 0s);
  EXPECT_EQ(c.J(false), 32s);
  EXPECT_EQ(c.J(true), 0s);
  EXPECT_EQ(c.K(false), 5s);
  EXPECT_EQ(c.K(true), 0s);
  EXPECT_EQ(c.L(), 32s);
  EXPECT_EQ(c.M(), 32s);
  c.t1 = 1s;
  EXPECT_EQ(c.B(), 64s);
  EXPECT_EQ(c.D(false), 64s);  // never below the peer's retransmission window
  c.t1 = 100ms;
  EXPECT_EQ(c.D(false), 32s);  // never below 32 s
}

TEST(Matching, Rfc3261BranchNeedsTheCookieAndMore) {
  EXPECT_TRUE(IsRfc3261Branch("z9hG4bK776asdhds"));
  EXPECT_FALSE(IsRfc3261Branch("z9hG4bK"));  // RFC 4475 badbranch
  EXPECT_FALSE(IsRfc3261Branch("Z9HG4BK776"));
  EXPECT_FALSE(IsRfc3261Branch("776asdhds"));
  EXPECT_FALSE(IsRfc3261Branch(""));
}

TEST(Matching, KeyBufferGrowsPastItsInlineStorage) {
  KeyBuffer k;
  std::string long_text(300, 'x');
  k.Append("ab");
  k.Append(long_text);
  k.AppendLower("CD");
  k.AppendNumber(5060);
  EXPECT_EQ(k.view(), "ab" + long_text + "cd5060");
}

TEST(Matching, ServerKeysSeparateMethodsAndSentBy) {
  auto key = [](const RequestSpec& spec, std::string_view method) {
    KeyBuffer k;
    EXPECT_TRUE(BuildServerKey(*ParseText(RequestText(spec)), method, k));
    return std::string(k.view());
  };
  RequestSpec a;
  RequestSpec b = a;
  b.sent_by = "CLIENT.Example.COM:5060";
  EXPECT_EQ(key(a, "INVITE"), key(b, "INVITE"));  // host case-insensitive
  b.sent_by = "client.example.com:5070";
  EXPECT_NE(key(a, "INVITE"), key(b, "INVITE"));
  EXPECT_NE(key(a, "INVITE"), key(a, "CANCEL"));
  RequestSpec c = a;
  c.branch = "z9hG4bK";
  RequestSpec d = c;
  d.call_id = "other";
  EXPECT_NE(key(c, "INVITE"), key(d, "INVITE"));  // RFC 2543 key uses Call-ID
}

TEST(Slab, IdsOfRemovedObjectsNeverFindTheirSuccessor) {
  Slab<int> slab;
  uint64_t a = slab.Insert(std::make_unique<int>(1));
  EXPECT_NE(a, 0u);
  EXPECT_EQ(*slab.Get(a), 1);
  EXPECT_EQ(*slab.Remove(a), 1);
  EXPECT_EQ(slab.Get(a), nullptr);
  uint64_t b = slab.Insert(std::make_unique<int>(2));  // reuses the slot
  EXPECT_NE(a, b);
  EXPECT_EQ(slab.Get(a), nullptr);
  EXPECT_EQ(*slab.Get(b), 2);
  EXPECT_EQ(slab.Remove(a), nullptr);
  EXPECT_EQ(slab.size(), 1u);
  EXPECT_EQ(slab.Get(0), nullptr);
  EXPECT_EQ(slab.Get(uint64_t{1} << 40), nullptr);
}

TEST(Messages, AckForANon2xxFollowsSection17_1_1_3) {
  RequestSpec spec;
  spec.routes = {"<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"};
  auto invite = ParseText(RequestText(spec));
  auto response = sip::MakeResponse(*invite, 404, {}, "t404");
  auto ack = ParseText(BuildAck(*invite, *response)->Serialize());
  EXPECT_EQ(ack->start_line(), "ACK sip:bob@example.com SIP/2.0");
  EXPECT_EQ(ack->Value(sip::HeaderId::kVia), "SIP/2.0/UDP client.example.com:5060;branch=z9hG4bK776asdhds");
  EXPECT_EQ(ack->Value(sip::HeaderId::kTo), "Bob <sip:bob@example.com>;tag=t404");
  EXPECT_EQ(ack->Value(sip::HeaderId::kFrom), invite->Value(sip::HeaderId::kFrom));
  EXPECT_EQ(ack->Value(sip::HeaderId::kCSeq), "314159 ACK");
  EXPECT_EQ(ack->Value(sip::HeaderId::kMaxForwards), "70");
  EXPECT_EQ(ack->Count(sip::HeaderId::kRoute), 2u);
  EXPECT_EQ(ack->Value(sip::HeaderId::kContentLength), "0");
}

TEST(Messages, CancelFollowsSection9_1) {
  auto invite = ParseText(RequestText(RequestSpec{}));
  invite->AddHeaderFront(sip::HeaderId::kVia, "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKtop");
  auto cancel = ParseText(BuildCancel(*invite)->Serialize());
  EXPECT_EQ(cancel->start_line(), "CANCEL sip:bob@example.com SIP/2.0");
  ASSERT_EQ(cancel->vias().size(), 1u);
  EXPECT_EQ(cancel->top_via()->branch(), "z9hG4bKtop");
  EXPECT_EQ(cancel->Value(sip::HeaderId::kTo), "Bob <sip:bob@example.com>");
  EXPECT_EQ(cancel->Value(sip::HeaderId::kCSeq), "314159 CANCEL");
  EXPECT_EQ(cancel->call_id(), invite->call_id());
}

}  // namespace
}  // namespace parley::transaction::testing
