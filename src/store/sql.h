#pragma once
// The small SQL surface SqlStore needs from a backend. Everything above it
// (schema, validation, transactions, change feed) is shared, so SQLite and
// PostgreSQL cannot drift apart: a backend only runs statements.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "store/durability.h"

namespace parley::store {

// Bytes for a BLOB (SQLite) / BYTEA (PostgreSQL) column: any byte values,
// NUL and invalid UTF-8 included. Borrowed like strings.
struct SqlBlob {
  std::string_view bytes;
};

// A statement parameter. Strings are borrowed for the duration of the call.
// A string_view is text (UTF-8 on PostgreSQL, never NUL); binary goes as
// SqlBlob.
using SqlParam = std::variant<int64_t, double, std::string_view, SqlBlob>;

// Result rows as text (integers in decimal, reals in shortest round-trip
// form, NULL as "", blob columns as their raw bytes).
class SqlRows {
 public:
  size_t size() const { return columns_ == 0 ? 0 : cells_.size() / columns_; }
  bool empty() const { return cells_.empty(); }
  const std::string& at(size_t row, size_t col) const { return cells_[row * columns_ + col]; }

  void Reset(size_t columns) {
    columns_ = columns;
    cells_.clear();
  }
  void Add(std::string cell) { cells_.push_back(std::move(cell)); }

 private:
  size_t columns_ = 0;
  std::vector<std::string> cells_;
};

// The statements that differ between the dialects.
struct SqlDialect {
  std::string_view name;          // "sqlite", "postgresql"
  std::string_view serial_key;    // "{SERIAL}" in migrations: an auto-increment primary key
  std::string_view blob_type;     // "{BLOB}" in migrations: a binary column type
  std::string_view int64_key;     // "{INT64_KEY}" in migrations: a 64-bit primary key the caller assigns
  // "{KEYED}" after a table's closing parenthesis in migrations: the rows
  // are kept in their primary key's b-tree, not beside it in a second one.
  std::string_view keyed_table;
  std::string_view lock_changes;  // "" or a statement making seq order = commit order
  std::string_view lock_migrate;  // "" or a statement serializing concurrent Migrate()
  // Statements are calls in process, not round trips: several simple
  // statements may replace one complex one (see EnqueueMessage).
  bool embedded = false;
  // How an INSERT tells the id it made: "" = it ends in "RETURNING id";
  // else a query run after it. (SQLite's RETURNING fills a temporary table
  // per statement: a tenth of the cost of storing a message.)
  std::string_view last_insert_id;
};

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual const SqlDialect& dialect() const = 0;

  // Runs one statement with `$1`…`$n` placeholders, prepared once per
  // connection and cached by its text. Fills `rows` (if given) and returns
  // the number of rows a DML statement changed.
  virtual Result<int64_t> Exec(const std::string& sql, std::span<const SqlParam> params,
                               SqlRows* rows) = 0;
  // Runs parameterless statements (DDL), uncached.
  virtual Result<void> ExecScript(std::string_view sql) = 0;

  // Begin takes the write lock up front on SQLite (so a busy database is
  // waited for there, never half-way through a group). Commit fails unless
  // the transaction really committed. Rollback succeeds when no
  // transaction is left, even if the connection was lost.
  // `d` kCommit: this transaction's COMMIT does not wait for the disk
  // (SQLite synchronous=NORMAL in WAL mode, PostgreSQL synchronous_commit
  // off). A connection opened non-durable never waits.
  virtual Result<void> Begin(Durability d) = 0;
  virtual Result<void> Commit() = 0;
  virtual Result<void> Rollback() = 0;
};

Result<std::unique_ptr<SqlConnection>> OpenSqlite(const std::string& path, bool durable);

// WAL checkpoints of every SQLite file database in this process
// (sqlite_checkpointer.h), for tests and metrics.
struct SqliteCheckpointCounts {
  uint64_t background = 0;  // passes run by a checkpointer thread
  uint64_t inline_ = 0;     // run by a committing thread: the WAL outgrew kInlinePages
};
SqliteCheckpointCounts SqliteCheckpoints();
Result<std::unique_ptr<SqlConnection>> OpenPostgres(const std::string& conninfo, bool durable);

}  // namespace parley::store
