// PUBLISH (RFC 3903), SUBSCRIBE/NOTIFY dialogs (RFC 6665) and pager mode
// (RFC 3428) through the UA core, against a scripted server.

#include <gtest/gtest.h>

#include "ua/pager.h"
#include "ua/presence.h"
#include "ua/subscription.h"
#include "ua_harness.h"

namespace parley::ua::testing {
namespace {

const Aor kBob{"bob", "example.com", std::nullopt};

TEST(PublicationTest, EtagRefreshModifyRemoveAnd412) {
  UaHarness h;
  Publication pub(*h.core, 600);
  PresenceDoc doc;
  doc.activities = {"away"};
  doc.note = "lunch";
  Outcome result;
  pub.Publish(doc, [&](const Outcome& o) { result = o; });
  auto p1 = h.Last();
  ASSERT_EQ(p1->method_text(), "PUBLISH");
  EXPECT_EQ(p1->request_uri_text(), "sip:alice@example.com");
  EXPECT_EQ(p1->Value(sip::HeaderId::kEvent), "presence");
  EXPECT_EQ(p1->Find(sip::HeaderId::kSipIfMatch), nullptr);
  EXPECT_EQ(p1->content_type()->Essence(), "application/pidf+xml");
  EXPECT_NE(p1->body().find("<rpid:away"), std::string_view::npos);
  h.AnswerLast(200, "SIP-ETag: e1\nExpires: 100\n");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(pub.etag(), "e1");

  // Refresh: SIP-If-Match and no body, before expiry.
  h.timers.Advance(51s);
  auto p2 = h.Last();
  EXPECT_EQ(p2->Value(sip::HeaderId::kSipIfMatch), "e1");
  EXPECT_TRUE(p2->body().empty());
  h.AnswerLast(200, "SIP-ETag: e2\nExpires: 100\n");
  EXPECT_EQ(pub.etag(), "e2");

  // Modify: SIP-If-Match and a body. The server lost it (412): publish afresh.
  doc.activities.clear();
  pub.Publish(doc, [&](const Outcome& o) { result = o; });
  auto p3 = h.Last();
  EXPECT_EQ(p3->Value(sip::HeaderId::kSipIfMatch), "e2");
  EXPECT_FALSE(p3->body().empty());
  h.AnswerLast(412);
  auto p4 = h.Last();
  EXPECT_EQ(p4->Find(sip::HeaderId::kSipIfMatch), nullptr);
  EXPECT_FALSE(p4->body().empty());
  h.AnswerLast(200, "SIP-ETag: e3\nExpires: 100\n");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(pub.etag(), "e3");

  pub.Remove([&](const Outcome& o) { result = o; });
  auto p5 = h.Last();
  EXPECT_EQ(p5->Value(sip::HeaderId::kExpires), "0");
  EXPECT_EQ(p5->Value(sip::HeaderId::kSipIfMatch), "e3");
  h.AnswerLast(200);
  EXPECT_FALSE(pub.published());
}

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mgr = std::make_unique<SubscriptionManager>(*h.core);
    Subscription::Listener l;
    l.on_state = [this](const SubscriptionEvent& e) { states.push_back(e); };
    l.on_notify = [this](const Notification& n) { notes.push_back(n); };
    sub = &mgr->Add(kBob, EventPackage::kPresence, 600, l);
    sub->Start();
    subscribe = h.Last();
  }

  // A NOTIFY in the dialog of `subscribe`.
  std::string Notify(const std::string& state, const std::string& body = "", uint32_t cseq = 1,
                     const std::string& from_tag = "srvtag", const std::string& type = "application/pidf+xml") {
    std::string s = "NOTIFY sip:alice@192.0.2.10:5060 SIP/2.0\n"
                    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKn" + std::to_string(cseq) + sip::RandomToken(3) + "\n"
                    "From: <sip:bob@example.com>;tag=" + from_tag + "\n"
                    "To: <sip:alice@example.com>;tag=" + std::string(subscribe->from()->tag()) + "\n"
                    "Call-ID: " + std::string(subscribe->call_id()) + "\n"
                    "CSeq: " + std::to_string(cseq) + " NOTIFY\n"
                    "Contact: <sip:bob@192.0.2.1:5060>\n"
                    "Max-Forwards: 70\n"
                    "Event: presence\n"
                    "Subscription-State: " + state + "\n";
    if (!body.empty()) s += "Content-Type: " + type + "\n";
    s += "Content-Length: " + std::to_string(body.size()) + "\n\n" + body;
    return s;
  }
  std::string Pidf(const std::string& basic, const std::string& activity = "") {
    std::string s = "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
                    "xmlns:p=\"urn:ietf:params:xml:ns:pidf:data-model\" xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" "
                    "entity=\"sip:bob@example.com\"><tuple id=\"a\"><status><basic>" + basic +
                    "</basic></status></tuple>";
    if (!activity.empty()) s += "<p:person id=\"b\"><r:activities><r:" + activity + "/></r:activities></p:person>";
    return s + "</presence>";
  }

  UaHarness h;
  std::unique_ptr<SubscriptionManager> mgr;
  Subscription* sub = nullptr;
  sip::MessagePtr subscribe;
  std::vector<SubscriptionEvent> states;
  std::vector<Notification> notes;
};

TEST_F(SubscriptionTest, SubscribeNotifyRefreshUnsubscribe) {
  EXPECT_EQ(subscribe->method_text(), "SUBSCRIBE");
  EXPECT_EQ(subscribe->request_uri_text(), "sip:bob@example.com");
  EXPECT_EQ(subscribe->Value(sip::HeaderId::kEvent), "presence");
  // A list's URI would be served too (RFC 4662).
  EXPECT_EQ(subscribe->Value(sip::HeaderId::kAccept),
            "application/pidf+xml, application/pidf-diff+xml, application/rlmi+xml, multipart/related");
  EXPECT_EQ(subscribe->Value(sip::HeaderId::kSupported), "eventlist");
  EXPECT_FALSE(subscribe->to()->has_tag());
  h.Answer(*subscribe, 200, "Expires: 100\nContact: <sip:pa@192.0.2.1:5060>\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\n");
  h.Deliver(Notify("active;expires=100", Pidf("open", "busy")));
  EXPECT_EQ(h.Last()->status(), 200);  // our answer to the NOTIFY
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].body.find("busy"), std::string::npos);
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back().state, SubscriptionEvent::State::kActive);

  // Refresh within the dialog: remote target, route set reversed, To tag.
  h.timers.Advance(51s);
  auto refresh = h.Last();
  ASSERT_EQ(refresh->method_text(), "SUBSCRIBE");
  EXPECT_EQ(refresh->request_uri_text(), "sip:bob@192.0.2.1:5060");  // the NOTIFY's Contact
  EXPECT_EQ(refresh->to()->tag(), "srvtag");
  EXPECT_EQ(refresh->cseq()->number, subscribe->cseq()->number + 1);
  std::vector<std::string> routes;
  refresh->ForEachValue(sip::HeaderId::kRoute, [&](std::string_view v) {
    routes.emplace_back(v);
    return true;
  });
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0], "<sip:p2;lr>");
  h.AnswerLast(200, "Expires: 100\n");

  bool done = false;
  mgr->Remove(kBob, EventPackage::kPresence, [&] { done = true; });
  auto un = h.Last();
  EXPECT_EQ(un->Value(sip::HeaderId::kExpires), "0");
  h.AnswerLast(200, "Expires: 0\n");
  EXPECT_TRUE(done);
  // The final NOTIFY is still answered 200.
  h.Deliver(Notify("terminated;reason=timeout", "", 2));
  EXPECT_EQ(h.Last()->status(), 200);
}

TEST_F(SubscriptionTest, PartialNotificationsAreAppliedToTheHeldDocument) {
  // RFC 5263: listeners get whole documents; a diff out of step brings a
  // refresh (and with it full state).
  const std::string ns = "xmlns:d=\"urn:ietf:params:xml:ns:pidf-diff\" xmlns=\"urn:ietf:params:xml:ns:pidf\" "
                         "entity=\"sip:bob@example.com\"";
  auto full = [&](int v, const std::string& basic) {
    return "<d:pidf-full " + ns + " version=\"" + std::to_string(v) + "\"><tuple id=\"a\"><status><basic>" + basic +
           "</basic></status></tuple></d:pidf-full>";
  };
  auto diff = [&](int v, const std::string& basic) {
    return "<d:pidf-diff " + ns + " version=\"" + std::to_string(v) +
           "\"><d:replace sel=\"presence/tuple/status/basic/text()\">" + basic + "</d:replace></d:pidf-diff>";
  };
  const std::string kDiff = "application/pidf-diff+xml";
  h.Answer(*subscribe, 200, "Expires: 600\n");
  h.Deliver(Notify("active;expires=600", full(7, "open"), 1, "srvtag", kDiff));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].content_type, "application/pidf+xml");
  EXPECT_NE(notes[0].body.find("<basic>open</basic>"), std::string::npos) << notes[0].body;
  EXPECT_NE(notes[0].body.find("<presence"), std::string::npos) << notes[0].body;

  h.Deliver(Notify("active;expires=600", diff(8, "closed"), 2, "srvtag", kDiff));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[1].body.find("<basic>closed</basic>"), std::string::npos) << notes[1].body;
  EXPECT_EQ(notes[1].body.find("open"), std::string::npos) << notes[1].body;

  // Version 10 after 8: one was lost. Nothing reaches the listener; a
  // refresh goes out in the dialog.
  h.Deliver(Notify("active;expires=600", diff(10, "open"), 3, "srvtag", kDiff));
  EXPECT_EQ(notes.size(), 2u);
  auto refresh = h.Last();
  ASSERT_EQ(refresh->method_text(), "SUBSCRIBE");
  EXPECT_EQ(refresh->to()->tag(), "srvtag");
  h.AnswerLast(200, "Expires: 600\n");
  h.Deliver(Notify("active;expires=600", full(11, "open"), 4, "srvtag", kDiff));
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_NE(notes[2].body.find("<basic>open</basic>"), std::string::npos);

  // A document that cannot be read would come again: answered, dropped,
  // no refresh.
  h.Deliver(Notify("active;expires=600", "<d:pidf-full " + ns + " version=\"12\">", 5, "srvtag", kDiff));
  EXPECT_EQ(notes.size(), 3u);
  EXPECT_EQ(h.Last()->status(), 200);
}

TEST_F(SubscriptionTest, NotifyBeforeTheTwoHundredCreatesTheDialog) {
  h.Deliver(Notify("pending;expires=600"));
  EXPECT_EQ(h.Last()->status(), 200);
  EXPECT_EQ(states.back().state, SubscriptionEvent::State::kPending);
  h.Answer(*subscribe, 202, "Expires: 600\n");
  h.Deliver(Notify("active;expires=600", Pidf("open"), 2));
  EXPECT_EQ(states.back().state, SubscriptionEvent::State::kActive);
  EXPECT_EQ(notes.size(), 1u);
}

TEST_F(SubscriptionTest, DeactivatedResubscribesAtOnceRejectedEnds) {
  h.Answer(*subscribe, 200, "Expires: 600\n");
  h.Deliver(Notify("active;expires=600", Pidf("open")));
  h.Deliver(Notify("terminated;reason=deactivated", "", 2));
  h.Settle();
  auto again = h.Last();
  ASSERT_EQ(again->method_text(), "SUBSCRIBE");
  EXPECT_FALSE(again->to()->has_tag());  // a new dialog
  EXPECT_NE(again->call_id(), subscribe->call_id());
  subscribe = std::move(again);
  h.Answer(*subscribe, 200, "Expires: 600\n");
  h.Deliver(Notify("terminated;reason=rejected"));
  EXPECT_EQ(states.back().state, SubscriptionEvent::State::kTerminated);
  EXPECT_EQ(states.back().reason, "rejected");
  EXPECT_TRUE(sub->terminated());
  size_t n = h.count();
  h.timers.Advance(3600s);
  EXPECT_EQ(h.count(), n);
}

TEST_F(SubscriptionTest, UnknownNotifyGets481AndFailedSubscribeIsReported) {
  std::string stray = Notify("active");
  stray.replace(stray.find("Call-ID: ") + 9, 4, "zzzz");
  h.Deliver(stray);
  EXPECT_EQ(h.Last()->status(), 481);
  h.Answer(*subscribe, 489);
  EXPECT_EQ(states.back().state, SubscriptionEvent::State::kFailed);
  EXPECT_EQ(states.back().outcome.status, 489);
}

TEST_F(SubscriptionTest, NoNotifyAfterTheTwoHundredTimesOut) {
  h.Answer(*subscribe, 200, "Expires: 600\n");
  h.timers.Advance(33s);  // Timer N = 64*T1
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states[0].state, SubscriptionEvent::State::kTerminated);
  EXPECT_EQ(states[0].reason, "timeout");
}

class PagerTest : public ::testing::Test {
 protected:
  PagerTest()
      : pager(*h.core, Pager::Listener{[this](const ReceivedMessage& m) { received.push_back(m); },
                                       [this](const ComposingIndication& c) { composing.push_back(c); },
                                       [this](const DeliveryNotice& d) { notices.push_back(d); }}) {}
  std::string Message(const std::string& type, const std::string& body) {
    return "MESSAGE sip:alice@192.0.2.10:5060 SIP/2.0\n"
           "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKm" + sip::RandomToken(4) + "\n"
           "From: \"Bob\" <sip:bob@example.com>;tag=b1\n"
           "To: <sip:alice@example.com>\n"
           "Call-ID: m" + sip::RandomToken(4) + "\n"
           "CSeq: 1 MESSAGE\nMax-Forwards: 70\n"
           "Content-Type: " + type + "\nContent-Length: " + std::to_string(body.size()) + "\n\n" + body;
  }
  UaHarness h;
  Pager pager;
  std::vector<ReceivedMessage> received;
  std::vector<ComposingIndication> composing;
  std::vector<DeliveryNotice> notices;
};

TEST_F(PagerTest, SendPlainAndStored) {
  SendResult result;
  pager.Send(kBob, "hello", {}, [&](const SendResult& r) { result = r; });
  auto m = h.Last();
  EXPECT_EQ(m->method_text(), "MESSAGE");
  EXPECT_EQ(m->request_uri_text(), "sip:bob@example.com");
  EXPECT_EQ(m->body(), "hello");
  EXPECT_EQ(m->content_type()->Essence(), "text/plain");
  h.AnswerLast(407, Challenge(true, "p1"));
  EXPECT_NE(h.Last()->Find(sip::HeaderId::kProxyAuthorization), nullptr);
  h.AnswerLast(202);
  EXPECT_TRUE(result.stored());
  EXPECT_TRUE(result.outcome.ok());
}

TEST_F(PagerTest, ReceivePlainText) {
  h.Deliver(Message("text/plain;charset=UTF-8", "hi alice"));
  EXPECT_EQ(h.Last()->status(), 200);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].from, "sip:bob@example.com");
  EXPECT_EQ(received[0].from_display, "Bob");
  EXPECT_EQ(received[0].text, "hi alice");
}

TEST_F(PagerTest, CpimWithImdnRequestIsAcknowledged) {
  im::CpimMessage c;
  c.from = im::CpimAddress{"Bob", "sip:bob@example.com"};
  c.to.push_back({"", "sip:alice@example.com"});
  c.datetime = "2024-05-01T10:00:00Z";
  c.DeclareNamespace("imdn", im::kImdnNs);
  c.AddExtension("imdn", "Message-ID", "m42");
  c.AddExtension("imdn", "Disposition-Notification", "positive-delivery");
  c.SetContentHeader("Content-Type", "text/plain");
  c.content = "wrapped";
  h.Deliver(Message("message/cpim", *im::BuildCpim(c)));
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].text, "wrapped");
  EXPECT_EQ(received[0].from, "sip:bob@example.com");
  EXPECT_EQ(received[0].from_display, "Bob");
  EXPECT_EQ(received[0].message_id, "m42");
  EXPECT_EQ(received[0].datetime, "2024-05-01T10:00:00Z");
  EXPECT_TRUE(received[0].cpim);
  // The delivery notification goes back to the CPIM sender.
  auto n = h.SentRequests("MESSAGE");
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(n[0]->request_uri_text(), "sip:bob@example.com");
  const std::string sent(n[0]->body());
  auto inner = im::ParseCpim(sent);
  ASSERT_TRUE(inner.ok()) << inner.error().message;
  EXPECT_EQ(inner->content_type, "message/imdn+xml");
  EXPECT_EQ(inner->From()->address.uri, "sip:alice@example.com");
  EXPECT_EQ(inner->Addresses(im::CpimHeaderKind::kTo)[0].uri, "sip:bob@example.com");
  EXPECT_FALSE(im::ImdnMessageId(*inner).empty());
  auto imdn = im::ParseImdn(inner->content);
  ASSERT_TRUE(imdn.ok()) << imdn.error().message;
  EXPECT_EQ(imdn->message_id, "m42");
  EXPECT_EQ(imdn->datetime, "2024-05-01T10:00:00Z");
  EXPECT_EQ(imdn->status, im::ImdnStatus::kDelivered);
}

TEST_F(PagerTest, MalformedCpimIs400AndNoNotificationWithoutARequest) {
  h.Deliver(Message("message/cpim", "From: <sip:bob@example.com>\r\n\r\nno content type\r\n\r\nx"));
  EXPECT_EQ(h.Last()->status(), 400);
  im::CpimMessage c;
  c.from = im::CpimAddress{"", "sip:bob@example.com"};
  c.SetContentHeader("Content-Type", "text/plain");
  c.content = "plain cpim";
  h.Deliver(Message("message/cpim", *im::BuildCpim(c)));
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].text, "plain cpim");
  EXPECT_TRUE(h.SentRequests("MESSAGE").empty());
}

TEST_F(PagerTest, ComposingAndUnsupportedTypes) {
  h.Deliver(Message("application/im-iscomposing+xml", *im::BuildIsComposing({true, "", 60, ""})));
  ASSERT_EQ(composing.size(), 1u);
  EXPECT_TRUE(composing[0].state.active);
  EXPECT_EQ(composing[0].state.refresh, 60u);
  h.Deliver(Message("image/png", "\x89PNG"));
  EXPECT_EQ(h.Last()->status(), 415);
  EXPECT_FALSE(h.Last()->Value(sip::HeaderId::kAccept).empty());
  EXPECT_TRUE(received.empty());
}

TEST(CoreTest, OptionsAndUnknownMethods) {
  UaHarness h;
  auto req = [](const std::string& method) {
    return method + " sip:alice@192.0.2.10 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK" + sip::RandomToken(4) +
           "\nFrom: <sip:x@example.com>;tag=1\nTo: <sip:alice@example.com>\nCall-ID: c" + sip::RandomToken(4) +
           "\nCSeq: 1 " + method + "\nMax-Forwards: 70\nContent-Length: 0\n\n";
  };
  h.Deliver(req("OPTIONS"));
  EXPECT_EQ(h.Last()->status(), 200);
  EXPECT_NE(h.Last()->Value(sip::HeaderId::kAllow).find("MESSAGE"), std::string_view::npos);
  h.Deliver(req("SUBSCRIBE"));
  EXPECT_EQ(h.Last()->status(), 405);
}

}  // namespace
}  // namespace parley::ua::testing
