// The parley client against Kamailio (the anchor configuration, copied into
// tests/tools/parley/kamailio): register, send (delivered, stored, wrong
// password, unreachable), inbox from msilo, status and watch. Each test runs
// in its own network namespace with its own Kamailio on 127.0.0.1:5070.

#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"

namespace parley::cli::testing {
namespace {

class KamailioTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    for (const char* tool : {"kamailio", "sqlite3"}) {
      if (!Which(tool)) GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh installs it)";
    }
    if (!fs::exists("/usr/lib/x86_64-linux-gnu/kamailio/modules/presence.so")) {
      GTEST_SKIP() << "kamailio-presence-modules is not installed";
    }
    std::string why;
    if (!EnterPrivateNetwork(&why)) GTEST_SKIP() << why;
    dir_ = TempDir("parley-kam");
    Proc start;
    start.Start({"/bin/bash", TestDataDir() + "/kamailio/run-kamailio.sh", "start", (dir_ / "kam").string(), "5"},
                dir_ / "kam-start");
    ASSERT_EQ(start.Wait(20000ms), 0) << start.out() << start.err();
    started_ = true;
    proxy_ = "127.0.0.1:5070;transport=" + GetParam();
  }
  void TearDown() override {
    if (started_) StopDaemon(dir_ / "kam" / "pid");
    if (!dir_.empty() && !HasFailure()) RemoveTree(dir_);
  }
  ParleyUser User(int i, const std::string& password = "pw") {
    return ParleyUser(dir_ / ("u" + std::to_string(i) + "-" + std::to_string(++users_)),
                      "u" + std::to_string(i) + "@bench.test", password, proxy_);
  }

  fs::path dir_;
  std::string proxy_;
  bool started_ = false;
  int users_ = 0;
};

TEST_P(KamailioTest, LoginReceivesAMessageAndLogsOut) {
  auto u0 = User(0), u1 = User(1);
  Proc login;
  u0.Spawn(login, {"--json", "login", "--for", "20"});
  ASSERT_TRUE(login.WaitForOutput("\"event\":\"online\"", 10000ms)) << login.out() << login.err();
  EXPECT_NE(login.out().find("\"state\":\"registered\""), std::string::npos);
  auto r = u1.Run({"send", "u0@bench.test", "hello from u1"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("delivered to u0@bench.test (200 OK)"), std::string::npos) << r.out;
  ASSERT_TRUE(login.WaitForOutput("hello from u1", 5000ms)) << login.out();
  EXPECT_NE(login.out().find("\"from\":\"sip:u1@bench.test\""), std::string::npos);
  login.Signal(SIGINT);
  EXPECT_EQ(login.Wait(10000ms), 0) << login.err();
  EXPECT_NE(login.out().find("\"event\":\"offline\""), std::string::npos);
  // Our history has the message.
  auto h = u0.Run({"history", "--with", "u1@bench.test"});
  EXPECT_EQ(h.status, 0);
  EXPECT_NE(h.out.find("u1@bench.test: hello from u1"), std::string::npos) << h.out;
}

TEST_P(KamailioTest, OfflineMessageIsStoredThenFetched) {
  auto u1 = User(1), u2 = User(2);
  auto r = u1.Run({"send", "u2@bench.test", "while you were out"});
  EXPECT_EQ(r.status, 3) << r.out << r.err;  // stored
  EXPECT_NE(r.out.find("stored for later delivery"), std::string::npos) << r.out;
  auto inbox = u2.Run({"--json", "inbox", "--wait", "2"});
  EXPECT_EQ(inbox.status, 0) << inbox.err;
  EXPECT_NE(inbox.out.find("while you were out"), std::string::npos) << inbox.out;
  EXPECT_NE(inbox.out.find("\"count\":1"), std::string::npos) << inbox.out;
}

TEST_P(KamailioTest, ErrorsAreOneLineWithDistinctExitStatus) {
  auto bad = User(1, "wrong");
  auto r = bad.Run({"send", "u0@bench.test", "x"});
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_NE(r.err.find("wrong user name or password"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  auto login = bad.Run({"login", "--for", "1"});
  EXPECT_EQ(login.status, 4) << login.out << login.err;

  ParleyUser nowhere(dir_ / "nowhere", "u1@bench.test", "pw", "127.0.0.1:5999;transport=" + GetParam());
  nowhere.SetTimeout("2");
  auto u = nowhere.Run({"send", "u0@bench.test", "x"});
  EXPECT_EQ(u.status, 5) << u.out << u.err;
  EXPECT_NE(u.err.find("server"), std::string::npos) << u.err;
  EXPECT_EQ(std::count(u.err.begin(), u.err.end(), '\n'), 1) << u.err;

  auto j = bad.Run({"--json", "send", "u0@bench.test", "x"});
  EXPECT_EQ(j.status, 4);
  EXPECT_NE(j.out.find("\"error\":\"auth\""), std::string::npos) << j.out;
}

TEST_P(KamailioTest, StatusChangesAreSeenByAWatcher) {
  auto u0 = User(0), u1 = User(1);
  auto first = u1.Run({"status", "open"});
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  Proc watch;
  u0.Spawn(watch, {"--json", "watch", "u1@bench.test", "--for", "30"});
  ASSERT_TRUE(watch.WaitForOutput("\"status\":\"open\"", 10000ms)) << watch.out() << watch.err();
  auto away = u1.Run({"status", "away", "--note", "at lunch"});
  ASSERT_EQ(away.status, 0) << away.out << away.err;
  EXPECT_TRUE(watch.WaitForOutput("\"note\":\"at lunch\"", 10000ms)) << watch.out();
  EXPECT_NE(watch.out().find("\"status\":\"away\""), std::string::npos);
  auto closed = u1.Run({"status", "closed"});
  ASSERT_EQ(closed.status, 0);
  EXPECT_TRUE(watch.WaitForOutput("\"status\":\"closed\"", 10000ms)) << watch.out();
  watch.Signal(SIGINT);
  EXPECT_EQ(watch.Wait(10000ms), 0) << watch.err();
  // A one-shot query sees the last state.
  auto once = u0.Run({"watch", "u1@bench.test", "--once"});
  EXPECT_EQ(once.status, 0) << once.err;
  EXPECT_NE(once.out.find("u1@bench.test is closed"), std::string::npos) << once.out;
}

TEST_P(KamailioTest, CpimMessageWithDeliveryNotification) {
  auto u0 = User(0), u1 = User(1);
  Proc login;
  u0.Spawn(login, {"--json", "login", "--for", "20"});
  ASSERT_TRUE(login.WaitForOutput("\"event\":\"online\"", 10000ms)) << login.out() << login.err();
  // u1 asks for an IMDN (RFC 5438); u0's client answers it automatically.
  auto r = u1.Run({"--json", "send", "--imdn", "u0@bench.test", "did you get this?"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("\"event\":\"delivery\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"status\":\"delivered\""), std::string::npos) << r.out;
  ASSERT_TRUE(login.WaitForOutput("did you get this?", 5000ms)) << login.out();
  EXPECT_NE(login.out().find("\"cpim\":true"), std::string::npos) << login.out();
}

TEST_P(KamailioTest, AccountFromConfigFileAndEnvironment) {
  fs::path home = dir_ / "cfg-home";
  fs::create_directories(home / ".config" / "parley");
  std::ofstream(home / ".config" / "parley" / "config.toml")
      << "user = \"u1@bench.test\"\nproxy = \"" << proxy_ << "\"\n";
  Proc p;
  p.Start({ParleyBinary(), "send", "u3@bench.test", "from the config"}, dir_ / "cfg-run",
          {"HOME=" + home.string(), "PARLEY_PASSWORD=pw"});
  EXPECT_EQ(p.Wait(20000ms), 3) << p.out() << p.err();  // stored: u3 is offline
  EXPECT_NE(p.out().find("stored for later delivery to u3@bench.test"), std::string::npos) << p.out();
  // A broken config file is a usage error, in one line.
  std::ofstream(home / ".config" / "parley" / "config.toml") << "user = \n";
  Proc bad;
  bad.Start({ParleyBinary(), "send", "u3@bench.test", "x"}, dir_ / "cfg-bad", {"HOME=" + home.string()});
  EXPECT_EQ(bad.Wait(10000ms), 2);
  EXPECT_NE(bad.err().find("config.toml"), std::string::npos) << bad.err();
}

INSTANTIATE_TEST_SUITE_P(Transports, KamailioTest, ::testing::Values("udp", "tcp"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace parley::cli::testing
