// History archive, its per-user setting, API tokens, and what DeleteUser
// takes with it — against both backends.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>

#include "store/backend.h"
#include "store/errors.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestUser;

std::string Sha256Hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", md[i]);
    out += buf;
  }
  return out;
}

HistoryEntry Entry(const std::string& peer, int64_t time_ms, std::string body,
                   HistoryDirection dir = HistoryDirection::kIn, std::string content_type = "text/plain") {
  HistoryEntry e;
  e.owner = "alice@example.com";
  e.peer = peer;
  e.direction = dir;
  e.message_id = "mid-" + std::to_string(time_ms);
  e.time_ms = time_ms;
  e.content_type = std::move(content_type);
  e.body = std::move(body);
  return e;
}

class HistoryTokenTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com", 1)).ok());
    ASSERT_TRUE(store_->AddUser(TestUser("bob@example.org", 2)).ok());
  }

  int64_t Append(const HistoryEntry& e) {
    auto r = store_->AppendHistory(e);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : -1;
  }

  // The bodies a query returns, in order.
  std::vector<std::string> Bodies(HistoryQuery q) {
    if (q.owner.empty()) q.owner = "alice@example.com";
    auto r = store_->QueryHistory(q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::vector<std::string> out;
    if (r.ok()) {
      for (const auto& e : *r) out.push_back(e.body);
    }
    return out;
  }

  std::unique_ptr<Store> store_;
};

PARLEY_INSTANTIATE_BACKENDS(HistoryTokenTest);

TEST_P(HistoryTokenTest, HistoryIsOptIn) {
  EXPECT_FALSE(store_->HistoryEnabled("alice@example.com").value_or(true));
  EXPECT_EQ(Append(Entry("bob@example.org", 1, "not archived")), 0);
  int64_t before = *store_->LatestChange();
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@EXAMPLE.com", true).ok());
  EXPECT_TRUE(store_->HistoryEnabled("alice@example.com").value_or(false));
  auto user = store_->GetUser("alice@example.com");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_TRUE((*user)->history);  // the user record carries the setting
  int64_t id = Append(Entry("bob@example.org", 2, "archived"));
  EXPECT_GT(id, 0);
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", false).ok());
  EXPECT_EQ(Append(Entry("bob@example.org", 3, "off again")), 0);
  user = store_->GetUser("alice@example.com");
  ASSERT_TRUE(user.ok() && user->has_value());
  EXPECT_FALSE((*user)->history);
  EXPECT_EQ(Bodies({}), (std::vector<std::string>{"archived"}));

  auto feed = store_->ChangesSince(before, 10);
  ASSERT_EQ(feed->size(), 2u);
  EXPECT_EQ((*feed)[0].kind, "history");
  EXPECT_EQ((*feed)[0].key, "alice@example.com");

  auto missing = store_->SetHistoryEnabled("nobody@example.com", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, kErrNotFound);
  EXPECT_FALSE(store_->HistoryEnabled("nobody@example.com").value_or(true));
  HistoryEntry stranger = Entry("bob@example.org", 4, "x");
  stranger.owner = "nobody@example.com";
  EXPECT_EQ(Append(stranger), 0);
}

TEST_P(HistoryTokenTest, QueryNewestFirstWithPaging) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(Append(Entry("bob@example.org", 1000 + i, "m" + std::to_string(i))));
  auto first = store_->QueryHistory({.owner = "alice@example.com", .limit = 3});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_EQ((*first)[0].id, ids[6]);
  EXPECT_EQ((*first)[0].body, "m6");
  EXPECT_EQ((*first)[0].owner, "alice@example.com");
  EXPECT_EQ((*first)[0].peer, "bob@example.org");
  EXPECT_EQ((*first)[0].direction, HistoryDirection::kIn);
  EXPECT_EQ((*first)[0].message_id, "mid-1006");
  EXPECT_EQ((*first)[0].time_ms, 1006);
  EXPECT_EQ((*first)[0].content_type, "text/plain");
  EXPECT_EQ(Bodies({.limit = 3, .before_id = first->back().id}), (std::vector<std::string>{"m3", "m2", "m1"}));
  EXPECT_EQ(Bodies({.limit = 3, .before_id = ids[1]}), (std::vector<std::string>{"m0"}));
  EXPECT_TRUE(Bodies({.limit = 0}).empty());
  EXPECT_EQ(Bodies({.limit = 100000}).size(), 7u);  // capped at kMaxHistoryPage, which is more
  EXPECT_TRUE(Bodies({.owner = "bob@example.org"}).empty());
}

TEST_P(HistoryTokenTest, FiltersByPeerAndTime) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  Append(Entry("sip:bob@Example.ORG", 100, "from bob"));
  Append(Entry("carol@example.net", 200, "from carol"));
  Append(Entry("bob@example.org", 300, "to bob", HistoryDirection::kOut));
  Append(Entry("tel:+15551234", 400, "from a phone"));
  EXPECT_EQ(Bodies({.peer = "bob@example.org"}), (std::vector<std::string>{"to bob", "from bob"}));
  EXPECT_EQ(Bodies({.peer = "sip:bob@EXAMPLE.org"}), (std::vector<std::string>{"to bob", "from bob"}));
  EXPECT_EQ(Bodies({.peer = "tel:+15551234"}), (std::vector<std::string>{"from a phone"}));
  EXPECT_EQ(Bodies({.from_ms = 200, .to_ms = 400}), (std::vector<std::string>{"to bob", "from carol"}));
  EXPECT_EQ(Bodies({.peer = "bob@example.org", .from_ms = 101}), (std::vector<std::string>{"to bob"}));
  auto out = store_->QueryHistory({.owner = "alice@example.com", .from_ms = 300, .to_ms = 301});
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].direction, HistoryDirection::kOut);
}

TEST_P(HistoryTokenTest, TextSearch) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  Append(Entry("bob@example.org", 1, "Hello World"));
  Append(Entry("bob@example.org", 2, "ÄPFEL und Birnen"));
  Append(Entry("bob@example.org", 3, "Привет, МИР"));
  Append(Entry("bob@example.org", 4, "100% sure, a_b"));
  Append(Entry("bob@example.org", 5, "1000 things, axb"));
  Append(Entry("bob@example.org", 6, "hello in binary", HistoryDirection::kIn, "application/octet-stream"));
  Append(Entry("bob@example.org", 7, "HELLO again", HistoryDirection::kOut, "Text/Plain; charset=UTF-8"));
  Append(Entry("bob@example.org", 8, std::string("hello\0nul", 9)));
  EXPECT_EQ(Bodies({.text = "hello"}), (std::vector<std::string>{"HELLO again", "Hello World"}));
  EXPECT_EQ(Bodies({.text = "O W"}), (std::vector<std::string>{"Hello World"}));
  EXPECT_EQ(Bodies({.text = "äpfel"}), (std::vector<std::string>{"ÄPFEL und Birnen"}));
  EXPECT_EQ(Bodies({.text = "мир"}), (std::vector<std::string>{"Привет, МИР"}));
  EXPECT_EQ(Bodies({.text = "ПРИВЕТ"}), (std::vector<std::string>{"Привет, МИР"}));
  EXPECT_EQ(Bodies({.text = "100%"}), (std::vector<std::string>{"100% sure, a_b"}));  // % is literal
  EXPECT_EQ(Bodies({.text = "a_b"}), (std::vector<std::string>{"100% sure, a_b"}));   // so is _
  EXPECT_EQ(Bodies({.text = "!"}), (std::vector<std::string>{}));
  EXPECT_TRUE(Bodies({.text = "nothing like it"}).empty());
  EXPECT_EQ(Bodies({.from_ms = 2, .text = "hello"}), (std::vector<std::string>{"HELLO again"}));

  auto too_long = store_->QueryHistory({.owner = "alice@example.com", .text = std::string(257, 'a')});
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, kErrInvalid);
  auto not_utf8 = store_->QueryHistory({.owner = "alice@example.com", .text = "\xff"});
  ASSERT_FALSE(not_utf8.ok());
  EXPECT_EQ(not_utf8.error().code, kErrInvalid);
}

TEST_P(HistoryTokenTest, BinaryBodiesAndValidation) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  std::string nasty("\0\xff\xfe\x80 text/plain \0", 16);
  Append(Entry("bob@example.org", 1, nasty, HistoryDirection::kIn, "application/octet-stream"));
  Append(Entry("bob@example.org", 2, "\xc3\x28 invalid utf-8"));  // text/plain, but not searchable
  auto got = store_->QueryHistory({.owner = "alice@example.com"});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].body, nasty);
  EXPECT_EQ((*got)[0].body, "\xc3\x28 invalid utf-8");
  EXPECT_TRUE(Bodies({.text = "invalid"}).empty());

  HistoryEntry bad = Entry("", 1, "x");
  EXPECT_EQ(store_->AppendHistory(bad).error().code, kErrInvalid);
  bad = Entry(std::string("a\0b", 3), 1, "x");
  EXPECT_EQ(store_->AppendHistory(bad).error().code, kErrInvalid);
  bad = Entry("bob@example.org", 1, "x");
  bad.owner = "not an aor";
  EXPECT_EQ(store_->AppendHistory(bad).error().code, kErrInvalid);
  bad = Entry("bob@example.org", 1, "x", HistoryDirection::kIn, "");
  EXPECT_EQ(store_->AppendHistory(bad).error().code, kErrInvalid);
}

TEST_P(HistoryTokenTest, DeleteHistoryBefore) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  ASSERT_TRUE(store_->SetHistoryEnabled("bob@example.org", true).ok());
  for (int64_t t : {100, 200, 300}) {
    Append(Entry("bob@example.org", t, "a" + std::to_string(t)));
    HistoryEntry b = Entry("alice@example.com", t, "b" + std::to_string(t));
    b.owner = "bob@example.org";
    Append(b);
  }
  EXPECT_EQ(store_->DeleteHistoryBefore("alice@example.com", 300).value_or(0), 2u);
  EXPECT_EQ(Bodies({}), (std::vector<std::string>{"a300"}));
  EXPECT_EQ(Bodies({.owner = "bob@example.org"}).size(), 3u);
  EXPECT_EQ(store_->DeleteHistoryBefore("", 250).value_or(0), 2u);  // everybody's
  EXPECT_EQ(Bodies({.owner = "bob@example.org"}), (std::vector<std::string>{"b300"}));
  EXPECT_EQ(store_->DeleteHistoryBefore("bad aor", 1000).error().code, kErrInvalid);
}

TEST_P(HistoryTokenTest, TokensStoreOnlyAHash) {
  int64_t before = *store_->LatestChange();
  auto t = store_->CreateToken("alice@EXAMPLE.com", "laptop", 0, 1700000000000);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->secret.size(), 46u);
  EXPECT_TRUE(t->secret.starts_with("pt_"));
  EXPECT_EQ(t->info.aor, "alice@example.com");
  EXPECT_EQ(t->info.label, "laptop");
  EXPECT_EQ(t->info.created_at_ms, 1700000000000);
  EXPECT_GT(t->info.id, 0);
  EXPECT_EQ(RawScalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '" + Sha256Hex(t->secret) + "'"), "1");
  EXPECT_EQ(RawScalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE '%" + t->secret.substr(3, 20) + "%'"
                      " OR label LIKE '%" + t->secret.substr(3, 20) + "%'"),
            "0");

  auto found = store_->LookupToken(t->secret, 1800000000000);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->aor, "alice@example.com");
  EXPECT_EQ((*found)->id, t->info.id);
  EXPECT_EQ((*found)->expires_at_ms, 0);

  auto t2 = store_->CreateToken("alice@example.com", "", 5000, 1000);
  ASSERT_TRUE(t2.ok());
  EXPECT_NE(t2->secret, t->secret);
  auto list = store_->ListTokens("alice@example.com");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].label, "laptop");
  EXPECT_EQ((*list)[1].expires_at_ms, 5000);
  EXPECT_TRUE(store_->ListTokens("bob@example.org")->empty());

  auto feed = store_->ChangesSince(before, 10);
  ASSERT_EQ(feed->size(), 2u);
  EXPECT_EQ((*feed)[0].kind, "token");
  EXPECT_EQ((*feed)[0].key, "alice@example.com");
}

TEST_P(HistoryTokenTest, TokenExpiryRevocationAndDisabledUsers) {
  auto t = store_->CreateToken("alice@example.com", "cli", 5000, 1000);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(store_->LookupToken(t->secret, 4999)->has_value());
  EXPECT_FALSE(store_->LookupToken(t->secret, 5000)->has_value());  // expired at 5000

  auto forever = store_->CreateToken("alice@example.com", "forever", 0, 1000);
  ASSERT_TRUE(forever.ok());
  std::string tampered = forever->secret;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(""), std::string("pt_"), tampered, forever->secret + "x",
                                  "Bearer " + forever->secret, forever->secret.substr(3)}) {
    auto r = store_->LookupToken(bad, 2000);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value()) << bad;
  }

  // A disabled user's tokens stop working, and work again when re-enabled.
  UserRecord off = TestUser("alice@example.com", 1);
  off.enabled = false;
  ASSERT_TRUE(store_->AddUser(off).ok());
  EXPECT_FALSE(store_->LookupToken(forever->secret, 2000)->has_value());
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com", 1)).ok());
  EXPECT_TRUE(store_->LookupToken(forever->secret, 2000)->has_value());

  EXPECT_FALSE(store_->RevokeToken("bob@example.org", forever->info.id).value_or(true));  // not his
  EXPECT_TRUE(store_->RevokeToken("alice@example.com", forever->info.id).value_or(false));
  EXPECT_FALSE(store_->RevokeToken("alice@example.com", forever->info.id).value_or(true));
  EXPECT_FALSE(store_->LookupToken(forever->secret, 2000)->has_value());
  EXPECT_EQ(store_->ListTokens("alice@example.com")->size(), 1u);

  auto nobody = store_->CreateToken("nobody@example.com", "", 0, 1);
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code, kErrNotFound);
  EXPECT_EQ(store_->CreateToken("alice@example.com", std::string(201, 'l'), 0, 1).error().code, kErrInvalid);
  EXPECT_EQ(store_->CreateToken("alice@example.com", "\xff", 0, 1).error().code, kErrInvalid);
  EXPECT_EQ(store_->CreateToken("alice@example.com", "x", -1, 1).error().code, kErrInvalid);
}

// DeleteUser takes the user's queue, delivery records, history, setting and
// tokens; other users keep theirs, and a re-added user starts clean.
TEST_P(HistoryTokenTest, DeleteUserTakesEverything) {
  for (const char* aor : {"alice@example.com", "bob@example.org"}) {
    StoredMessage m;
    m.recipient = aor;
    m.sender = "sip:x@example.net";
    m.message_id = "m1";
    m.content_type = "text/plain";
    m.body = "hi";
    ASSERT_TRUE(store_->EnqueueMessage(m, {}).ok());
    ASSERT_TRUE(store_->MarkDelivered(aor, "m0", "dev", 1).ok());
    ASSERT_TRUE(store_->SetHistoryEnabled(aor, true).ok());
    HistoryEntry e = Entry("x@example.net", 1, "hist");
    e.owner = aor;
    EXPECT_GT(Append(e), 0);
    ASSERT_TRUE(store_->CreateToken(aor, "t", 0, 1).ok());
  }
  auto token = store_->CreateToken("alice@example.com", "t2", 0, 1);
  ASSERT_TRUE(store_->DeleteUser("alice@example.com").value_or(false));

  EXPECT_TRUE(store_->PendingMessages("alice@example.com", 0, 10)->empty());
  EXPECT_FALSE(store_->WasDelivered("alice@example.com", "m0", "dev").value_or(true));
  EXPECT_FALSE(store_->HistoryEnabled("alice@example.com").value_or(true));
  EXPECT_TRUE(Bodies({}).empty());
  EXPECT_TRUE(store_->ListTokens("alice@example.com")->empty());
  EXPECT_FALSE(store_->LookupToken(token->secret, 2)->has_value());
  EXPECT_EQ(*store_->RecipientsWithPending("", 10), (std::vector<std::string>{"bob@example.org"}));
  EXPECT_EQ(RawScalar("SELECT COUNT(*) FROM history"), "1");
  EXPECT_EQ(RawScalar("SELECT COUNT(*) FROM message_deliveries"), "1");

  EXPECT_EQ(store_->PendingMessages("bob@example.org", 0, 10)->size(), 1u);
  EXPECT_TRUE(store_->WasDelivered("bob@example.org", "m0", "dev").value_or(false));
  EXPECT_EQ(Bodies({.owner = "bob@example.org"}).size(), 1u);
  EXPECT_EQ(store_->ListTokens("bob@example.org")->size(), 1u);

  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  EXPECT_FALSE(store_->HistoryEnabled("alice@example.com").value_or(true));
  EXPECT_TRUE(store_->ListTokens("alice@example.com")->empty());
  EXPECT_EQ(store_->CountPending("alice@example.com")->count, 0);
}

}  // namespace
}  // namespace parley::store
