// Groups (seed 003 §7.2.1): settings, members (users and nested groups),
// what a deleted user or group takes with it, and the change feed — against
// both backends.

#include <gtest/gtest.h>

#include "store/backend.h"
#include "store/errors.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestUser;

class GroupStoreTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    for (const char* u : {"alice@example.com", "bob@example.com", "carol@example.com"}) {
      ASSERT_TRUE(store_->AddUser(TestUser(u)).ok());
    }
  }

  std::optional<Group> Find(const std::string& aor) {
    auto all = store_->ListGroups();
    EXPECT_TRUE(all.ok()) << all.error().message;
    if (!all.ok()) return std::nullopt;
    for (auto& g : *all) {
      if (g.aor == aor) return g;
    }
    return std::nullopt;
  }

  std::vector<std::string> ChangedGroups(int64_t since) {
    std::vector<std::string> out;
    auto changes = store_->ChangesSince(since);
    EXPECT_TRUE(changes.ok());
    if (!changes.ok()) return out;
    for (const auto& c : *changes) {
      if (c.kind == "group") out.push_back(c.key);
    }
    return out;
  }

  std::unique_ptr<Store> store_;
};

PARLEY_INSTANTIATE_BACKENDS(GroupStoreTest);

TEST_P(GroupStoreTest, CreateAddListRemove) {
  int64_t before = *store_->LatestChange();
  ASSERT_TRUE(store_->SaveGroup({.aor = "team@Example.COM", .ack = GroupAck::kPerRecipient}).ok());
  for (const char* m : {"bob@example.com", "alice@example.com", "alice@example.com"}) {  // twice: once
    auto r = store_->AddGroupMember("team@example.com", m);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto g = Find("team@example.com");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->ack, GroupAck::kPerRecipient);
  EXPECT_EQ(g->posting, GroupPosting::kMembers);
  EXPECT_EQ(g->members, (std::vector<std::string>{"alice@example.com", "bob@example.com"}));
  EXPECT_EQ(ChangedGroups(before), (std::vector<std::string>{"team@example.com", "team@example.com",
                                                              "team@example.com"}));

  // Settings change, members stay.
  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com", .posting = GroupPosting::kUsers}).ok());
  g = Find("team@example.com");
  EXPECT_EQ(g->ack, GroupAck::kSingle);
  EXPECT_EQ(g->posting, GroupPosting::kUsers);
  EXPECT_EQ(g->members.size(), 2u);

  EXPECT_TRUE(store_->RemoveGroupMember("team@example.com", "bob@example.com").value_or(false));
  EXPECT_FALSE(store_->RemoveGroupMember("team@example.com", "bob@example.com").value_or(true));
  EXPECT_EQ(Find("team@example.com")->members, (std::vector<std::string>{"alice@example.com"}));
  EXPECT_TRUE(store_->DeleteGroup("team@example.com").value_or(false));
  EXPECT_FALSE(store_->DeleteGroup("team@example.com").value_or(true));
  EXPECT_TRUE(store_->ListGroups()->empty());
}

TEST_P(GroupStoreTest, Refusals) {
  auto no_domain = store_->SaveGroup({.aor = "team@nowhere.example"});
  ASSERT_FALSE(no_domain.ok());
  EXPECT_EQ(no_domain.error().code, kErrNotFound);
  auto user = store_->SaveGroup({.aor = "alice@example.com"});
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().code, kErrConstraint);
  EXPECT_EQ(store_->SaveGroup({.aor = "not an aor"}).error().code, kErrInvalid);

  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com"}).ok());
  EXPECT_EQ(store_->AddGroupMember("ghosts@example.com", "alice@example.com").error().code, kErrNotFound);
  EXPECT_EQ(store_->AddGroupMember("team@example.com", "nobody@example.com").error().code, kErrNotFound);
  EXPECT_EQ(store_->AddGroupMember("team@example.com", "team@example.com").error().code, kErrInvalid);
  // A domain with a group is in use.
  auto in_use = store_->RemoveDomain("example.com");
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.error().code, kErrConstraint);
}

TEST_P(GroupStoreTest, NestedGroupsAndWhatDeletionsTakeAlong) {
  ASSERT_TRUE(store_->SaveGroup({.aor = "all@example.com"}).ok());
  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com"}).ok());
  ASSERT_TRUE(store_->AddGroupMember("all@example.com", "team@example.com").ok());
  ASSERT_TRUE(store_->AddGroupMember("all@example.com", "carol@example.com").ok());
  ASSERT_TRUE(store_->AddGroupMember("team@example.com", "all@example.com").ok());  // a cycle is allowed
  ASSERT_TRUE(store_->AddGroupMember("team@example.com", "bob@example.com").ok());
  EXPECT_EQ(Find("all@example.com")->members, (std::vector<std::string>{"carol@example.com", "team@example.com"}));

  int64_t before = *store_->LatestChange();
  ASSERT_TRUE(store_->DeleteUser("carol@example.com").value_or(false));
  EXPECT_EQ(Find("all@example.com")->members, (std::vector<std::string>{"team@example.com"}));
  EXPECT_EQ(ChangedGroups(before), (std::vector<std::string>{"carol@example.com"}));

  ASSERT_TRUE(store_->DeleteGroup("team@example.com").value_or(false));
  EXPECT_TRUE(Find("all@example.com")->members.empty());
  EXPECT_FALSE(Find("team@example.com").has_value());
}

TEST_P(GroupStoreTest, InsideAnAbortedTransactionNothingChanges) {
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com"}).ok());
  EXPECT_FALSE(store_->AddGroupMember("team@example.com", "nobody@example.com").ok());
  EXPECT_FALSE(store_->Commit().ok());
  EXPECT_TRUE(store_->ListGroups()->empty());
}

}  // namespace
}  // namespace parley::store
