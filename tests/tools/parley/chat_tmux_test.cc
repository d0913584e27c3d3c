// The interactive mode as a person uses it: two `parley chat` sessions in
// tmux (send-keys to type, capture-pane to read the screen) against
// Kamailio. One sees the other typing (isComposing), their message, and
// their presence change.

#include <gtest/gtest.h>

#include "harness.h"
#include "sip/response.h"

namespace parley::cli::testing {
namespace {

class ChatTmuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {"tmux", "kamailio", "sqlite3"}) {
      if (!Which(tool)) GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh installs it)";
    }
    std::string why;
    if (!EnterPrivateNetwork(&why)) GTEST_SKIP() << why;
    dir_ = TempDir("parley-chat");
    Proc start;
    start.Start({"/bin/bash", TestDataDir() + "/kamailio/run-kamailio.sh", "start", (dir_ / "kam").string(), "3"},
                dir_ / "kam-start");
    ASSERT_EQ(start.Wait(20000ms), 0) << start.out() << start.err();
    started_ = true;
    socket_ = "parley-test-" + sip::RandomToken(4);
  }
  void TearDown() override {
    if (!socket_.empty()) Tmux({"kill-server"});
    if (started_) StopDaemon(dir_ / "kam" / "pid");
    if (!dir_.empty() && !HasFailure()) RemoveTree(dir_);
  }

  RunResult Tmux(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/env", "tmux", "-L", socket_, "-f", "/dev/null"};
    argv.insert(argv.end(), args.begin(), args.end());
    Proc p;
    p.Start(argv, dir_ / ("tmux" + std::to_string(++calls_)));
    RunResult r;
    r.status = p.Wait(10000ms);
    r.out = p.out();
    r.err = p.err();
    return r;
  }
  // Starts `parley chat` for `user` in a detached 80x20 tmux window.
  void StartChat(const std::string& session, ParleyUser& user, const std::string& peer) {
    std::string cmd;
    for (const auto& e : user.Env()) cmd += e + " ";
    cmd += "TERM=xterm-256color";
    for (const auto& a : user.Argv({"chat", peer})) cmd += " '" + a + "'";
    cmd += "; echo parley-exit=$?; sleep 30";
    auto r = Tmux({"new-session", "-d", "-s", session, "-x", "80", "-y", "20", cmd});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  std::string Screen(const std::string& session) { return Tmux({"capture-pane", "-p", "-t", session}).out; }
  bool WaitForScreen(const std::string& session, const std::string& text, std::chrono::milliseconds timeout = 10000ms) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (Screen(session).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }
  void Type(const std::string& session, const std::string& text) { Tmux({"send-keys", "-t", session, "-l", text}); }
  void Key(const std::string& session, const std::string& key) { Tmux({"send-keys", "-t", session, key}); }

  fs::path dir_;
  std::string socket_;
  bool started_ = false;
  int calls_ = 0;
};

TEST_F(ChatTmuxTest, ConversationWithTypingAndPresence) {
  std::string proxy = "127.0.0.1:5070;transport=tcp";
  ParleyUser u0(dir_ / "u0", "u0@bench.test", "pw", proxy);
  ParleyUser u1(dir_ / "u1", "u1@bench.test", "pw", proxy);
  ASSERT_EQ(u1.Run({"status", "open"}).status, 0);
  StartChat("a", u0, "u1@bench.test");
  StartChat("b", u1, "u0@bench.test");
  ASSERT_TRUE(WaitForScreen("a", "chat with u1@bench.test")) << Screen("a");
  ASSERT_TRUE(WaitForScreen("b", "chat with u0@bench.test")) << Screen("b");
  EXPECT_TRUE(WaitForScreen("a", "● open")) << Screen("a");

  // u1 types: u0 sees it (RFC 3994), then the message.
  Type("b", "hello u0, how are you?");
  ASSERT_TRUE(WaitForScreen("a", "u1 is typing…")) << Screen("a");
  Key("b", "Enter");
  ASSERT_TRUE(WaitForScreen("a", "u1: hello u0, how are you?")) << Screen("a");
  EXPECT_TRUE(WaitForScreen("b", "me: hello u0, how are you?  ✓")) << Screen("b");
  EXPECT_EQ(Screen("a").find("u1 is typing…"), std::string::npos) << Screen("a");

  // u1's presence changes: u0's header and scrollback show it.
  ASSERT_EQ(u1.Run({"status", "away", "--note", "getting coffee"}).status, 0);
  EXPECT_TRUE(WaitForScreen("a", "● away — getting coffee")) << Screen("a");
  EXPECT_TRUE(WaitForScreen("a", "u1 is now away — getting coffee")) << Screen("a");

  // And back: line editing works (Ctrl-U clears, backspace deletes).
  Type("a", "garbage");
  Key("a", "C-u");
  Type("a", "fine, thanksX");
  Key("a", "BSpace");
  Key("a", "Enter");
  EXPECT_TRUE(WaitForScreen("b", "u0: fine, thanks")) << Screen("b");
  EXPECT_EQ(Screen("b").find("thanksX"), std::string::npos);

  Key("a", "C-c");
  Type("b", "/quit");
  Key("b", "Enter");
  EXPECT_TRUE(WaitForScreen("a", "parley-exit=0")) << Screen("a");
  EXPECT_TRUE(WaitForScreen("b", "parley-exit=0")) << Screen("b");
}

}  // namespace
}  // namespace parley::cli::testing
