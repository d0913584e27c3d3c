#pragma once
// The StoreExecutor test fixture: an executor whose store counts (and can
// slow down or break) transactions, run against both backends.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "store/backend.h"
#include "store/executor.h"
#include "store/forwarding_store.h"

namespace parley::store {

using namespace std::chrono_literals;

// Counts transactions; can slow down or break COMMIT.
struct Counters {
  std::atomic<int> begins{0};
  std::atomic<int> disk_begins{0};  // of which Durability::kDisk
  std::atomic<int> commits_returned{0};
  std::atomic<int> rollbacks{0};
  std::atomic<int> commit_delay_ms{0};
  std::atomic<bool> fail_next_commit{false};
  std::atomic<int> busy_commits{0};  // this many COMMITs fail with kErrBusy (and roll back)
};

class CountingStore : public testing::ForwardingStore {
 public:
  CountingStore(std::unique_ptr<Store> inner, std::shared_ptr<Counters> c)
      : ForwardingStore(std::move(inner)), c_(std::move(c)) {}
  using Store::Begin;
  Result<void> Begin(Durability d) override {
    ++c_->begins;
    if (d == Durability::kDisk) ++c_->disk_begins;
    return inner_->Begin(d);
  }
  Result<void> Commit() override {
    if (int d = c_->commit_delay_ms.load(); d > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d));
    if (c_->fail_next_commit.exchange(false)) return Error(kErrIo, "injected commit failure");
    if (c_->busy_commits.load() > 0) {
      --c_->busy_commits;
      return Error(kErrBusy, "injected busy commit");
    }
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

  std::unique_ptr<StoreExecutor> MakeExecutor(
      std::chrono::milliseconds write_behind = StoreExecutor::kDefaultWriteBehind) {
    std::string url = url_;
    auto counters = counters_;
    return std::make_unique<StoreExecutor>(
        [url, counters]() -> Result<std::unique_ptr<Store>> {
          auto s = OpenStore({url, true});
          if (!s.ok()) return s.take_error();
          return std::unique_ptr<Store>(std::make_unique<CountingStore>(std::move(*s), counters));
        },
        write_behind);
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

}  // namespace parley::store
