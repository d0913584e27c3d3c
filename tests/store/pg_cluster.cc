#include "store/pg_cluster.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

std::string FindBindir() {
  if (const char* env = std::getenv("PARLEY_PG_BINDIR"); env != nullptr) return env;
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = e.path() / "bin";
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl")) {
      if (best.empty() || e.path().filename().string() > fs::path(best).parent_path().filename().string()) {
        best = bin.string();
      }
    }
  }
  return best;
}

int Sh(const std::string& command) {
  int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class StopAtExit : public ::testing::Environment {
 public:
  void TearDown() override {
    if (PgCluster* c = PgCluster::Shared(nullptr); c != nullptr) c->Stop();
  }
};

[[maybe_unused]] ::testing::Environment* const kStopAtExit = ::testing::AddGlobalTestEnvironment(new StopAtExit);

std::mutex g_mu;
PgCluster* g_cluster = nullptr;
bool g_tried = false;
std::string g_why;

}  // namespace

bool PgRequired() {
  const char* env = std::getenv("PARLEY_REQUIRE_POSTGRES");
  return env != nullptr && std::string(env) == "1";
}

PgCluster* PgCluster::Shared(std::string* why) {
  std::lock_guard lock(g_mu);
  if (why == nullptr) return g_cluster;  // teardown: never start one
  if (!g_tried) {
    g_tried = true;
    auto* c = new PgCluster();
    if (c->Start(&g_why)) {
      g_cluster = c;
    } else {
      delete c;
    }
  }
  if (g_cluster == nullptr) *why = g_why;
  return g_cluster;
}

std::string PgCluster::RunAs(const std::string& command) const {
  return geteuid() == 0 ? "runuser -u postgres -- " + command : command;
}

bool PgCluster::Start(std::string* why) {
  bindir_ = FindBindir();
  if (bindir_.empty()) {
    *why = "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin; "
           "install the postgresql package (scripts/install-deps.sh) or set PARLEY_PG_BINDIR";
    return false;
  }
  struct passwd* pg = nullptr;
  if (geteuid() == 0 && (pg = getpwnam("postgres")) == nullptr) {
    *why = "running as root but there is no `postgres` user to run the server as";
    return false;
  }
  char tmpl[] = "/tmp/parley-pg-XXXXXX";  // short: unix socket paths are limited to 107 bytes
  if (mkdtemp(tmpl) == nullptr) {
    *why = "mkdtemp failed";
    return false;
  }
  dir_ = tmpl;
  if (pg != nullptr && chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
    *why = "cannot chown " + dir_ + " to postgres";
    return false;
  }
  port_ = 20000 + static_cast<int>(getpid() % 20000);
  auto t0 = std::chrono::steady_clock::now();
  std::string initdb = RunAs(bindir_ + "/initdb -D " + dir_ + "/data -A trust -U postgres --no-sync -E UTF8 --locale=C") +
                       " >" + dir_ + "/initdb.log 2>&1";
  if (Sh(initdb) != 0) {
    *why = "initdb failed: " + ReadFile(dir_ + "/initdb.log");
    Sh("rm -rf " + dir_);
    return false;
  }
  // If this process dies without tearing down, stop and remove the cluster.
  std::string stop = RunAs(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop");
  Sh("setsid sh -c 'while [ -d /proc/" + std::to_string(getpid()) + " ] && [ -d " + dir_ +
     " ]; do sleep 1; done; if [ -d " + dir_ + " ]; then " + stop + "; rm -rf " + dir_ +
     "; fi' </dev/null >/dev/null 2>&1 &");
  std::string opts = "-c listen_addresses='' -k " + dir_ + " -p " + std::to_string(port_) +
                     " -c fsync=off -c full_page_writes=off -c max_connections=60";
  std::string start = RunAs(bindir_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"" +
                            opts + "\" start") +
                      " >/dev/null 2>&1";
  if (Sh(start) != 0) {
    *why = "pg_ctl start failed: " + ReadFile(dir_ + "/server.log");
    Sh("rm -rf " + dir_);
    return false;
  }
  running_ = true;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << "[pg_cluster] PostgreSQL started in " << secs << " s at " << dir_ << " port " << port_ << "\n";
  return true;
}

std::string PgCluster::conninfo() const {
  return "host=" + dir_ + " port=" + std::to_string(port_) + " dbname=postgres user=postgres";
}

std::string PgCluster::NewStoreUrl() {
  std::string schema = "t" + std::to_string(++schemas_);
  PGconn* conn = PQconnectdb(conninfo().c_str());
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, ("CREATE SCHEMA " + schema).c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) ADD_FAILURE() << "create schema: " << PQresultErrorMessage(r);
    PQclear(r);
  } else {
    ADD_FAILURE() << "connect: " << PQerrorMessage(conn);
  }
  PQfinish(conn);
  return "postgresql:" + conninfo() + " options='-c search_path=" + schema + "'";
}

void PgCluster::Stop() {
  if (!running_) return;
  running_ = false;
  Sh(RunAs(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop") + " >/dev/null 2>&1");
  Sh("rm -rf " + dir_);
}

}  // namespace parley::testing
