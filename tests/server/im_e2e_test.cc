// The message store end to end (seed 003 §7.2.3–7.2.5, §7.4, §17.4; RFC 3428,
// RFC 3862, RFC 5438, RFC 3994): store-and-forward, delivery on
// registration, retries, quota, IMDN "stored", history and the HTTP API.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/timer.h"
#include "server_fixture.h"

namespace parley::server {
namespace {

using nlohmann::json;

class Im : public ServerFixture {
 protected:
  void Configure(ServerConfig& c) override {
    c.message_quota_count = 3;
    c.message_retry_s = 1;
  }

  // A MESSAGE from `user` (authenticated) to `to`; the final response.
  sip::MessagePtr Send(SipClient& c, const std::string& user, const std::string& to, const std::string& body,
                       const std::string& type = "text/plain", const std::string& call_id = "") {
    std::string uri = "sip:" + to + "@example.com";
    std::string cid = call_id.empty() ? "im-" + sip::RandomToken(6) : call_id;
    auto ch = SendAuthed(c, "MESSAGE", uri, user, uri, cid, 1, "Content-Type: " + type + "\n", body);
    if (!ch || ch->status() != 407) return ch;
    return c.Receive();
  }

  // The next MESSAGE `c` receives, answered with `status`.
  static sip::MessagePtr Take(SipClient& c, int status = 200) {
    auto m = c.Receive();
    if (m && m->method() == sip::Method::kMessage) c.Reply(sip::MakeResponse(*m, status, "X", "uas")->Serialize());
    return m;
  }

  size_t Queued(const std::string& user) {
    auto q = store_->CountPending(user + "@example.com");
    return q.ok() ? static_cast<size_t>(q->count) : 999;
  }

  static std::string Cpim(const std::string& text, const std::string& extra_headers) {
    return "From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\n"
           "DateTime: 2024-05-01T10:11:12Z\r\nNS: imdn <urn:ietf:params:imdn>\r\n"
           "imdn.Message-ID: 34jk324j\r\n" +
           extra_headers + "\r\nContent-Type: text/plain\r\n\r\n" + text;
  }
};

TEST_F(Im, OfflineMessageIsStoredThenDeliveredInCpimOnRegistration) {
  SipClient alice(false, udp_);
  auto r = Send(alice, "alice", "bob", "see you at 5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 202);
  EXPECT_EQ(r->reason(), "Accepted");
  EXPECT_EQ(Queued("bob"), 1u);  // committed before the 202

  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto m = Take(bob);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->content_type()->Essence(), "message/cpim");
  EXPECT_EQ(m->from()->uri_text, "sip:alice@example.com");
  std::string body(m->body());
  EXPECT_NE(body.find("From: <sip:alice@example.com>"), std::string::npos) << body;
  EXPECT_NE(body.find("DateTime: "), std::string::npos) << body;
  EXPECT_NE(body.find("Content-Type: text/plain"), std::string::npos) << body;
  EXPECT_TRUE(body.ends_with("\r\n\r\nsee you at 5")) << body;
  for (int i = 0; i < 50 && Queued("bob") != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Queued("bob"), 0u);  // deleted once bob's UA said 200
  EXPECT_FALSE(bob.Receive());   // and never sent again
}

TEST_F(Im, MessagesAreDeliveredInOrderAndCpimIsPassedOnUnchanged) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "one")->status(), 202);
  ASSERT_EQ(Send(alice, "alice", "bob", Cpim("two", ""), "message/cpim")->status(), 202);
  ASSERT_EQ(Send(alice, "alice", "bob", "three")->status(), 202);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto m1 = Take(bob), m2 = Take(bob), m3 = Take(bob);
  ASSERT_TRUE(m1 && m2 && m3);
  EXPECT_TRUE(std::string(m1->body()).ends_with("one"));
  EXPECT_EQ(m2->body(), Cpim("two", ""));  // the sender's own CPIM, with its DateTime
  EXPECT_TRUE(std::string(m3->body()).ends_with("three"));
}

// A UA that takes text/plain only (baresip answers message/cpim with 415
// and Accept: text/plain) gets the content itself, the original date in
// the SIP Date header; so do the run's next messages, without a new 415.
TEST_F(Im, AUaWithoutCpimGetsTheContentAndTheOriginalDate) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", Cpim("first", ""), "message/cpim")->status(), 202);
  ASSERT_EQ(Send(alice, "alice", "bob", "second")->status(), 202);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto wrapped = Take(bob, 415);
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->content_type()->Essence(), "message/cpim");
  auto plain = Take(bob);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->content_type()->Essence(), "text/plain");
  EXPECT_EQ(plain->body(), "first");
  EXPECT_EQ(plain->Value(sip::HeaderId::kDate), "Wed, 01 May 2024 10:11:12 GMT");  // the CPIM DateTime
  EXPECT_EQ(plain->from()->uri_text, "sip:alice@example.com");
  auto next = Take(bob);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->content_type()->Essence(), "text/plain");
  EXPECT_EQ(next->body(), "second");
  EXPECT_FALSE(next->Value(sip::HeaderId::kDate).empty());
  for (int i = 0; i < 50 && Queued("bob") != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Queued("bob"), 0u);
}

TEST_F(Im, AFailedDeliveryIsRetriedAndTheMessageKept) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "persist")->status(), 202);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto refused = Take(bob, 500);
  ASSERT_TRUE(refused);
  EXPECT_EQ(Queued("bob"), 1u);
  auto again = Take(bob);  // --message-retry 1: a second try a second later
  ASSERT_TRUE(again);
  EXPECT_TRUE(std::string(again->body()).ends_with("persist"));
  EXPECT_NE(again->call_id(), refused->call_id());
}

// Seed 003 §7.2.4: a delivery that failed waits for its retry time (a
// minute here), unless the user shows up available: a PUBLISH with an open
// tuple runs it at once.
class ImRetry : public Im {
 protected:
  void Configure(ServerConfig& c) override {
    Im::Configure(c);
    c.message_retry_s = 60;
  }
};

TEST_F(ImRetry, AnOpenPresenceRunsAWaitingDeliveryAtOnce) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "when you are back")->status(), 202);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  ASSERT_TRUE(Take(bob, 480));  // the device is busy: the retry is due in 60 s
  EXPECT_FALSE(bob.Receive());
  EXPECT_EQ(Queued("bob"), 1u);

  auto publish = [this](const std::string& basic) {
    SipClient pub(false, udp_);
    std::string uri = "sip:bob@example.com";
    std::string body = "<?xml version=\"1.0\"?>\n<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"" + uri +
                       "\"><tuple id=\"t1\"><status><basic>" + basic + "</basic></status></tuple></presence>";
    auto ch = SendAuthed(pub, "PUBLISH", uri, "bob", uri, "pub-" + sip::RandomToken(4), 1,
                         "Event: presence\nExpires: 600\nContent-Type: application/pidf+xml\n", body);
    if (ch && ch->status() == 407) ch = pub.Receive();
    return ch ? ch->status() : 0;
  };
  ASSERT_EQ(publish("closed"), 200);
  EXPECT_FALSE(bob.Receive()) << "a closed presence is no reason to try again";
  ASSERT_EQ(publish("open"), 200);
  auto again = Take(bob);
  ASSERT_TRUE(again) << "the open presence did not run the waiting delivery";
  EXPECT_TRUE(std::string(again->body()).ends_with("when you are back"));
  for (int i = 0; i < 50 && Queued("bob") != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Queued("bob"), 0u);
  EXPECT_FALSE(bob.Receive());  // once
}

// A message stored while a delivery run is under way (here: relayed to the
// registered device, which refuses it, so it is stored) is delivered by
// that run's follow-up, not left in the store until the next registration.
TEST_F(Im, AMessageStoredDuringADeliveryIsDeliveredToo) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "first")->status(), 202);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto first = bob.Receive();  // the run is under way: not answered yet
  ASSERT_TRUE(first && first->method() == sip::Method::kMessage);

  SipClient alice2(true, tcp_);
  std::string uri = "sip:bob@example.com";
  auto ch = SendAuthed(alice2, "MESSAGE", uri, "alice", uri, "during-1", 1, "Content-Type: text/plain\n", "second");
  ASSERT_TRUE(ch && ch->status() == 407);
  sip::MessagePtr relayed;  // (passing over retransmissions of the first)
  while ((relayed = bob.Receive()) && relayed->call_id() == first->call_id()) {
  }
  ASSERT_TRUE(relayed);
  bob.Reply(sip::MakeResponse(*relayed, 480, "Not Now", "uas")->Serialize());  // refused: stored
  auto stored = alice2.Receive();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->status(), 202);
  EXPECT_EQ(Queued("bob"), 2u);

  // The store's completion has told the mailbox by now (it answered 202 first).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  bob.Reply(sip::MakeResponse(*first, 200, "OK", "uas")->Serialize());  // the end of the run
  sip::MessagePtr second;
  while ((second = Take(bob)) && second->call_id() == first->call_id()) {
  }
  ASSERT_TRUE(second) << "the message stored during the run was left in the store";
  EXPECT_TRUE(std::string(second->body()).ends_with("second")) << second->body();
  for (int i = 0; i < 50 && Queued("bob") != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Queued("bob"), 0u);
  EXPECT_FALSE(bob.Receive());  // each once
}

// A backlog of several pages (the next page is read while one is delivered).
class ImBacklog : public Im {
 protected:
  void Configure(ServerConfig& c) override {
    c.message_quota_count = 100000;
    c.message_retry_s = 1;
  }
  // `n` messages for bob, stored behind the server's back, then a restart
  // (which finds them).
  void Fill(int n) {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    for (int i = 0; i < n; ++i) {
      store::StoredMessage m;
      m.recipient = "bob@example.com";
      m.sender = "sip:alice@example.com";
      m.message_id = "backlog-" + std::to_string(i);
      m.received_at_ms = now + i;
      m.content_type = "text/plain";
      m.body = "n" + std::to_string(i);
      ASSERT_TRUE(store_->EnqueueMessage(m, {}).ok());
    }
    Restart();
  }
  static int Number(const sip::Message& m) {
    std::string body(m.body());
    size_t at = body.rfind("\r\n\r\nn");
    return at == std::string::npos ? -1 : std::stoi(body.substr(at + 5));
  }
};

TEST_F(ImBacklog, PagesAreDeliveredInOrderEachOnce) {
  Fill(250);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  for (int i = 0; i < 250; ++i) {
    auto m = Take(bob);
    ASSERT_TRUE(m) << "message " << i << " did not come";
    ASSERT_EQ(Number(*m), i);
  }
  for (int i = 0; i < 50 && Queued("bob") != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Queued("bob"), 0u);
  EXPECT_FALSE(bob.Receive());
}

// A failure on a page read ahead stops the run there; the retry starts at
// that message, and none before it comes again.
TEST_F(ImBacklog, AFailureOnALaterPageIsRetriedFromThatMessage) {
  Fill(230);
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  for (int i = 0; i < 150; ++i) {
    auto m = Take(bob);
    ASSERT_TRUE(m) << "message " << i << " did not come";
    ASSERT_EQ(Number(*m), i);
  }
  auto refused = Take(bob, 500);
  ASSERT_TRUE(refused);
  EXPECT_EQ(Number(*refused), 150);
  for (int i = 150; i < 230; ++i) {  // --message-retry 1: a second later
    auto m = Take(bob);
    ASSERT_TRUE(m) << "message " << i << " did not come";
    ASSERT_EQ(Number(*m), i);
  }
  for (int i = 0; i < 50 && Queued("bob") != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Queued("bob"), 0u);
  EXPECT_FALSE(bob.Receive());
}

TEST_F(Im, UnreachableDevicesMeanStored) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(true, tcp_);
  std::string uri = "sip:bob@example.com";
  auto ch = SendAuthed(alice, "MESSAGE", uri, "alice", uri, "unreach-1", 1, "Content-Type: text/plain\n", "hello?");
  ASSERT_TRUE(ch && ch->status() == 407);
  auto relayed = Take(bob, 480);  // bob's device says it is not there
  ASSERT_TRUE(relayed);
  auto r = alice.Receive();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 202);
  EXPECT_EQ(Queued("bob"), 1u);
}

TEST_F(Im, TypingIndicationsAreNeverStored) {
  SipClient alice(false, udp_);
  std::string composing =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">"
      "<state>active</state></isComposing>";
  auto r = Send(alice, "alice", "bob", composing, "application/im-iscomposing+xml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 480);
  EXPECT_EQ(Queued("bob"), 0u);
}

TEST_F(Im, QuotaAndDuplicates) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "1", "text/plain", "same-call")->status(), 202);
  // The same MESSAGE again (a retry in a new transaction): stored once.
  ASSERT_EQ(Send(alice, "alice", "bob", "1", "text/plain", "same-call")->status(), 202);
  EXPECT_EQ(Queued("bob"), 1u);
  ASSERT_EQ(Send(alice, "alice", "bob", "2")->status(), 202);
  ASSERT_EQ(Send(alice, "alice", "bob", "3")->status(), 202);
  auto full = Send(alice, "alice", "bob", "4");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status(), 486);
  EXPECT_EQ(full->reason(), "Message Quota Exceeded");
  EXPECT_EQ(Queued("bob"), 3u);
}

TEST_F(Im, ProcessingNotificationSaysStored) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Register(alice, "alice", "alice-pw")->status(), 200);
  auto r = Send(alice, "alice", "bob", Cpim("ping", "imdn.Disposition-Notification: positive-delivery, processing\r\n"),
                "message/cpim");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 202);
  auto n = Take(alice);  // the server's own notification
  ASSERT_TRUE(n);
  EXPECT_EQ(n->content_type()->Essence(), "message/cpim");
  std::string body(n->body());
  EXPECT_NE(body.find("message/imdn+xml"), std::string::npos) << body;
  EXPECT_NE(body.find("<message-id>34jk324j</message-id>"), std::string::npos) << body;
  EXPECT_NE(body.find("<stored/>"), std::string::npos) << body;
  EXPECT_NE(body.find("<processing-notification>"), std::string::npos) << body;
  EXPECT_NE(body.find("From: <sip:example.com>"), std::string::npos) << body;
}

TEST_F(Im, AnExpiredMessageTellsItsSenderItFailed) {
  // Two messages for bob, 40 days old (past the 30-day default): one asked
  // for negative delivery notification, one did not.
  int64_t old = UnixNowMs() - int64_t{40} * 86400 * 1000;
  auto queue = [&](const std::string& id, const std::string& dispositions, uint32_t imdn) {
    store::StoredMessage m;
    m.recipient = "bob@example.com";
    m.sender = "sip:alice@example.com";
    m.message_id = id;
    m.received_at_ms = old;
    m.content_type = "message/cpim";
    std::string body = Cpim("lost in time", "imdn.Disposition-Notification: " + dispositions + "\r\n");
    m.body = body.replace(body.find("34jk324j"), 8, id);
    m.imdn = imdn;
    ASSERT_TRUE(store_->EnqueueMessage(m, {}).ok());
  };
  queue("neg-1", "negative-delivery", store::kImdnNegativeDelivery);
  queue("pos-1", "positive-delivery", store::kImdnPositiveDelivery);
  Restart();  // expiry runs at startup, then hourly

  SipClient alice(false, udp_);
  ASSERT_EQ(Register(alice, "alice", "alice-pw")->status(), 200);
  auto n = Take(alice);
  ASSERT_TRUE(n);
  std::string body(n->body());
  EXPECT_EQ(n->content_type()->Essence(), "message/cpim");
  EXPECT_NE(body.find("<delivery-notification>"), std::string::npos) << body;
  EXPECT_NE(body.find("<failed/>"), std::string::npos) << body;
  EXPECT_NE(body.find("<message-id>neg-1</message-id>"), std::string::npos) << body;
  EXPECT_EQ(body.find("pos-1"), std::string::npos) << body;
  EXPECT_FALSE(Take(alice));  // one notice only: positive-delivery asks for none on failure
  EXPECT_EQ(Queued("bob"), 0u);
  EXPECT_EQ(Queued("alice"), 0u);
}

TEST_F(Im, StoredMessagesSurviveRestart) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "carol", "after the restart")->status(), 202);
  Restart();
  SipClient carol(false, udp_);
  ASSERT_EQ(Register(carol, "carol", "carol-pw")->status(), 200);
  auto m = Take(carol);
  ASSERT_TRUE(m);
  EXPECT_TRUE(std::string(m->body()).ends_with("after the restart"));
}

TEST_F(Im, ApiListsDeletesAndNeedsCredentials) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "read me on the web")->status(), 202);
  EXPECT_EQ(Http("GET", "/v1/messages", "").status, 401);
  auto list = Http("GET", "/v1/messages", "bob");
  ASSERT_EQ(list.status, 200) << list.body;
  json j = json::parse(list.body);
  ASSERT_EQ(j["count"], 1);
  const json& m = j["messages"][0];
  EXPECT_EQ(m["from"], "sip:alice@example.com");
  EXPECT_EQ(m["to"], "sip:bob@example.com");
  EXPECT_EQ(m["text"], "read me on the web");
  EXPECT_EQ(m["content_type"], "text/plain");
  EXPECT_FALSE(m["time"].get<std::string>().empty());
  // alice sees nothing of bob's.
  EXPECT_EQ(json::parse(Http("GET", "/v1/messages", "alice").body)["count"], 0);
  std::string id = m["id"];
  EXPECT_EQ(Http("DELETE", "/v1/messages/" + id, "alice").status, 404);
  EXPECT_EQ(Http("DELETE", "/v1/messages/" + id, "bob").status, 204);
  EXPECT_EQ(Http("DELETE", "/v1/messages/" + id, "bob").status, 404);
  EXPECT_EQ(Queued("bob"), 0u);

  // A bearer token works in place of the password.
  int64_t now_ms = UnixNow() * 1000;
  auto token = store_->CreateToken("bob@example.com", "test", 0, now_ms);
  ASSERT_TRUE(token.ok());
  std::string raw = testing::HttpRaw(server_->http_port(),
                                     "GET /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
                                         token->secret + "\r\n\r\n");
  EXPECT_TRUE(raw.starts_with("HTTP/1.1 200")) << raw;
  std::string bad = testing::HttpRaw(server_->http_port(),
                                     "GET /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                     "Authorization: Bearer not-a-token\r\n\r\n");
  EXPECT_TRUE(bad.starts_with("HTTP/1.1 401")) << bad;
}

TEST_F(Im, HistoryKeepsWhatWasRelayedAndStored) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  ASSERT_TRUE(store_->SetHistoryEnabled("bob@example.com", true).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // change feed
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  SipClient alice(false, udp_);
  SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "relayed hello", &bob);
  ASSERT_EQ(Send(alice, "alice", "carol", "stored hello")->status(), 202);  // carol keeps no history
  std::this_thread::sleep_for(std::chrono::milliseconds(300));              // written behind
  auto mine = Http("GET", "/v1/history", "alice");
  ASSERT_EQ(mine.status, 200) << mine.body;
  json a = json::parse(mine.body)["messages"];
  ASSERT_EQ(a.size(), 2u) << mine.body;
  EXPECT_EQ(a[0]["text"], "stored hello");  // newest first
  EXPECT_EQ(a[0]["direction"], "out");
  EXPECT_EQ(a[0]["peer"], "sip:carol@example.com");
  EXPECT_EQ(a[1]["text"], "relayed hello");
  auto theirs = Http("GET", "/v1/history?with=sip:alice@example.com", "bob");
  json b = json::parse(theirs.body)["messages"];
  ASSERT_EQ(b.size(), 1u) << theirs.body;
  EXPECT_EQ(b[0]["direction"], "in");
  EXPECT_EQ(b[0]["from"], "sip:alice@example.com");
  EXPECT_EQ(json::parse(Http("GET", "/v1/history?q=STORED", "alice").body)["messages"].size(), 1u);
  EXPECT_EQ(Http("GET", "/v1/history?from=yesterday", "alice").status, 400);
  EXPECT_TRUE(json::parse(Http("GET", "/v1/history", "carol").body)["messages"].empty());
}

// A message stored for a user who is offline and keeps history goes into
// their archive (the lookup that found them offline read the setting).
TEST_F(Im, StoredMessagesGoIntoTheOfflineRecipientsHistory) {
  ASSERT_TRUE(store_->SetHistoryEnabled("bob@example.com", true).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "bob", "while you were out")->status(), 202);
  json b;
  for (int i = 0; i < 50 && b.empty(); ++i) {  // written behind
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    b = json::parse(Http("GET", "/v1/history", "bob").body)["messages"];
  }
  ASSERT_EQ(b.size(), 1u) << b.dump();
  EXPECT_EQ(b[0]["text"], "while you were out");
  EXPECT_EQ(b[0]["direction"], "in");
  EXPECT_EQ(b[0]["from"], "sip:alice@example.com");
  EXPECT_TRUE(json::parse(Http("GET", "/v1/history", "alice").body)["messages"].empty());
}

// The setting comes with the user's record: turning history on while the
// sender's record is cached (with history off) reaches the next message.
TEST_F(Im, HistoryTurnedOnLaterKeepsTheNextMessages) {
  SipClient alice(false, udp_);
  ASSERT_EQ(Send(alice, "alice", "carol", "before")->status(), 202);
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // change feed
  ASSERT_EQ(Send(alice, "alice", "carol", "after")->status(), 202);
  json a;
  for (int i = 0; i < 50 && a.empty(); ++i) {  // written behind
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    a = json::parse(Http("GET", "/v1/history", "alice").body)["messages"];
  }
  ASSERT_EQ(a.size(), 1u) << a.dump();
  EXPECT_EQ(a[0]["text"], "after");
  EXPECT_EQ(a[0]["direction"], "out");
}

}  // namespace
}  // namespace parley::server
