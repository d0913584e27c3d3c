#pragma once
// The Store suites run once per backend: TEST_P over "sqlite" (a temporary
// directory) and "postgresql" (a fresh schema in the binary's throwaway
// cluster). Nothing in a test may depend on which one it got, except
// through Raw() below, used only to set up states the API cannot make.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store.h"

namespace parley::testing {

class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new, migrated connection to this test's store.
  std::unique_ptr<store::Store> Open(bool durable = true);
  const std::string& url() const { return url_; }
  // Runs raw SQL on this test's store, outside the Store interface.
  void Raw(const std::string& sql);
  // The first column of the first row of a raw query ("" if none).
  std::string RawScalar(const std::string& sql);
  // SQL for Raw() that takes a migrated store back to schema `version`:
  // undoes the later migrations that add a column or table this code uses
  // (6, 9, 10, 11; a new migration of that kind adds its line here), then
  // sets the version. Tables a migration rebuilt stay as they are.
  static std::string RollBackTo(int version);

  std::string url_;
  std::string dir_;  // sqlite only
};

std::string BackendName(const ::testing::TestParamInfo<std::string>& info);

#define PARLEY_INSTANTIATE_BACKENDS(suite)                                                     \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("sqlite", "postgresql"),      \
                           ::parley::testing::BackendName)

// A fresh temporary directory (removed by the caller).
std::string MakeTempDir(const std::string& prefix);

}  // namespace parley::testing
