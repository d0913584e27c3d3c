#pragma once
// WAL checkpoints off the committing thread. SQLite's automatic checkpoint
// runs inside the COMMIT that pushes the WAL past 1000 pages: that commit
// copies the WAL into the database file and syncs it, a few milliseconds
// every few thousand flows, which set the 99th percentile of whatever
// waited for it. A connection using this checkpointer only signals; a
// thread with its own connection runs PRAGMA wal_checkpoint(PASSIVE),
// which waits for no reader or writer.

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace parley::store {

// Process-wide counts, for tests and metrics.
struct SqliteCheckpointCounts {
  uint64_t background = 0;  // passes run by a checkpointer thread
  uint64_t inline_ = 0;     // run by the committing thread: the WAL outgrew kInlinePages
};
SqliteCheckpointCounts SqliteCheckpoints();

class SqliteCheckpointer {
 public:
  // WAL pages after a commit that start a background pass (SQLite's
  // default automatic checkpoint size), and that make the committing
  // thread checkpoint itself because the thread fell behind.
  static constexpr int kBackgroundPages = 1000;
  static constexpr int kInlinePages = 16000;

  SqliteCheckpointer(std::string path, bool durable);
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Installs the commit hook on `db` (replacing SQLite's automatic
  // checkpoint). `db` must outlive neither this nor be used after it.
  void Attach(sqlite3* db);

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages);
  void Request();
  void Run();

  const std::string path_;
  const bool durable_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;  // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::atomic<bool> pending_{false};
  std::thread thread_;  // started on the first request
};

}  // namespace parley::store
