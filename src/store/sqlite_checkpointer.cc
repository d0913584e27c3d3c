#include "store/sqlite_checkpointer.h"

#include <pthread.h>

#include "common/log.h"

namespace parley::store {
namespace {
std::atomic<uint64_t> background_passes{0};
std::atomic<uint64_t> inline_passes{0};
}  // namespace

SqliteCheckpointCounts SqliteCheckpoints() {
  return {background_passes.load(std::memory_order_relaxed), inline_passes.load(std::memory_order_relaxed)};
}

SqliteCheckpointer::SqliteCheckpointer(std::string path) : path_(std::move(path)) {}

SqliteCheckpointer::~SqliteCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SqliteCheckpointer::Attach(sqlite3* db) { sqlite3_wal_hook(db, &SqliteCheckpointer::OnCommit, this); }

int SqliteCheckpointer::OnCommit(void* self, sqlite3* db, const char* schema, int pages) {
  if (pages >= kInlinePages) {
    // The background pass cannot finish while commits keep coming: bound
    // the WAL as SQLite's automatic checkpoint would.
    int log = 0, done = 0;
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &log, &done) == SQLITE_OK) {
      inline_passes.fetch_add(1, std::memory_order_relaxed);
    }
  } else if (pages >= kBackgroundPages) {
    static_cast<SqliteCheckpointer*>(self)->Request();
  }
  return SQLITE_OK;  // a failed checkpoint never fails the commit
}

void SqliteCheckpointer::Request() {
  if (pending_.exchange(true, std::memory_order_acq_rel)) return;  // a pass is queued or running
  std::lock_guard lock(mu_);  // the waiter checks pending_ under it: no lost wake-up
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { Run(); });
    pthread_setname_np(thread_.native_handle(), "parley-ckpt");
  } else {
    cv_.notify_one();
  }
}

void SqliteCheckpointer::Run() {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  // Read the schema at once: that opens the database and its WAL, which
  // a checkpoint on a connection that has read nothing yet may skip.
  if (sqlite3_open_v2(path_.c_str(), &db, flags, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) != SQLITE_OK) {
    PLOG_WARN("store_checkpointer", {{"path", path_}, {"error", db ? sqlite3_errmsg(db) : "out of memory"}});
    sqlite3_close_v2(db);
    db = nullptr;  // requests are taken and dropped: inline passes bound the WAL
  }
  // Its own commits never reach the WAL hook: it writes nothing.
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) || stop_; });
    if (stop_) break;
    lock.unlock();
    // A commit from now on asks for one more pass: nothing it wrote waits
    // for a commit after it.
    pending_.store(false, std::memory_order_release);
    if (db != nullptr) {
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (rc == SQLITE_OK) {
        background_passes.fetch_add(1, std::memory_order_relaxed);
      } else if ((rc & 0xff) != SQLITE_BUSY) {  // busy: another checkpoint runs (another process)
        PLOG_WARN("store_checkpoint_failed", {{"path", path_}, {"error", sqlite3_errmsg(db)}});
      }
    }
    lock.lock();
  }
  lock.unlock();
  sqlite3_close_v2(db);
}

}  // namespace parley::store
