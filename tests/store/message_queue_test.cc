// The deferred delivery queue and per-device delivery records, against both
// backends.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "store/backend.h"
#include "store/errors.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestUser;
using namespace std::chrono_literals;

constexpr MessageQuota kNoQuota{};

StoredMessage Msg(const std::string& to, const std::string& message_id, std::string body = "hello") {
  StoredMessage m;
  m.recipient = to;
  m.sender = "sip:bob@example.org";
  m.message_id = message_id;
  m.received_at_ms = 1700000000000;
  m.datetime = "2023-11-14T22:13:20.000Z";
  m.content_type = "text/plain;charset=utf-8";
  m.body = std::move(body);
  m.next_attempt_at_ms = 1700000000000;
  return m;
}

// Every byte value, NUL and 0xFF at both ends, and ill-formed UTF-8.
std::string NastyBytes() {
  std::string b("\0\xff", 2);
  for (int i = 0; i < 256; ++i) b.push_back(static_cast<char>(i));
  b += "\xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80 \xe2\x82";  // bad 2-byte, surrogate, 5-byte, truncated
  b += std::string("\\x00\\\\", 6);                               // bytea escape look-alikes
  b += std::string("\xff\0", 2);
  return b;
}

class MessageQueueTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com", 1)).ok());
    ASSERT_TRUE(store_->AddUser(TestUser("carol@example.com", 2)).ok());
  }

  int64_t Enqueue(const StoredMessage& m, const MessageQuota& q = kNoQuota) {
    auto r = store_->EnqueueMessage(m, q);
    EXPECT_TRUE(r.ok()) << r.error().message;
    if (!r.ok()) return -1;
    EXPECT_FALSE(r->duplicate) << m.message_id;
    return r->id;
  }

  std::vector<StoredMessage> Pending(const std::string& to, int64_t after = 0, size_t limit = 1000) {
    auto r = store_->PendingMessages(to, after, limit);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::vector<StoredMessage>{};
  }

  // The queue is not in the change feed: only the setup's domain and users.
  bool AllChangesAreUsers() {
    auto feed = store_->ChangesSince(0, 1000);
    if (!feed.ok()) return false;
    for (const auto& c : *feed) {
      if (c.kind != "user" && c.kind != "domain") return false;
    }
    return feed->size() == 3;
  }

  std::unique_ptr<Store> store_;
};

PARLEY_INSTANTIATE_BACKENDS(MessageQueueTest);

TEST_P(MessageQueueTest, StoresAndReturnsInOrder) {
  StoredMessage first = Msg("alice@EXAMPLE.com", "<m1@example.org>", "first");
  first.headers = "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m1\r\n";
  first.imdn = kImdnPositiveDelivery | kImdnDisplay;
  first.next_attempt_at_ms = 1700000005000;
  int64_t id1 = Enqueue(first);
  int64_t id2 = Enqueue(Msg("alice@example.com", "m2", "second"));
  int64_t other = Enqueue(Msg("carol@example.com", "m1", "for carol"));  // same id, other recipient
  int64_t id3 = Enqueue(Msg("sip:alice@example.com", "m3", "third"));
  EXPECT_LT(id1, id2);
  EXPECT_LT(id2, id3);
  EXPECT_NE(other, id2);

  auto got = Pending("alice@example.com");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, id1);
  EXPECT_EQ(got[1].id, id2);
  EXPECT_EQ(got[2].id, id3);
  const StoredMessage& g = got[0];
  EXPECT_EQ(g.recipient, "alice@example.com");
  EXPECT_EQ(g.sender, first.sender);
  EXPECT_EQ(g.message_id, first.message_id);
  EXPECT_EQ(g.received_at_ms, first.received_at_ms);
  EXPECT_EQ(g.datetime, first.datetime);
  EXPECT_EQ(g.content_type, first.content_type);
  EXPECT_EQ(g.body, "first");
  EXPECT_EQ(g.headers, first.headers);
  EXPECT_EQ(g.attempts, 0);
  EXPECT_EQ(g.next_attempt_at_ms, 1700000005000);
  EXPECT_EQ(g.imdn, kImdnPositiveDelivery | kImdnDisplay);
  EXPECT_TRUE(g.delivered_to.empty());
  EXPECT_EQ(got[2].body, "third");

  auto carol = Pending("carol@example.com");
  ASSERT_EQ(carol.size(), 1u);
  EXPECT_EQ(carol[0].body, "for carol");
  EXPECT_TRUE(Pending("nobody@example.com").empty());
  EXPECT_TRUE(Pending("not an aor").empty());
  EXPECT_TRUE(AllChangesAreUsers());
}

TEST_P(MessageQueueTest, BinaryBodiesRoundTripByteExact) {
  const std::string nasty = NastyBytes();
  ASSERT_NE(nasty.find('\0'), std::string::npos);
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 3);
  int64_t a = Enqueue(Msg("alice@example.com", "nasty", nasty));
  int64_t b = Enqueue(Msg("alice@example.com", "empty", ""));
  int64_t c = Enqueue(Msg("alice@example.com", "big", big));
  auto got = Pending("alice@example.com");
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, a);
  EXPECT_EQ(got[0].body.size(), nasty.size());
  EXPECT_EQ(got[0].body, nasty);
  EXPECT_EQ(got[1].id, b);
  EXPECT_EQ(got[1].body, "");
  EXPECT_EQ(got[2].id, c);
  EXPECT_EQ(got[2].body, big);
  // A second connection reads the same bytes.
  auto other = Open();
  auto again = other->PendingMessages("alice@example.com", 0, 1);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].body, nasty);
  EXPECT_EQ(store_->CountPending("alice@example.com")->bytes, static_cast<int64_t>(nasty.size() + big.size()));
}

TEST_P(MessageQueueTest, EnqueueIsIdempotentOnRecipientAndMessageId) {
  int64_t id = Enqueue(Msg("alice@example.com", "dup", "original"));
  auto again = store_->EnqueueMessage(Msg("alice@Example.com", "dup", "retransmitted"), kNoQuota);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, id);
  auto got = Pending("alice@example.com");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, "original");

  // Twice in one transaction (a retransmission in the same group).
  ASSERT_TRUE(store_->Begin().ok());
  auto x1 = store_->EnqueueMessage(Msg("alice@example.com", "dup2"), kNoQuota);
  auto x2 = store_->EnqueueMessage(Msg("alice@example.com", "dup2"), kNoQuota);
  ASSERT_TRUE(store_->Commit().ok());
  ASSERT_TRUE(x1.ok() && x2.ok());
  EXPECT_FALSE(x1->duplicate);
  EXPECT_TRUE(x2->duplicate);
  EXPECT_EQ(x1->id, x2->id);
  EXPECT_EQ(Pending("alice@example.com").size(), 2u);
}

// Two connections store the same message at once (two nodes, or the
// server and a retransmission racing): one row, both get its id.
TEST_P(MessageQueueTest, ConcurrentDuplicatesMakeOneRow) {
  auto other = Open();
  ASSERT_TRUE(store_->Begin().ok());
  auto mine = store_->EnqueueMessage(Msg("alice@example.com", "race"), kNoQuota);
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  Result<EnqueueResult> theirs = Error(0, "not run");
  std::atomic<bool> done{false};
  std::thread t([&] {
    theirs = other->EnqueueMessage(Msg("alice@example.com", "race"), kNoQuota);
    done = true;
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(done.load());  // waits for the first writer
  ASSERT_TRUE(store_->Commit().ok());
  t.join();
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  EXPECT_TRUE(theirs->duplicate);
  EXPECT_EQ(theirs->id, mine->id);
  EXPECT_EQ(Pending("alice@example.com").size(), 1u);
}

TEST_P(MessageQueueTest, QuotaByCount) {
  MessageQuota q{.max_count = 3, .max_bytes = 0};
  int64_t first = Enqueue(Msg("alice@example.com", "a"), q);
  Enqueue(Msg("alice@example.com", "b"), q);
  Enqueue(Msg("alice@example.com", "c"), q);
  auto full = store_->EnqueueMessage(Msg("alice@example.com", "d"), q);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, kErrQuota);
  EXPECT_NE(full.error().message.find("3 messages (limit 3)"), std::string::npos) << full.error().message;
  // A duplicate of a queued message is still recognized when full.
  auto dup = store_->EnqueueMessage(Msg("alice@example.com", "a"), q);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  // Other recipients have their own quota.
  Enqueue(Msg("carol@example.com", "d"), q);
  // Delivering one makes room.
  ASSERT_TRUE(store_->DeleteMessage("alice@example.com", first).value_or(false));
  Enqueue(Msg("alice@example.com", "d"), q);
  EXPECT_EQ(store_->CountPending("alice@example.com")->count, 3);
}

TEST_P(MessageQueueTest, QuotaByBytes) {
  MessageQuota q{.max_count = 0, .max_bytes = 100};
  StoredMessage m = Msg("alice@example.com", "a", std::string(50, 'x'));
  m.headers = std::string(10, 'h');  // headers count too
  Enqueue(m, q);
  auto over = store_->EnqueueMessage(Msg("alice@example.com", "b", std::string(41, 'y')), q);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, kErrQuota);
  EXPECT_NE(over.error().message.find("60 + 41 bytes"), std::string::npos) << over.error().message;
  Enqueue(Msg("alice@example.com", "c", std::string(40, 'z')), q);  // exactly 100
  auto usage = store_->CountPending("alice@example.com");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->count, 2);
  EXPECT_EQ(usage->bytes, 100);
  auto huge = store_->EnqueueMessage(Msg("carol@example.com", "h", std::string(101, 'x')), q);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, kErrQuota);
  EXPECT_EQ(store_->CountPending("carol@example.com")->count, 0);
}

// A full queue refuses one message; the transaction (an executor group)
// goes on and commits the rest.
TEST_P(MessageQueueTest, AQuotaRefusalDoesNotAbortTheTransaction) {
  MessageQuota q{.max_count = 1, .max_bytes = 0};
  ASSERT_TRUE(store_->Begin().ok());
  EXPECT_TRUE(store_->EnqueueMessage(Msg("alice@example.com", "a"), q).ok());
  auto refused = store_->EnqueueMessage(Msg("alice@example.com", "b"), q);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, kErrQuota);
  EXPECT_TRUE(store_->EnqueueMessage(Msg("carol@example.com", "c"), q).ok());
  ASSERT_TRUE(store_->SetMeta("k", "v").ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(Pending("alice@example.com").size(), 1u);
  EXPECT_EQ(Pending("carol@example.com").size(), 1u);
  EXPECT_EQ(**store_->GetMeta("k"), "v");
}

TEST_P(MessageQueueTest, Validation) {
  auto expect = [&](StoredMessage m, int code) {
    auto r = store_->EnqueueMessage(m, kNoQuota);
    ASSERT_FALSE(r.ok()) << m.message_id;
    EXPECT_EQ(r.error().code, code) << m.message_id << ": " << r.error().message;
  };
  expect(Msg("not an aor", "x"), kErrInvalid);
  expect(Msg("nobody@example.com", "x"), kErrNotFound);
  StoredMessage m = Msg("alice@example.com", "x");
  m.sender = std::string("sip:a\0b@example.org", 19);
  expect(m, kErrInvalid);
  m = Msg("alice@example.com", "x");
  m.headers = "Subject: \xff\xfe";
  expect(m, kErrInvalid);
  m = Msg("alice@example.com", "");
  expect(m, kErrInvalid);
  m = Msg("alice@example.com", std::string(1025, 'i'));
  expect(m, kErrInvalid);
  m = Msg("alice@example.com", "x");
  m.content_type = "";
  expect(m, kErrInvalid);
  m = Msg("alice@example.com", "x");
  m.sender = "";
  expect(m, kErrInvalid);
  EXPECT_TRUE(Pending("alice@example.com").empty());
}

TEST_P(MessageQueueTest, Paging) {
  std::vector<int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(Enqueue(Msg("alice@example.com", "m" + std::to_string(i))));
  std::vector<int64_t> seen;
  int64_t after = 0;
  for (;;) {
    auto page = Pending("alice@example.com", after, 3);
    for (const auto& m : page) seen.push_back(m.id);
    if (page.size() < 3) break;
    after = page.back().id;
  }
  EXPECT_EQ(seen, ids);
  EXPECT_TRUE(Pending("alice@example.com", 0, 0).empty());
  EXPECT_EQ(Pending("alice@example.com", ids[8]).size(), 1u);
}

TEST_P(MessageQueueTest, RecipientsWithPending) {
  for (const char* user : {"dave", "bob", "erin", "frank"}) {
    ASSERT_TRUE(store_->AddUser(TestUser(std::string(user) + "@example.com")).ok());
  }
  for (const char* to : {"erin@example.com", "bob@example.com", "dave@example.com", "bob@example.com"}) {
    Enqueue(Msg(to, "m" + std::to_string(Pending(to).size())));
  }
  auto all = store_->RecipientsWithPending("", 100);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<std::string>{"bob@example.com", "dave@example.com", "erin@example.com"}));
  auto page = store_->RecipientsWithPending("bob@example.com", 1);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(*page, (std::vector<std::string>{"dave@example.com"}));
  EXPECT_TRUE(store_->RecipientsWithPending("erin@example.com", 10)->empty());
  EXPECT_TRUE(store_->RecipientsWithPending("", 0)->empty());
}

TEST_P(MessageQueueTest, AttemptsAndDelete) {
  int64_t id = Enqueue(Msg("alice@example.com", "m"));
  EXPECT_TRUE(store_->RecordAttempt(id, 1700000060000).value_or(false));
  EXPECT_TRUE(store_->RecordAttempt(id, 1700000120000).value_or(false));
  EXPECT_FALSE(store_->RecordAttempt(id + 1000, 1).value_or(true));
  auto got = Pending("alice@example.com");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attempts, 2);
  EXPECT_EQ(got[0].next_attempt_at_ms, 1700000120000);

  EXPECT_FALSE(store_->DeleteMessage("carol@example.com", id).value_or(true));  // not hers
  EXPECT_FALSE(store_->DeleteMessage("bad aor", id).value_or(true));
  EXPECT_TRUE(store_->DeleteMessage("alice@EXAMPLE.com", id).value_or(false));
  EXPECT_FALSE(store_->DeleteMessage("alice@example.com", id).value_or(true));
  EXPECT_TRUE(Pending("alice@example.com").empty());
  EXPECT_EQ(store_->CountPending("alice@example.com")->count, 0);
  EXPECT_EQ(store_->CountPending("alice@example.com")->bytes, 0);
}

// Delivery records per device: the server marks a device's 2xx (with the
// delete, in one transaction), checks before sending, and a retransmitted
// MESSAGE that was already delivered is not queued again.
TEST_P(MessageQueueTest, DeliveryRecordsPerDevice) {
  int64_t id = Enqueue(Msg("alice@example.com", "m1"));
  int64_t id2 = Enqueue(Msg("alice@example.com", "m2"));
  ASSERT_TRUE(store_->MarkDelivered("alice@example.com", "m1", "urn:uuid:phone", 1700000001000).ok());
  ASSERT_TRUE(store_->MarkDelivered("alice@example.com", "m1", "urn:uuid:phone", 1700000002000).ok());  // no-op
  ASSERT_TRUE(store_->MarkDelivered("alice@example.com", "m1", "urn:uuid:desk", 1700000001000).ok());
  EXPECT_TRUE(store_->WasDelivered("alice@example.com", "m1", "urn:uuid:phone").value_or(false));
  EXPECT_FALSE(store_->WasDelivered("alice@example.com", "m1", "urn:uuid:tablet").value_or(true));
  EXPECT_FALSE(store_->WasDelivered("alice@example.com", "m2", "urn:uuid:phone").value_or(true));
  EXPECT_FALSE(store_->WasDelivered("carol@example.com", "m1", "urn:uuid:phone").value_or(true));

  auto got = Pending("alice@example.com");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].delivered_to, (std::vector<std::string>{"urn:uuid:desk", "urn:uuid:phone"}));
  EXPECT_TRUE(got[1].delivered_to.empty());
  EXPECT_EQ(Pending("alice@example.com", id).at(0).id, id2);

  // Delivered and deleted: a late retransmission is recognized.
  ASSERT_TRUE(store_->DeleteMessage("alice@example.com", id).value_or(false));
  auto late = store_->EnqueueMessage(Msg("alice@example.com", "m1"), kNoQuota);
  ASSERT_TRUE(late.ok());
  EXPECT_TRUE(late->duplicate);
  EXPECT_EQ(late->id, 0);
  EXPECT_EQ(Pending("alice@example.com").size(), 1u);

  // No user (deleted meanwhile): nothing recorded, no error.
  ASSERT_TRUE(store_->MarkDelivered("nobody@example.com", "m1", "d", 1).ok());
  EXPECT_FALSE(store_->WasDelivered("nobody@example.com", "m1", "d").value_or(true));
  auto bad = store_->MarkDelivered("alice@example.com", "m1", "", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);
}

TEST_P(MessageQueueTest, ExpiryDropsOldMessagesAndDeliveryRecords) {
  for (int64_t t : {100, 200, 300}) {
    StoredMessage m = Msg("alice@example.com", "m" + std::to_string(t));
    m.received_at_ms = t;
    Enqueue(m);
  }
  ASSERT_TRUE(store_->MarkDelivered("alice@example.com", "old", "dev", 150).ok());
  ASSERT_TRUE(store_->MarkDelivered("alice@example.com", "new", "dev", 250).ok());
  auto n = store_->DeleteExpiredMessages(200);  // strictly older
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 1u);
  auto left = Pending("alice@example.com");
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].received_at_ms, 200);
  EXPECT_EQ(store_->DeleteExpiredMessages(1000).value_or(0), 2u);
  EXPECT_TRUE(Pending("alice@example.com").empty());
  EXPECT_FALSE(store_->WasDelivered("alice@example.com", "old", "dev").value_or(true));
  EXPECT_FALSE(store_->WasDelivered("alice@example.com", "new", "dev").value_or(true));
  EXPECT_EQ(store_->DeleteExpiredMessages(1000).value_or(9), 0u);
}

TEST_P(MessageQueueTest, ExpiredWithNotificationsListsOnlyThoseThatAskedOldestFirst) {
  struct {
    const char* to;
    const char* id;
    int64_t at;
    uint32_t imdn;
  } rows[] = {{"carol@example.com", "b-late", 300, kImdnNegativeDelivery},
              {"alice@example.com", "a-quiet", 100, 0},
              {"alice@example.com", "a-neg", 150, kImdnNegativeDelivery | kImdnPositiveDelivery},
              {"carol@example.com", "b-new", 900, kImdnNegativeDelivery}};
  for (const auto& r : rows) {
    StoredMessage m = Msg(r.to, r.id);
    m.received_at_ms = r.at;
    m.imdn = r.imdn;
    Enqueue(m);
  }
  auto all = store_->ExpiredWithNotifications(500, 10);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].message_id, "a-neg");
  EXPECT_EQ((*all)[0].recipient, "alice@example.com");
  EXPECT_EQ((*all)[0].imdn, kImdnNegativeDelivery | kImdnPositiveDelivery);
  EXPECT_EQ((*all)[0].body, Msg("alice@example.com", "a-neg").body);
  EXPECT_EQ((*all)[1].message_id, "b-late");
  auto one = store_->ExpiredWithNotifications(500, 1);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].message_id, "a-neg");
  EXPECT_TRUE(store_->ExpiredWithNotifications(500, 0).value_or(all.value()).empty());
  EXPECT_TRUE(store_->ExpiredWithNotifications(100, 10).value_or(all.value()).empty());  // strictly older
}

}  // namespace
}  // namespace parley::store
