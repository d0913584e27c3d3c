#include "aaa/credential_replica.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "test_creds.h"

namespace parley::aaa {
namespace {

TEST(CredentialReplica, KeepsACopyForItsTimeToLive) {
  CredentialReplica r(10);
  Clock::time_point t0{};
  r.Put("a@example.com", FilledCredentials('1'), r.epoch(), t0);
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
  r.Put("a@example.com", FilledCredentials('1'), before, t0);
  EXPECT_EQ(r.Find("a@example.com", t0), nullptr);
  r.Put("a@example.com", FilledCredentials('2'), r.epoch(), t0);
  ASSERT_NE(r.Find("a@example.com", t0), nullptr);
  r.Clear();
  EXPECT_EQ(r.Find("a@example.com", t0), nullptr);
}

TEST(CredentialReplica, StaysWithinItsCapacityDroppingTheLeastRecentlyUsed) {
  CredentialReplica r(8);
  Clock::time_point t{};
  for (int i = 0; i < 100; ++i) {
    t += std::chrono::milliseconds(1);
    r.Put("u" + std::to_string(i) + "@example.com", FilledCredentials('1'), r.epoch(), t);
    ASSERT_NE(r.Find("u0@example.com", t), nullptr) << i;  // kept in use: never the one to go
    EXPECT_LE(r.size(), 8u);
  }
  EXPECT_NE(r.Find("u99@example.com", t), nullptr);
  EXPECT_EQ(r.Find("u50@example.com", t), nullptr);
  CredentialReplica none(0);
  none.Put("a@example.com", FilledCredentials('1'), none.epoch(), t);
  EXPECT_EQ(none.size(), 0u);
}

std::shared_ptr<const CredentialSnapshot> SnapshotOf(std::initializer_list<std::pair<const char*, char>> users) {
  auto s = std::make_shared<CredentialSnapshot>();
  for (const auto& [aor, fill] : users) s->Add(aor, FilledCredentials(fill));
  return s;
}

// The start-up snapshot stands behind the copies: a user named by the
// change feed or a lockout since the preload began is never taken from it,
// whether named before the snapshot arrived or after.
TEST(CredentialReplica, TheSnapshotAnswersForUsersNobodyNamedSinceThePreloadBegan) {
  CredentialReplica r(10);
  Clock::time_point t0{};
  r.BeginSnapshot();
  r.Erase("early@example.com");  // the feed named them while the preload ran
  EXPECT_EQ(r.FromSnapshot("a@example.com"), nullptr);  // nothing before it arrives
  r.SetSnapshot(SnapshotOf({{"a@example.com", '1'}, {"b@example.com", '2'}, {"early@example.com", '3'}}));
  ASSERT_NE(r.FromSnapshot("a@example.com"), nullptr);
  EXPECT_EQ(r.FromSnapshot("a@example.com")->ha1_md5(), std::string(32, '1'));
  EXPECT_EQ(r.FromSnapshot("early@example.com"), nullptr);
  EXPECT_EQ(r.FromSnapshot("nobody@example.com"), nullptr);
  // Has no time to live of its own, unlike a copy.
  EXPECT_EQ(r.Find("a@example.com", t0 + CredentialReplica::kTtl * 10), nullptr);
  ASSERT_NE(r.FromSnapshot("a@example.com"), nullptr);
  r.Erase("b@example.com");  // named afterwards
  EXPECT_EQ(r.FromSnapshot("b@example.com"), nullptr);
  r.Put("b@example.com", FilledCredentials('4'), r.epoch(), t0);  // the owner's copy comes back as before
  ASSERT_NE(r.Find("b@example.com", t0), nullptr);
  EXPECT_EQ(r.Find("b@example.com", t0)->ha1_md5(), std::string(32, '4'));
  // A change feed gap forgets everything, the snapshot for good.
  r.Clear();
  EXPECT_EQ(r.FromSnapshot("a@example.com"), nullptr);
  r.SetSnapshot(SnapshotOf({{"a@example.com", '1'}}));
  EXPECT_EQ(r.FromSnapshot("a@example.com"), nullptr);
}

TEST(CredentialReplica, ASnapshotMostlyStaleIsDropped) {
  auto big = std::make_shared<CredentialSnapshot>();
  const size_t n = 4 * CredentialReplica::kRevokedToDrop + 8;
  for (size_t i = 0; i < n; ++i) big->Add("u" + std::to_string(i) + "@example.com", FilledCredentials('1'));
  CredentialReplica r(10);
  r.BeginSnapshot();
  r.SetSnapshot(big);
  // Up to a quarter of it named: the rest still answered from it.
  for (size_t i = 0; i < n / 4; ++i) r.Erase("u" + std::to_string(i) + "@example.com");
  EXPECT_EQ(r.FromSnapshot("u0@example.com"), nullptr);
  ASSERT_NE(r.FromSnapshot("u" + std::to_string(n - 1) + "@example.com"), nullptr);
  // One more: the snapshot goes for everyone (the owner decides, copies follow).
  r.Erase("u" + std::to_string(n / 4) + "@example.com");
  EXPECT_EQ(r.FromSnapshot("u" + std::to_string(n - 1) + "@example.com"), nullptr);
}

TEST(CredentialReplica, NoSnapshotAfterAClearOrWithoutCopies) {
  CredentialReplica r(10);
  r.BeginSnapshot();
  r.Clear();  // the feed lost track while the preload ran: its snapshot may be stale
  r.SetSnapshot(SnapshotOf({{"a@example.com", '1'}}));
  EXPECT_EQ(r.FromSnapshot("a@example.com"), nullptr);
  CredentialReplica none(0);  // replica_entries = 0: every check goes to the owner
  none.BeginSnapshot();
  none.SetSnapshot(SnapshotOf({{"a@example.com", '1'}}));
  EXPECT_EQ(none.FromSnapshot("a@example.com"), nullptr);
  CredentialReplica failed(10);  // a preload that failed hands out nothing
  failed.BeginSnapshot();
  failed.Erase("a@example.com");
  failed.SetSnapshot(nullptr);
  EXPECT_EQ(failed.FromSnapshot("a@example.com"), nullptr);
}

}  // namespace
}  // namespace parley::aaa
