// StoreExecutor: ordering, group commit, failure of a whole group, draining,
// and a second writer on the same store — against both backends.

#include "store/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "store/backend.h"
#include "store/errors.h"
#include "store/forwarding_store.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestBinding;
using testing::TestUser;
using namespace std::chrono_literals;

// Counts transactions; can slow down or break COMMIT.
struct Counters {
  std::atomic<int> begins{0};
  std::atomic<int> commits_returned{0};
  std::atomic<int> rollbacks{0};
  std::atomic<int> commit_delay_ms{0};
  std::atomic<bool> fail_next_commit{false};
};

class CountingStore : public testing::ForwardingStore {
 public:
  CountingStore(std::unique_ptr<Store> inner, std::shared_ptr<Counters> c)
      : ForwardingStore(std::move(inner)), c_(std::move(c)) {}
  Result<void> Begin() override {
    ++c_->begins;
    return inner_->Begin();
  }
  Result<void> Commit() override {
    if (int d = c_->commit_delay_ms.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
    if (c_->fail_next_commit.exchange(false)) return Error(kErrIo, "injected commit failure");
    auto r = inner_->Commit();
    ++c_->commits_returned;
    return r;
  }
  Result<void> Rollback() override {
    ++c_->rollbacks;
    return inner_->Rollback();
  }

 private:
  std::shared_ptr<Counters> c_;
};

// Waits for `n` events.
class Countdown {
 public:
  void Done() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  bool WaitFor(int n, std::chrono::seconds timeout = 120s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

class ExecutorTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    counters_ = std::make_shared<Counters>();
  }

  std::unique_ptr<StoreExecutor> MakeExecutor() {
    std::string url = url_;
    auto counters = counters_;
    return std::make_unique<StoreExecutor>([url, counters]() -> Result<std::unique_ptr<Store>> {
      auto s = OpenStore({url, true});
      if (!s.ok()) return s.take_error();
      return std::unique_ptr<Store>(std::make_unique<CountingStore>(std::move(*s), counters));
    });
  }

  // Blocks the executor thread until the returned promise is set.
  std::promise<void> Block(StoreExecutor& ex) {
    std::promise<void> gate;
    auto opened = std::make_shared<std::shared_future<void>>(gate.get_future().share());
    std::promise<void> entered;
    auto entered_future = entered.get_future();
    ex.Read([opened, &entered](Store&) {
      entered.set_value();
      opened->wait();
    });
    entered_future.wait();
    return gate;
  }

  std::shared_ptr<Counters> counters_;
};

PARLEY_INSTANTIATE_BACKENDS(ExecutorTest);

TEST_P(ExecutorTest, ReadsSeeEarlierWritesInOrder) {
  StoreExecutor ex(StoreConfig{url(), true});
  ASSERT_TRUE(ex.Start().ok());
  std::vector<int> seen;
  Countdown done;
  constexpr int kN = 200;
  for (int i = 0; i < kN; ++i) {
    ex.Write([i](Store& s) -> StoreExecutor::Completion {
      EXPECT_TRUE(s.SetMeta("k", std::to_string(i)).ok());
      return nullptr;  // no completion wanted
    });
    ex.Read([&, i](Store& s) {
      auto v = s.GetMeta("k");
      EXPECT_TRUE(v.ok() && v->has_value());
      if (v.ok() && v->has_value()) {
        EXPECT_EQ(**v, std::to_string(i));
        seen.push_back(std::stoi(**v));
      }
      done.Done();
    });
  }
  ASSERT_TRUE(done.WaitFor(kN));
  ex.Stop();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kN));
  for (int i = 0; i < kN; ++i) EXPECT_EQ(seen[i], i);
}

TEST_P(ExecutorTest, GroupCommitManyWritesFewTransactions) {
  counters_->commit_delay_ms = 3;  // a slow disk: writes pile up behind COMMIT
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  auto reader = Open();  // another connection, used only inside completions
  constexpr int kThreads = 4, kPerThread = 500, kTotal = kThreads * kPerThread;
  Countdown done;
  std::atomic<int> ok{0}, early{0}, invisible{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string aor = "u" + std::to_string(t) + "-" + std::to_string(i) + "@example.com";
        ex->Write([&, aor, t, i](Store& s) -> StoreExecutor::Completion {
          int commits_at_write = counters_->commits_returned.load();
          EXPECT_TRUE(s.UpsertBinding(TestBinding(aor, "sip:" + aor, 1000)).ok());
          return [&, aor, t, i, commits_at_write](const Result<void>& r) {
            if (r.ok()) ++ok;
            // The group's COMMIT has returned before any completion runs…
            if (counters_->commits_returned.load() <= commits_at_write) ++early;
            // …so the write is visible from any other connection.
            if (t == 0 && i % 50 == 0) {
              auto all = reader->LoadBindings();
              bool found = false;
              for (const auto& b : *all) found = found || b.aor == aor;
              if (!found) ++invisible;
            }
            done.Done();
          };
        });
      }
    });
  }
  for (auto& p : producers) p.join();
  ASSERT_TRUE(done.WaitFor(kTotal));
  ex->Stop();
  EXPECT_EQ(ok.load(), kTotal);
  EXPECT_EQ(early.load(), 0);
  EXPECT_EQ(invisible.load(), 0);
  EXPECT_EQ(ex->pending(), 0u);
  int commits = counters_->commits_returned.load();
  std::printf("[GroupCommit] %s: %d writes in %d transactions (%.1f per commit)\n", GetParam().c_str(), kTotal,
              commits, static_cast<double>(kTotal) / commits);
  EXPECT_LE(commits, kTotal / 10);
  EXPECT_EQ(counters_->begins.load(), commits);
  EXPECT_EQ(reader->LoadBindings()->size(), static_cast<size_t>(kTotal));
}

TEST_P(ExecutorTest, AFailingWriteRollsBackItsWholeGroup) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  std::vector<Result<void>> results(3);
  Countdown done;
  {
    auto gate = Block(*ex);  // the three writes below queue up as one group
    ex->Write([&](Store& s) -> StoreExecutor::Completion {
      EXPECT_TRUE(s.SetMeta("first", "1").ok());
      EXPECT_TRUE(s.AddUser(TestUser("alice@example.com")).ok());
      return [&](const Result<void>& r) { results[0] = r; done.Done(); };
    });
    ex->Write([&](Store& s) -> StoreExecutor::Completion {
      auto r = s.SetPolicyMode("nobody@example.com", BlockMode::kDiscard);  // no such user
      EXPECT_FALSE(r.ok());
      return [&](const Result<void>& r2) { results[1] = r2; done.Done(); };
    });
    ex->Write([&](Store& s) -> StoreExecutor::Completion {
      EXPECT_FALSE(s.SetMeta("third", "1").ok());  // the group is already doomed
      return [&](const Result<void>& r) { results[2] = r; done.Done(); };
    });
    EXPECT_EQ(ex->pending(), 3u);
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(3));
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kErrNotFound) << r.error().message;
  }
  EXPECT_EQ(counters_->begins.load(), 1);
  EXPECT_EQ(counters_->commits_returned.load(), 0);
  EXPECT_GE(counters_->rollbacks.load(), 1);

  // Nothing of the group is stored; the next group works.
  std::promise<void> next;
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("after", "1").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      next.set_value();
    };
  });
  next.get_future().wait();
  ex->Stop();
  auto check = Open();
  EXPECT_FALSE(check->GetMeta("first")->has_value());
  EXPECT_FALSE(check->GetMeta("third")->has_value());
  EXPECT_FALSE(check->GetUser("alice@example.com")->has_value());
  EXPECT_TRUE(check->GetMeta("after")->has_value());
  EXPECT_EQ(*check->LatestChange(), 0);
}

StoredMessage QueuedMessage(const std::string& to, const std::string& id) {
  StoredMessage m;
  m.recipient = to;
  m.sender = "sip:bob@example.org";
  m.message_id = id;
  m.content_type = "text/plain";
  m.body = std::string("body\0of ", 8) + id;
  return m;
}

// The IM service answers 202 only after its message's group committed: a
// group that fails must take every message of it along.
TEST_P(ExecutorTest, AFailingGroupRollsBackEveryMessage) {
  ASSERT_TRUE(Open()->AddUser(TestUser("alice@example.com")).ok());
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  constexpr int kMessages = 5;
  std::vector<Result<void>> results(kMessages + 1, Ok());
  Countdown done;
  {
    auto gate = Block(*ex);
    for (int i = 0; i <= kMessages; ++i) {
      ex->Write([&, i](Store& s) -> StoreExecutor::Completion {
        StoredMessage m = QueuedMessage("alice@example.com", "m" + std::to_string(i));
        if (i == 3) m.sender = std::string("bad\0sender", 11);  // this one fails
        auto r = s.EnqueueMessage(m, {});
        EXPECT_EQ(r.ok(), i < 3);
        return [&, i](const Result<void>& c) {
          results[i] = c;
          done.Done();
        };
      });
    }
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(kMessages + 1));
  for (const auto& r : results) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kErrInvalid) << r.error().message;
  }
  EXPECT_EQ(counters_->begins.load(), 1);
  EXPECT_EQ(counters_->commits_returned.load(), 0);
  ex->Stop();
  auto check = Open();
  EXPECT_TRUE(check->PendingMessages("alice@example.com", 0, 100)->empty());
  EXPECT_EQ(check->CountPending("alice@example.com")->count, 0);
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

TEST_P(ExecutorTest, AFailedCommitFailsEveryCompletion) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  counters_->fail_next_commit = true;
  Countdown done;
  std::atomic<int> failed{0};
  {
    auto gate = Block(*ex);
    for (int i = 0; i < 5; ++i) {
      ex->Write([&, i](Store& s) -> StoreExecutor::Completion {
        EXPECT_TRUE(s.SetMeta("k" + std::to_string(i), "v").ok());
        return [&](const Result<void>& r) {
          if (!r.ok() && r.error().code == kErrIo) ++failed;
          done.Done();
        };
      });
    }
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(5));
  ex->Stop();
  EXPECT_EQ(failed.load(), 5);
  auto check = Open();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(check->GetMeta("k" + std::to_string(i))->has_value());
}

TEST_P(ExecutorTest, WritesCannotManageTransactions) {
  StoreExecutor ex(StoreConfig{url(), true});
  ASSERT_TRUE(ex.Start().ok());
  std::promise<Result<void>> result;
  ex.Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("k", "v").ok());
    EXPECT_FALSE(s.Commit().ok());
    return [&](const Result<void>& r) { result.set_value(r); };
  });
  auto r = result.get_future().get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrState);
  ex.Stop();
  EXPECT_FALSE(Open()->GetMeta("k")->has_value());
}

TEST_P(ExecutorTest, StopDrainsPendingWrites) {
  StoreExecutor ex(StoreConfig{url(), true});
  ASSERT_TRUE(ex.Start().ok());
  std::atomic<int> ok{0};
  constexpr int kN = 300;
  for (int i = 0; i < kN; ++i) {
    ex.Write([&, i](Store& s) -> StoreExecutor::Completion {
      EXPECT_TRUE(s.SetMeta("k" + std::to_string(i), "v").ok());
      return [&](const Result<void>& r) { ok += r.ok() ? 1 : 0; };
    });
  }
  ex.Stop();  // returns once every queued write committed and completed
  EXPECT_EQ(ok.load(), kN);
  EXPECT_EQ(ex.pending(), 0u);
  auto check = Open();
  EXPECT_TRUE(check->GetMeta("k" + std::to_string(kN - 1))->has_value());
}

TEST_P(ExecutorTest, PendingCountsQueuedWrites) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  Countdown done;
  {
    auto gate = Block(*ex);
    for (int i = 0; i < 10; ++i) {
      ex->Write([&](Store& s) -> StoreExecutor::Completion {
        EXPECT_TRUE(s.SetMeta("k", "v").ok());
        return [&](const Result<void>&) { done.Done(); };
      });
    }
    EXPECT_EQ(ex->pending(), 10u);
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(10));
  ex->Stop();
  EXPECT_EQ(ex->pending(), 0u);
}

TEST_P(ExecutorTest, NotRunningFailsAtOnce) {
  StoreExecutor ex(StoreConfig{url(), true});
  bool called = false;
  ex.Write([&](Store& s) -> StoreExecutor::Completion {
    auto r = s.SetMeta("k", "v");
    EXPECT_FALSE(r.ok());
    return [&](const Result<void>& r2) {
      ASSERT_FALSE(r2.ok());
      EXPECT_EQ(r2.error().code, kErrUnavailable);
      called = true;
    };
  });
  EXPECT_TRUE(called);
  bool read = false;
  ex.Read([&](Store& s) {
    EXPECT_EQ(s.GetMeta("k").error().code, kErrUnavailable);
    read = true;
  });
  EXPECT_TRUE(read);
  ASSERT_TRUE(ex.Start().ok());
  EXPECT_FALSE(ex.Start().ok());
  ex.Stop();
  called = false;
  ex.Write([&](Store&) -> StoreExecutor::Completion {
    return [&](const Result<void>& r) { called = !r.ok(); };
  });
  EXPECT_TRUE(called);
  EXPECT_FALSE(Open()->GetMeta("k")->has_value());
}

TEST_P(ExecutorTest, StartReportsOpenFailure) {
  StoreExecutor bad_url(StoreConfig{"nosuch:thing", true});
  auto r = bad_url.Start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrInvalid);
  StoreExecutor failing([]() -> Result<std::unique_ptr<Store>> { return Error(kErrUnavailable, "down"); });
  r = failing.Start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "down");
  // The writer opens, the reader's connection does not: Start fails and
  // nothing runs.
  int opens = 0;
  std::string u = url();
  StoreExecutor half([&]() -> Result<std::unique_ptr<Store>> {
    if (++opens == 2) return Error(kErrUnavailable, "no second connection");
    return OpenStore({u, true});
  });
  r = half.Start();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "no second connection");
  bool called = false;
  half.Write([&](Store&) -> StoreExecutor::Completion {
    return [&](const Result<void>& w) { called = !w.ok() && w.error().code == kErrUnavailable; };
  });
  EXPECT_TRUE(called);
}

// The server's executor and an administrator's parleyctl write the same
// store at once: nobody fails (SQLite: busy waits; PostgreSQL: row locks).
TEST_P(ExecutorTest, ConcurrentWriterWhileTheExecutorWrites) {
  StoreExecutor ex(StoreConfig{url(), true});
  ASSERT_TRUE(ex.Start().ok());
  constexpr int kBindings = 2000, kUsers = 150, kImport = 5000;
  Countdown done;
  std::atomic<int> failures{0};
  std::thread server([&] {
    for (int i = 0; i < kBindings; ++i) {
      ex.Write([&, i](Store& s) -> StoreExecutor::Completion {
        std::string aor = "b" + std::to_string(i) + "@example.com";
        auto r = s.UpsertBinding(TestBinding(aor, "sip:" + aor, 1000 + i));
        if (!r.ok()) ADD_FAILURE() << r.error().message;
        return [&](const Result<void>& res) {
          if (!res.ok()) {
            ++failures;
            ADD_FAILURE() << res.error().message;
          }
          done.Done();
        };
      });
      if (i % 100 == 0) std::this_thread::sleep_for(1ms);
    }
  });
  auto admin = Open();
  for (int i = 0; i < kUsers; ++i) {
    auto r = admin->AddUser(TestUser("user" + std::to_string(i) + "@example.com", i));
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (i == kUsers / 2) {
      std::vector<UserRecord> batch;
      for (int j = 0; j < kImport; ++j) batch.push_back(TestUser("imp" + std::to_string(j) + "@example.org", j));
      auto n = admin->ImportUsers(batch);
      ASSERT_TRUE(n.ok()) << n.error().message;
    }
    ASSERT_TRUE(admin->SetPolicyEntry("user" + std::to_string(i) + "@example.com", {"spam.example",
                                                                                   PolicyAction::kBlock})
                    .ok());
  }
  server.join();
  ASSERT_TRUE(done.WaitFor(kBindings));
  ex.Stop();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(admin->LoadBindings()->size(), static_cast<size_t>(kBindings));
  EXPECT_EQ(admin->ListUsers()->size(), static_cast<size_t>(kUsers + kImport));
}

}  // namespace
}  // namespace parley::store
