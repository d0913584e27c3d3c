// parleyctl end to end: the built binary against a temporary data directory.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/digest.h"
#include "common/timer.h"
#include "parleyctl_fixture.h"
#include "store/executor.h"
#include "store/pg_cluster.h"
#include "store/store.h"

namespace parley::ctl {
namespace {

namespace fs = std::filesystem;

TEST_F(ParleyctlTest, UserAddListDelete) {
  CtlRun r = Dd({"user", "add", "alice@Example.com", "--password", "Secret-1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "added user alice@example.com\n");
  EXPECT_TRUE(fs::exists(data_dir_ + "/parley.db"));
  EXPECT_EQ(fs::status(data_dir_ + "/parley.db").permissions() & fs::perms::others_read, fs::perms::none);
  ExpectPassword("alice@example.com", "Secret-1");

  r = Dd({"user", "add", "bob@other.org", "--password", "pw"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Dd({"user", "add", "alice@example.com", "--password", "Secret-2"});
  EXPECT_EQ(r.out, "updated user alice@example.com\n");
  ExpectPassword("alice@example.com", "Secret-2");

  EXPECT_EQ(Dd({"user", "list"}).out, "alice@example.com\nbob@other.org\n");
  EXPECT_EQ(Dd({"user", "list", "--domain", "OTHER.org"}).out, "bob@other.org\n");
  EXPECT_EQ(Dd({"domain", "list"}).out, "example.com\nother.org\n");  // created by user add

  r = Dd({"user", "del", "bob@other.org"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "deleted user bob@other.org\n");
  r = Dd({"user", "del", "bob@other.org"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: no such user bob@other.org\n");
  EXPECT_EQ(Dd({"user", "list"}).out, "alice@example.com\n");

  // The running server would see all of it in the change feed.
  auto changes = OpenStore()->ChangesSince(0, 100);
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 7u);  // 2 domains, 3 user adds, 1 delete (user, user_deleted)
}

// user show: where the user is registered, as the server stored it.
TEST_F(ParleyctlTest, UserShowListsRegistrations) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  CtlRun r = Dd({"user", "show", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "alice@example.com: 0 registration(s)\n");
  {
    auto s = OpenStore();
    store::Binding phone;
    phone.aor = "alice@example.com";
    phone.contact_uri = "sip:alice@192.0.2.7:5062;transport=tcp;ob";
    phone.instance = "<urn:uuid:00000000-0000-1000-8000-00000000000a>";
    phone.reg_id = "1";
    phone.q = 0.5;
    phone.expires_at = parley::UnixNow() + 600;
    phone.call_id = "c1";
    phone.cseq = 2;
    phone.source = "tcp:192.0.2.7:50412";
    phone.user_agent = "Phone\x1b[2J/1.0";
    ASSERT_TRUE(s->UpsertBinding(phone).ok());
    store::Binding old = phone;
    old.contact_uri = "sip:alice@192.0.2.8";
    old.instance.clear();
    old.expires_at = 10;  // expired: not shown
    ASSERT_TRUE(s->UpsertBinding(old).ok());
  }
  r = Dd({"user", "show", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("alice@example.com: 1 registration(s)\n")) << r.out;
  // 600 s from when it was stored: 599 once a second has ticked meanwhile (a slow run).
  EXPECT_TRUE(r.out.find("sip:alice@192.0.2.7:5062;transport=tcp;ob\texpires in 600 s") != std::string::npos ||
              r.out.find("sip:alice@192.0.2.7:5062;transport=tcp;ob\texpires in 599 s") != std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\tq 0.5\tfrom tcp:192.0.2.7:50412\tinstance <urn:uuid:00000000-0000-1000-8000-00000000000a>"
                       "\treg-id 1\tgruu sip:alice@example.com;gr=urn:uuid:00000000-0000-1000-8000-00000000000a"
                       "\tua \"Phone?[2J/1.0\"\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("192.0.2.8"), std::string::npos) << r.out;
  EXPECT_EQ(Dd({"user", "show", "nobody@example.com"}).code, 1);

  // unregister: one contact as show prints it, then the rest; each a change
  // a running server follows.
  r = Dd({"user", "unregister", "alice@example.com", "sip:alice@192.0.2.9"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: alice@example.com has no registration of sip:alice@192.0.2.9\n");
  r = Dd({"user", "unregister", "alice@Example.COM", "sip:alice@192.0.2.7:5062;transport=tcp;ob"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "removed 1 registration(s) of alice@example.com\n");
  EXPECT_EQ(Dd({"user", "show", "alice@example.com"}).out, "alice@example.com: 0 registration(s)\n");
  r = Dd({"user", "unregister", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;  // the expired one the server had not deleted yet
  EXPECT_EQ(r.out, "removed 1 registration(s) of alice@example.com\n");
  r = Dd({"user", "unregister", "alice@example.com"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: alice@example.com has no registration\n");
  EXPECT_EQ(Dd({"user", "unregister", "nobody@example.com"}).code, 1);
  EXPECT_EQ(Dd({"user", "unregister", "not-an-aor"}).code, 2);
  auto s = OpenStore();
  auto feed = s->ChangesSince(0, 100);
  ASSERT_TRUE(feed.ok());
  ASSERT_GE(feed->size(), 2u);
  EXPECT_EQ(feed->back().kind, "binding");
  EXPECT_EQ(feed->back().key, "alice@example.com");
  EXPECT_EQ((*feed)[feed->size() - 2].key, "alice@example.com sip:alice@192.0.2.7:5062;transport=tcp;ob");
}

TEST_F(ParleyctlTest, PasswordSourcesAndSecrecy) {
  CtlRun r = Dd({"user", "add", "a@example.com"}, "", {"PARLEY_PASSWORD=from-env"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectPassword("a@example.com", "from-env");
  r = Dd({"user", "add", "b@example.com", "--password-stdin"}, "from-stdin\r\nignored\n");
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectPassword("b@example.com", "from-stdin");
  r = Dd({"user", "add", "c@example.com", "--password", "from-flag"}, "", {"PARLEY_PASSWORD=loses"});
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectPassword("c@example.com", "from-flag");

  r = Dd({"user", "add", "d@example.com"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no password"), std::string::npos) << r.err;
  r = Dd({"user", "add", "d@example.com", "--password", ""});
  EXPECT_EQ(r.code, 2);
  r = Dd({"user", "add", "d@example.com", "--password-stdin"}, "");
  EXPECT_EQ(r.code, 2);
  r = Dd({"user", "add", "d@example.com", "--password", "x", "--password-stdin"}, "y\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_FALSE(OpenStore()->GetUser("d@example.com")->has_value());

  // Nothing ever prints a password or an HA1.
  auto user = *OpenStore()->GetUser("a@example.com");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"user", "list"}, {"policy", "show", "a@example.com"}, {"domain", "list"}}) {
    CtlRun out = Dd(args);
    for (const std::string& secret : {std::string("from-env"), user->ha1_md5, user->ha1_sha256}) {
      EXPECT_EQ(out.out.find(secret), std::string::npos);
      EXPECT_EQ(out.err.find(secret), std::string::npos);
    }
  }
}

TEST_F(ParleyctlTest, ImportCsv) {
  std::string csv = WriteFile("users.csv",
                              "aor,password\r\n"
                              "alice@example.com,pw1\r\n"
                              "\r\n"
                              "\"bob@example.com\",\"with,comma\"\r\n"
                              "carol@example.org,pw3\r\n");
  CtlRun r = Dd({"user", "import", csv});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("imported 3 user(s) in 2 domain(s)"), std::string::npos) << r.out;
  ExpectPassword("bob@example.com", "with,comma");
  EXPECT_EQ(Dd({"user", "list"}).out, "alice@example.com\nbob@example.com\ncarol@example.org\n");
  // Importing again updates in place.
  r = Dd({"user", "import", csv});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(OpenStore()->ListUsers("")->size(), 3u);
  // From stdin.
  r = Dd({"user", "import", "-"}, "dave@example.org,pw4\n");
  ASSERT_EQ(r.code, 0) << r.err;
  ExpectPassword("dave@example.org", "pw4");
}

TEST_F(ParleyctlTest, ImportReportsBadLinesAndImportsNothing) {
  std::string csv = WriteFile("bad.csv",
                              "aor,password\n"
                              "alice@example.com,pw1\n"
                              "not-an-aor,pw\n"
                              "bob@example.com,pw2\n"
                              "carol@example.com\n");
  CtlRun r = Dd({"user", "import", csv});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(csv + ":3: invalid AOR"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(csv + ":5: expected 2 fields"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing imported"), std::string::npos) << r.err;
  EXPECT_TRUE(OpenStore()->ListUsers("")->empty());

  r = Dd({"user", "import", "--skip-bad", csv});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("imported 2 user(s)"), std::string::npos) << r.out;
  EXPECT_EQ(OpenStore()->ListUsers("")->size(), 2u);

  r = Dd({"user", "import", tmp_ + "/missing.csv"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos);
}

TEST_F(ParleyctlTest, Domains) {
  EXPECT_EQ(Dd({"domain", "add", "Example.com"}).out, "added domain example.com\n");
  EXPECT_EQ(Dd({"domain", "add", "example.com"}).out, "domain example.com already exists\n");
  EXPECT_EQ(Dd({"domain", "add", "other.org"}).code, 0);
  EXPECT_EQ(Dd({"domain", "list"}).out, "example.com\nother.org\n");
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  CtlRun r = Dd({"domain", "del", "example.com"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: domain example.com still has 1 user(s) or group(s)\n");
  EXPECT_EQ(Dd({"domain", "del", "other.org"}).code, 0);
  r = Dd({"domain", "del", "other.org"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: no such domain other.org\n");
  EXPECT_EQ(Dd({"domain", "add", "bad domain"}).code, 2);
  EXPECT_EQ(Dd({"domain", "list"}).out, "example.com\n");
}

TEST_F(ParleyctlTest, Policy) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  EXPECT_EQ(Dd({"policy", "show", "alice@example.com"}).out, "mode reject\n");
  CtlRun r = Dd({"policy", "mode", "alice@example.com", "discard"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "alice@example.com: blocked senders are discarded (200)\n");
  EXPECT_EQ(Dd({"policy", "block", "alice@example.com", "spam.example"}).out, "alice@example.com: block spam.example\n");
  EXPECT_EQ(Dd({"policy", "allow", "alice@example.com", "Bob@Other.org"}).code, 0);
  EXPECT_EQ(Dd({"policy", "block", "alice@example.com", "eve@spam.example"}).code, 0);
  EXPECT_EQ(Dd({"policy", "show", "alice@example.com"}).out,
            "mode discard\nallow Bob@other.org\nblock eve@spam.example\nblock spam.example\n");
  EXPECT_EQ(Dd({"policy", "remove", "alice@example.com", "spam.example"}).code, 0);
  r = Dd({"policy", "remove", "alice@example.com", "spam.example"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: alice@example.com has no policy entry for spam.example\n");
  EXPECT_EQ(Dd({"policy", "show", "alice@example.com"}).out, "mode discard\nallow Bob@other.org\nblock eve@spam.example\n");

  r = Dd({"policy", "block", "nobody@example.com", "spam.example"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: no such user nobody@example.com\n");
  EXPECT_EQ(Dd({"policy", "show", "nobody@example.com"}).code, 1);
  EXPECT_EQ(Dd({"policy", "mode", "alice@example.com", "drop"}).code, 2);
  EXPECT_EQ(Dd({"policy", "block", "alice@example.com", "*.example"}).code, 2);
}

TEST_F(ParleyctlTest, Tokens) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  CtlRun r = Dd({"token", "create", "alice@Example.com", "--label", "laptop", "--expires", "30"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string secret = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(secret.size(), 46u);
  EXPECT_TRUE(secret.starts_with("pt_"));
  EXPECT_NE(r.out.find("token 1 for alice@example.com, label laptop, expires 20"), std::string::npos) << r.out;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  auto found = OpenStore()->LookupToken(secret, now_ms);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->aor, "alice@example.com");
  EXPECT_NEAR(static_cast<double>((*found)->expires_at_ms - now_ms), 30 * 86400e3, 120e3);
  EXPECT_FALSE(OpenStore()->LookupToken(secret, now_ms + 31 * 86400000LL)->has_value());

  r = Dd({"token", "create", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string second = r.out.substr(0, r.out.find('\n'));
  EXPECT_NE(r.out.find("expires never"), std::string::npos) << r.out;

  r = Dd({"token", "list", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1\tlaptop\tcreated 20"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2\t-\tcreated 20"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expires never\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(secret), std::string::npos);  // never shown again
  EXPECT_EQ(r.out.find(second), std::string::npos);

  r = Dd({"token", "revoke", "alice@example.com", "1"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "revoked token 1 of alice@example.com\n");
  EXPECT_FALSE(OpenStore()->LookupToken(secret, now_ms)->has_value());
  r = Dd({"token", "revoke", "alice@example.com", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: alice@example.com has no token 1\n");
  EXPECT_EQ(Dd({"token", "revoke", "alice@example.com", "one"}).code, 2);
  EXPECT_EQ(Dd({"token", "create", "alice@example.com", "--expires", "-1"}).code, 2);
  EXPECT_EQ(Dd({"token", "create", "alice@example.com", "--expires", "36501"}).code, 2);
  r = Dd({"token", "create", "nobody@example.com"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: no such user nobody@example.com\n");
  EXPECT_EQ(Dd({"token", "list", "nobody@example.com"}).code, 1);
  EXPECT_EQ(OpenStore()->ListTokens("alice@example.com")->size(), 1u);
}

TEST_F(ParleyctlTest, HistorySetting) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  CtlRun r = Dd({"history", "enable", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "alice@example.com: message history on\n");
  EXPECT_TRUE(OpenStore()->HistoryEnabled("alice@example.com").value_or(false));
  r = Dd({"history", "disable", "alice@example.com"});
  EXPECT_EQ(r.out, "alice@example.com: message history off\n");
  EXPECT_FALSE(OpenStore()->HistoryEnabled("alice@example.com").value_or(true));
  auto feed = OpenStore()->ChangesSince(0, 100);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->back().kind, "history");  // the server notices
  r = Dd({"history", "enable", "nobody@example.com"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "parleyctl: no such user nobody@example.com\n");
  EXPECT_EQ(Dd({"history", "enable", "not an aor"}).code, 2);
}

TEST_F(ParleyctlTest, MessagesList) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  CtlRun r = Dd({"messages", "list", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "alice@example.com: 0 pending message(s), 0 bytes\n");
  {
    auto s = OpenStore();
    for (int i = 0; i < 12; ++i) {
      store::StoredMessage m;
      m.recipient = "alice@example.com";
      m.sender = i == 0 ? "sip:evil\x1b[2J@example.org" : "sip:bob@example.org";
      m.message_id = "m" + std::to_string(i);
      m.received_at_ms = 1767225600000 + i * 1000;  // 2026-01-01T00:00:00Z
      m.content_type = "text/plain";
      m.body = std::string(static_cast<size_t>(i + 1), 'x');
      ASSERT_TRUE(s->EnqueueMessage(m, {}).ok());
    }
  }
  r = Dd({"messages", "list", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("alice@example.com: 12 pending message(s), 78 bytes\n")) << r.out;
  EXPECT_NE(r.out.find("1\t2026-01-01T00:00:00Z\tfrom sip:evil?[2J@example.org\ttext/plain\t1 bytes\tattempts 0\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("10\t2026-01-01T00:00:09Z\tfrom sip:bob@example.org\ttext/plain\t10 bytes"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("\t11 bytes"), std::string::npos);
  EXPECT_NE(r.out.find("… and 2 more\n"), std::string::npos) << r.out;
  EXPECT_EQ(Dd({"messages", "list", "nobody@example.com"}).code, 1);
}

TEST_F(ParleyctlTest, UsageErrorsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"user"},
           {"user", "add"},
           {"user", "add", "not-an-aor", "--password", "x"},
           {"user", "del", "a b@example.com"},
           {"user", "list", "--domain", "bad domain"},
           {"--data-dir", "x", "--store", "sqlite:y", "user", "list"},
           {"policy", "mode", "alice@example.com"},
           {"user", "add", "a@example.com", "--password"},
           {"token", "create", "alice@example.com", "--expires", "soon"},
           {"token", "revoke", "alice@example.com"},
           {"history", "on", "alice@example.com"},
           {"messages", "list"}}) {
    CtlRun r = Ctl(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.code, 2) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined;
    EXPECT_TRUE(r.err.starts_with("parleyctl: ")) << joined << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << joined << r.err;  // one line
  }
  CtlRun help = Ctl({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("user"), std::string::npos);
  EXPECT_FALSE(fs::exists(tmp_ + "/parley-data"));  // usage errors never touch the store
}

TEST_F(ParleyctlTest, ReadCommandsDoNotCreateAStore) {
  CtlRun r = Dd({"user", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no store in"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(data_dir_));
}

TEST_F(ParleyctlTest, StoreUrlOption) {
  std::string url = "sqlite:" + tmp_ + "/other.db";
  ASSERT_EQ(Ctl({"--store", url, "user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  EXPECT_EQ(Ctl({"--store", url, "user", "list"}).out, "alice@example.com\n");
  CtlRun r = Ctl({"--store", "mysql://root:hunter2@db/x", "user", "list"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

TEST_F(ParleyctlTest, Import100kUsers) {
  std::string text = "aor,password\n";
  constexpr int kUsers = 100000;
  text.reserve(kUsers * 40);
  for (int i = 0; i < kUsers; ++i) {
    text += "user" + std::to_string(i) + "@d" + std::to_string(i % 10) + ".example.com,pw-" + std::to_string(i) + "\n";
  }
  std::string csv = WriteFile("100k.csv", text);
  auto t0 = std::chrono::steady_clock::now();
  CtlRun r = Dd({"user", "import", csv});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.code, 0) << r.err;
  std::printf("[parleyctl import] %d users: %.2f s wall (process) — %s", kUsers, secs, r.out.c_str());
  RecordProperty("import_100k_seconds", std::to_string(secs));
  EXPECT_LT(secs, 60.0);
  EXPECT_EQ(OpenStore()->ListUsers("")->size(), static_cast<size_t>(kUsers));
  ExpectPassword("user99999@d9.example.com", "pw-99999");
}

// The server's executor keeps writing while an administrator runs parleyctl.
TEST_F(ParleyctlTest, RunsWhileTheServerWrites) {
  ASSERT_EQ(Dd({"domain", "add", "example.com"}).code, 0);
  store::StoreExecutor ex(store::StoreConfig{store::DefaultStoreUrl(data_dir_), true});
  ASSERT_TRUE(ex.Start().ok());
  std::atomic<bool> stop{false};
  std::atomic<int> written{0}, failed{0};
  std::thread server([&] {
    for (int i = 0; !stop; ++i) {
      ex.Write([&, i](store::Store& s) -> store::StoreExecutor::Completion {
        store::Binding b;
        b.aor = "reg" + std::to_string(i) + "@example.com";
        b.contact_uri = "sip:" + b.aor;
        (void)s.UpsertBinding(b);
        return [&](const Result<void>& r) { (r.ok() ? written : failed)++; };
      });
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "u" + std::to_string(i) + "@example.com,pw\n";
  std::string csv = WriteFile("20k.csv", text);
  CtlRun imp = Dd({"user", "import", csv});
  CtlRun add = Dd({"user", "add", "alice@example.com", "--password", "pw"});
  CtlRun pol = Dd({"policy", "block", "alice@example.com", "spam.example"});
  stop = true;
  server.join();
  ex.Stop();
  EXPECT_EQ(imp.code, 0) << imp.err;
  EXPECT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(pol.code, 0) << pol.err;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(written.load(), 0);
  EXPECT_EQ(OpenStore()->LoadBindings()->size(), static_cast<size_t>(written.load()));
  EXPECT_EQ(OpenStore()->ListUsers("")->size(), 20001u);
}

TEST_F(ParleyctlTest, WorksOnPostgres) {
  PARLEY_REQUIRE_PG_CLUSTER(cluster);
  std::string url = cluster->NewStoreUrl();
  CtlRun r = Ctl({"--store", url, "user", "add", "alice@example.com", "--password", "pw"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string csv = WriteFile("pg.csv", "bob@example.com,pw2\ncarol@example.org,pw3\n");
  ASSERT_EQ(Ctl({"--store", url, "user", "import", csv}).code, 0);
  ASSERT_EQ(Ctl({"--store", url, "policy", "block", "alice@example.com", "spam.example"}).code, 0);
  EXPECT_EQ(Ctl({"--store", url, "user", "list"}).out, "alice@example.com\nbob@example.com\ncarol@example.org\n");
  EXPECT_EQ(Ctl({"--store", url, "policy", "show", "alice@example.com"}).out, "mode reject\nblock spam.example\n");
  EXPECT_EQ(Ctl({"--store", url, "domain", "del", "example.com"}).code, 1);
  CtlRun tok = Ctl({"--store", url, "token", "create", "alice@example.com", "--label", "pg"});
  ASSERT_EQ(tok.code, 0) << tok.err;
  EXPECT_NE(Ctl({"--store", url, "token", "list", "alice@example.com"}).out.find("1\tpg\t"), std::string::npos);
  EXPECT_EQ(Ctl({"--store", url, "history", "enable", "alice@example.com"}).code, 0);
  EXPECT_EQ(Ctl({"--store", url, "messages", "list", "alice@example.com"}).out,
            "alice@example.com: 0 pending message(s), 0 bytes\n");
  EXPECT_EQ(Ctl({"--store", url, "token", "revoke", "alice@example.com", "1"}).code, 0);
  EXPECT_EQ(Ctl({"--store", url, "user", "del", "alice@example.com"}).code, 0);
}

}  // namespace
}  // namespace parley::ctl
