#include "store/backend.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <utility>

#include "store/pg_cluster.h"

namespace parley::testing {

std::string MakeTempDir(const std::string& prefix) {
  std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) return {};
  return tmpl;
}

std::string BackendTest::RollBackTo(int version) {
  static const std::pair<int, const char*> kUndo[] = {
      {11, "ALTER TABLE publications DROP COLUMN partial_version;"},
      {10, "DROP TABLE call_dialogs;"},
      {9, "ALTER TABLE subscriptions DROP COLUMN package_state;"},
      {6, "ALTER TABLE bindings DROP COLUMN first_cseq;"},
  };
  std::string sql;
  for (const auto& [v, undo] : kUndo) {
    if (v > version) sql += undo;
  }
  return sql + "UPDATE schema_version SET version = " + std::to_string(version) + ";";
}

std::string BackendName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

void BackendTest::SetUp() {
  if (GetParam() == "sqlite") {
    dir_ = MakeTempDir("parley-store");
    ASSERT_FALSE(dir_.empty());
    url_ = store::DefaultStoreUrl(dir_);
    return;
  }
  PARLEY_REQUIRE_PG_CLUSTER(cluster);
  url_ = cluster->NewStoreUrl();
}

void BackendTest::TearDown() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::unique_ptr<store::Store> BackendTest::Open(bool durable) {
  auto s = store::OpenStore({url_, durable});
  EXPECT_TRUE(s.ok()) << s.error().message;
  if (!s.ok()) return nullptr;
  auto m = (*s)->Migrate();
  EXPECT_TRUE(m.ok()) << m.error().message;
  return std::move(*s);
}

std::string BackendTest::RawScalar(const std::string& sql) {
  std::string out;
  if (GetParam() == "sqlite") {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ + "/parley.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    if (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      if (p != nullptr) out.assign(p, static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
  std::string conninfo = url_.substr(std::string("postgresql:").size());
  PGconn* conn = PQconnectdb(conninfo.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0) out = PQgetvalue(r, 0, 0);
  PQclear(r);
  PQfinish(conn);
  return out;
}

void BackendTest::Raw(const std::string& sql) {
  if (GetParam() == "sqlite") {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/parley.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return;
  }
  std::string conninfo = url_.substr(std::string("postgresql:").size());
  PGconn* conn = PQconnectdb(conninfo.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
      << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
}

}  // namespace parley::testing
