// Pruning the change feed, against both backends: what goes, when, and what a
// reader learns from ChangesPrunedThrough.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/backend.h"
#include "store/errors.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestUser;

class ChangeFeedTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  void AddUsers(const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(store_->AddUser(TestUser(prefix + std::to_string(i) + "@example.com")).ok());
  }
  std::vector<int64_t> Seqs() {
    std::vector<int64_t> out;
    auto feed = store_->ChangesSince(0, 1000000);
    EXPECT_TRUE(feed.ok());
    if (feed.ok()) {
      for (const auto& c : *feed) out.push_back(c.seq);
    }
    return out;
  }
  std::unique_ptr<Store> store_;
};

PARLEY_INSTANTIATE_BACKENDS(ChangeFeedTest);

constexpr int64_t kHour = 3600 * 1000;

TEST_P(ChangeFeedTest, AChangeStaysForTheRetentionThenGoes) {
  AddUsers("a", 3);  // the domain, then three users
  const std::vector<int64_t> first = Seqs();
  ASSERT_EQ(first.size(), 4u);
  EXPECT_EQ(*store_->ChangesPrunedThrough(), 0);

  // The first call only marks what is there.
  EXPECT_EQ(*store_->PruneChanges(10 * kHour, kHour), 0u);
  AddUsers("b", 2);
  // Not an hour later: nothing goes.
  EXPECT_EQ(*store_->PruneChanges(10 * kHour + kHour - 1, kHour), 0u);
  EXPECT_EQ(Seqs().size(), 6u);

  // An hour after the mark: what was there at the mark goes, the two
  // changes made since stay (they have not been there an hour).
  EXPECT_EQ(*store_->PruneChanges(11 * kHour, kHour), 4u);
  std::vector<int64_t> left = Seqs();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_GT(left[0], first.back());
  EXPECT_EQ(*store_->ChangesPrunedThrough(), first.back());
  EXPECT_EQ(*store_->LatestChange(), left.back());

  // That call marked again: they go an hour after it, not before.
  EXPECT_EQ(*store_->PruneChanges(12 * kHour - 1, kHour), 0u);
  EXPECT_EQ(*store_->PruneChanges(12 * kHour, kHour), 2u);
  EXPECT_TRUE(Seqs().empty());
  // An empty feed still knows its newest seq, and new changes come after it.
  EXPECT_EQ(*store_->LatestChange(), left.back());
  EXPECT_EQ(*store_->ChangesPrunedThrough(), left.back());
  AddUsers("c", 1);
  const std::vector<int64_t> now = Seqs();
  ASSERT_EQ(now.size(), 1u);
  EXPECT_GT(now[0], left.back());
  EXPECT_EQ(*store_->LatestChange(), now[0]);
}

TEST_P(ChangeFeedTest, ALongBacklogGoesAPageAtATime) {
  AddUsers("a", 9);  // ten changes with the domain's
  ASSERT_EQ(*store_->PruneChanges(kHour, kHour, 4), 0u);  // marks
  const std::vector<int64_t> all = Seqs();
  EXPECT_EQ(*store_->PruneChanges(2 * kHour, kHour, 4), 4u);
  EXPECT_EQ(*store_->ChangesPrunedThrough(), all[3]);
  EXPECT_EQ(*store_->PruneChanges(2 * kHour, kHour, 4), 4u);
  EXPECT_EQ(*store_->ChangesPrunedThrough(), all[7]);
  AddUsers("b", 1);  // after the mark: stays
  EXPECT_EQ(*store_->PruneChanges(2 * kHour, kHour, 4), 2u);
  EXPECT_EQ(*store_->ChangesPrunedThrough(), all.back());
  EXPECT_EQ(Seqs().size(), 1u);
  // A reader that had seen up to all[5] learns it missed some; one that had
  // seen everything does not.
  EXPECT_GT(*store_->ChangesPrunedThrough(), all[5]);
  EXPECT_FALSE(*store_->ChangesPrunedThrough() > all.back());
}

TEST_P(ChangeFeedTest, PruningIsATransactionsWriteLikeAnyOther) {
  AddUsers("a", 1);
  ASSERT_TRUE(store_->Begin().ok());
  EXPECT_EQ(*store_->PruneChanges(kHour, kHour), 0u);
  ASSERT_TRUE(store_->Rollback().ok());
  // The mark was rolled back with it: this call marks again, prunes nothing.
  EXPECT_EQ(*store_->PruneChanges(5 * kHour, kHour), 0u);
  EXPECT_EQ(Seqs().size(), 2u);
  auto bad = store_->PruneChanges(6 * kHour, -1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);
}

}  // namespace
}  // namespace parley::store
