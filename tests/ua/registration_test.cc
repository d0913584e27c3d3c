// Registration and the core's request handling: digest retries checked with
// the server's own digest code, refresh, 423, failure classes, keep-alives.

#include <gtest/gtest.h>

#include "auth/digest.h"
#include "ua/registration.h"
#include "ua_harness.h"

namespace parley::ua::testing {
namespace {

class RegistrationTest : public ::testing::Test {
 protected:
  explicit RegistrationTest(transport::Protocol p = transport::Protocol::kUdp) : h(p) {}
  void SetUp() override {
    reg = std::make_unique<Registration>(*h.core, RegistrationConfig{600, std::chrono::seconds(30)},
                                         [this](const RegistrationEvent& e) { events.push_back(e); });
  }
  UaHarness h;
  std::unique_ptr<Registration> reg;
  std::vector<RegistrationEvent> events;
};

// Checks credentials the way a server does (auth/digest.h).
bool ValidCredentials(const sip::Message& m, sip::HeaderId id, const std::string& password) {
  auto creds = auth::ParseCredentials(m.Value(id));
  if (!creds.ok()) return false;
  std::string ha1 = auth::ComputeHa1(creds->algorithm, creds->username, creds->realm, password);
  return auth::DigestEquals(auth::ExpectedResponse(*creds, ha1, m.method_text()), creds->response);
}

TEST_F(RegistrationTest, RegisterAnswersChallengeAndRefreshes) {
  reg->Start();
  auto r1 = h.Last();
  ASSERT_EQ(r1->method_text(), "REGISTER");
  EXPECT_EQ(r1->request_uri_text(), "sip:example.com");
  EXPECT_EQ(r1->Value(sip::HeaderId::kTo), "<sip:alice@example.com>");
  EXPECT_NE(r1->Value(sip::HeaderId::kContact).find("<sip:alice@192.0.2.10:5060>"), std::string_view::npos);
  EXPECT_NE(r1->Value(sip::HeaderId::kContact).find("+sip.instance=\"<urn:uuid:"), std::string_view::npos);
  EXPECT_EQ(r1->Value(sip::HeaderId::kExpires), "600");
  EXPECT_EQ(r1->Find(sip::HeaderId::kAuthorization), nullptr);

  h.Answer(*r1, 401, Challenge(false, "n1"));
  auto r2 = h.Last();
  ASSERT_EQ(r2->method_text(), "REGISTER");
  EXPECT_EQ(r2->cseq()->number, r1->cseq()->number + 1);
  EXPECT_NE(r2->top_via()->branch(), r1->top_via()->branch());
  EXPECT_EQ(r2->call_id(), r1->call_id());
  EXPECT_TRUE(ValidCredentials(*r2, sip::HeaderId::kAuthorization, "secret"));
  auto creds = auth::ParseCredentials(r2->Value(sip::HeaderId::kAuthorization));
  EXPECT_EQ(creds->nc, "00000001");
  EXPECT_EQ(creds->uri, "sip:example.com");

  h.Answer(*r2, 200, "Contact: <sip:alice@192.0.2.10:5060>;expires=120\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, RegistrationEvent::State::kRegistered);
  EXPECT_EQ(events[0].expires, 120u);
  EXPECT_TRUE(reg->registered());

  // Refresh at half the lifetime, with credentials up front (nc 2).
  size_t before = h.SentRequests("REGISTER").size();
  h.timers.Advance(59s);
  EXPECT_EQ(h.SentRequests("REGISTER").size(), before);
  h.timers.Advance(2s);
  auto regs = h.SentRequests("REGISTER");
  ASSERT_EQ(regs.size(), before + 1);
  auto r3 = std::move(regs.back());
  EXPECT_EQ(r3->cseq()->number, r2->cseq()->number + 1);
  EXPECT_TRUE(ValidCredentials(*r3, sip::HeaderId::kAuthorization, "secret"));
  EXPECT_EQ(auth::ParseCredentials(r3->Value(sip::HeaderId::kAuthorization))->nc, "00000002");
}

TEST_F(RegistrationTest, WrongPasswordIsAnAuthFailure) {
  reg->Start();
  h.AnswerLast(401, Challenge(false, "n1"));
  h.AnswerLast(401, Challenge(false, "n1"));  // same nonce again: refused
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, RegistrationEvent::State::kFailed);
  EXPECT_EQ(events[0].outcome.failure, Failure::kAuth);
  EXPECT_EQ(events[0].outcome.status, 401);
  EXPECT_EQ(h.SentRequests("REGISTER").size(), 2u);
}

TEST_F(RegistrationTest, StaleNonceIsRetried) {
  reg->Start();
  h.AnswerLast(401, Challenge(false, "n1"));
  h.AnswerLast(401, Challenge(false, "n2", true));
  EXPECT_EQ(h.SentRequests("REGISTER").size(), 3u);
  EXPECT_NE(h.Last()->Value(sip::HeaderId::kAuthorization).find("nonce=\"n2\""), std::string_view::npos);
  h.AnswerLast(200, "Contact: <sip:alice@192.0.2.10:5060>;expires=600\n");
  EXPECT_TRUE(reg->registered());
}

TEST_F(RegistrationTest, IntervalTooBriefRetriesWithMinExpires) {
  reg->Start();
  h.AnswerLast(423, "Min-Expires: 1800\n");
  auto r = h.Last();
  EXPECT_EQ(r->Value(sip::HeaderId::kExpires), "1800");
  EXPECT_NE(r->Value(sip::HeaderId::kContact).find("expires=1800"), std::string_view::npos);
  h.AnswerLast(200, "Expires: 1800\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].expires, 1800u);
}

TEST_F(RegistrationTest, ExpiresOfOurContactWinsOverOthers) {
  reg->Start();
  ASSERT_NE(h.Last()->Value(sip::HeaderId::kSupported).find("gruu"), std::string_view::npos);
  h.AnswerLast(200,
               "Contact: <sip:alice@198.51.100.7:5060>;expires=3600;pub-gruu=\"sip:alice@example.com;gr=other\"\n"
               "Contact: <sip:alice@192.0.2.10:5060>;expires=300;pub-gruu=\"sip:alice@example.com;gr=ours\"\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].expires, 300u);
  EXPECT_EQ(events[0].contacts.size(), 2u);
  EXPECT_EQ(events[0].gruu, "sip:alice@example.com;gr=ours");  // RFC 5627: our binding's GRUU
}

TEST_F(RegistrationTest, NoAnswerIsUnreachable) {
  reg->Start();
  h.timers.Advance(40s);  // Timer F
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].state, RegistrationEvent::State::kFailed);
  EXPECT_EQ(events[0].outcome.failure, Failure::kUnreachable);
  EXPECT_EQ(events[0].outcome.status, 408);
}

TEST_F(RegistrationTest, TransportErrorIsUnreachable) {
  h.sender.FailNext(1);
  reg->Start();
  h.Settle();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].outcome.failure, Failure::kUnreachable);
  EXPECT_EQ(events[0].outcome.status, 503);
  EXPECT_FALSE(events[0].outcome.detail.empty());
}

TEST_F(RegistrationTest, FailedRefreshBacksOffAndRetries) {
  reg->Start();
  h.AnswerLast(200, "Expires: 100\n");
  h.timers.Advance(51s);
  h.AnswerLast(500);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].state, RegistrationEvent::State::kRetrying);
  EXPECT_GE(events[1].retry_in.count(), 14);  // 50–100% of the 30 s base
  EXPECT_LE(events[1].retry_in.count(), 30);
  size_t n = h.SentRequests("REGISTER").size();
  h.timers.Advance(31s);
  EXPECT_EQ(h.SentRequests("REGISTER").size(), n + 1);
  h.AnswerLast(200, "Expires: 100\n");
  EXPECT_TRUE(reg->registered());
}

TEST_F(RegistrationTest, StopUnregistersOurContact) {
  reg->Start();
  h.AnswerLast(200, "Expires: 600\n");
  bool done = false;
  reg->Stop([&](const Outcome& o) { done = o.ok(); });
  auto r = h.Last();
  EXPECT_EQ(r->Value(sip::HeaderId::kExpires), "0");
  EXPECT_NE(r->Value(sip::HeaderId::kContact).find("expires=0"), std::string_view::npos);
  h.AnswerLast(200);
  EXPECT_TRUE(done);
  EXPECT_EQ(events.back().state, RegistrationEvent::State::kUnregistered);
  // No refresh after that.
  size_t n = h.count();
  h.timers.Advance(1000s);
  EXPECT_EQ(h.count(), n);
}

class TcpRegistrationTest : public RegistrationTest {
 protected:
  TcpRegistrationTest() : RegistrationTest(transport::Protocol::kTcp) {}
};

TEST_F(TcpRegistrationTest, OutboundContactAndKeepAlivesOnTheFlow) {
  reg->Start();
  auto r = h.Last();
  EXPECT_NE(r->Value(sip::HeaderId::kContact).find(";transport=tcp;ob>"), std::string_view::npos);
  EXPECT_NE(r->Value(sip::HeaderId::kContact).find("reg-id=1"), std::string_view::npos);
  EXPECT_NE(r->top_via()->transport.find("TCP"), std::string_view::npos);
  // The 2xx arrives over flow 77: keep-alives go there, and only there.
  auto resp = sip::MakeResponse(*r, 200, {}, "t");
  resp->AddHeader(sip::HeaderId::kExpires, "600");
  h.Deliver(resp->Serialize(), 77);
  ASSERT_TRUE(reg->registered());
  size_t n = h.count();
  h.timers.Advance(31s);
  ASSERT_EQ(h.count(), n + 1);
  const auto& ka = h.sender.sent().back();
  EXPECT_EQ(ka.bytes, "\r\n\r\n");
  EXPECT_EQ(ka.to.flow, 77u);
  EXPECT_FALSE(ka.to.address.valid());
  // The flow dies: the next keep-alive fails and we register again.
  h.sender.FailNext(1);
  h.timers.Advance(31s);
  auto regs = h.SentRequests("REGISTER");
  EXPECT_EQ(regs.size(), 2u);
  EXPECT_EQ(events.back().state, RegistrationEvent::State::kRetrying);
  EXPECT_NE(events.back().note.find("flow failed"), std::string::npos);
}

TEST(DigestClientTest, PrefersSha256AndAnswersProxyChallenges) {
  DigestClient d("alice", "secret");
  auto req = sip::Message::NewRequest("MESSAGE", "sip:bob@example.com");
  req->AddHeader(sip::HeaderId::kCSeq, "1 MESSAGE");
  auto resp = sip::Message::NewResponse(407, "Proxy Authentication Required");
  resp->AddHeader(sip::HeaderId::kProxyAuthenticate,
                  "Digest realm=\"example.com\", nonce=\"abc\", algorithm=SHA-256, qop=\"auth\"");
  resp->AddHeader(sip::HeaderId::kProxyAuthenticate,
                  "Digest realm=\"example.com\", nonce=\"abc\", algorithm=MD5, qop=\"auth\"");
  auto parsed = sip::ParseDatagram(resp->Serialize(), sip::ParserLimits());
  EXPECT_EQ(d.OnChallenge(*req, *parsed), DigestClient::Outcome::kRetry);
  d.Authorize(*req);
  auto creds = auth::ParseCredentials(req->Value(sip::HeaderId::kProxyAuthorization));
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->algorithm, auth::Algorithm::kSha256);
  EXPECT_EQ(req->Find(sip::HeaderId::kAuthorization), nullptr);
  std::string ha1 = auth::ComputeHa1(auth::Algorithm::kSha256, "alice", "example.com", "secret");
  EXPECT_EQ(auth::ExpectedResponse(*creds, ha1, "MESSAGE"), creds->response);
}

TEST(DigestClientTest, AuthIntOnlyIsUnsupported) {
  DigestClient d("alice", "secret");
  auto req = sip::Message::NewRequest("MESSAGE", "sip:bob@example.com");
  auto resp = sip::Message::NewResponse(401, "Unauthorized");
  resp->AddHeader(sip::HeaderId::kWwwAuthenticate, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"");
  auto parsed = sip::ParseDatagram(resp->Serialize(), sip::ParserLimits());
  EXPECT_EQ(d.OnChallenge(*req, *parsed), DigestClient::Outcome::kUnsupported);
}

}  // namespace
}  // namespace parley::ua::testing
