// StoreExecutor with the message queue (a failing message fails alone, a
// full queue does not fail its group) and concurrent reads
// (ReadCommitted) — against both backends.

#include <gtest/gtest.h>

#include <optional>

#include "store/errors.h"
#include "store/executor_fixture.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestUser;

StoredMessage QueuedMessage(const std::string& to, const std::string& id) {
  StoredMessage m;
  m.recipient = to;
  m.sender = "sip:bob@example.org";
  m.message_id = id;
  m.content_type = "text/plain";
  m.body = std::string("body\0of ", 8) + id;
  return m;
}

// The IM service answers 202 only after its message's group committed. A
// message the store refuses fails alone: the others of its group are stored
// (each in a transaction of its own) and answered as stored.
TEST_P(ExecutorTest, AFailingMessageFailsAloneTheRestOfItsGroupIsStored) {
  ASSERT_TRUE(Open()->AddUser(TestUser("alice@example.com")).ok());
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  constexpr int kMessages = 5;
  std::vector<std::optional<Result<void>>> results(kMessages + 1);
  Countdown done;
  {
    auto gate = Block(*ex);
    for (int i = 0; i <= kMessages; ++i) {
      ex->Write([&, i](Store& s) -> StoreExecutor::Completion {
        StoredMessage m = QueuedMessage("alice@example.com", "m" + std::to_string(i));
        if (i == 3) m.sender = std::string("bad\0sender", 11);  // this one fails
        auto r = s.EnqueueMessage(m, {});
        return [&, i, stored = r.ok()](const Result<void>& c) {
          EXPECT_EQ(stored, i != 3);  // the last run's view: each alone
          results[i] = c;
          done.Done();
        };
      });
    }
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(kMessages + 1));
  for (int i = 0; i <= kMessages; ++i) {
    ASSERT_TRUE(results[i]) << i;
    if (i == 3) {
      ASSERT_FALSE(results[i]->ok());
      EXPECT_EQ(results[i]->error().code, kErrInvalid) << results[i]->error().message;
    } else {
      EXPECT_TRUE(results[i]->ok()) << i;
    }
  }
  EXPECT_EQ(counters_->begins.load(), 1 + kMessages + 1);  // the group, then each alone
  EXPECT_EQ(counters_->commits_returned.load(), kMessages);
  ex->Stop();
  auto check = Open();
  EXPECT_EQ(check->PendingMessages("alice@example.com", 0, 100)->size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(check->CountPending("alice@example.com")->count, kMessages);
}

// A full queue is a refusal, not a failure: the other messages of the
// group commit.
TEST_P(ExecutorTest, AQuotaRefusalKeepsTheRestOfTheGroup) {
  ASSERT_TRUE(Open()->AddUser(TestUser("alice@example.com", 1)).ok());
  ASSERT_TRUE(Open()->AddUser(TestUser("carol@example.com", 2)).ok());
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  const MessageQuota quota{.max_count = 2, .max_bytes = 0};
  std::vector<int> refused(4, -1);
  std::vector<int> committed(4, -1);
  Countdown done;
  {
    auto gate = Block(*ex);
    const std::vector<std::string> to = {"alice@example.com", "alice@example.com", "alice@example.com",
                                         "carol@example.com"};
    for (int i = 0; i < 4; ++i) {
      ex->Write([&, i, to = to[i]](Store& s) -> StoreExecutor::Completion {
        auto r = s.EnqueueMessage(QueuedMessage(to, "m" + std::to_string(i)), quota);
        refused[i] = !r.ok() && r.error().code == kErrQuota;
        return [&, i](const Result<void>& c) {
          committed[i] = c.ok();
          done.Done();
        };
      });
    }
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(4));
  EXPECT_EQ(refused, (std::vector<int>{0, 0, 1, 0}));
  EXPECT_EQ(committed, (std::vector<int>{1, 1, 1, 1}));  // the group committed; message 2 knows it was refused
  EXPECT_EQ(counters_->commits_returned.load(), 1);
  ex->Stop();
  auto check = Open();
  EXPECT_EQ(check->PendingMessages("alice@example.com", 0, 100)->size(), 2u);
  EXPECT_EQ(check->PendingMessages("carol@example.com", 0, 100)->size(), 1u);
}

// Concurrent reads run on their own connection while the writer is busy:
// they neither wait for a group nor split one.
TEST_P(ExecutorTest, ReadCommittedRunsBesideTheWriter) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  std::promise<void> first_done;
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("committed", "1").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      first_done.set_value();
    };
  });
  first_done.get_future().wait();
  constexpr int kN = 50;
  Countdown reads, writes;
  std::atomic<int> saw_committed{0}, saw_in_flight{0};
  {
    auto gate = Block(*ex);  // the writer is busy: the writes below wait
    for (int i = 0; i < kN; ++i) {
      ex->Write([&, i](Store& s) -> StoreExecutor::Completion {
        EXPECT_TRUE(s.SetMeta("w" + std::to_string(i), "1").ok());
        return [&](const Result<void>& r) {
          EXPECT_TRUE(r.ok());
          writes.Done();
        };
      });
      ex->ReadCommitted([&](Store& s) {
        if (s.GetMeta("committed").value_or(std::nullopt).has_value()) ++saw_committed;
        if (s.GetMeta("w0").value_or(std::nullopt).has_value()) ++saw_in_flight;
        reads.Done();
      });
    }
    EXPECT_TRUE(reads.WaitFor(kN, 60s));  // all ran while the writer was blocked
    EXPECT_EQ(ex->pending(), static_cast<size_t>(kN));
    gate.set_value();
  }
  ASSERT_TRUE(writes.WaitFor(kN));
  ex->Stop();
  EXPECT_EQ(saw_committed.load(), kN);
  EXPECT_EQ(saw_in_flight.load(), 0);
  EXPECT_EQ(counters_->commits_returned.load(), 2);  // the first write, then one group of kN
}

TEST_P(ExecutorTest, ReadCommittedCannotWrite) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  std::promise<void> done;
  ex->ReadCommitted([&](Store& s) {
    auto w = s.SetMeta("k", "v");
    EXPECT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, kErrState);
    auto e = s.EnqueueMessage(QueuedMessage("alice@example.com", "m"), {});
    EXPECT_FALSE(e.ok());
    EXPECT_EQ(e.error().code, kErrState);
    EXPECT_TRUE(s.GetMeta("k").ok());  // reads work after a refused write
    EXPECT_FALSE(s.Begin().ok());
    done.set_value();
  });
  done.get_future().wait();
  ex->Stop();
  EXPECT_FALSE(Open()->GetMeta("k")->has_value());
  EXPECT_EQ(counters_->begins.load(), 0);
}

// Stop drains the reader after the writer, so a completion may still read.
TEST_P(ExecutorTest, StopDrainsConcurrentReads) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  std::atomic<int> ran{0};
  std::atomic<bool> late_read_saw_write{false};
  for (int i = 0; i < 100; ++i) ex->ReadCommitted([&](Store& s) { ran += s.GetMeta("x").ok() ? 1 : 0; });
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("x", "1").ok());
    return [&](const Result<void>&) {
      ex->ReadCommitted([&](Store& s2) { late_read_saw_write = s2.GetMeta("x").value_or(std::nullopt).has_value(); });
    };
  });
  ex->Stop();
  EXPECT_EQ(ran.load(), 100);
  EXPECT_TRUE(late_read_saw_write.load());
  bool failed_at_once = false;
  ex->ReadCommitted([&](Store& s) { failed_at_once = s.GetMeta("x").error().code == kErrUnavailable; });
  EXPECT_TRUE(failed_at_once);

  StoreExecutor idle(StoreConfig{url(), true});
  bool before_start = false;
  idle.ReadCommitted([&](Store& s) { before_start = s.GetMeta("x").error().code == kErrUnavailable; });
  EXPECT_TRUE(before_start);
}

}  // namespace
}  // namespace parley::store
