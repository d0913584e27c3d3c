#include <gtest/gtest.h>

#include "proxy/branch.h"
#include "proxy/forwarder.h"
#include "proxy/policy.h"
#include "proxy/router.h"
#include "sip/test_util.h"

namespace parley::proxy {
namespace {

TEST(ChooseBest, Rfc3261Section16_7) {
  EXPECT_EQ(ChooseBest({486, 603, 404}), 1u);        // 6xx wins
  EXPECT_EQ(ChooseBest({500, 404}), 1u);             // lowest class
  EXPECT_EQ(ChooseBest({404, 407, 486}), 1u);        // challenges preferred
  EXPECT_EQ(ChooseBest({408, 480}), 1u);             // a timeout is least informative
  EXPECT_EQ(ChooseBest({487, 486}), 1u);             // so is a cancelled branch
  EXPECT_EQ(ChooseBest({302, 404}), 0u);
  EXPECT_EQ(ChooseBest({503}), 0u);
}

store::UserPolicy P(store::BlockMode mode, std::vector<std::pair<std::string, store::PolicyAction>> e) {
  store::UserPolicy p;
  p.mode = mode;
  for (auto& [pat, act] : e) p.entries.push_back({pat, act});
  return p;
}

TEST(Policy, SpecificEntriesWin) {
  using A = store::PolicyAction;
  auto p = P(store::BlockMode::kReject, {{"example.org", A::kBlock}, {"friend@example.org", A::kAllow}});
  EXPECT_EQ(Decide(p, "spammer@example.org"), PolicyDecision::kReject);
  EXPECT_EQ(Decide(p, "friend@example.org"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(p, "someone@other.net"), PolicyDecision::kAllow);
  // Allow-list mode: block everyone, allow a few.
  auto w = P(store::BlockMode::kDiscard, {{"*", A::kBlock}, {"trusted.net", A::kAllow}});
  EXPECT_EQ(Decide(w, "x@trusted.net"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(w, "x@else.net"), PolicyDecision::kDiscard);
  // Same specificity: allow beats block.
  auto tie = P(store::BlockMode::kReject, {{"a@b.c", A::kBlock}, {"A@B.C", A::kAllow}});
  EXPECT_EQ(Decide(tie, "a@b.c"), PolicyDecision::kAllow);
  EXPECT_EQ(Decide(store::UserPolicy{}, "a@b.c"), PolicyDecision::kAllow);
}

TEST(Branch, LoopVersusSpiral) {
  auto m = sip::testing::Parse(sip::testing::Crlf(
      "MESSAGE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa\nMax-Forwards: 70\n"
      "To: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=1\nCall-ID: x\nCSeq: 1 MESSAGE\n"
      "Content-Length: 0\n\n"));
  LocalTarget local({"example.com"}, {*transport::SocketAddress::Parse("127.0.0.1", 5060)});
  std::string tag = LoopTag(*m);
  EXPECT_EQ(tag.size(), 8u);
  EXPECT_FALSE(IsLoop(*m, tag, local));
  // Our Via with the same tag on the way back: a loop.
  std::string b = NewBranch(3, tag);
  EXPECT_TRUE(b.starts_with("z9hG4bK-s3-"));
  EXPECT_TRUE(b.ends_with("." + tag));
  auto again = sip::testing::Parse(m->Serialize());
  again->AddHeaderFront(sip::HeaderId::kVia, "SIP/2.0/UDP 127.0.0.1:5060;branch=" + b);
  auto looped = sip::testing::Parse(again->Serialize());
  // The loop tag is computed on the request as it was first received.
  EXPECT_TRUE(IsLoop(*looped, tag, local));
  // Same Via from another host: not ours.
  auto foreign = sip::testing::Parse(m->Serialize());
  foreign->AddHeaderFront(sip::HeaderId::kVia, "SIP/2.0/UDP 192.0.2.9:5060;branch=" + b);
  EXPECT_FALSE(IsLoop(*sip::testing::Parse(foreign->Serialize()), tag, local));
  // A spiral changes the Request-URI and so the tag.
  auto spiral = sip::testing::Parse(m->Serialize());
  spiral->SetRequestUri("sip:bob@10.0.0.1");
  EXPECT_NE(LoopTag(*sip::testing::Parse(spiral->Serialize())), tag);
}

TEST(Router, TargetForUri) {
  auto t = TargetForUri("sip:bob@192.0.2.4:5070;transport=tcp");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->destination.protocol, transport::Protocol::kTcp);
  EXPECT_EQ(t->destination.address.ToString(), "192.0.2.4:5070");
  auto s = TargetForUri("sips:[2001:db8::1]");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->destination.protocol, transport::Protocol::kTls);
  EXPECT_EQ(s->destination.address.port(), 5061);
  EXPECT_FALSE(TargetForUri("sip:bob@example.com"));  // a name: no DNS here
  EXPECT_FALSE(TargetForUri("tel:+123"));
}

}  // namespace
}  // namespace parley::proxy
