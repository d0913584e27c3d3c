// Presence state in the Store (publications, subscriptions, XCAP documents,
// options, answered calls), run against both backends.

#include <gtest/gtest.h>

#include "store/backend.h"
#include "store/errors.h"
#include "store/schema.h"
#include "store/test_util.h"

namespace parley::store {
namespace {

using testing::TestUser;

class PresenceStoreTest : public testing::BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }

  std::vector<Change> ChangesOf(std::string_view kind) {
    std::vector<Change> out;
    auto c = store_->ChangesSince(0, 1000000);
    EXPECT_TRUE(c.ok());
    if (!c.ok()) return out;
    for (auto& ch : *c) {
      if (ch.kind == kind) out.push_back(ch);
    }
    return out;
  }

  static Publication Pub(const std::string& etag, const std::string& aor, int64_t expires_at) {
    return {etag, aor, "presence", "application/pidf+xml", "<presence entity=\"sip:" + aor + "\"/>", 1000,
            expires_at};
  }

  static CallDialog Call(const std::string& aor, const std::string& call_id, int64_t created_at) {
    CallDialog d;
    d.aor = aor;
    d.call_id = call_id;
    d.local_tag = "lt-" + call_id;
    d.remote_tag = "rt-" + call_id;
    d.local_identity = "sip:" + aor;
    d.local_display = "Bob";
    d.remote_identity = "sip:alice@example.com";
    d.remote_display = "Alice \"A\" Ünal";
    d.created_at = created_at;
    return d;
  }
  static SubscriptionRecord Sub(int64_t id, const std::string& resource, int64_t expires_at) {
    SubscriptionRecord s;
    s.id = id;
    s.package = "presence";
    s.event_id = "e1";
    s.resource = resource;
    s.subscriber = "bob@example.com";
    s.state = "active";
    s.expires_at = expires_at;
    s.call_id = "cid-" + std::to_string(id);
    s.local_tag = "lt";
    s.remote_tag = "rt";
    s.local_uri = "sip:" + resource;
    s.remote_party = "<sip:bob@example.com>";
    s.remote_target = "sip:bob@192.0.2.1:5060";
    s.route = "<sip:p1.example.net;lr>\n<sip:p2.example.net;lr>";
    s.local_cseq = 7;
    s.remote_cseq = 3;
    s.destination = "udp:192.0.2.1:5060";
    s.version = 4;
    s.options = "max-rate=2";
    s.updated_at = 100;
    s.package_state = "bob@example.com\ncarol@example.com";
    return s;
  }

  std::unique_ptr<Store> store_;
};

PARLEY_INSTANTIATE_BACKENDS(PresenceStoreTest);

TEST_P(PresenceStoreTest, PublicationsUpsertLoadDeleteExpire) {
  ASSERT_TRUE(store_->UpsertPublication(Pub("e1", "alice@example.com", 2000)).ok());
  ASSERT_TRUE(store_->UpsertPublication(Pub("e2", "alice@example.com", 1000)).ok());
  auto modified = Pub("e1", "alice@example.com", 3000);
  modified.body = "<presence entity=\"sip:alice@example.com\"><tuple id=\"t\"/></presence>";
  modified.published_at_ms = 2500;
  modified.partial_version = 7;  // made by a pidf-diff (RFC 5264)
  ASSERT_TRUE(store_->UpsertPublication(modified).ok());
  auto all = store_->LoadPublications();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].etag, "e1");
  EXPECT_EQ((*all)[0].partial_version, 7);
  EXPECT_EQ((*all)[1].partial_version, -1);
  EXPECT_EQ((*all)[0].body, modified.body);
  EXPECT_EQ((*all)[0].published_at_ms, 2500);
  EXPECT_EQ((*all)[0].expires_at, 3000);
  EXPECT_EQ((*all)[0].content_type, "application/pidf+xml");

  auto expired = store_->DeleteExpiredPublications(1000);
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 1u);
  EXPECT_TRUE(store_->DeletePublication("e1").value_or(false));
  EXPECT_FALSE(store_->DeletePublication("e1").value_or(true));
  EXPECT_TRUE(store_->LoadPublications()->empty());

  auto bad = store_->UpsertPublication(Pub("", "alice@example.com", 1));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, kErrInvalid);
}

TEST_P(PresenceStoreTest, SubscriptionsKeepEveryField) {
  SubscriptionRecord s = Sub(42, "alice@example.com", 5000);
  ASSERT_TRUE(store_->UpsertSubscription(s).ok());
  s.local_cseq = 9;
  s.state = "pending";
  ASSERT_TRUE(store_->UpsertSubscription(s).ok());
  ASSERT_TRUE(store_->UpsertSubscription(Sub(int64_t{1} << 62, "carol@example.com", 10)).ok());
  auto all = store_->LoadSubscriptions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const SubscriptionRecord& got = (*all)[0];
  EXPECT_EQ(got.id, 42);
  EXPECT_EQ(got.state, "pending");
  EXPECT_EQ(got.local_cseq, 9);
  EXPECT_EQ(got.route, s.route);
  EXPECT_EQ(got.remote_party, s.remote_party);
  EXPECT_EQ(got.destination, s.destination);
  EXPECT_EQ(got.version, 4);
  EXPECT_EQ(got.options, "max-rate=2");
  EXPECT_EQ(got.package_state, "bob@example.com\ncarol@example.com");
  EXPECT_EQ((*all)[1].id, int64_t{1} << 62);

  EXPECT_EQ(store_->DeleteExpiredSubscriptions(10).value_or(0), 1u);
  EXPECT_TRUE(store_->DeleteSubscription(42).value_or(false));
  EXPECT_FALSE(store_->DeleteSubscription(42).value_or(true));
  auto bad_state = Sub(7, "alice@example.com", 1);
  bad_state.state = "terminated";
  EXPECT_EQ(store_->UpsertSubscription(bad_state).error().code, kErrInvalid);
}

// Migration 11 gives publications the version of a partial publication:
// rows from before it read -1 (a whole PIDF) and take one afterwards.
TEST_P(PresenceStoreTest, PublicationsSurviveMigrationEleven) {
  Raw(RollBackTo(10));
  Raw("INSERT INTO publications (etag, aor, event, content_type, body, published_at_ms, expires_at)"
      " VALUES ('e1', 'alice@example.com', 'presence', 'application/pidf+xml', '<presence/>', 1000, 2000);");
  ASSERT_TRUE(store_->Migrate().ok());
  auto all = store_->LoadPublications();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].expires_at, 2000);
  EXPECT_EQ((*all)[0].partial_version, -1);
  Publication p = (*all)[0];
  p.partial_version = 3;
  ASSERT_TRUE(store_->UpsertPublication(p).ok());
  EXPECT_EQ(store_->LoadPublications()->at(0).partial_version, 3);
}

// Migration 9 gives subscriptions their package's state: rows from before
// it read "" (none) and take one afterwards.
TEST_P(PresenceStoreTest, SubscriptionsSurviveMigrationNine) {
  SubscriptionRecord s = Sub(42, "alice@example.com", 5000);
  ASSERT_TRUE(store_->UpsertSubscription(s).ok());
  Raw(RollBackTo(8));
  ASSERT_TRUE(store_->Migrate().ok());
  auto all = store_->LoadSubscriptions();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].call_id, s.call_id);
  EXPECT_EQ((*all)[0].package_state, "");
  ASSERT_TRUE(store_->UpsertSubscription(s).ok());
  EXPECT_EQ(store_->LoadSubscriptions()->at(0).package_state, s.package_state);
}

// Migration 5 rebuilds the subscriptions table around its id and drops the
// presence tables' secondary indexes: rows a version 4 schema holds come
// through whole and stay writable.
TEST_P(PresenceStoreTest, Version4RowsSurviveMigrationFive) {
  std::string v2;
  for (const Migration& m : Migrations()) {
    if (m.version == 2) v2 = m.ddl;
  }
  const size_t from = v2.find("CREATE TABLE subscriptions (");
  const size_t to = v2.find("CREATE TABLE xcap_documents");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  Raw(RollBackTo(4) + "DROP TABLE subscriptions;" + v2.substr(from, to - from) +
      "CREATE INDEX publications_by_aor ON publications (aor);"
      "CREATE INDEX publications_by_expiry ON publications (expires_at);"
      // The column of migration 9, which this code writes: migration 5's
      // rebuild leaves it behind and 9 adds it again.
      "ALTER TABLE subscriptions ADD COLUMN package_state TEXT NOT NULL DEFAULT '';"
      // A publication as version 4 wrote it (this code writes migration 11's column).
      "INSERT INTO publications (etag, aor, event, content_type, body, published_at_ms, expires_at)"
      " VALUES ('e1', 'alice@example.com', 'presence', 'application/pidf+xml', '<presence/>', 1000, 2000);");
  const SubscriptionRecord s = Sub(42, "alice@example.com", 5000);
  ASSERT_TRUE(store_->UpsertSubscription(s).ok());
  ASSERT_TRUE(store_->UpsertSubscription(Sub(int64_t{1} << 62, "carol@example.com", 10)).ok());
  ASSERT_TRUE(store_->UpsertSubscription(Sub(7, "carol@example.com", 10)).ok());

  ASSERT_TRUE(store_->Migrate().ok());
  ASSERT_TRUE(store_->Migrate().ok());
  auto all = store_->LoadSubscriptions();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, 7);
  const SubscriptionRecord& got = (*all)[1];
  EXPECT_EQ(got.id, 42);
  EXPECT_EQ(got.package, s.package);
  EXPECT_EQ(got.event_id, s.event_id);
  EXPECT_EQ(got.resource, s.resource);
  EXPECT_EQ(got.subscriber, s.subscriber);
  EXPECT_EQ(got.state, s.state);
  EXPECT_EQ(got.expires_at, s.expires_at);
  EXPECT_EQ(got.call_id, s.call_id);
  EXPECT_EQ(got.local_tag, s.local_tag);
  EXPECT_EQ(got.remote_tag, s.remote_tag);
  EXPECT_EQ(got.local_uri, s.local_uri);
  EXPECT_EQ(got.remote_party, s.remote_party);
  EXPECT_EQ(got.remote_target, s.remote_target);
  EXPECT_EQ(got.route, s.route);
  EXPECT_EQ(got.local_cseq, s.local_cseq);
  EXPECT_EQ(got.remote_cseq, s.remote_cseq);
  EXPECT_EQ(got.destination, s.destination);
  EXPECT_EQ(got.version, s.version);
  EXPECT_EQ(got.options, s.options);
  EXPECT_EQ(got.updated_at, s.updated_at);
  EXPECT_EQ(got.package_state, "");  // added by migration 9 to the rebuilt table
  EXPECT_EQ((*all)[2].id, int64_t{1} << 62);
  ASSERT_EQ(store_->LoadPublications()->size(), 1u);

  // The key still refuses a second row and the upsert still updates.
  SubscriptionRecord changed = s;
  changed.local_cseq = 9;
  ASSERT_TRUE(store_->UpsertSubscription(changed).ok());
  all = store_->LoadSubscriptions();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].local_cseq, 9);
  EXPECT_EQ(store_->DeleteExpiredSubscriptions(10).value_or(0), 2u);
  EXPECT_TRUE(store_->DeleteSubscription(42).value_or(false));
  EXPECT_EQ(store_->DeleteExpiredPublications(2000).value_or(0), 1u);
  // The dropped indexes are gone: their names can be taken again.
  Raw("CREATE INDEX publications_by_aor ON publications (aor);"
      "CREATE INDEX publications_by_expiry ON publications (expires_at);"
      "CREATE INDEX subscriptions_by_resource ON subscriptions (resource);"
      "CREATE INDEX subscriptions_by_expiry ON subscriptions (expires_at);");
}

TEST_P(PresenceStoreTest, XcapDocumentsAreListedByUsage) {
  for (const char* xui : {"carol@example.com", "alice@example.com"}) {
    ASSERT_TRUE(store_->PutXcapDocument({"rls-services", xui, "index", "e", std::string("<doc of ") + xui + "/>", 5},
                                        "", true)
                    .ok());
  }
  ASSERT_TRUE(store_->PutXcapDocument({"pres-rules", "bob@example.com", "index", "e", "<ruleset/>", 5}, "", true).ok());
  auto listed = store_->ListXcapDocuments("rls-services");
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].xui, "alice@example.com");  // by user
  EXPECT_EQ((*listed)[0].content, "<doc of alice@example.com/>");
  EXPECT_EQ((*listed)[1].xui, "carol@example.com");
  EXPECT_EQ((*listed)[1].updated_at, 5);
  EXPECT_TRUE(store_->ListXcapDocuments("xcap-caps")->empty());
}

TEST_P(PresenceStoreTest, XcapDocumentsAreConditional) {
  XcapDocument d{"pres-rules", "alice@example.com", "index", "etag-1", "<ruleset/>", 10};
  auto created = store_->PutXcapDocument(d, "", true);  // If-None-Match: *
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(*created, XcapOutcome::kCreated);
  EXPECT_EQ(store_->PutXcapDocument(d, "", true).value_or(XcapOutcome::kCreated), XcapOutcome::kPreconditionFailed);

  d.etag = "etag-2";
  d.content = "<ruleset><rule id=\"a\"/></ruleset>";
  EXPECT_EQ(store_->PutXcapDocument(d, "etag-0", false).value_or(XcapOutcome::kCreated),
            XcapOutcome::kPreconditionFailed);
  EXPECT_EQ(store_->PutXcapDocument(d, "etag-1", false).value_or(XcapOutcome::kCreated), XcapOutcome::kReplaced);

  auto got = store_->GetXcapDocument("pres-rules", "alice@example.com", "index");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->etag, "etag-2");
  EXPECT_EQ((*got)->content, d.content);
  EXPECT_FALSE(store_->GetXcapDocument("pres-rules", "bob@example.com", "index")->has_value());

  EXPECT_EQ(store_->DeleteXcapDocument("pres-rules", "alice@example.com", "index", "etag-1").value_or(XcapOutcome::kDeleted),
            XcapOutcome::kPreconditionFailed);
  EXPECT_EQ(store_->DeleteXcapDocument("pres-rules", "alice@example.com", "index", "etag-2").value_or(XcapOutcome::kMissing),
            XcapOutcome::kDeleted);
  EXPECT_EQ(store_->DeleteXcapDocument("pres-rules", "alice@example.com", "index", "").value_or(XcapOutcome::kDeleted),
            XcapOutcome::kMissing);

  // A failed precondition inside a transaction does not abort it.
  ASSERT_TRUE(store_->Begin().ok());
  EXPECT_EQ(store_->PutXcapDocument(d, "no-such-etag", false).value_or(XcapOutcome::kCreated),
            XcapOutcome::kPreconditionFailed);
  ASSERT_TRUE(store_->SetOption({"example.com", "presence-default-rule", "allow"}).ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->GetOptions("example.com")->size(), 1u);

  auto changes = ChangesOf("xcap");
  ASSERT_EQ(changes.size(), 3u);  // create, replace, delete (failed preconditions change nothing)
  EXPECT_EQ(changes[0].key, "pres-rules/alice@example.com");

  XcapDocument odd{"pres rules", "alice@example.com", "index", "e", "x", 1};
  EXPECT_EQ(store_->PutXcapDocument(odd, "", false).error().code, kErrInvalid);
  XcapDocument upper{"pres-rules", "alice@EXAMPLE.com", "index", "e", "x", 1};
  EXPECT_EQ(store_->PutXcapDocument(upper, "", false).error().code, kErrInvalid);
}

TEST_P(PresenceStoreTest, OptionsPerDomainAndUser) {
  ASSERT_TRUE(store_->SetOption({"Example.COM", "presence-default-rule", "confirm"}).ok());
  ASSERT_TRUE(store_->SetOption({"alice@example.com", "presence-invisible", "1"}).ok());
  auto d = store_->GetOptions("example.com");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 1u);
  EXPECT_EQ((*d)[0].scope, "example.com");
  EXPECT_EQ((*d)[0].value, "confirm");
  ASSERT_TRUE(store_->SetOption({"example.com", "presence-default-rule", ""}).ok());  // removes
  EXPECT_TRUE(store_->GetOptions("example.com")->empty());
  EXPECT_EQ(store_->GetOptions("alice@example.com")->size(), 1u);
  EXPECT_EQ(store_->SetOption({"not a scope", "x", "1"}).error().code, kErrInvalid);
  auto changes = ChangesOf("option");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[1].key, "alice@example.com");
}

TEST_P(PresenceStoreTest, DeleteUserTakesPresenceState) {
  ASSERT_TRUE(store_->AddUser(TestUser("alice@example.com")).ok());
  ASSERT_TRUE(store_->UpsertPublication(Pub("e1", "alice@example.com", 9000)).ok());
  ASSERT_TRUE(store_->UpsertPublication(Pub("e2", "carol@example.com", 9000)).ok());
  ASSERT_TRUE(store_->UpsertSubscription(Sub(1, "alice@example.com", 9000)).ok());
  auto watcher = Sub(2, "carol@example.com", 9000);
  watcher.subscriber = "alice@example.com";
  ASSERT_TRUE(store_->UpsertSubscription(watcher).ok());
  ASSERT_TRUE(store_->UpsertSubscription(Sub(3, "carol@example.com", 9000)).ok());
  ASSERT_EQ(*store_->PutXcapDocument({"pres-rules", "alice@example.com", "index", "e", "<ruleset/>", 1}, "", false),
            XcapOutcome::kCreated);
  ASSERT_TRUE(store_->SetOption({"alice@example.com", "presence-invisible", "1"}).ok());
  ASSERT_TRUE(store_->SaveCallDialog(Call("alice@example.com", "c1", 100)).ok());
  ASSERT_TRUE(store_->SaveCallDialog(Call("carol@example.com", "c1", 100)).ok());

  ASSERT_TRUE(store_->DeleteUser("alice@example.com").value_or(false));
  auto pubs = store_->LoadPublications();
  ASSERT_EQ(pubs->size(), 1u);
  EXPECT_EQ((*pubs)[0].etag, "e2");
  auto subs = store_->LoadSubscriptions();
  ASSERT_EQ(subs->size(), 1u);
  EXPECT_EQ((*subs)[0].id, 3);
  EXPECT_FALSE(store_->GetXcapDocument("pres-rules", "alice@example.com", "index")->has_value());
  EXPECT_TRUE(store_->GetOptions("alice@example.com")->empty());
  auto calls = store_->LoadCallDialogs();
  ASSERT_EQ(calls->size(), 1u);
  EXPECT_EQ((*calls)[0].aor, "carol@example.com");
}

TEST_P(PresenceStoreTest, AnsweredCallsKeepEveryFieldAndAgeOut) {
  CallDialog d = Call("bob@example.com", "call-1", 1000);
  d.initiator = true;
  d.from_trying = true;
  d.remote_hidden = true;
  ASSERT_TRUE(store_->SaveCallDialog(d).ok());
  ASSERT_TRUE(store_->SaveCallDialog(d).ok());  // saved again: one row
  CallDialog other = Call("bob@example.com", "call-2", 2000);
  other.remote_tag = "";  // a tag may be empty (RFC 2543 peers)
  ASSERT_TRUE(store_->SaveCallDialog(other).ok());
  EXPECT_FALSE(store_->SaveCallDialog(Call("", "call-3", 1)).ok());
  auto all = store_->LoadCallDialogs();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const CallDialog& got = (*all)[0];
  EXPECT_EQ(got.aor, "bob@example.com");
  EXPECT_EQ(got.call_id, "call-1");
  EXPECT_EQ(got.local_tag, "lt-call-1");
  EXPECT_EQ(got.remote_tag, "rt-call-1");
  EXPECT_TRUE(got.initiator);
  EXPECT_TRUE(got.from_trying);
  EXPECT_TRUE(got.remote_hidden);
  EXPECT_EQ(got.local_identity, "sip:bob@example.com");
  EXPECT_EQ(got.local_display, "Bob");
  EXPECT_EQ(got.remote_identity, "sip:alice@example.com");
  EXPECT_EQ(got.remote_display, "Alice \"A\" Ünal");
  EXPECT_EQ(got.created_at, 1000);
  EXPECT_FALSE((*all)[1].initiator);
  EXPECT_EQ((*all)[1].remote_tag, "");

  EXPECT_FALSE(*store_->DeleteCallDialog("bob@example.com", "call-1", "rt-call-1", "lt-call-1"));  // wrong way round
  EXPECT_TRUE(*store_->DeleteCallDialog("bob@example.com", "call-1", "lt-call-1", "rt-call-1"));
  ASSERT_TRUE(store_->SaveCallDialog(d).ok());
  EXPECT_EQ(*store_->DeleteCallDialogsBefore(2000), 1u);
  ASSERT_EQ(store_->LoadCallDialogs()->size(), 1u);
  EXPECT_EQ(store_->LoadCallDialogs()->front().call_id, "call-2");
}

}  // namespace
}  // namespace parley::store
