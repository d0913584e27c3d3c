#include "aaa/credential_replica.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::aaa {
namespace {

UserCredentials Creds(char fill) {
  store::UserRecord r;
  r.aor = "x@example.com";
  r.ha1_md5 = std::string(32, fill);
  r.ha1_sha256 = std::string(64, fill);
  return UserCredentials(r);
}

TEST(CredentialReplica, KeepsACopyForItsTimeToLive) {
  CredentialReplica r(10);
  Clock::time_point t0{};
  r.Put("a@example.com", Creds('1'), r.epoch(), t0);
  const UserCredentials* u = r.Find("a@example.com", t0 + std::chrono::seconds(1));
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->ha1_md5(), std::string(32, '1'));
  EXPECT_EQ(r.Find("b@example.com", t0), nullptr);
  // Used or not, a copy goes after kTtl: a missed change cannot live on.
  EXPECT_EQ(r.Find("a@example.com", t0 + CredentialReplica::kTtl), nullptr);
  EXPECT_EQ(r.size(), 0u);
}

TEST(CredentialReplica, ACheckThatBeganBeforeAnEraseStoresNothing) {
  CredentialReplica r(10);
  Clock::time_point t0{};
  uint64_t before = r.epoch();
  r.Erase("a@example.com");  // the change feed named someone meanwhile
  r.Put("a@example.com", Creds('1'), before, t0);
  EXPECT_EQ(r.Find("a@example.com", t0), nullptr);
  r.Put("a@example.com", Creds('2'), r.epoch(), t0);
  ASSERT_NE(r.Find("a@example.com", t0), nullptr);
  r.Clear();
  EXPECT_EQ(r.Find("a@example.com", t0), nullptr);
}

TEST(CredentialReplica, StaysWithinItsCapacityDroppingTheLeastRecentlyUsed) {
  CredentialReplica r(8);
  Clock::time_point t{};
  for (int i = 0; i < 100; ++i) {
    t += std::chrono::milliseconds(1);
    r.Put("u" + std::to_string(i) + "@example.com", Creds('1'), r.epoch(), t);
    ASSERT_NE(r.Find("u0@example.com", t), nullptr) << i;  // kept in use: never the one to go
    EXPECT_LE(r.size(), 8u);
  }
  EXPECT_NE(r.Find("u99@example.com", t), nullptr);
  EXPECT_EQ(r.Find("u50@example.com", t), nullptr);
  CredentialReplica none(0);
  none.Put("a@example.com", Creds('1'), none.epoch(), t);
  EXPECT_EQ(none.size(), 0u);
}

}  // namespace
}  // namespace parley::aaa
