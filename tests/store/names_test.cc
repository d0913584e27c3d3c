#include "store/names.h"

#include <gtest/gtest.h>

#include "store/errors.h"

namespace parley::store {
namespace {

TEST(Names, Aor) {
  EXPECT_EQ(NormalizeAor("alice@Example.COM").value_or(""), "alice@example.com");
  EXPECT_EQ(NormalizeAor("sip:Alice@example.com").value_or(""), "Alice@example.com");
  EXPECT_EQ(NormalizeAor("SIPS:bob@[2001:DB8::1]").value_or(""), "bob@[2001:db8::1]");
  EXPECT_EQ(NormalizeAor("+1555%20x;p=1@10.0.0.1").value_or(""), "+1555%20x;p=1@10.0.0.1");
  for (const char* bad : {"", "alice", "@example.com", "alice@", "a@b@c", "al ice@example.com", "alice@exa mple.com",
                          "alice@example..com", "alice@.example.com", "alice@example.com:5060", "a%zz@example.com",
                          "a%2@example.com", "alice@example.com;transport=tcp", "<alice@example.com>"}) {
    auto r = NormalizeAor(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, kErrInvalid);
    }
  }
}

TEST(Names, DomainAndPattern) {
  EXPECT_EQ(NormalizeDomain("Example.COM").value_or(""), "example.com");
  EXPECT_EQ(NormalizeDomain("127.0.0.1").value_or(""), "127.0.0.1");
  EXPECT_FALSE(NormalizeDomain("").ok());
  EXPECT_FALSE(NormalizeDomain("exa_mple com").ok());
  EXPECT_FALSE(NormalizeDomain(std::string(300, 'a')).ok());
  EXPECT_EQ(NormalizePattern("Spam.Example").value_or(""), "spam.example");
  EXPECT_EQ(NormalizePattern("bob@Spam.Example").value_or(""), "bob@spam.example");
  EXPECT_FALSE(NormalizePattern("*.example").ok());
  EXPECT_FALSE(NormalizePattern("bob@").ok());
}

TEST(Names, Helpers) {
  auto parts = SplitAor("alice@example.com");
  EXPECT_EQ(parts.user, "alice");
  EXPECT_EQ(parts.domain, "example.com");
  EXPECT_TRUE(IsLowerHex("0123456789abcdef", 16));
  EXPECT_FALSE(IsLowerHex("0123456789ABCDEF", 16));
  EXPECT_FALSE(IsLowerHex("abc", 4));
  EXPECT_EQ(ParseBlockMode("discard").value_or(BlockMode::kReject), BlockMode::kDiscard);
  EXPECT_FALSE(ParseBlockMode("Discard").ok());
  EXPECT_EQ(ParsePolicyAction("allow").value_or(PolicyAction::kBlock), PolicyAction::kAllow);
  EXPECT_EQ(BlockModeName(BlockMode::kReject), "reject");
  EXPECT_EQ(PolicyActionName(PolicyAction::kBlock), "block");
}

}  // namespace
}  // namespace parley::store
