#include "store/sqlite_checkpointer.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <unistd.h>

#include "store/sql.h"

namespace parley::store {
namespace {

namespace fs = std::filesystem;

// Commits that push the WAL past kBackgroundPages are copied into the
// database file by the checkpointer's thread, not by the committing one.
TEST(SqliteCheckpointer, CommitsPastTheThresholdAreCheckpointedInTheBackground) {
  fs::path dir = fs::temp_directory_path() / ("parley-ckpt-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "store.db").string();
  auto before = SqliteCheckpoints();
  {
    auto conn = OpenSqlite(path, /*durable=*/false);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    SqlConnection& c = **conn;
    ASSERT_TRUE(c.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)", {}, nullptr).ok());
    std::string blob(3000, 'x');  // about one page per row
    // 3 x kBackgroundPages pages in commits of 50 rows: well below the
    // inline limit, several background passes.
    int64_t id = 0;
    for (int tx = 0; tx < 3 * SqliteCheckpointer::kBackgroundPages / 50; ++tx) {
      ASSERT_TRUE(c.Begin(Durability::kCommit).ok());
      for (int i = 0; i < 50; ++i) {
        std::array<SqlParam, 2> p{++id, SqlBlob{blob}};
        ASSERT_TRUE(c.Exec("INSERT INTO t (id, v) VALUES ($1, $2)", p, nullptr).ok());
      }
      ASSERT_TRUE(c.Commit().ok());
    }
    // The first kBackgroundPages reach the database file without any
    // commit running a checkpoint itself.
    uintmax_t copied = uintmax_t{SqliteCheckpointer::kBackgroundPages} * 4096;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while ((fs::file_size(path) < copied || SqliteCheckpoints().background == before.background) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GE(fs::file_size(path), copied);
    auto after = SqliteCheckpoints();
    EXPECT_GT(after.background, before.background);
    EXPECT_EQ(after.inline_, before.inline_);
    SqlRows rows;
    ASSERT_TRUE(c.Exec("SELECT count(*) FROM t", {}, &rows).ok());
    EXPECT_EQ(rows.at(0, 0), std::to_string(id));
  }
  // Closing the last connection checkpoints the rest and removes the WAL.
  EXPECT_FALSE(fs::exists(path + "-wal"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace parley::store
