#include <gtest/gtest.h>

#include "sip/checks.h"
#include "sip/response.h"
#include "sip/validate.h"
#include "test_util.h"

namespace parley::sip {
namespace {

using testing::Crlf;

const std::string kInvite = Crlf(
    "INVITE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@example.com>\n"
    "From: Alice <sip:alice@example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710@pc33.example.com\n"
    "CSeq: 314159 INVITE\n"
    "Timestamp: 54\n"
    "Contact: <sip:alice@pc33.example.com>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 5\n"
    "\n"
    "v=0\n");

TEST(Message, RoundTripUnmodified) {
  auto m = testing::Parse(kInvite);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->Serialize(), kInvite);
  EXPECT_FALSE(m->modified());
}

TEST(Message, EditKeepsUntouchedFieldsByteExact) {
  auto m = testing::Parse(kInvite);
  m->AddHeaderFront(HeaderId::kVia, "SIP/2.0/UDP proxy2.example.com;branch=z9hG4bKnew");
  m->SetHeader(HeaderId::kMaxForwards, "69");
  std::string out = m->Serialize();
  EXPECT_TRUE(out.starts_with("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP proxy2.example.com;branch=z9hG4bKnew\r\n"
                              "Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnashds8, SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2\r\n"
                              "Max-Forwards: 69\r\n"));
  EXPECT_NE(out.find("From: Alice <sip:alice@example.com>;tag=1928301774\r\n"), std::string::npos);
  auto again = testing::Parse(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->vias().size(), 3u);
  EXPECT_EQ(again->max_forwards(), 69u);
  EXPECT_EQ(again->body(), "v=0\r\n");
}

TEST(Message, RemoveFirstValueSplitsCombinedVia) {
  auto m = testing::Parse(kInvite);
  m->RemoveFirstValue(HeaderId::kVia);
  ASSERT_EQ(m->vias().size(), 1u);
  EXPECT_EQ(m->top_via()->host, "proxy.example.com");
  m->RemoveFirstValue(HeaderId::kVia);
  EXPECT_TRUE(m->vias().empty());
  EXPECT_EQ(m->Find(HeaderId::kVia), nullptr);
}

TEST(Message, SetBodyFixesLength) {
  auto m = testing::Parse(kInvite);
  m->SetBody("text/plain", "a longer body");
  auto again = testing::Parse(m->Serialize());
  EXPECT_EQ(again->body(), "a longer body");
  EXPECT_EQ(again->content_type()->Essence(), "text/plain");
  EXPECT_EQ(again->Count(HeaderId::kContentLength), 1u);
}

TEST(Message, BuildRequestFromScratch) {
  auto m = Message::NewRequest("MESSAGE", "sip:bob@example.com");
  m->AddHeader(HeaderId::kVia, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc");
  m->AddHeader(HeaderId::kMaxForwards, "70");
  m->AddHeader(HeaderId::kTo, "<sip:bob@example.com>");
  m->AddHeader(HeaderId::kFrom, "<sip:alice@example.com>;tag=x");
  m->AddHeader(HeaderId::kCallId, "id1");
  m->AddHeader(HeaderId::kCSeq, "1 MESSAGE");
  m->AddHeader("X-Custom", "yes");
  m->SetBody("text/plain", "hi");
  auto p = testing::Parse(m->Serialize());
  ASSERT_TRUE(p);
  EXPECT_FALSE(ValidateRequest(*p).has_value());
  EXPECT_EQ(p->body(), "hi");
  EXPECT_EQ(p->Find("x-custom")->value, "yes");
}

TEST(Message, SerializedSizeIsWhatSerializeWrites) {
  auto parsed = testing::Parse(kInvite);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->SerializedSize(), kInvite.size());
  parsed->SetHeader(HeaderId::kMaxForwards, "69");
  parsed->SetBody("text/plain", "a body of another length");
  EXPECT_EQ(parsed->SerializedSize(), parsed->Serialize().size());
  auto built = Message::NewRequest("NOTIFY", "sip:bob@example.com");
  built->AddHeader(HeaderId::kVia, "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc");
  built->AddHeader(HeaderId::kSubscriptionState, "");
  EXPECT_EQ(built->SerializedSize(), built->Serialize().size());  // no Content-Length yet: added on output
  built->SetBody("application/pidf+xml", std::string(1500, 'x'));
  EXPECT_EQ(built->SerializedSize(), built->Serialize().size());
  auto response = MakeResponse(*parsed, 486, "Busy Here");
  EXPECT_EQ(response->SerializedSize(), response->Serialize().size());
}

TEST(Message, CloneIsIndependent) {
  auto m = testing::Parse(kInvite);
  auto c = m->Clone();
  m.reset();
  EXPECT_EQ(c->Serialize(), kInvite);
  EXPECT_EQ(c->cseq()->number, 314159u);
}

// Edited and built messages clone too: received bytes, edits and built text
// all end up in the clone's own storage (the original is gone when it is read).
TEST(Message, CloneOfAnEditedMessageOwnsEverything) {
  auto m = testing::Parse(kInvite);
  ASSERT_NE(m->top_via(), nullptr);  // a cache the clone must not share
  m->SetRequestUri("sip:bob@192.0.2.4;transport=tcp");
  m->AddHeaderFront(HeaderId::kVia, "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKclone");
  m->RemoveAll(HeaderId::kContact);
  m->AddHeader("X-Edited", "yes");
  m->SetBody("text/plain", "edited body");
  const std::string want = m->Serialize();
  auto c = m->Clone();
  m.reset();
  EXPECT_EQ(c->Serialize(), want);
  EXPECT_EQ(c->request_uri()->host, "192.0.2.4");
  ASSERT_EQ(c->vias().size(), 3u);
  EXPECT_EQ(c->vias()[0].branch(), "z9hG4bKclone");
  EXPECT_EQ(c->Find("x-edited")->value, "yes");
  EXPECT_EQ(c->body(), "edited body");
  c->SetHeader(HeaderId::kMaxForwards, "69");  // the clone edits on its own
  EXPECT_EQ(*c->max_forwards(), 69u);
  auto again = testing::Parse(c->Serialize());
  ASSERT_TRUE(again);
  EXPECT_FALSE(ValidateRequest(*again).has_value());

  auto built = Message::NewRequest("MESSAGE", "sip:bob@example.com");
  built->AddHeader(HeaderId::kVia, "SIP/2.0/UDP a.example.com;branch=z9hG4bK2");
  built->SetBody("text/plain", "hi");
  const std::string built_text = built->Serialize();
  auto bc = built->Clone();
  built.reset();
  EXPECT_EQ(bc->Serialize(), built_text);
  EXPECT_EQ(bc->method(), Method::kMessage);
}

TEST(Response, CopiesIdentityAndAddsTag) {
  auto req = testing::Parse(kInvite);
  auto r = MakeResponse(*req, 200, "", "srvtag");
  auto p = testing::Parse(r->Serialize());
  ASSERT_TRUE(p);
  EXPECT_TRUE(ValidResponse(*p));
  EXPECT_EQ(p->status(), 200);
  EXPECT_EQ(p->reason(), "OK");
  EXPECT_EQ(p->vias().size(), 2u);
  EXPECT_EQ(p->to()->tag(), "srvtag");
  EXPECT_EQ(p->from()->tag(), "1928301774");
  EXPECT_EQ(p->Find(HeaderId::kTimestamp), nullptr);
  auto trying = MakeResponse(*req, 100);
  EXPECT_EQ(trying->Value(HeaderId::kTimestamp), "54");
  EXPECT_FALSE(trying->to() && trying->to()->has_tag());
}

TEST(Checks, MethodNotAllowedCarriesAllow) {
  auto req = testing::Parse(kInvite);
  Capabilities caps;
  caps.methods = {Method::kOptions, Method::kMessage};
  auto f = CheckAsUas(*req, caps);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, 405);
  auto resp = MakeFailureResponse(*req, *f, "t");
  EXPECT_EQ(resp->Value(HeaderId::kAllow), "OPTIONS, MESSAGE");
}

TEST(Tokens, RandomTokenShape) {
  std::string a = RandomToken(8), b = RandomToken(8);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace parley::sip

namespace parley::sip {
namespace {

TEST(Message, BuiltMessagesSerializeByteExactAfterWhatTheStringHeld) {
  auto req = Message::NewRequest("NOTIFY", "sip:w@192.0.2.1:5070");
  req->AddHeader(HeaderId::kMaxForwards, "70");
  req->AddHeader("X-Empty", "");
  req->SetBody("application/pidf+xml", "<p/>");
  std::string out = "prefix|";
  req->SerializeTo(out);
  EXPECT_EQ(out,
            "prefix|NOTIFY sip:w@192.0.2.1:5070 SIP/2.0\r\nMax-Forwards: 70\r\nX-Empty:\r\n"
            "Content-Type: application/pidf+xml\r\nContent-Length: 4\r\n\r\n<p/>");
  auto resp = Message::NewResponse(481, "Subscription Does Not Exist");
  resp->AddHeader(HeaderId::kCallId, "c1");
  EXPECT_EQ(resp->Serialize(), "SIP/2.0 481 Subscription Does Not Exist\r\nCall-ID: c1\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace parley::sip
