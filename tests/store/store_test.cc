// The Store contract, run against both backends.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <thread>

#include "store/backend.h"
#include "store/errors.h"
#include "store/schema.h"
#include "store/sql.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::ExpectSameBinding;
using testing::TestBinding;
using testing::TestUser;

class StoreTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  std::vector<Change> AllChanges() {
    auto c = store_->ChangesSince(0, 1000000);
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : std::vector<Change>{};
  }

  std::unique_ptr<Store> store_;
};

PARLEY_INSTANTIATE_BACKENDS(StoreTest);

TEST_P(StoreTest, MigrateIsIdempotent) {
  ASSERT_TRUE(store_->Migrate().ok());
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  ASSERT_TRUE(store_->Migrate().ok());
  auto other = Open();  // a second connection migrates too, and sees the data
  ASSERT_NE(other, nullptr);
  auto u = other->GetUser("alice@example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->has_value());
}

TEST_P(StoreTest, RefusesANewerSchema) {
  Raw("UPDATE schema_version SET version = " + std::to_string(LatestSchemaVersion() + 1));
  auto s = OpenStore({url(), true});
  ASSERT_TRUE(s.ok());
  auto m = (*s)->Migrate();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, kErrState);
  EXPECT_NE(m.error().message.find("newer"), std::string::npos) << m.error().message;
}

TEST_P(StoreTest, Domains) {
  ASSERT_TRUE(store_->AddDomain("Example.COM").ok());
  ASSERT_TRUE(store_->AddDomain("example.com").ok());  // idempotent
  ASSERT_TRUE(store_->AddDomain("a.example.org").ok());
  auto list = store_->ListDomains();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(*list, (std::vector<std::string>{"a.example.org", "example.com"}));

  auto bad = store_->AddDomain("not a domain");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);

  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  auto in_use = store_->RemoveDomain("example.com");
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.error().code, kErrConstraint);
  auto missing = store_->RemoveDomain("nowhere.example");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, kErrNotFound);
  ASSERT_TRUE(store_->RemoveDomain("A.example.org").ok());
  list = store_->ListDomains();
  EXPECT_EQ(*list, (std::vector<std::string>{"example.com"}));

  std::vector<std::string> feed;
  for (const auto& c : AllChanges()) feed.push_back(c.kind + " " + c.key);
  EXPECT_EQ(feed, (std::vector<std::string>{"domain example.com", "domain a.example.org", "user alice@example.com",
                                            "domain a.example.org"}));
}

TEST_P(StoreTest, UsersAndChangeFeed) {
  EXPECT_EQ(store_->LatestChange().value_or(-1), 0);
  UserRecord alice = TestUser("alice@Example.com", 1);
  ASSERT_TRUE(store_->AddUser(alice).ok());  // creates the domain
  ASSERT_TRUE(store_->AddUser(TestUser("bob@example.com", 2)).ok());
  ASSERT_TRUE(store_->AddUser(TestUser("carol@other.org", 3)).ok());

  auto got = store_->GetUser("alice@EXAMPLE.com");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->aor, "alice@example.com");
  EXPECT_EQ((*got)->user, "alice");
  EXPECT_EQ((*got)->domain, "example.com");
  EXPECT_EQ((*got)->ha1_md5, alice.ha1_md5);
  EXPECT_EQ((*got)->ha1_sha256, alice.ha1_sha256);
  EXPECT_TRUE((*got)->enabled);
  EXPECT_FALSE(store_->GetUser("ALICE@example.com")->has_value());  // user parts are case-sensitive
  EXPECT_FALSE(store_->GetUser("garbage")->has_value());

  UserRecord replaced = TestUser("alice@example.com", 99);
  replaced.enabled = false;
  ASSERT_TRUE(store_->AddUser(replaced).ok());
  got = store_->GetUser("alice@example.com");
  EXPECT_EQ((*got)->ha1_md5, replaced.ha1_md5);
  EXPECT_FALSE((*got)->enabled);

  auto all = store_->ListUsers();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].aor, "alice@example.com");
  EXPECT_EQ((*all)[2].aor, "carol@other.org");
  auto ex = store_->ListUsers("EXAMPLE.COM");
  ASSERT_EQ(ex->size(), 2u);
  EXPECT_EQ((*ex)[1].aor, "bob@example.com");
  EXPECT_TRUE(store_->ListUsers("nowhere.example")->empty());

  // Pages of the whole directory (the server's preload), with the history
  // setting GetUser gives.
  EXPECT_EQ(store_->CountUsers().value_or(0), 3u);
  ASSERT_TRUE(store_->SetHistoryEnabled("carol@other.org", true).ok());
  auto page = store_->UsersAfter("", 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].aor, "alice@example.com");
  EXPECT_EQ((*page)[0].ha1_md5, replaced.ha1_md5);
  EXPECT_FALSE((*page)[0].enabled);
  EXPECT_EQ((*page)[1].aor, "bob@example.com");
  page = store_->UsersAfter((*page)[1].aor, 2);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].aor, "carol@other.org");
  EXPECT_TRUE((*page)[0].history);
  EXPECT_TRUE(store_->UsersAfter("carol@other.org", 2)->empty());

  EXPECT_TRUE(store_->DeleteUser("bob@example.com").value_or(false));
  EXPECT_FALSE(store_->DeleteUser("bob@example.com").value_or(true));
  EXPECT_FALSE(store_->DeleteUser("not an aor").value_or(true));

  auto feed = AllChanges();
  std::vector<std::string> got_feed;
  for (size_t i = 0; i < feed.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(feed[i].seq, feed[i - 1].seq);
    }
    got_feed.push_back(feed[i].kind + " " + feed[i].key);
  }
  EXPECT_EQ(got_feed, (std::vector<std::string>{"domain example.com", "user alice@example.com", "user bob@example.com",
                                                "domain other.org", "user carol@other.org", "user alice@example.com",
                                                "history carol@other.org", "user bob@example.com",
                                                "user_deleted bob@example.com"}));
  EXPECT_EQ(store_->LatestChange().value_or(-1), feed.back().seq);

  // Paging through the feed.
  auto page1 = store_->ChangesSince(0, 3);
  ASSERT_EQ(page1->size(), 3u);
  auto page2 = store_->ChangesSince(page1->back().seq, 3);
  ASSERT_EQ(page2->size(), 3u);
  EXPECT_EQ((*page2)[0].seq, feed[3].seq);
  auto page3 = store_->ChangesSince(page2->back().seq, 3);
  ASSERT_EQ(page3->size(), 3u);
  EXPECT_TRUE(store_->ChangesSince(feed.back().seq, 3)->empty());
  EXPECT_TRUE(store_->ChangesSince(0, 0)->empty());
}

TEST_P(StoreTest, AddUserValidates) {
  auto expect_invalid = [&](const UserRecord& u) {
    auto r = store_->AddUser(u);
    ASSERT_FALSE(r.ok()) << u.aor;
    EXPECT_EQ(r.error().code, kErrInvalid);
  };
  expect_invalid(TestUser("no-at-sign"));
  expect_invalid(TestUser("a b@example.com"));
  expect_invalid(TestUser("alice@exa mple.com"));
  UserRecord mismatch = TestUser("alice@example.com");
  mismatch.user = "bob";
  expect_invalid(mismatch);
  mismatch = TestUser("alice@example.com");
  mismatch.domain = "example.org";
  expect_invalid(mismatch);
  UserRecord plain = TestUser("alice@example.com");
  plain.ha1_md5 = "hunter2";  // a password is not an HA1
  expect_invalid(plain);
  plain = TestUser("alice@example.com");
  plain.ha1_sha256 = plain.ha1_md5;
  expect_invalid(plain);
  EXPECT_TRUE(store_->ListUsers()->empty());
  EXPECT_TRUE(store_->ListDomains()->empty());
  EXPECT_TRUE(AllChanges().empty());

  // "sip:" is accepted and dropped; the explicit user/domain may be given.
  UserRecord full = TestUser("sip:dave@Example.com");
  full.user = "dave";
  full.domain = "EXAMPLE.com";
  ASSERT_TRUE(store_->AddUser(full).ok());
  EXPECT_TRUE(store_->GetUser("dave@example.com")->has_value());
}

TEST_P(StoreTest, RejectsNulBytes) {
  Binding b = TestBinding("alice@example.com", "sip:alice@10.0.0.1", 100);
  b.user_agent = std::string("evil\0agent", 10);
  auto r = store_->UpsertBinding(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrInvalid);
  r = store_->SetMeta("k", std::string("a\0b", 3));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrInvalid);
}

// PostgreSQL refuses invalid UTF-8 in text: every backend does, so both keep
// the same text and a write fails (or not) the same way on each.
TEST_P(StoreTest, RejectsTextThatIsNotUtf8) {
  Binding b = TestBinding("alice@example.com", "sip:alice@10.0.0.1", 100);
  b.user_agent = "caf\xe9 phone";
  auto r = store_->UpsertBinding(b);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrInvalid);
  EXPECT_EQ(r.error().message, "value is not UTF-8");
  EXPECT_TRUE(store_->LoadBindingsOf("alice@example.com")->empty());
  b.user_agent = "caf\xc3\xa9 phone";
  ASSERT_TRUE(store_->UpsertBinding(b).ok());
  EXPECT_EQ(store_->LoadBindingsOf("alice@example.com")->at(0).user_agent, "caf\xc3\xa9 phone");
  r = store_->SetMeta("k", "\xed\xa0\x80");  // a surrogate
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrInvalid);
}

TEST_P(StoreTest, ImportUsers) {
  const bool sqlite = GetParam() == "sqlite";
  const size_t n = sqlite ? 100000 : 30000;
  std::vector<UserRecord> users;
  users.reserve(n + 1);
  for (size_t i = 0; i < n; ++i) {
    users.push_back(TestUser("user" + std::to_string(i) + "@d" + std::to_string(i % 3) + ".example.com", i));
  }
  users.push_back(TestUser("user0@d0.example.com", 424242));  // a later duplicate wins
  auto t0 = std::chrono::steady_clock::now();
  auto r = store_->ImportUsers(users);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, n);
  std::printf("[ImportUsers] %s: %zu users in %.2f s (%.0f users/s)\n", GetParam().c_str(), n, secs, n / secs);
  RecordProperty("import_seconds", std::to_string(secs));
  EXPECT_LT(secs, 60.0);

  EXPECT_EQ(store_->ListUsers()->size(), n);
  EXPECT_EQ(store_->ListUsers("d1.example.com")->size(), n / 3);
  EXPECT_EQ(store_->ListDomains()->size(), 3u);
  EXPECT_EQ((*store_->GetUser("user0@d0.example.com"))->ha1_md5, TestUser("x", 424242).ha1_md5);
  auto feed = store_->ChangesSince(0, 10 * n);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(feed->size(), n + 3);  // 3 domains + n users

  // One invalid record: nothing of the batch is written.
  std::vector<UserRecord> bad = {TestUser("new1@example.net"), TestUser("broken"), TestUser("new2@example.net")};
  auto b = store_->ImportUsers(bad);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, kErrInvalid);
  EXPECT_NE(b.error().message.find("#2"), std::string::npos) << b.error().message;
  EXPECT_FALSE(store_->GetUser("new1@example.net")->has_value());
  EXPECT_EQ(store_->ChangesSince(0, 10 * n)->size(), n + 3);
  EXPECT_EQ(store_->ImportUsers({}).value_or(99), 0u);
}

TEST_P(StoreTest, Bindings) {
  Binding a1 = TestBinding("alice@example.com", "sip:alice@10.0.0.1:5060", 1000);
  a1.q = 0.5;
  a1.instance = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";
  a1.reg_id = "1";
  a1.cseq = 4294967295u;
  a1.first_cseq = 4294967290u;
  a1.path = "<sip:p1.example.com;lr>,<sip:p2.example.com;lr>";
  a1.user_agent = "Phone/1.0 (ünïcode)";
  a1.contact_params = ";expires=3600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1";
  Binding a2 = TestBinding("alice@example.com", "sip:alice@10.0.0.2:5060", 2000);
  a2.q = -1;
  Binding b1 = TestBinding("bob@example.com", "sip:bob@10.0.0.3", 3000);
  for (const auto& b : {a1, a2, b1}) ASSERT_TRUE(store_->UpsertBinding(b).ok());

  auto all = store_->LoadBindings();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  ExpectSameBinding((*all)[0], a1);
  EXPECT_EQ((*all)[0].cseq, 4294967295u);
  EXPECT_EQ((*all)[0].first_cseq, 4294967290u);
  EXPECT_EQ((*all)[1].q, -1.0);
  auto alice = store_->LoadBindingsOf("alice@example.com");
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->size(), 2u);
  EXPECT_EQ((*alice)[0].contact_uri, a1.contact_uri);
  EXPECT_EQ((*alice)[0].first_cseq, a1.first_cseq);
  EXPECT_EQ(store_->LoadBindingsOf("bob@example.com")->size(), 1u);
  EXPECT_TRUE(store_->LoadBindingsOf("carol@example.com")->empty());

  // Same key: replaced, not added.
  a1.expires_at = 5000;
  a1.cseq = 7;
  ASSERT_TRUE(store_->UpsertBinding(a1).ok());
  all = store_->LoadBindings();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].expires_at, 5000);
  EXPECT_EQ((*all)[0].cseq, 7u);
  EXPECT_EQ((*all)[0].first_cseq, 4294967290u);

  EXPECT_EQ(store_->DeleteExpiredBindings(2000).value_or(99), 1u);  // a2 (expires_at <= now)
  EXPECT_EQ(store_->DeleteExpiredBindings(2000).value_or(99), 0u);
  ASSERT_TRUE(store_->DeleteBinding("bob@example.com", "sip:bob@10.0.0.3").ok());
  ASSERT_TRUE(store_->DeleteBinding("bob@example.com", "sip:nobody").ok());  // no-op
  all = store_->LoadBindings();
  ASSERT_EQ(all->size(), 1u);

  Binding empty;
  auto r = store_->UpsertBinding(empty);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, kErrInvalid);
  EXPECT_TRUE(AllChanges().empty());  // the registrar's own writes are not in the change feed

  // An administrator's removal is: the running servers drop the bindings too.
  for (const auto& b : {a2, b1}) ASSERT_TRUE(store_->UpsertBinding(b).ok());
  EXPECT_EQ(store_->EvictBindings("bob@example.com", "sip:nobody").value_or(99), 0u);
  EXPECT_EQ(store_->EvictBindings("bob@Example.COM", "sip:bob@10.0.0.3").value_or(99), 1u);
  EXPECT_EQ(store_->EvictBindings("alice@example.com", "").value_or(99), 2u);
  EXPECT_EQ(store_->EvictBindings("alice@example.com", "").value_or(99), 0u);
  EXPECT_TRUE(store_->LoadBindings()->empty());
  std::vector<std::string> feed;
  for (const auto& c : AllChanges()) feed.push_back(c.kind + " " + c.key);
  EXPECT_EQ(feed, (std::vector<std::string>{"binding bob@example.com sip:bob@10.0.0.3", "binding alice@example.com"}));
  EXPECT_FALSE(store_->EvictBindings("not an aor", "").ok());
}

TEST_P(StoreTest, Policy) {
  auto none = store_->GetPolicy("alice@example.com");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->mode, BlockMode::kReject);
  EXPECT_TRUE(none->entries.empty());

  auto no_user = store_->SetPolicyEntry("alice@example.com", {"bob@example.org", PolicyAction::kBlock});
  ASSERT_FALSE(no_user.ok());
  EXPECT_EQ(no_user.error().code, kErrNotFound);
  auto no_user_mode = store_->SetPolicyMode("alice@example.com", BlockMode::kDiscard);
  ASSERT_FALSE(no_user_mode.ok());
  EXPECT_EQ(no_user_mode.error().code, kErrNotFound);

  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  int64_t before = *store_->LatestChange();
  ASSERT_TRUE(store_->SetPolicyMode("alice@example.com", BlockMode::kDiscard).ok());
  ASSERT_TRUE(store_->SetPolicyEntry("alice@example.com", {"bob@Example.ORG", PolicyAction::kBlock}).ok());
  ASSERT_TRUE(store_->SetPolicyEntry("alice@example.com", {"spam.example", PolicyAction::kBlock}).ok());
  ASSERT_TRUE(store_->SetPolicyEntry("alice@example.com", {"friend.example", PolicyAction::kAllow}).ok());
  ASSERT_TRUE(store_->SetPolicyEntry("alice@example.com", {"spam.example", PolicyAction::kAllow}).ok());  // replaces
  auto bad = store_->SetPolicyEntry("alice@example.com", {"not a pattern", PolicyAction::kBlock});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);

  auto p = store_->GetPolicy("alice@EXAMPLE.com");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->mode, BlockMode::kDiscard);
  ASSERT_EQ(p->entries.size(), 3u);
  EXPECT_EQ(p->entries[0].pattern, "bob@example.org");
  EXPECT_EQ(p->entries[0].action, PolicyAction::kBlock);
  EXPECT_EQ(p->entries[1].pattern, "friend.example");
  EXPECT_EQ(p->entries[1].action, PolicyAction::kAllow);
  EXPECT_EQ(p->entries[2].pattern, "spam.example");
  EXPECT_EQ(p->entries[2].action, PolicyAction::kAllow);

  EXPECT_TRUE(store_->RemovePolicyEntry("alice@example.com", "friend.example").value_or(false));
  EXPECT_FALSE(store_->RemovePolicyEntry("alice@example.com", "friend.example").value_or(true));
  EXPECT_FALSE(store_->RemovePolicyEntry("nobody@example.com", "x.example").value_or(true));
  EXPECT_EQ(store_->GetPolicy("alice@example.com")->entries.size(), 2u);

  auto feed = store_->ChangesSince(before, 100);
  ASSERT_EQ(feed->size(), 6u);  // mode, 4 entries, 1 removal
  for (const auto& c : *feed) {
    EXPECT_EQ(c.kind, "policy");
    EXPECT_EQ(c.key, "alice@example.com");
  }
}

// Migration 6 adds the first CSeq of a binding's Call-ID: bindings stored
// before it come through with 0 ("unknown") and take the new column after.
TEST_P(StoreTest, BindingsSurviveMigrationSix) {
  Raw(RollBackTo(5) +
      "INSERT INTO bindings (aor, contact_uri, contact_params, instance, reg_id, q, expires_at, call_id, cseq, path,"
      " source, user_agent, updated_at) VALUES ('alice@example.com', 'sip:alice@10.0.0.1', '', '', '', 1, 1000,"
      " 'c1', 3, '', 'udp:10.0.0.1:5060', 'UA', 10);");
  ASSERT_TRUE(store_->Migrate().ok());
  auto all = store_->LoadBindings();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].cseq, 3u);
  EXPECT_EQ((*all)[0].first_cseq, 0u);
  Binding b = (*all)[0];
  b.first_cseq = 3;
  ASSERT_TRUE(store_->UpsertBinding(b).ok());
  EXPECT_EQ(store_->LoadBindings()->at(0).first_cseq, 3u);
}

// Migration 8 moves the bindings into a table kept in their key's order:
// every field of every binding comes through, and the key still decides
// what an upsert replaces.
TEST_P(StoreTest, BindingsSurviveMigrationEight) {
  Binding full = TestBinding("alice@example.com", "sip:alice@10.0.0.1", 5000);
  full.instance = "<urn:uuid:00000000-0000-1000-8000-000000000001>";
  full.reg_id = "1";
  full.q = 0.5;
  full.first_cseq = 2;
  full.cseq = 7;
  full.path = "<sip:edge.example.com;lr>";
  full.user_agent = "UA/1";
  ASSERT_TRUE(store_->UpsertBinding(full).ok());
  ASSERT_TRUE(store_->UpsertBinding(TestBinding("bob@example.com", "sip:bob@10.0.0.2", 6000)).ok());
  Raw(RollBackTo(7));
  ASSERT_TRUE(store_->Migrate().ok());
  auto all = store_->LoadBindings();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  ExpectSameBinding((*all)[0], full);
  full.cseq = 8;
  ASSERT_TRUE(store_->UpsertBinding(full).ok());  // same key: replaced, not added
  ASSERT_EQ(store_->LoadBindings()->size(), 2u);
  EXPECT_EQ(store_->LoadBindingsOf("alice@example.com")->at(0).cseq, 8u);
}

TEST_P(StoreTest, DeleteUserTakesPolicyAndBindings) {
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  ASSERT_TRUE(store_->SetPolicyMode("alice@example.com", BlockMode::kDiscard).ok());
  ASSERT_TRUE(store_->SetPolicyEntry("alice@example.com", {"spam.example", PolicyAction::kBlock}).ok());
  ASSERT_TRUE(store_->UpsertBinding(TestBinding("alice@example.com", "sip:alice@10.0.0.1", 100)).ok());
  ASSERT_TRUE(store_->UpsertBinding(TestBinding("bob@example.com", "sip:bob@10.0.0.2", 100)).ok());
  ASSERT_TRUE(store_->DeleteUser("alice@example.com").value_or(false));
  auto p = store_->GetPolicy("alice@example.com");
  EXPECT_EQ(p->mode, BlockMode::kReject);
  EXPECT_TRUE(p->entries.empty());
  auto b = store_->LoadBindings();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].aor, "bob@example.com");
  // Re-adding the user starts from a clean policy.
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  EXPECT_TRUE(store_->GetPolicy("alice@example.com")->entries.empty());
}

TEST_P(StoreTest, Meta) {
  auto missing = store_->GetMeta("nonce_key");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(store_->SetMeta("nonce_key", "v1").ok());
  ASSERT_TRUE(store_->SetMeta("nonce_key", "v2").ok());
  EXPECT_EQ(**store_->GetMeta("nonce_key"), "v2");
  ASSERT_TRUE(store_->SetMeta("empty", "").ok());
  EXPECT_EQ(**store_->GetMeta("empty"), "");
  auto bad = store_->SetMeta("", "x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);
}

TEST_P(StoreTest, Transactions) {
  auto other = Open();
  ASSERT_TRUE(store_->Begin().ok());
  auto nested = store_->Begin();
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().code, kErrState);
  ASSERT_TRUE(store_->SetMeta("a", "1").ok());
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  EXPECT_EQ(**store_->GetMeta("a"), "1");        // own writes are visible inside
  EXPECT_FALSE(other->GetMeta("a")->has_value());  // others' are not, yet
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(**other->GetMeta("a"), "1");
  EXPECT_TRUE(other->GetUser("alice@example.com")->has_value());

  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->SetMeta("b", "1").ok());
  ASSERT_TRUE(store_->Rollback().ok());
  EXPECT_FALSE(store_->GetMeta("b")->has_value());
  EXPECT_TRUE(store_->Rollback().ok());  // nothing open: a no-op

  auto stray = store_->Commit();
  ASSERT_FALSE(stray.ok());
  EXPECT_EQ(stray.error().code, kErrState);
}

TEST_P(StoreTest, AnErrorAbortsTheTransaction) {
  int64_t feed_before = *store_->LatestChange();
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->SetMeta("a", "1").ok());
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  auto fail = store_->SetPolicyMode("nobody@example.com", BlockMode::kDiscard);
  ASSERT_FALSE(fail.ok());
  EXPECT_EQ(fail.error().code, kErrNotFound);
  auto later = store_->SetMeta("b", "1");  // fails at once: the transaction is dead
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.error().code, kErrNotFound);
  auto read = store_->GetMeta("a");
  EXPECT_FALSE(read.ok());
  auto commit = store_->Commit();
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, kErrNotFound);
  EXPECT_NE(commit.error().message.find("nobody@example.com"), std::string::npos) << commit.error().message;
  // Nothing of it is stored, and the store works again.
  EXPECT_FALSE(store_->GetMeta("a")->has_value());
  EXPECT_FALSE(store_->GetUser("alice@example.com")->has_value());
  EXPECT_EQ(*store_->LatestChange(), feed_before);
  ASSERT_TRUE(store_->SetMeta("c", "1").ok());

  // A validation error counts too.
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->SetMeta("d", "1").ok());
  ASSERT_FALSE(store_->AddUser(TestUser("broken")).ok());
  ASSERT_FALSE(store_->Commit().ok());
  EXPECT_FALSE(store_->GetMeta("d")->has_value());
}

// A poller at seq N must never later see a change below N appear: change
// sequence order is commit order, even with concurrent writers.
TEST_P(StoreTest, PollerNeverSkipsAChange) {
  auto writer_b = Open();
  auto poller = Open();
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->AddUser(TestUser("a@example.com")).ok());
  std::atomic<bool> b_done{false};
  std::thread b([&] {
    EXPECT_TRUE(writer_b->AddUser(TestUser("b@other.example")).ok());
    b_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // While A is open, B cannot have committed a later change A would land under.
  auto seen = poller->ChangesSince(0, 100);
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(seen->empty()) << "saw seq " << (*seen)[0].seq << " " << (*seen)[0].key;
  EXPECT_FALSE(b_done.load());
  ASSERT_TRUE(store_->Commit().ok());
  b.join();
  auto feed = poller->ChangesSince(0, 100);
  ASSERT_EQ(feed->size(), 4u);
  EXPECT_EQ((*feed)[1].key, "a@example.com");
  EXPECT_EQ((*feed)[2].key, "other.example");
  EXPECT_EQ((*feed)[3].key, "b@other.example");
}

TEST_P(StoreTest, NonDurableModeWorks) {
  auto fast = Open(/*durable=*/false);
  ASSERT_NE(fast, nullptr);
  ASSERT_TRUE(fast->SetMeta("k", "v").ok());
  EXPECT_EQ(**store_->GetMeta("k"), "v");
}

// A server-side disconnect (restart, idle kill) costs no failed call
// outside a transaction, and fails — never half-commits — one inside.
TEST_P(StoreTest, SurvivesADroppedConnection) {
  if (GetParam() == "sqlite") GTEST_SKIP() << "no server connection to lose";
  auto kill = [&] {
    Raw("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
        " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
  };
  ASSERT_TRUE(store_->SetMeta("a", "1").ok());
  kill();
  auto r = store_->GetMeta("a");  // reconnects and retries
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(**r, "1");
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());

  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->SetMeta("b", "1").ok());
  kill();
  auto w = store_->SetMeta("c", "1");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, kErrUnavailable);
  EXPECT_FALSE(store_->Commit().ok());
  EXPECT_FALSE(store_->GetMeta("b")->has_value());
  EXPECT_FALSE(store_->GetMeta("c")->has_value());
}

TEST(OpenStore, Urls) {
  EXPECT_EQ(DefaultStoreUrl("parley-data"), "sqlite:parley-data/parley.db");
  auto bad = OpenStore({"mysql://user:secret@host/db", true});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);
  EXPECT_EQ(bad.error().message.find("secret"), std::string::npos);
  auto unreachable = OpenStore({"postgresql:host=/nonexistent-dir port=1 connect_timeout=2", true});
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().code, kErrUnavailable);
  auto no_dir = OpenStore({"sqlite:/proc/parley-cannot/parley.db", true});
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.error().code, kErrUnavailable);
}

// Begin(kCommit) lowers the sync level for that transaction only; kDisk
// restores it; a connection opened non-durable never syncs. The one test
// that reads each backend's own setting (SQLite's synchronous pragma,
// PostgreSQL's synchronous_commit).
TEST_P(StoreTest, CommitDurabilitySetsTheSyncLevelPerTransaction) {
  const bool sqlite = GetParam() == "sqlite";
  auto open = [&](bool durable) {
    return sqlite ? OpenSqlite(url().substr(std::string("sqlite:").size()), durable)
                  : OpenPostgres(url().substr(std::string("postgresql:").size()), durable);
  };
  auto level = [&](SqlConnection& c) {
    SqlRows rows;
    auto r = c.Exec(sqlite ? "PRAGMA synchronous" : "SELECT current_setting('synchronous_commit')", {}, &rows);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return rows.empty() ? std::string() : rows.at(0, 0);
  };
  const std::string full = sqlite ? "2" : "on", relaxed = sqlite ? "1" : "off";
  auto conn = open(true);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  SqlConnection& c = **conn;
  EXPECT_EQ(level(c), full);
  ASSERT_TRUE(c.Begin(Durability::kCommit).ok());
  EXPECT_EQ(level(c), relaxed);
  ASSERT_TRUE(c.Commit().ok());
  ASSERT_TRUE(c.Begin(Durability::kCommit).ok());  // unchanged: no second switch
  EXPECT_EQ(level(c), relaxed);
  ASSERT_TRUE(c.Rollback().ok());
  ASSERT_TRUE(c.Begin(Durability::kDisk).ok());
  EXPECT_EQ(level(c), full);
  ASSERT_TRUE(c.Commit().ok());

  auto lax = open(false);
  ASSERT_TRUE(lax.ok()) << lax.error().message;
  ASSERT_TRUE((*lax)->Begin(Durability::kDisk).ok());
  EXPECT_EQ(level(**lax), relaxed);
  ASSERT_TRUE((*lax)->Commit().ok());
}

}  // namespace
}  // namespace parley::store
