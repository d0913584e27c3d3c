#include "store/executor.h"

#include <pthread.h>

#include <exception>

#include "common/log.h"
#include "store/errors.h"
#include "store/executor_view.h"

namespace parley::store {
namespace {

// Most writes a single transaction takes; more wait for the next one.
constexpr size_t kMaxGroup = 1024;

Error NotRunning() { return Error(kErrUnavailable, "store executor is not running"); }

}  // namespace

StoreExecutor::StoreExecutor(Opener open, std::chrono::milliseconds write_behind)
    : open_(std::move(open)), write_behind_(write_behind) {}

StoreExecutor::StoreExecutor(StoreConfig config)
    : open_([config = std::move(config)] { return OpenStore(config); }), write_behind_(kDefaultWriteBehind) {}

StoreExecutor::~StoreExecutor() { Stop(); }

Result<void> StoreExecutor::Start() {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kIdle) return Error(kErrState, "store executor already started");
    state_ = State::kStarting;
  }
  std::promise<Result<void>> started;
  auto result = started.get_future();
  // The thread owns the promise: set_value may still be running when
  // get() returns here.
  thread_ = std::thread([this, started = std::move(started)]() mutable { Run(started); });
  pthread_setname_np(thread_.native_handle(), "parley-store-w");  // names show in top -H, perf, /proc
  Result<void> r = result.get();
  if (!r.ok()) {
    thread_.join();
    return r;
  }
  // The reader's connection, opened once the writer has migrated.
  std::promise<Result<void>> reader_started;
  auto reader_result = reader_started.get_future();
  reader_thread_ =
      std::thread([this, started = std::move(reader_started)]() mutable { RunReader(started); });
  pthread_setname_np(reader_thread_.native_handle(), "parley-store-r");
  r = reader_result.get();
  if (!r.ok()) {
    reader_thread_.join();
    Stop();
  }
  return r;
}

void StoreExecutor::RunReader(std::promise<Result<void>>& started) {
  Result<void> r = Ok();
  try {
    auto store = open_();
    if (store.ok()) {
      reader_store_ = std::move(*store);
    } else {
      r = store.error();
    }
  } catch (const std::exception& e) {
    r = Error(kErrUnavailable, std::string("store open threw: ") + e.what());
  }
  {
    std::lock_guard lock(mu_);
    reader_open_ = r.ok();
  }
  if (!r.ok()) reader_store_.reset();
  started.set_value(r);
  if (!r.ok()) return;
  ReaderLoop();
  reader_store_.reset();
}

void StoreExecutor::ReaderLoop() {
  std::deque<ReadFn> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      reader_cv_.wait(lock, [this] { return !reader_queue_.empty() || reader_stopping_; });
      if (reader_queue_.empty()) {  // stopping, and drained
        reader_open_ = false;
        return;
      }
      batch.swap(reader_queue_);
    }
    for (ReadFn& fn : batch) {
      ExecutorStore view(reader_store_.get(), ExecutorStore::Kind::kReadOnly);
      try {
        fn(view);
      } catch (const std::exception& e) {
        PLOG_ERROR("store_read_threw", {{"error", e.what()}});
      }
    }
    batch.clear();
  }
}

void StoreExecutor::Run(std::promise<Result<void>>& started) {
  Result<void> r = Ok();
  try {
    auto store = open_();
    if (store.ok()) {
      store_ = std::move(*store);
      r = store_->Migrate();
    } else {
      r = store.error();
    }
  } catch (const std::exception& e) {
    r = Error(kErrUnavailable, std::string("store open threw: ") + e.what());
  }
  {
    std::lock_guard lock(mu_);
    state_ = r.ok() ? State::kRunning : State::kStopped;
  }
  if (!r.ok()) store_.reset();
  started.set_value(r);
  if (!r.ok()) return;
  Loop();
  store_.reset();  // closed on the thread that used it
}

void StoreExecutor::Loop() {
  std::deque<Item> batch;
  std::vector<WriteFn> group;
  Durability durability = Durability::kCommit;  // the group's: kDisk if any write's is
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // After a batch the writer lingers, awake to the clock, for one
      // write-behind period: a write-behind queued meanwhile needs no
      // wake-up (one per flow at a few hundred flows/s, where each write
      // has the queue to itself) and is written by its deadline at the
      // latest. Only a writer idle that long sleeps without a deadline.
      auto linger_until = std::chrono::steady_clock::now() + write_behind_;
      while (!Due()) {
        if (!queue_.empty()) {  // write-behinds only: they wait for company or their time
          cv_.wait_until(lock, behind_due_);
        } else if (std::chrono::steady_clock::now() < linger_until) {
          cv_.wait_until(lock, linger_until);
        } else {
          asleep_ = true;
          cv_.wait(lock);
          asleep_ = false;
        }
      }
      if (queue_.empty()) {  // stopping, and drained
        state_ = State::kStopped;
        return;
      }
      batch.swap(queue_);
      urgent_ = 0;
    }
    // Everything queued meanwhile (while the previous COMMIT ran) is one
    // batch: runs of consecutive writes in it become groups.
    for (Item& item : batch) {
      if (item.write) {
        group.push_back(std::move(item.write));
        if (item.durability == Durability::kDisk) durability = Durability::kDisk;
        if (group.size() >= kMaxGroup) RunGroup(group, durability);
      } else {
        RunGroup(group, durability);
        RunRead(item.read);
      }
    }
    RunGroup(group, durability);
    batch.clear();
  }
}

StoreExecutor::Attempt StoreExecutor::Try(std::span<WriteFn> writes, Durability durability) {
  Attempt a;
  ExecutorStore view(store_.get(), ExecutorStore::Kind::kGroup);
  a.result = store_->Begin(durability);
  if (!a.result.ok()) view.Fail(a.result.error());  // the writes still run, against a failing store
  a.completions.reserve(writes.size());
  for (WriteFn& fn : writes) {
    try {
      a.completions.push_back(fn(view));
    } catch (const std::exception& e) {
      view.Fail(Error(kErrIo, std::string("store write threw: ") + e.what()));
      a.completions.emplace_back();
    }
  }
  if (!a.result.ok()) return a;
  if (view.error()) {
    (void)store_->Rollback();
    a.result = *view.error();
    a.write_failed = true;
  } else {
    a.result = store_->Commit();
    if (!a.result.ok()) (void)store_->Rollback();
  }
  return a;
}

// A busy store (a lock held by parleyctl or another node, a PostgreSQL
// deadlock or serialization failure) is worth a few more tries: every write
// of the attempt was rolled back, so running them again is what they meant.
StoreExecutor::Attempt StoreExecutor::TryWithRetry(std::span<WriteFn> writes, Durability durability) {
  static constexpr std::chrono::milliseconds kBackoff[] = {std::chrono::milliseconds(10),
                                                           std::chrono::milliseconds(100)};
  Attempt a = Try(writes, durability);
  for (auto pause : kBackoff) {
    if (a.result.ok() || a.result.error().code != kErrBusy) break;
    PLOG_INFO("store_busy_retry", {{"writes", writes.size()}, {"after_ms", pause.count()},
                                    {"error", a.result.error().message}});
    std::this_thread::sleep_for(pause);
    a = Try(writes, durability);
  }
  return a;
}

void StoreExecutor::Finish(Attempt& a) {
  // Only now, after COMMIT returned: the writes are as durable as the
  // attempt asked (or gone).
  for (Completion& done : a.completions) {
    if (!done) continue;
    try {
      done(a.result);
    } catch (const std::exception& e) {
      PLOG_ERROR("store_completion_threw", {{"error", e.what()}});
    }
  }
}

void StoreExecutor::RunGroup(std::vector<WriteFn>& group, Durability& durability) {
  if (group.empty()) return;
  const Durability d = durability;
  durability = Durability::kCommit;
  Attempt a = TryWithRetry(group, d);
  if (!a.result.ok() && a.write_failed && a.result.error().code != kErrBusy && group.size() > 1) {
    // One write failed (a user deleted meanwhile, a constraint): it must not
    // take the others down with it. Each runs again in a transaction of its
    // own, so each gets its own outcome.
    PLOG_WARN("store_group_split", {{"writes", group.size()}, {"error", a.result.error().message}});
    for (WriteFn& fn : group) {
      Attempt one = TryWithRetry(std::span<WriteFn>(&fn, 1), d);
      if (!one.result.ok()) PLOG_WARN("store_write_failed", {{"error", one.result.error().message}});
      Finish(one);
    }
  } else {
    if (!a.result.ok()) {
      PLOG_WARN("store_group_failed", {{"writes", group.size()}, {"error", a.result.error().message}});
    }
    Finish(a);
  }
  pending_writes_.fetch_sub(group.size(), std::memory_order_relaxed);
  group.clear();
}

void StoreExecutor::RunRead(ReadFn& fn) {
  ExecutorStore view(store_.get(), ExecutorStore::Kind::kRead);
  try {
    fn(view);
  } catch (const std::exception& e) {
    PLOG_ERROR("store_read_threw", {{"error", e.what()}});
  }
}

bool StoreExecutor::Due() const {
  if (urgent_ > 0 || state_ == State::kStopping) return true;
  return !queue_.empty() && std::chrono::steady_clock::now() >= behind_due_;
}

bool StoreExecutor::Enqueue(Item& item, bool wake) {
  bool notify = wake;
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kRunning && state_ != State::kStopping) return false;
    if (item.write) pending_writes_.fetch_add(1, std::memory_order_relaxed);
    if (wake) {
      ++urgent_;
    } else if (queue_.empty()) {
      // The first write-behind of a batch sets its deadline; a writer
      // asleep without one must learn it (a lingering one wakes by then).
      behind_due_ = std::chrono::steady_clock::now() + write_behind_;
      notify = asleep_;
    }
    queue_.push_back(std::move(item));
  }
  if (notify) {
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    cv_.notify_one();
  }
  return true;
}

void StoreExecutor::Read(ReadFn fn) {
  Item item{std::move(fn), nullptr};
  if (Enqueue(item)) return;  // moved from only when queued
  fn = std::move(item.read);
  ExecutorStore failing(nullptr, ExecutorStore::Kind::kGroup);
  failing.Fail(NotRunning());
  fn(failing);
}

void StoreExecutor::Write(WriteFn fn, Durability durability) {
  Item item{nullptr, std::move(fn), sync_soft_state_ ? Durability::kDisk : durability};
  if (Enqueue(item)) return;
  fn = std::move(item.write);
  ExecutorStore failing(nullptr, ExecutorStore::Kind::kGroup);
  failing.Fail(NotRunning());
  Completion done = fn(failing);
  if (done) done(NotRunning());
}

void StoreExecutor::WriteBehind(WriteFn fn) {
  Item item{nullptr, std::move(fn), sync_soft_state_ ? Durability::kDisk : Durability::kCommit};
  if (Enqueue(item, false)) return;
  fn = std::move(item.write);
  ExecutorStore failing(nullptr, ExecutorStore::Kind::kGroup);
  failing.Fail(NotRunning());
  Completion done = fn(failing);
  if (done) done(NotRunning());
}

void StoreExecutor::ReadCommitted(ReadFn fn) {
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    if (reader_open_) {
      reader_queue_.push_back(std::move(fn));
      queued = true;
    }
  }
  if (queued) {
    reader_cv_.notify_one();
    return;
  }
  ExecutorStore failing(nullptr, ExecutorStore::Kind::kReadOnly);
  failing.Fail(NotRunning());
  fn(failing);
}

// The writer stops first: its completions may still submit reads, which
// the reader then drains before it stops.
void StoreExecutor::Stop() {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kRunning) state_ = State::kStopping;
  }
  cv_.notify_all();
  for (std::thread* t : {&thread_, &reader_thread_}) {
    if (t == &reader_thread_) {
      {
        std::lock_guard lock(mu_);
        reader_stopping_ = true;
      }
      reader_cv_.notify_all();
    }
    if (!t->joinable()) continue;
    if (t->get_id() == std::this_thread::get_id()) {
      PLOG_ERROR("store_executor_stop_on_own_thread", {});
      return;
    }
    t->join();
  }
}

size_t StoreExecutor::pending() const { return pending_writes_.load(std::memory_order_relaxed); }

}  // namespace parley::store
