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

#include "store/sql.h"  // SqliteCheckpoints()

namespace parley::store {

class SqliteCheckpointer {
 public:
  // WAL pages after a commit that start a background pass (SQLite's
  // default automatic checkpoint size), and that make the committing
  // thread checkpoint itself because the thread fell behind.
  static constexpr int kBackgroundPages = 1000;
  static constexpr int kInlinePages = 16000;

  // Its own connection to `path` syncs as every connection in WAL mode
  // does when it checkpoints: the WAL before, the database file after.
  explicit SqliteCheckpointer(std::string path);
  ~SqliteCheckpointer();
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // Installs the commit hook on `db` (replacing SQLite's automatic
  // checkpoint). Remove it (sqlite3_wal_hook(db, nullptr, nullptr))
  // before destroying this.
  void Attach(sqlite3* db);

 private:
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages);
  void Request();
  void Run();

  const std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                 // guarded by mu_
  std::atomic<bool> pending_{false};  // a pass is asked for and has not started
  std::thread thread_;  // started on the first request
};

}  // namespace parley::store
