#pragma once
// Runs Store calls off the event loops. One thread owns its own Store
// connection. Reads run in submission order. Writes submitted while a
// transaction is being committed are grouped into the next transaction
// (group commit): one COMMIT (one fsync) for many writes.
//
// Callers get results through their callbacks, which run on the executor's
// thread: a caller on an event loop posts back to its loop from there.
//
// Order: reads and writes run in submission order; a read waits for the
// group of writes submitted before it to commit (it sees them), so reads
// split groups.
//
// Failures: a group whose store is busy (kErrBusy: a lock wait timed out, a
// deadlock or serialization failure) is tried again, twice, after 10 and
// 100 ms. A write whose store call fails (any other error) is rolled back
// and fails alone: its group's other writes run again, each in its own
// transaction, and commit or fail on their own. So a WriteFn may run more
// than once: it must do nothing but store calls, leave its captures as it
// found them (copy, never move out of them) and only the completion its
// last run returned is called — exactly once.
//
// ReadCommitted runs reads on a second thread with its own connection,
// beside the writer, so they neither wait for nor split groups: each sees
// what is committed when it runs (every write whose completion has run,
// maybe later ones, never part of a group) and cannot write.
//
// WriteBehind queues a write that nobody waits for without waking the
// writer: it joins the next group (in submission order, like any write),
// and the writer commits it by itself once it has waited `write_behind`.
// For state a crash may lose for that long (a subscription's removal: the
// watcher answers the next NOTIFY with 481).
//
// Durability: a group commits with Durability::kDisk (fsync) when any of
// its writes asked for it, else kCommit (see store.h). Write-behinds are
// kCommit.
//
// Before Start() and after Stop(), Read/Write run `fn` at once on the
// calling thread against a store that fails every call (kErrUnavailable),
// and a write's completion gets that error: nothing waits forever.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace parley::store {

class StoreExecutor {
 public:
  // `open` makes a connection: called twice, on the writer's thread (then
  // Migrate) and on the reader's.
  using Opener = std::function<Result<std::unique_ptr<Store>>()>;
  // Longest a WriteBehind waits for a group to join.
  static constexpr std::chrono::milliseconds kDefaultWriteBehind{200};
  explicit StoreExecutor(Opener open, std::chrono::milliseconds write_behind = kDefaultWriteBehind);
  explicit StoreExecutor(StoreConfig config);  // opens OpenStore(config)
  ~StoreExecutor();  // drains pending work, then stops

  // Opens the store and migrates it; the executor is usable after success.
  Result<void> Start();
  void Stop();

  using ReadFn = std::function<void(Store&)>;
  // `write` runs inside the group's transaction and returns what to call
  // once that transaction committed (Ok) or failed (the error; every write
  // of the group was rolled back).
  using Completion = std::function<void(const Result<void>&)>;
  using WriteFn = std::function<Completion(Store&)>;

  void Read(ReadFn fn);
  void Write(WriteFn fn, Durability durability = Durability::kDisk);
  void WriteBehind(WriteFn fn);
  // Every write kDisk, soft state included (server option
  // store.sync_soft_state). Before Start().
  void set_sync_soft_state(bool on) { sync_soft_state_ = on; }
  // Concurrent read (see above); these run in submission order among
  // themselves. Writes through its Store fail with kErrState.
  void ReadCommitted(ReadFn fn);
  // Runs `fn` as a Read and waits for its result: for start-up loads on a
  // thread that is not the executor's, never on an event loop.
  template <typename T>
  Result<T> ReadNow(std::function<Result<T>(Store&)> fn) {
    std::promise<Result<T>> p;
    auto f = p.get_future();
    Read([&](Store& s) { p.set_value(fn(s)); });
    return f.get();
  }

  // Writes waiting or in the current group (for metrics and shutdown).
  size_t pending() const;
  // Submissions that signalled the writer (for metrics and tests): every
  // Write and Read, a WriteBehind only when the writer had been idle for
  // a write-behind period and sleeps without a deadline.
  uint64_t wakeups() const { return wakeups_.load(std::memory_order_relaxed); }

  StoreExecutor(const StoreExecutor&) = delete;
  StoreExecutor& operator=(const StoreExecutor&) = delete;

 private:
  enum class State : uint8_t { kIdle, kStarting, kRunning, kStopping, kStopped };
  struct Item {
    ReadFn read;    // exactly one of the two is set
    WriteFn write;
    Durability durability = Durability::kDisk;
  };

  void Run(std::promise<Result<void>>& started);
  void RunReader(std::promise<Result<void>>& started);
  void Loop();
  void ReaderLoop();
  // One try of some writes in one transaction.
  struct Attempt {
    Result<void> result = Ok();
    std::vector<Completion> completions;  // one per write, maybe empty
    bool write_failed = false;            // a write's store call failed (not Begin/Commit)
  };
  Attempt Try(std::span<WriteFn> writes, Durability durability);
  Attempt TryWithRetry(std::span<WriteFn> writes, Durability durability);
  static void Finish(Attempt& a);
  void RunGroup(std::vector<WriteFn>& group, Durability& durability);
  void RunRead(ReadFn& fn);
  bool Enqueue(Item& item, bool wake = true);
  bool Due() const;  // something to run now; mu_ held

  Opener open_;
  std::unique_ptr<Store> store_;  // used on the executor thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;        // guarded by mu_
  const std::chrono::milliseconds write_behind_;
  bool sync_soft_state_ = false;
  size_t urgent_ = 0;             // items in queue_ not write-behind; guarded by mu_
  std::chrono::steady_clock::time_point behind_due_{};  // oldest write-behind's deadline; guarded by mu_
  bool asleep_ = false;           // the writer waits without a deadline; guarded by mu_
  std::atomic<uint64_t> wakeups_{0};
  State state_ = State::kIdle;    // guarded by mu_
  std::atomic<size_t> pending_writes_{0};
  std::thread thread_;
  // The reader: its own connection, queue and thread.
  std::unique_ptr<Store> reader_store_;  // used on the reader thread only
  std::condition_variable reader_cv_;
  std::deque<ReadFn> reader_queue_;      // guarded by mu_
  bool reader_open_ = false;             // accepting reads; guarded by mu_
  bool reader_stopping_ = false;         // guarded by mu_
  std::thread reader_thread_;
};

}  // namespace parley::store
