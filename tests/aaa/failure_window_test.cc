#include <gtest/gtest.h>

#include "aaa/failure_window.h"

namespace parley::aaa {
namespace {

TEST(FailureWindow, BlocksAtTheLimitUntilTheWindowEnds) {
  FailureWindow w(3, std::chrono::seconds(60));
  Clock::time_point t0{};
  for (int i = 0; i < 2; ++i) w.Fail("1.2.3.4", t0);
  EXPECT_FALSE(w.Blocked("1.2.3.4", t0));
  w.Fail("1.2.3.4", t0 + std::chrono::seconds(1));
  EXPECT_TRUE(w.Blocked("1.2.3.4", t0 + std::chrono::seconds(2)));
  EXPECT_FALSE(w.Blocked("5.6.7.8", t0));
  EXPECT_FALSE(w.Blocked("1.2.3.4", t0 + std::chrono::seconds(61)));  // window over
  EXPECT_EQ(w.size(), 0u);
}

}  // namespace
}  // namespace parley::aaa
