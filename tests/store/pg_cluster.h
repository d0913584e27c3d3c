#pragma once
// A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a private
// temporary directory, listening only on a unix socket there (so no port
// can clash), run as the `postgres` OS user when the tests run as root.
// Started once per test binary on first use and removed at exit; a
// detached watchdog removes it too if the test process dies first.

#include <string>

namespace parley::testing {

class PgCluster {
 public:
  // The binary's cluster, started on first call; nullptr when PostgreSQL
  // is not installed (then `why` says so and the caller skips).
  static PgCluster* Shared(std::string* why);

  // A "postgresql:" store URL for a fresh, empty schema of its own.
  std::string NewStoreUrl();
  // A libpq conninfo for the cluster's `postgres` database (no schema).
  std::string conninfo() const;

  void Stop();

 private:
  PgCluster() = default;
  bool Start(std::string* why);
  std::string RunAs(const std::string& command) const;  // prefixes runuser when root

  std::string dir_;
  std::string bindir_;
  int port_ = 0;
  int schemas_ = 0;
  bool running_ = false;
};

// Skips the current test (loudly) when the cluster is unavailable, unless
// PARLEY_REQUIRE_POSTGRES=1 makes that a failure.
#define PARLEY_REQUIRE_PG_CLUSTER(var)                                                      \
  std::string pg_why_;                                                                      \
  ::parley::testing::PgCluster* var = ::parley::testing::PgCluster::Shared(&pg_why_);      \
  if (var == nullptr) {                                                                     \
    if (::parley::testing::PgRequired()) FAIL() << pg_why_;                                 \
    GTEST_SKIP() << "\n*** PostgreSQL tests SKIPPED: " << pg_why_ << " ***\n";              \
  }

bool PgRequired();

}  // namespace parley::testing
