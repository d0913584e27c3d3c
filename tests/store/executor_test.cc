// StoreExecutor: ordering, group commit, a failing write failing alone, busy retries, draining,
// and a second writer on the same store — against both backends.

#include "store/executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "store/errors.h"
#include "store/executor_fixture.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestBinding;
using testing::TestUser;
using namespace std::chrono_literals;


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

TEST_P(ExecutorTest, AFailingWriteFailsAloneAndTheOthersOfItsGroupCommit) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  std::vector<std::optional<Result<void>>> results(3);
  std::vector<int> completions(3, 0);
  Countdown done;
  {
    auto gate = Block(*ex);  // the three writes below queue up as one group
    ex->Write([&](Store& s) -> StoreExecutor::Completion {
      Result<void> a = s.SetMeta("first", "1");
      Result<void> b = s.AddUser(TestUser("alice@example.com"));
      return [&, a, b](const Result<void>& r) {
        EXPECT_TRUE(a.ok() && b.ok());  // the last run's completion only
        results[0] = r;
        ++completions[0];
        done.Done();
      };
    });
    ex->Write([&](Store& s) -> StoreExecutor::Completion {
      auto r = s.SetPolicyMode("nobody@example.com", BlockMode::kDiscard);  // no such user
      EXPECT_FALSE(r.ok());
      return [&](const Result<void>& r2) { results[1] = r2; ++completions[1]; done.Done(); };
    });
    ex->Write([&](Store& s) -> StoreExecutor::Completion {
      Result<void> a = s.SetMeta("third", "1");
      return [&, a](const Result<void>& r) {
        EXPECT_TRUE(a.ok());
        results[2] = r;
        ++completions[2];
        done.Done();
      };
    });
    EXPECT_EQ(ex->pending(), 3u);
    gate.set_value();
  }
  ASSERT_TRUE(done.WaitFor(3));
  ex->Stop();
  EXPECT_EQ(completions, (std::vector<int>{1, 1, 1}));
  ASSERT_TRUE(results[0] && results[1] && results[2]);
  EXPECT_TRUE(results[0]->ok());
  ASSERT_FALSE(results[1]->ok());
  EXPECT_EQ(results[1]->error().code, kErrNotFound) << results[1]->error().message;
  EXPECT_TRUE(results[2]->ok());
  // The group's attempt, then each write alone.
  EXPECT_EQ(counters_->begins.load(), 4);
  EXPECT_EQ(counters_->commits_returned.load(), 2);
  EXPECT_EQ(counters_->rollbacks.load(), 2);
  EXPECT_EQ(ex->pending(), 0u);

  auto check = Open();
  EXPECT_TRUE(check->GetMeta("first")->has_value());
  EXPECT_TRUE(check->GetMeta("third")->has_value());
  EXPECT_TRUE(check->GetUser("alice@example.com")->has_value());
}

TEST_P(ExecutorTest, ABusyStoreIsTriedAgain) {
  auto ex = MakeExecutor();
  ASSERT_TRUE(ex->Start().ok());
  counters_->busy_commits = 2;  // two tries fail, the third commits
  std::atomic<int> runs{0};
  std::optional<Result<void>> result;
  int completions = 0;
  Countdown done;
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    ++runs;
    EXPECT_TRUE(s.SetMeta("k", "v").ok());
    return [&](const Result<void>& r) { result = r; ++completions; done.Done(); };
  });
  ASSERT_TRUE(done.WaitFor(1));
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->ok());
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(completions, 1);
  EXPECT_EQ(counters_->rollbacks.load(), 2);

  // Busy for longer than the retries: the write fails with kErrBusy, once.
  counters_->busy_commits = 3;
  result.reset();
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("k2", "v").ok());
    return [&](const Result<void>& r) { result = r; ++completions; done.Done(); };
  });
  ASSERT_TRUE(done.WaitFor(2));
  ex->Stop();
  ASSERT_TRUE(result);
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, kErrBusy);
  EXPECT_EQ(completions, 2);
  auto check = Open();
  EXPECT_TRUE(check->GetMeta("k")->has_value());
  EXPECT_FALSE(check->GetMeta("k2")->has_value());
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

// A write-behind waits for the next write and shares its transaction, in
// submission order; nothing else wakes the writer for it before its time.
TEST_P(ExecutorTest, WriteBehindJoinsTheNextGroup) {
  auto ex = MakeExecutor(std::chrono::hours(1));
  ASSERT_TRUE(ex->Start().ok());
  std::atomic<int> order{0}, behind_at{-1}, behind_done_at{-1};
  ex->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    behind_at = order++;
    EXPECT_TRUE(s.SetMeta("k", "behind").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      behind_done_at = order++;
    };
  });
  EXPECT_EQ(ex->pending(), 1u);
  // A read on the other connection: nothing was written yet.
  std::promise<std::optional<std::string>> before;
  ex->ReadCommitted([&](Store& s) {
    auto v = s.GetMeta("k");
    before.set_value(v.ok() ? *v : std::nullopt);
  });
  EXPECT_FALSE(before.get_future().get().has_value());
  EXPECT_EQ(behind_at.load(), -1);
  int begins = counters_->begins.load();
  Countdown done;
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_EQ(order++, 1);  // after the write-behind, in the same group
    EXPECT_TRUE(s.SetMeta("k", "urgent").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      done.Done();
    };
  });
  ASSERT_TRUE(done.WaitFor(1));
  EXPECT_EQ(behind_at.load(), 0);
  EXPECT_EQ(behind_done_at.load(), 2);
  EXPECT_EQ(counters_->begins.load(), begins + 1);
  auto check = Open();
  EXPECT_EQ(check->GetMeta("k")->value_or(""), "urgent");
  ex->Stop();
  EXPECT_EQ(ex->pending(), 0u);
}

// Alone, a write-behind commits once its delay is over; Stop() commits one
// that is still waiting.
TEST_P(ExecutorTest, WriteBehindCommitsAfterItsDelayOrAtStop) {
  auto ex = MakeExecutor(std::chrono::milliseconds(20));
  ASSERT_TRUE(ex->Start().ok());
  Countdown done;
  ex->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("a", "1").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      done.Done();
    };
  });
  ASSERT_TRUE(done.WaitFor(1));  // nothing else was submitted
  EXPECT_TRUE(Open()->GetMeta("a")->has_value());
  ex->Stop();

  auto slow = MakeExecutor(std::chrono::hours(1));
  ASSERT_TRUE(slow->Start().ok());
  bool completed = false;
  slow->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("b", "2").ok());
    return [&](const Result<void>& r) { completed = r.ok(); };
  });
  slow->Stop();
  EXPECT_TRUE(completed);
  EXPECT_TRUE(Open()->GetMeta("b")->has_value());

  // Not running: the write fails at once, like Write.
  bool failed = false;
  slow->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_FALSE(s.SetMeta("c", "3").ok());
    return [&](const Result<void>& r) { failed = !r.ok(); };
  });
  EXPECT_TRUE(failed);
}

// After a batch the writer stays awake to the clock for a write-behind
// period: a write-behind queued then costs no wake-up and is still written
// by its deadline; only a writer idle longer than that is woken for one.
TEST_P(ExecutorTest, AWriteBehindWakesOnlyAnIdleWriter) {
  auto ex = MakeExecutor(std::chrono::milliseconds(200));
  ASSERT_TRUE(ex->Start().ok());
  Countdown wrote;
  ex->Write([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("a", "1").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      wrote.Done();
    };
  });
  ASSERT_TRUE(wrote.WaitFor(1));
  uint64_t woken = ex->wakeups();
  EXPECT_GE(woken, 1u);  // the Write
  Countdown behind;
  ex->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("b", "2").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      behind.Done();
    };
  });
  EXPECT_EQ(ex->wakeups(), woken);  // the writer lingers: no wake-up
  ASSERT_TRUE(behind.WaitFor(1));   // and it is written by its deadline all the same
  EXPECT_TRUE(Open()->GetMeta("b")->has_value());
  // Idle for more than a period, the writer sleeps: a write-behind wakes it.
  std::this_thread::sleep_for(700ms);
  Countdown late;
  ex->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("c", "3").ok());
    return [&](const Result<void>& r) {
      EXPECT_TRUE(r.ok());
      late.Done();
    };
  });
  EXPECT_EQ(ex->wakeups(), woken + 1);
  ASSERT_TRUE(late.WaitFor(1));
  ex->Stop();
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

// Two nodes on one PostgreSQL update the same rows in opposite orders: the
// server finds the deadlock (after deadlock_timeout, 1 s), fails one
// transaction with 40P01 (kErrBusy), and that node's executor tries its
// group again, which then commits. Nobody gets an error.
TEST_P(ExecutorTest, APostgresqlDeadlockIsTriedAgain) {
  if (GetParam() != "postgresql") GTEST_SKIP() << "SQLite has one writer: no deadlock";
  auto seed = Open();
  ASSERT_TRUE(seed->UpsertBinding(TestBinding("x@example.com", "sip:x@h", 1000)).ok());
  ASSERT_TRUE(seed->UpsertBinding(TestBinding("y@example.com", "sip:y@h", 1000)).ok());
  StoreExecutor a(StoreConfig{url(), true}), b(StoreConfig{url(), true});
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  std::promise<void> a_holds_x, b_holds_y;
  auto a_holds = a_holds_x.get_future().share();
  auto b_holds = b_holds_y.get_future().share();
  std::atomic<int> runs_a{0}, runs_b{0};
  Countdown done;
  std::optional<Result<void>> result_a, result_b;
  auto cross = [](std::atomic<int>& runs, std::promise<void>& mine, std::shared_future<void> theirs,
                  const std::string& first, const std::string& second) {
    return [&runs, &mine, theirs, first, second](Store& s) -> StoreExecutor::Completion {
      bool first_run = runs++ == 0;
      (void)s.UpsertBinding(TestBinding(first, "sip:" + first.substr(0, 1) + "@h", 2000));
      if (first_run) {
        mine.set_value();
        theirs.wait();  // both hold one row and want the other's
      }
      (void)s.UpsertBinding(TestBinding(second, "sip:" + second.substr(0, 1) + "@h", 2000));
      return nullptr;
    };
  };
  a.Write([&, fn = cross(runs_a, a_holds_x, b_holds, "x@example.com", "y@example.com")](Store& s) {
    fn(s);
    return StoreExecutor::Completion([&](const Result<void>& r) { result_a = r; done.Done(); });
  });
  b.Write([&, fn = cross(runs_b, b_holds_y, a_holds, "y@example.com", "x@example.com")](Store& s) {
    fn(s);
    return StoreExecutor::Completion([&](const Result<void>& r) { result_b = r; done.Done(); });
  });
  ASSERT_TRUE(done.WaitFor(2, 60s));
  a.Stop();
  b.Stop();
  ASSERT_TRUE(result_a && result_b);
  EXPECT_TRUE(result_a->ok()) << result_a->error().message;
  EXPECT_TRUE(result_b->ok()) << result_b->error().message;
  EXPECT_EQ(runs_a.load() + runs_b.load(), 3) << "one of the two ran again";
  auto rows = Open()->LoadBindings();
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  for (const auto& row : *rows) EXPECT_EQ(row.expires_at, 2000);
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

// A group commits with the strictest durability any of its writes asked
// for; write-behinds and kCommit writes alone do not sync; with
// set_sync_soft_state every group does.
TEST_P(ExecutorTest, GroupDurabilityIsTheStrictestOfItsWrites) {
  auto ex = MakeExecutor(std::chrono::hours(1));
  ASSERT_TRUE(ex->Start().ok());
  auto write = [&](StoreExecutor& e, const std::string& key, Durability d, Countdown& done) {
    e.Write(
        [key, &done](Store& s) -> StoreExecutor::Completion {
          EXPECT_TRUE(s.SetMeta(key, "v").ok());
          return [&done](const Result<void>& r) {
            EXPECT_TRUE(r.ok());
            done.Done();
          };
        },
        d);
  };
  {  // soft alone: one group, not synced
    Countdown done;
    auto gate = Block(*ex);
    write(*ex, "a", Durability::kCommit, done);
    write(*ex, "b", Durability::kCommit, done);
    int begins = counters_->begins.load(), disk = counters_->disk_begins.load();
    gate.set_value();
    ASSERT_TRUE(done.WaitFor(2));
    EXPECT_EQ(counters_->begins.load(), begins + 1);
    EXPECT_EQ(counters_->disk_begins.load(), disk);
  }
  {  // one kDisk write makes its whole group synced
    Countdown done;
    auto gate = Block(*ex);
    write(*ex, "c", Durability::kCommit, done);
    write(*ex, "d", Durability::kDisk, done);
    int begins = counters_->begins.load(), disk = counters_->disk_begins.load();
    gate.set_value();
    ASSERT_TRUE(done.WaitFor(2));
    EXPECT_EQ(counters_->begins.load(), begins + 1);
    EXPECT_EQ(counters_->disk_begins.load(), disk + 1);
  }
  {  // the next group starts soft again
    Countdown done;
    int disk = counters_->disk_begins.load();
    write(*ex, "e", Durability::kCommit, done);
    ASSERT_TRUE(done.WaitFor(1));
    EXPECT_EQ(counters_->disk_begins.load(), disk);
  }
  ex->Stop();
  auto check = Open();
  for (const char* k : {"a", "b", "c", "d", "e"}) EXPECT_TRUE(check->GetMeta(k)->has_value()) << k;

  auto strict = MakeExecutor(std::chrono::milliseconds(1));
  strict->set_sync_soft_state(true);
  ASSERT_TRUE(strict->Start().ok());
  Countdown done;
  int disk = counters_->disk_begins.load();
  write(*strict, "f", Durability::kCommit, done);
  ASSERT_TRUE(done.WaitFor(1));
  strict->WriteBehind([&](Store& s) -> StoreExecutor::Completion {
    EXPECT_TRUE(s.SetMeta("g", "v").ok());
    return [&](const Result<void>&) { done.Done(); };
  });
  ASSERT_TRUE(done.WaitFor(2));
  EXPECT_EQ(counters_->disk_begins.load(), disk + 2);
  strict->Stop();
}

}  // namespace
}  // namespace parley::store
