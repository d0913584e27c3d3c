// Two parley clients against parleyd: register, exchange messages, see each
// other's presence, approve a pending watcher, fetch an offline message —
// and TLS certificate checks.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "harness.h"

namespace parley::cli::testing {
namespace {

class ParleydTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(ParleydBinary())) GTEST_SKIP() << "parleyd is not built";
    std::string why;
    if (!EnterPrivateNetwork(&why)) GTEST_SKIP() << why;
    dir_ = TempDir("parley-pd");
    data_ = dir_ / "data";
    fs::create_directories(data_);
    server_.Start({ParleydBinary(), "--listen", "udp:127.0.0.1:5060", "--listen", "tcp:127.0.0.1:5060", "--listen",
                   "tls:127.0.0.1:5061", "--domain", "example.com", "--data-dir", data_.string(), "--http",
                   "127.0.0.1:8080", "--threads", "2", "--log-level", "warn"},
                  dir_ / "parleyd");
    // Ready once the TLS certificate exists and OPTIONS is answered.
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      std::this_thread::sleep_for(100ms);
      up = fs::exists(data_ / "tls" / "cert.pem") && TcpListening(5060);
    }
    ASSERT_TRUE(up) << "parleyd did not start: " << server_.err();
  }
  void TearDown() override {
    server_.Kill();
    if (!dir_.empty() && !HasFailure()) RemoveTree(dir_);
  }

  ParleyUser User(const std::string& name, const std::string& transport = "tcp") {
    return ParleyUser(dir_ / (name + std::to_string(++users_)), name + "@example.com", "pw",
                      "127.0.0.1:" + std::string(transport == "tls" ? "5061" : "5060") + ";transport=" + transport);
  }

  // Creates users through parleyctl; false (with the reason) if it cannot.
  bool Provision(const std::vector<std::string>& names, std::string* why) {
    std::string ctl = std::string(PARLEY_BINARY_DIR) + "/src/tools/parleyctl/parleyctl";
    if (!fs::exists(ctl)) {
      *why = "needs parleyctl (user provisioning) — not on main yet";
      return false;
    }
    for (const auto& n : names) {
      Proc p;
      // The expected parleyctl interface; adjust here when it lands differently.
      p.Start({ctl, "--data-dir", data_.string(), "user", "add", n + "@example.com", "--password", "pw"},
              dir_ / ("ctl-" + n));
      if (p.Wait(10000ms) != 0) {
        *why = "parleyctl user add failed: " + p.err();
        return false;
      }
    }
    // A running parleyd notices store edits through its change feed, polled
    // every second; users probed before they existed are cached as unknown
    // until then.
    std::this_thread::sleep_for(1500ms);
    return true;
  }

  fs::path dir_, data_;
  Proc server_;
  int users_ = 0;
};

TEST_F(ParleydTest, TlsCertificateMustBeTrusted) {
  auto alice = User("alice", "tls");
  auto r = alice.Run({"send", "bob@example.com", "hi"});
  EXPECT_EQ(r.status, 6) << r.out << r.err;
  EXPECT_NE(r.err.find("TLS certificate"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // With the server's certificate trusted the TLS connection is fine:
  // whatever the answer, it is not a TLS failure.
  alice.AddFlags({"--ca-file", (data_ / "tls" / "cert.pem").string()});
  auto ok = alice.Run({"send", "bob@example.com", "hi"});
  EXPECT_NE(ok.status, 6) << ok.out << ok.err;
  EXPECT_NE(ok.status, 5) << ok.out << ok.err;
}

TEST_F(ParleydTest, TwoClientsExchangeMessages) {
  auto alice = User("alice"), bob = User("bob", "udp");
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  Proc a, b;
  alice.Spawn(a, {"--json", "login", "--for", "30"});
  bob.Spawn(b, {"--json", "login", "--for", "30"});
  ASSERT_TRUE(a.WaitForOutput("\"event\":\"online\"", 10000ms)) << a.out() << a.err();
  ASSERT_TRUE(b.WaitForOutput("\"event\":\"online\"", 10000ms)) << b.out() << b.err();
  auto r1 = bob.Run({"send", "alice@example.com", "hi alice"});
  EXPECT_EQ(r1.status, 0) << r1.out << r1.err;
  EXPECT_TRUE(a.WaitForOutput("hi alice", 5000ms)) << a.out();
  auto r2 = alice.Run({"send", "bob@example.com", "hi bob"});
  EXPECT_EQ(r2.status, 0) << r2.out << r2.err;
  EXPECT_TRUE(b.WaitForOutput("hi bob", 5000ms)) << b.out();
  auto unknown = alice.Run({"send", "nobody@example.com", "x"});
  EXPECT_EQ(unknown.status, 7) << unknown.out << unknown.err;

  // A GRUU (RFC 5627) names alice's one device: her client registered its
  // instance id and reported the public GRUU the registrar made of it.
  std::ifstream id_file(alice.dir() / "home" / ".config" / "parley" / "instance-id");
  std::string instance;
  ASSERT_TRUE(std::getline(id_file, instance));
  ASSERT_TRUE(instance.starts_with("urn:uuid:")) << instance;
  const std::string gruu = "sip:alice@example.com;gr=" + instance;
  EXPECT_NE(a.out().find("\"gruu\":\"" + gruu + "\""), std::string::npos) << a.out();
  auto r3 = bob.Run({"send", gruu, "to your device"});
  EXPECT_EQ(r3.status, 0) << r3.out << r3.err;
  EXPECT_TRUE(a.WaitForOutput("to your device", 5000ms)) << a.out();
  // A device alice never registered: not delivered to her others (480).
  auto r4 = bob.Run({"send", "sip:alice@example.com;gr=urn:uuid:00000000-0000-4000-8000-000000000000", "lost"});
  EXPECT_NE(r4.status, 0) << r4.out << r4.err;
  EXPECT_NE(r4.err.find("480"), std::string::npos) << r4.err;
}

TEST_F(ParleydTest, ClientsSeeEachOthersPresence) {
  auto alice = User("alice"), bob = User("bob");
  for (auto* u : {&alice, &bob}) u->AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  // parleyd asks the user about new watchers (confirm) unless a rule says
  // otherwise: each allows the other (pres-rules over XCAP).
  auto a = alice.Run({"allow", "bob@example.com"});
  ASSERT_EQ(a.status, 0) << a.out << a.err;
  auto b = bob.Run({"allow", "alice@example.com"});
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  Proc watch_a, watch_b;
  bob.Spawn(watch_a, {"--json", "watch", "alice@example.com", "--for", "30"});
  alice.Spawn(watch_b, {"--json", "watch", "bob@example.com", "--for", "30"});
  ASSERT_TRUE(watch_a.WaitForOutput("\"state\":\"active\"", 10000ms)) << watch_a.out() << watch_a.err();
  ASSERT_TRUE(watch_b.WaitForOutput("\"state\":\"active\"", 10000ms)) << watch_b.out() << watch_b.err();
  auto away = alice.Run({"status", "away", "--note", "coffee"});
  ASSERT_EQ(away.status, 0) << away.out << away.err;
  auto busy = bob.Run({"status", "busy"});
  ASSERT_EQ(busy.status, 0) << busy.out << busy.err;
  EXPECT_TRUE(watch_a.WaitForOutput("\"note\":\"coffee\"", 10000ms)) << watch_a.out() << watch_a.err();
  EXPECT_TRUE(watch_b.WaitForOutput("\"status\":\"busy\"", 10000ms)) << watch_b.out() << watch_b.err();
}

TEST_F(ParleydTest, ApprovePendingWatcher) {
  auto alice = User("alice"), carol = User("carol");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "carol"}, &why)) << why;
  Proc watch;
  carol.Spawn(watch, {"--json", "watch", "alice@example.com", "--for", "30"});
  ASSERT_TRUE(watch.WaitForOutput("\"state\":\"pending\"", 10000ms)) << watch.out() << watch.err();
  auto list = alice.Run({"--json", "watchers"});
  ASSERT_EQ(list.status, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("sip:carol@example.com"), std::string::npos) << list.out;
  auto allow = alice.Run({"allow", "carol@example.com"});
  ASSERT_EQ(allow.status, 0) << allow.out << allow.err;
  ASSERT_EQ(alice.Run({"status", "open", "--note", "welcome"}).status, 0);
  EXPECT_TRUE(watch.WaitForOutput("\"note\":\"welcome\"", 10000ms)) << watch.out();
}

TEST_F(ParleydTest, OfflineMessageIsFetchedFromTheStore) {
  auto alice = User("alice"), dave = User("dave");
  dave.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "dave"}, &why)) << why;
  auto r = alice.Run({"send", "dave@example.com", "read me later"});
  ASSERT_EQ(r.status, 3) << r.out << r.err;  // stored for later delivery (202)
  auto inbox = dave.Run({"--json", "inbox"});
  EXPECT_EQ(inbox.status, 0) << inbox.out << inbox.err;
  EXPECT_NE(inbox.out.find("read me later"), std::string::npos) << inbox.out;
  auto again = dave.Run({"--json", "inbox"});
  EXPECT_NE(again.out.find("\"count\":0"), std::string::npos) << again.out;  // deleted after fetching
}

TEST_F(ParleydTest, HistoryFromTheServer) {
  auto alice = User("alice"), bob = User("bob", "udp");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  Proc ctl;
  ctl.Start({std::string(PARLEY_BINARY_DIR) + "/src/tools/parleyctl/parleyctl", "--data-dir", data_.string(),
             "history", "enable", "alice@example.com"},
            dir_ / "ctl-history");
  ASSERT_EQ(ctl.Wait(10000ms), 0) << ctl.err();
  std::this_thread::sleep_for(1500ms);  // the change feed
  Proc b;
  bob.Spawn(b, {"--json", "login", "--for", "20"});
  ASSERT_TRUE(b.WaitForOutput("\"event\":\"online\"", 10000ms)) << b.out() << b.err();
  ASSERT_EQ(alice.Run({"send", "bob@example.com", "for the record"}).status, 0);
  ASSERT_EQ(alice.Run({"send", "carol@example.com", "nobody"}).status, 7);  // unknown: not archived
  std::this_thread::sleep_for(500ms);  // written behind
  auto h = alice.Run({"--json", "history", "--with", "bob@example.com"});
  ASSERT_EQ(h.status, 0) << h.out << h.err;
  EXPECT_NE(h.out.find("for the record"), std::string::npos) << h.out;
  EXPECT_EQ(h.out.find("nobody"), std::string::npos) << h.out;
}

TEST_F(ParleydTest, InvisibleUserLooksOffline) {
  auto alice = User("alice"), bob = User("bob");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  ASSERT_EQ(alice.Run({"allow", "bob@example.com"}).status, 0);
  ASSERT_EQ(alice.Run({"status", "open", "--note", "here"}).status, 0);
  auto on = alice.Run({"invisible", "on"});
  ASSERT_EQ(on.status, 0) << on.out << on.err;
  auto hidden = bob.Run({"--json", "watch", "alice@example.com", "--once"});
  ASSERT_EQ(hidden.status, 0) << hidden.out << hidden.err;
  EXPECT_EQ(hidden.out.find("here"), std::string::npos) << hidden.out;
  EXPECT_NE(hidden.out.find("closed"), std::string::npos) << hidden.out;
  ASSERT_EQ(alice.Run({"invisible", "off"}).status, 0);
  auto shown = bob.Run({"--json", "watch", "alice@example.com", "--once"});
  EXPECT_NE(shown.out.find("\"note\":\"here\""), std::string::npos) << shown.out;
}

// The dialog event package (RFC 4235) through the client: a watcher the
// user allowed sees the user's calls (none here: the client makes no calls;
// the server's side is tests/server/dialog_e2e_test.cc).
TEST_F(ParleydTest, WatchingAUsersCalls) {
  auto alice = User("alice"), bob = User("bob");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  ASSERT_EQ(alice.Run({"allow", "bob@example.com"}).status, 0);
  auto text = bob.Run({"watch", "alice@example.com", "--package", "dialog", "--once"});
  ASSERT_EQ(text.status, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("alice@example.com: no calls"), std::string::npos) << text.out;
  auto js = bob.Run({"--json", "watch", "alice@example.com", "--package", "dialog", "--once"});
  ASSERT_EQ(js.status, 0) << js.out << js.err;
  EXPECT_NE(js.out.find("\"event\":\"dialogs\""), std::string::npos) << js.out;
  EXPECT_NE(js.out.find("\"full\":true"), std::string::npos) << js.out;
  auto bad = bob.Run({"watch", "alice@example.com", "--package", "conference", "--once"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("presence, reg or dialog"), std::string::npos) << bad.err;
}

// A list's URI is watched like a user's (RFC 4662: the client says it
// takes one): bob watches the group team@ for calls and for presence, and
// sees each member, those who have not let him in pending.
TEST_F(ParleydTest, WatchingAList) {
  auto alice = User("alice"), bob = User("bob");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob", "carol"}, &why)) << why;
  const std::string ctl = std::string(PARLEY_BINARY_DIR) + "/src/tools/parleyctl/parleyctl";
  for (std::vector<std::string> args : {std::vector<std::string>{"group", "create", "team@example.com"},
                                        {"group", "add", "team@example.com", "alice@example.com", "bob@example.com",
                                         "carol@example.com"}}) {
    args.insert(args.begin(), {ctl, "--data-dir", data_.string()});
    Proc p;
    p.Start(args, dir_ / "ctl-group");
    ASSERT_EQ(p.Wait(10000ms), 0) << p.err();
  }
  ASSERT_EQ(alice.Run({"allow", "bob@example.com"}).status, 0);
  std::this_thread::sleep_for(1500ms);  // the change feed brings the group
  auto calls = bob.Run({"watch", "team@example.com", "--package", "dialog", "--once"});
  ASSERT_EQ(calls.status, 0) << calls.out << calls.err;
  EXPECT_NE(calls.out.find("alice@example.com: no calls"), std::string::npos) << calls.out;
  EXPECT_NE(calls.out.find("team@example.com: alice@example.com, bob@example.com, carol@example.com pending"),
            std::string::npos)
      << calls.out;
  auto js = bob.Run({"--json", "watch", "team@example.com", "--once"});
  ASSERT_EQ(js.status, 0) << js.out << js.err;
  EXPECT_NE(js.out.find("\"event\":\"list\""), std::string::npos) << js.out;
  EXPECT_NE(js.out.find("{\"state\":\"pending\",\"uri\":\"sip:carol@example.com\"}"), std::string::npos) << js.out;
  EXPECT_NE(js.out.find("\"entity\":\"sip:alice@example.com\""), std::string::npos) << js.out;  // her presence
}

// Who waits to watch a user's calls (dialog.winfo, RFC 3857's template
// package) is listed apart from presence watchers, and the user's answer
// lets them in.
TEST_F(ParleydTest, WatchersOfCallsAreListedApart) {
  auto alice = User("alice"), carol = User("carol");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "carol"}, &why)) << why;
  Proc watch;
  carol.Spawn(watch, {"--json", "watch", "alice@example.com", "--package", "dialog", "--for", "30"});
  ASSERT_TRUE(watch.WaitForOutput("\"state\":\"pending\"", 10000ms)) << watch.out() << watch.err();
  auto calls = alice.Run({"--json", "watchers", "--package", "dialog"});
  ASSERT_EQ(calls.status, 0) << calls.out << calls.err;
  EXPECT_NE(calls.out.find("\"uri\":\"sip:carol@example.com\""), std::string::npos) << calls.out;
  EXPECT_NE(calls.out.find("\"package\":\"dialog\""), std::string::npos) << calls.out;
  auto presence = alice.Run({"watchers"});
  ASSERT_EQ(presence.status, 0) << presence.out << presence.err;
  EXPECT_NE(presence.out.find("no pending watchers"), std::string::npos) << presence.out;
  EXPECT_EQ(alice.Run({"watchers", "--package", "conference"}).status, 2);
  ASSERT_EQ(alice.Run({"allow", "carol@example.com"}).status, 0);
  EXPECT_TRUE(watch.WaitForOutput("\"state\":\"active\"", 10000ms)) << watch.out() << watch.err();
  auto all = alice.Run({"watchers", "--package", "dialog", "--all"});
  ASSERT_EQ(all.status, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("carol@example.com  active"), std::string::npos) << all.out;
}

// Screening (seed 003 §7.3.5) by the user: `parley screen block` makes the
// server refuse that sender's messages; `remove` lets them through again.
TEST_F(ParleydTest, UsersScreenTheirSenders) {
  auto alice = User("alice"), bob = User("bob");
  bob.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  Proc b;
  bob.Spawn(b, {"--json", "login", "--for", "30"});
  ASSERT_TRUE(b.WaitForOutput("\"event\":\"online\"", 10000ms)) << b.out() << b.err();
  auto block = bob.Run({"screen", "block", "alice@example.com"});
  ASSERT_EQ(block.status, 0) << block.out << block.err;
  EXPECT_NE(block.out.find("block alice@example.com"), std::string::npos) << block.out;
  auto refused = alice.Run({"send", "bob@example.com", "let me in"});
  EXPECT_NE(refused.status, 0) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("403"), std::string::npos) << refused.err;
  auto shown = bob.Run({"--json", "screen", "show"});
  ASSERT_EQ(shown.status, 0) << shown.out << shown.err;
  EXPECT_NE(shown.out.find("\"pattern\":\"alice@example.com\""), std::string::npos) << shown.out;
  EXPECT_EQ(bob.Run({"screen", "mode", "ignore"}).status, 2);
  ASSERT_EQ(bob.Run({"screen", "remove", "alice@example.com"}).status, 0);
  auto passes = alice.Run({"send", "bob@example.com", "hello again"});
  EXPECT_EQ(passes.status, 0) << passes.out << passes.err;
  EXPECT_TRUE(b.WaitForOutput("hello again", 5000ms)) << b.out();
  EXPECT_EQ(b.out().find("let me in"), std::string::npos) << b.out();
}

// `parley devices`: where the user is registered, and logging one out.
TEST_F(ParleydTest, DevicesAreListedAndLoggedOut) {
  auto bob = User("bob");
  bob.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"bob"}, &why)) << why;
  Proc b;
  bob.Spawn(b, {"--json", "login", "--for", "30"});
  ASSERT_TRUE(b.WaitForOutput("\"event\":\"online\"", 10000ms)) << b.out() << b.err();
  auto listed = bob.Run({"devices"});
  ASSERT_EQ(listed.status, 0) << listed.out << listed.err;
  EXPECT_NE(listed.out.find("1 registration(s)"), std::string::npos) << listed.out;
  EXPECT_EQ(bob.Run({"devices", "remove", "sip:nobody@192.0.2.1"}).status, 1);
  EXPECT_EQ(bob.Run({"devices", "drop"}).status, 2);
  auto removed = bob.Run({"--json", "devices", "remove", "all"});
  ASSERT_EQ(removed.status, 0) << removed.out << removed.err;
  EXPECT_NE(removed.out.find("\"removed\":1"), std::string::npos) << removed.out;
  EXPECT_NE(bob.Run({"devices"}).out.find("0 registration(s)"), std::string::npos);
}

// A permanent status (RFC 4827 hard state over XCAP) shows while alice has
// no device online, and goes with `status clear --permanent`.
TEST_F(ParleydTest, PermanentStatusShowsWithoutADevice) {
  auto alice = User("alice"), bob = User("bob");
  alice.AddFlags({"--api", "http://127.0.0.1:8080"});
  std::string why;
  ASSERT_TRUE(Provision({"alice", "bob"}, &why)) << why;
  ASSERT_EQ(alice.Run({"allow", "bob@example.com"}).status, 0);
  auto set = alice.Run({"--json", "status", "vacation", "--note", "back on Monday", "--permanent"});
  ASSERT_EQ(set.status, 0) << set.out << set.err;
  EXPECT_NE(set.out.find("\"note\":\"back on Monday\""), std::string::npos) << set.out;
  EXPECT_EQ(alice.Run({"status", "open", "--permanent"}).status, 2);  // devices say open/closed
  // What bob's one-time watch shows once the server's change feed brought
  // the edit (polled every store.change_poll_ms).
  auto watch_until = [&](bool with_note) {
    std::string out;
    for (int i = 0; i < 20; ++i) {
      out = bob.Run({"--json", "watch", "alice@example.com", "--once"}).out;
      if ((out.find("\"note\":\"back on Monday\"") != std::string::npos) == with_note) break;
      std::this_thread::sleep_for(250ms);
    }
    return out;
  };
  std::string seen = watch_until(true);
  EXPECT_NE(seen.find("\"note\":\"back on Monday\""), std::string::npos) << seen;
  EXPECT_NE(seen.find("vacation"), std::string::npos) << seen;
  auto cleared = alice.Run({"status", "clear", "--permanent"});
  ASSERT_EQ(cleared.status, 0) << cleared.out << cleared.err;
  EXPECT_NE(cleared.out.find("permanent status cleared"), std::string::npos) << cleared.out;
  std::string gone = watch_until(false);
  EXPECT_EQ(gone.find("back on Monday"), std::string::npos) << gone;
}

}  // namespace
}  // namespace parley::cli::testing
