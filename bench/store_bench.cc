// Stored messages per second through StoreExecutor, the way the IM service
// stores pager-mode MESSAGEs for offline users: several threads (the event
// loops) keep a window of EnqueueMessage writes in flight each, and a write
// counts when its completion reports the group committed. Durable by
// default (SQLite: synchronous=FULL, one fsync per group).
//
//   store_bench [--store URL] [--threads 4] [--window 256] [--seconds 5]
//               [--users 10000] [--body 160] [--no-durable]
//               [--read-every N [--read-committed]] [--direct N]
//
// Without --store it uses a fresh SQLite database in a temporary directory
// (removed afterwards). A PostgreSQL URL must point at an empty schema.
// Never run by the tests.

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "common/log.h"
#include "store/executor.h"
#include "store/forwarding_store.h"

namespace {

using namespace parley;
using Clock = std::chrono::steady_clock;

// Counts transactions (groups) the executor commits.
class CountingStore : public testing::ForwardingStore {
 public:
  CountingStore(std::unique_ptr<store::Store> inner, std::atomic<int64_t>* commits, std::atomic<int64_t>* commit_us)
      : ForwardingStore(std::move(inner)), commits_(commits), commit_us_(commit_us) {}
  Result<void> Commit() override {
    auto t0 = std::chrono::steady_clock::now();
    auto r = inner_->Commit();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    commit_us_->fetch_add(us, std::memory_order_relaxed);
    if (r.ok()) commits_->fetch_add(1, std::memory_order_relaxed);
    return r;
  }

 private:
  std::atomic<int64_t>* commits_;
  std::atomic<int64_t>* commit_us_;
};

// A submitter's window of writes in flight. Completions wake the submitter
// only when a quarter of the window (or all of it) is free again, as an
// event loop would take a batch of completions per wake-up: a futex wake
// per message would cost the executor thread more than the store does.
class Window {
 public:
  explicit Window(int n) : size_(n), free_(n), wake_at_(std::max(1, n / 4)) {}
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    --free_;
  }
  // Notifies under the lock: the owner may destroy the window as soon as
  // it sees the last slot come back.
  void Release() {
    std::lock_guard lock(mu_);
    ++free_;
    if (free_ == wake_at_ || free_ == size_) cv_.notify_one();
  }
  void WaitAllFree() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ == size_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int size_;
  int free_;
  const int wake_at_;
};

// CPU seconds used so far by the whole process (every thread).
double ProcessCpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double ThreadCpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::string UserAor(int i) { return "user" + std::to_string(i) + "@example.com"; }

}  // namespace

int main(int argc, char** argv) {
  log::Init("warn", "text");
  CLI::App app{"store_bench: stored messages/s through StoreExecutor"};
  std::string url;
  int threads = 4, window = 256, users = 10000, body_bytes = 160;
  double seconds = 5;
  bool no_durable = false, read_committed = false;
  int direct = 0, read_every = 0;
  app.add_option("--store", url, "store URL (default: a temporary SQLite database)");
  app.add_option("--threads", threads, "submitting threads");
  app.add_option("--window", window, "writes in flight per thread");
  app.add_option("--seconds", seconds, "measured run time");
  app.add_option("--users", users, "recipients (messages go round-robin over them)");
  app.add_option("--body", body_bytes, "message body bytes");
  app.add_option("--read-every", read_every,
                 "each thread also submits a Read (PendingMessages of a recipient) after every N writes");
  app.add_flag("--read-committed", read_committed, "submit those reads with ReadCommitted (default: Read)");
  app.add_option("--direct", direct, "no executor: Store calls on one thread, N per transaction");
  app.add_flag("--no-durable", no_durable, "SQLite synchronous=NORMAL / PostgreSQL synchronous_commit=off");
  CLI11_PARSE(app, argc, argv);

  std::string tmp;
  if (url.empty()) {
    char tmpl[] = "/tmp/store-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 1;
    tmp = tmpl;
    url = store::DefaultStoreUrl(tmp);
  }
  const bool durable = !no_durable;
  {
    auto s = store::OpenStore({url, durable});
    if (!s.ok() || !(*s)->Migrate().ok()) {
      std::fprintf(stderr, "store_bench: cannot open %s\n", s.ok() ? "the store" : s.error().message.c_str());
      return 1;
    }
    std::vector<store::UserRecord> all;
    for (int i = 0; i < users; ++i) {
      store::UserRecord u;
      u.aor = UserAor(i);
      u.ha1_md5 = std::string(32, 'a');
      u.ha1_sha256 = std::string(64, 'b');
      all.push_back(std::move(u));
    }
    if (auto r = (*s)->ImportUsers(all); !r.ok()) {
      std::fprintf(stderr, "store_bench: importing users: %s\n", r.error().message.c_str());
      return 1;
    }
  }

  const std::string body(static_cast<size_t>(body_bytes), 'x');
  const store::MessageQuota quota{.max_count = 1000000, .max_bytes = 1LL << 40};
  auto make_message = [&](int t, int64_t i) {
    store::StoredMessage m;
    m.recipient = UserAor(static_cast<int>((i * threads + t) % users));
    m.sender = "sip:sender" + std::to_string(t) + "@example.org";
    m.message_id = std::to_string(t) + "-" + std::to_string(i) + "@bench";
    m.received_at_ms = 1700000000000 + i;
    m.datetime = "2023-11-14T22:13:20.000Z";
    m.content_type = "text/plain;charset=UTF-8";
    m.body = body;
    m.headers = "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Disposition-Notification: positive-delivery\r\n";
    m.imdn = store::kImdnPositiveDelivery;
    return m;
  };

  if (direct > 0) {  // the SQL alone: transactions of `direct` messages on this thread
    auto s = store::OpenStore({url, durable});
    if (!s.ok()) return 1;
    std::vector<store::StoredMessage> batch(static_cast<size_t>(direct));
    int64_t n = 0;
    auto t0 = Clock::now();
    double busy = 0, cpu0 = ThreadCpu();
    while (std::chrono::duration<double>(Clock::now() - t0).count() < seconds) {
      for (auto& m : batch) m = make_message(0, n++);
      auto b0 = Clock::now();
      if (!(*s)->Begin().ok()) return 1;
      for (const auto& m : batch) {
        if (!(*s)->EnqueueMessage(m, quota).ok()) return 1;
      }
      if (!(*s)->Commit().ok()) return 1;
      busy += std::chrono::duration<double>(Clock::now() - b0).count();
    }
    double cpu = ThreadCpu() - cpu0;
    std::printf("direct: %lld messages in transactions of %d: %.1f us wall, %.1f us CPU per message "
                "(%.0f messages/s per CPU second)\n",
                static_cast<long long>(n), direct, busy * 1e6 / n, cpu * 1e6 / n, n / cpu);
    if (!tmp.empty()) std::filesystem::remove_all(tmp);
    return 0;
  }

  std::atomic<int64_t> commits{0}, commit_us{0};
  store::StoreExecutor ex([&]() -> Result<std::unique_ptr<store::Store>> {
    auto s = store::OpenStore({url, durable});
    if (!s.ok()) return s.take_error();
    return std::unique_ptr<store::Store>(std::make_unique<CountingStore>(std::move(*s), &commits, &commit_us));
  });
  if (auto r = ex.Start(); !r.ok()) {
    std::fprintf(stderr, "store_bench: %s\n", r.error().message.c_str());
    return 1;
  }

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<int64_t> stored{0}, failed{0}, reads{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(threads));
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      Window win(window);
      std::mutex lat_mu;
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        win.Acquire();
        if (read_every > 0 && i % read_every == 0) {
          win.Acquire();
          std::string to = UserAor(static_cast<int>((i * threads + t) % users));
          auto read = [&, to](store::Store& s) {
            auto r = s.PendingMessages(to, 0, 10);
            if (!r.ok()) failed.fetch_add(1, std::memory_order_relaxed);
            if (measuring.load(std::memory_order_relaxed)) reads.fetch_add(1, std::memory_order_relaxed);
            win.Release();
          };
          if (read_committed) {
            ex.ReadCommitted(read);
          } else {
            ex.Read(read);
          }
        }
        auto m = std::make_shared<store::StoredMessage>(make_message(t, i));
        auto submitted = Clock::now();
        ex.Write([&, m, submitted](store::Store& s) -> store::StoreExecutor::Completion {
          auto r = s.EnqueueMessage(*m, quota);
          bool ok = r.ok();
          return [&, ok, submitted](const Result<void>& c) {
            if (measuring.load(std::memory_order_relaxed)) {
              if (ok && c.ok()) {
                stored.fetch_add(1, std::memory_order_relaxed);
                std::lock_guard lock(lat_mu);
                latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - submitted).count());
              } else {
                failed.fetch_add(1, std::memory_order_relaxed);
              }
            }
            win.Release();
          };
        });
      }
      win.WaitAllFree();  // before the window goes away
    });
  }

  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
  int64_t commits0 = commits.load(), commit_us0 = commit_us.load();
  double cpu0 = ProcessCpu();
  auto t0 = Clock::now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  double cpu = ProcessCpu() - cpu0;
  int64_t groups = commits.load() - commits0;
  double in_commit = (commit_us.load() - commit_us0) / 1e6;
  stop = true;
  for (auto& s : submitters) s.join();
  ex.Stop();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<size_t>(p * (all.size() - 1))]; };
  int64_t n = stored.load();
  std::printf("backend=%s durable=%d threads=%d window=%d users=%d body=%d\n",
              url.starts_with("sqlite:") ? "sqlite" : "postgresql", durable ? 1 : 0, threads, window, users,
              body_bytes);
  std::printf("stored %lld messages in %.2f s: %.0f messages/s, %lld groups (%.1f messages per commit), "
              "failed %lld\n",
              static_cast<long long>(n), elapsed, n / elapsed, static_cast<long long>(groups),
              groups > 0 ? static_cast<double>(n) / groups : 0.0, static_cast<long long>(failed.load()));
  if (read_every > 0) std::printf("reads %lld (%.0f/s)\n", static_cast<long long>(reads.load()), reads.load() / elapsed);
  std::printf("executor in COMMIT (WAL write, fsync, checkpoints): %.2f s of %.2f s\n", in_commit, elapsed);
  std::printf("process CPU %.2f s of %.2f s wall: %.1f us CPU per message\n", cpu, elapsed, n > 0 ? cpu * 1e6 / n : 0.0);
  std::printf("submit-to-durable latency ms: p50 %.2f  p99 %.2f  max %.2f\n", pct(0.5), pct(0.99),
              all.empty() ? 0.0 : all.back());
  if (!tmp.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
  }
  return failed.load() == 0 ? 0 : 1;
}
