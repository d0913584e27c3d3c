// IMDN (RFC 5438): the Disposition-Notification header, the
// message/imdn+xml document, and the notification built for a message.

#include "im/format/imdn.h"

#include <gtest/gtest.h>

#include "im/format/rfc3339.h"

namespace parley::im {
namespace {

// RFC 5438 §7.2.1.1: Bob's delivery notification for Alice's 34jk324j.
constexpr std::string_view kRfc5438Notification =
    "From: Bob <im:bob@example.com>\r\n"
    "To: Alice <im:alice@example.com>\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: d834jied93rf\r\n"
    "DateTime: 2008-04-04T12:16:49-05:00\r\n"
    "\r\n"
    "Content-type: message/imdn+xml\r\n"
    "Content-Disposition: notification\r\n"
    "\r\n"
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"
    "  <message-id>34jk324j</message-id>\n"
    "  <datetime>2008-04-04T12:16:49-05:00</datetime>\n"
    "  <recipient-uri>im:bob@example.com</recipient-uri>\n"
    "  <original-recipient-uri\n"
    "     >im:bob@example.com</original-recipient-uri>\n"
    "  <delivery-notification>\n"
    "     <status>\n"
    "        <delivered/>\n"
    "     </status>\n"
    "  </delivery-notification>\n"
    "</imdn>\n";

constexpr std::string_view kRequest =
    "From: Alice <im:alice@example.com>\r\n"
    "To: Bob <im:bob@example.com>\r\n"
    "Subject: lunch?\r\n"
    "NS: imdn <urn:ietf:params:imdn>\r\n"
    "imdn.Message-ID: 34jk324j\r\n"
    "DateTime: 2006-04-04T12:16:49-05:00\r\n"
    "imdn.Disposition-Notification: positive-delivery, negative-delivery, processing\r\n"
    "\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hello World";

TEST(Imdn, Rfc5438DeliveryNotification) {
  auto cpim = ParseCpim(kRfc5438Notification);
  ASSERT_TRUE(cpim.ok()) << cpim.error().message;
  EXPECT_EQ(cpim->content_type, kImdnType);
  EXPECT_EQ(cpim->ContentHeader("Content-Disposition")->value, "notification");
  EXPECT_EQ(ImdnMessageId(*cpim), "d834jied93rf");
  auto n = ParseImdn(cpim->content);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->message_id, "34jk324j");
  EXPECT_EQ(n->datetime, "2008-04-04T12:16:49-05:00");
  EXPECT_EQ(n->recipient_uri, "im:bob@example.com");
  EXPECT_EQ(n->original_recipient_uri, "im:bob@example.com");
  EXPECT_EQ(n->subject, "");
  EXPECT_EQ(n->kind, ImdnKind::kDelivery);
  EXPECT_EQ(n->status, ImdnStatus::kDelivered);
}

TEST(Imdn, AnyPrefixAndExtensionsInOtherNamespaces) {
  auto n = ParseImdn(
      "<i:imdn xmlns:i=\"urn:ietf:params:xml:ns:imdn\" xmlns:x=\"urn:example\">"
      "<i:message-id> m1 </i:message-id><i:datetime>2024-01-01T00:00:00Z</i:datetime>"
      "<x:reason code=\"1\">gone</x:reason><i:subject>Hi &amp; bye</i:subject>"
      "<i:display-notification><i:status><x:why/><i:displayed/></i:status></i:display-notification>"
      "<i:future-element/></i:imdn>");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->message_id, "m1");
  EXPECT_EQ(n->subject, "Hi & bye");
  EXPECT_EQ(n->kind, ImdnKind::kDisplay);
  EXPECT_EQ(n->status, ImdnStatus::kDisplayed);
}

TEST(Imdn, EveryValidKindAndStatusRoundTrips) {
  int valid = 0;
  for (auto kind : {ImdnKind::kDelivery, ImdnKind::kDisplay, ImdnKind::kProcessing}) {
    for (int s = 0; s <= static_cast<int>(ImdnStatus::kStored); ++s) {
      auto status = static_cast<ImdnStatus>(s);
      Imdn n{"id<&>\"1\"", "2024-05-01T10:00:00.5+01:00", "sip:bob@example.com", "sip:bob@old.example.com",
             "tea & \"cake\"\r\nsecond line", kind, status};
      auto xml = BuildImdn(n);
      if (!StatusFits(kind, status)) {
        ASSERT_FALSE(xml.ok());
        EXPECT_EQ(xml.error().message, "IMDN: <" + std::string(ToString(status)) + "> is not a status of <" +
                                           std::string(ToString(kind)) + ">");
        continue;
      }
      ++valid;
      ASSERT_TRUE(xml.ok()) << xml.error().message;
      auto back = ParseImdn(*xml);
      ASSERT_TRUE(back.ok()) << back.error().message << "\n" << *xml;
      EXPECT_EQ(*back, n);
      EXPECT_EQ(ParseImdnKind(ToString(kind)), kind);
      EXPECT_EQ(ParseImdnStatus(ToString(status)), status);
    }
  }
  EXPECT_EQ(valid, 4 + 3 + 4);
  Imdn minimal{"x", "2024-05-01T10:00:00Z", "", "", "", ImdnKind::kProcessing, ImdnStatus::kStored};
  EXPECT_EQ(*BuildImdn(minimal),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"
            "  <message-id>x</message-id>\n  <datetime>2024-05-01T10:00:00Z</datetime>\n"
            "  <processing-notification>\n    <status>\n      <stored/>\n    </status>\n"
            "  </processing-notification>\n</imdn>\n");
}

TEST(Imdn, ParseErrors) {
  auto doc = [](const std::string& inner) {
    return "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">" + inner + "</imdn>";
  };
  const std::string ok_head = "<message-id>m</message-id><datetime>2024-01-01T00:00:00Z</datetime>";
  const std::string delivered = "<delivery-notification><status><delivered/></status></delivery-notification>";
  const std::pair<std::string, const char*> cases[] = {
      {"not xml", "IMDN: not well-formed XML at offset 0"},
      {"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">", "IMDN: not well-formed XML at offset 41"},
      {"<!DOCTYPE imdn [<!ENTITY a \"b\">]><imdn/>", "IMDN: DOCTYPE is not allowed"},
      {doc("<message-id>&#1;</message-id>"), "IMDN: invalid character reference"},
      {"<imdn><message-id>m</message-id></imdn>", "IMDN: root element is not <imdn> in urn:ietf:params:xml:ns:imdn"},
      {"<x:imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>", "IMDN: undeclared namespace prefix"},
      {doc("<x:y/>"), "IMDN: undeclared namespace prefix"},
      {doc(ok_head + "<message-id>n</message-id>" + delivered), "IMDN: more than one <message-id>"},
      {doc("<datetime>2024-01-01T00:00:00Z</datetime>" + delivered), "IMDN: no <message-id>"},
      {doc("<message-id>m</message-id>" + delivered), "IMDN: no <datetime>"},
      {doc("<message-id>m</message-id><datetime>2024-01-01 00:00:00</datetime>" + delivered),
       "IMDN: datetime is not RFC 3339: no 'T' between date and time"},
      {doc(ok_head), "IMDN: no delivery-, display- or processing-notification"},
      {doc(ok_head + delivered + "<display-notification><status><displayed/></status></display-notification>"),
       "IMDN: more than one notification"},
      {doc(ok_head + "<delivery-notification/>"), "IMDN: <delivery-notification> without <status>"},
      {doc(ok_head + "<delivery-notification><status/></delivery-notification>"), "IMDN: <status> without a status"},
      {doc(ok_head + "<delivery-notification><status/><status/></delivery-notification>"),
       "IMDN: more than one <status> in <delivery-notification>"},
      {doc(ok_head + "<delivery-notification><status><read/></status></delivery-notification>"),
       "IMDN: unknown status <read>"},
      {doc(ok_head + "<delivery-notification><status><delivered/><failed/></status></delivery-notification>"),
       "IMDN: more than one status in <status>"},
      {doc(ok_head + "<display-notification><status><delivered/></status></display-notification>"),
       "IMDN: <delivered> is not a status of <display-notification>"},
      {doc(ok_head + "<processing-notification><status><failed/></status></processing-notification>"),
       "IMDN: <failed> is not a status of <processing-notification>"},
  };
  for (const auto& [body, reason] : cases) {
    auto r = ParseImdn(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().code, 400) << body;
    EXPECT_EQ(r.error().message, reason) << body;
  }
}

TEST(Imdn, Limits) {
  XmlLimits l;
  l.max_bytes = 300;
  l.max_elements = 8;
  l.max_depth = 4;
  l.max_text_bytes = 10;
  auto r = ParseImdn(std::string(301, ' '), l);
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "IMDN: body too large (301 bytes, limit 300)");
  r = ParseImdn("<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><a/><a/><a/><a/><a/><a/><a/><a/></imdn>", l);
  EXPECT_EQ(r.error().message, "IMDN: too many elements");
  r = ParseImdn("<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><a><b><c><d/></c></b></a></imdn>", l);
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "IMDN: elements nested too deeply");
  r = ParseImdn("<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>12345678901</message-id></imdn>", l);
  EXPECT_EQ(r.error().code, 413);
  EXPECT_EQ(r.error().message, "IMDN: <message-id> longer than 10 bytes");
}

TEST(Imdn, BuildErrors) {
  Imdn n{"", "2024-01-01T00:00:00Z", "", "", "", ImdnKind::kDelivery, ImdnStatus::kDelivered};
  EXPECT_EQ(BuildImdn(n).error().message, "IMDN: no message-id");
  n.message_id = "m";
  n.datetime = "now";
  EXPECT_EQ(BuildImdn(n).error().message, "IMDN: datetime is not RFC 3339: too short");
  n.datetime = "2024-01-01T00:00:00Z";
  n.subject = "bell\x07";
  EXPECT_EQ(BuildImdn(n).error().message, "IMDN: subject has a character XML cannot carry");
}

TEST(DispositionNotification, ParseAndFormat) {
  auto d = ParseDispositionNotification(" Positive-Delivery ,display,future-thing");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, (DispositionRequest{true, false, true, false}));
  EXPECT_EQ(FormatDispositionNotification({true, true, true, true}),
            "positive-delivery, negative-delivery, display, processing");
  EXPECT_EQ(*ParseDispositionNotification(FormatDispositionNotification({false, true, false, true})),
            (DispositionRequest{false, true, false, true}));
  EXPECT_EQ(ParseDispositionNotification("display,").error().message,
            "IMDN: empty element in Disposition-Notification");
  EXPECT_EQ(ParseDispositionNotification("dis play").error().message,
            "IMDN: Disposition-Notification element is not a token");
  DispositionRequest only_negative{false, true, false, false};
  EXPECT_FALSE(only_negative.Wants(ImdnKind::kDelivery, ImdnStatus::kDelivered));
  EXPECT_TRUE(only_negative.Wants(ImdnKind::kDelivery, ImdnStatus::kFailed));
  EXPECT_TRUE(only_negative.Wants(ImdnKind::kDelivery, ImdnStatus::kForbidden));
  EXPECT_FALSE(only_negative.Wants(ImdnKind::kProcessing, ImdnStatus::kStored));
  EXPECT_FALSE(DispositionRequest{}.Any());
}

TEST(ImdnReply, RecipientAnswersDelivered) {
  auto original = ParseCpim(kRequest);
  ASSERT_TRUE(original.ok());
  ImdnReply reply;
  reply.message_id = "d834jied93rf";
  reply.now_ms = 1207329409000;
  auto m = BuildImdnReply(*original, reply);
  ASSERT_TRUE(m.ok()) << m.error().message;
  auto body = BuildCpim(*m);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(body->substr(0, body->find("\r\n\r\n<?xml")),
            "From: Bob <im:bob@example.com>\r\n"
            "To: Alice <im:alice@example.com>\r\n"
            "DateTime: 2008-04-04T17:16:49Z\r\n"
            "NS: imdn <urn:ietf:params:imdn>\r\n"
            "imdn.Message-ID: d834jied93rf\r\n"
            "\r\n"
            "Content-Type: message/imdn+xml\r\n"
            "Content-Disposition: notification");
  auto v = ParseCpim(*body);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->ToOwned(), *m);
  EXPECT_FALSE(RequestedDispositions(*v)->Any());  // a notification asks for none
  auto n = ParseImdn(v->content);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, (Imdn{"34jk324j", "2006-04-04T12:16:49-05:00", "im:bob@example.com", "im:bob@example.com",
                      "lunch?", ImdnKind::kDelivery, ImdnStatus::kDelivered}));
}

TEST(ImdnReply, ServerAnswersStoredAndFailedForItself) {
  std::string req(kRequest);
  req.insert(req.find("DateTime"), "imdn.Original-To: Bobby <sip:bobby@old.example.com>\r\n");
  auto original = ParseCpim(req);
  ASSERT_TRUE(original.ok()) << original.error().message;
  ImdnReply reply;
  reply.kind = ImdnKind::kProcessing;
  reply.status = ImdnStatus::kStored;
  reply.message_id = "srv-1";
  reply.now_ms = 1714557600000;
  reply.from = CpimAddress{"", "sip:im.example.com"};
  auto m = BuildImdnReply(*original, reply);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->from, (CpimAddress{"", "sip:im.example.com"}));
  EXPECT_EQ(m->to, (std::vector<CpimAddress>{{"Alice", "im:alice@example.com"}}));
  EXPECT_EQ(m->datetime, "2024-05-01T10:00:00Z");
  EXPECT_EQ(m->Extension("imdn", "Message-ID"), "srv-1");
  auto n = ParseImdn(m->content);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->original_recipient_uri, "sip:bobby@old.example.com");
  EXPECT_EQ(n->recipient_uri, "im:bob@example.com");
  EXPECT_EQ(n->status, ImdnStatus::kStored);

  reply.kind = ImdnKind::kDelivery;
  reply.status = ImdnStatus::kFailed;
  ASSERT_TRUE(BuildImdnReply(*original, reply).ok());
  reply.kind = ImdnKind::kDisplay;
  reply.status = ImdnStatus::kDisplayed;
  auto not_asked = BuildImdnReply(*original, reply);
  ASSERT_FALSE(not_asked.ok());
  EXPECT_EQ(not_asked.error().code, 409);
  EXPECT_EQ(not_asked.error().message, "IMDN: the message did not ask for a display-notification (displayed)");
}

TEST(ImdnReply, GroupReportsPerMemberUnasked) {
  const std::string to_group =
      "From: <sip:alice@example.com>\r\nTo: <sip:team@example.com>\r\nDateTime: 2024-01-01T00:00:00Z\r\n"
      "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: g1\r\n\r\nContent-Type: text/plain\r\n\r\nhi all";
  auto original = ParseCpim(to_group);
  ASSERT_TRUE(original.ok()) << original.error().message;
  ImdnReply reply;
  reply.message_id = "r1";
  reply.from = CpimAddress{"", "sip:example.com"};
  reply.recipient = "sip:bob@example.com";
  EXPECT_EQ(BuildImdnReply(*original, reply).error().code, 409);  // asked for nothing
  reply.unsolicited = true;
  auto m = BuildImdnReply(*original, reply);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->to, (std::vector<CpimAddress>{{"", "sip:alice@example.com"}}));
  auto n = ParseImdn(m->content);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->message_id, "g1");
  EXPECT_EQ(n->recipient_uri, "sip:bob@example.com");
  EXPECT_EQ(n->original_recipient_uri, "sip:team@example.com");
  EXPECT_EQ(n->status, ImdnStatus::kDelivered);
}

TEST(ImdnReply, Errors) {
  ImdnReply reply;
  reply.message_id = "n1";
  auto fails = [&](std::string_view body, const char* reason) {
    auto v = ParseCpim(body);
    ASSERT_TRUE(v.ok()) << v.error().message;
    auto m = BuildImdnReply(*v, reply);
    ASSERT_FALSE(m.ok()) << reason;
    EXPECT_EQ(m.error().code, 400);
    EXPECT_EQ(m.error().message, reason);
  };
  const std::string ns = "NS: imdn <urn:ietf:params:imdn>\r\n";
  const std::string tail = "\r\nContent-Type: text/plain\r\n\r\nx";
  const std::string asks = "imdn.Disposition-Notification: positive-delivery\r\n";
  const std::string dt = "DateTime: 2024-01-01T00:00:00Z\r\n";
  fails(ns + "imdn.Message-ID: a\r\n" + dt + asks + tail, "IMDN: the message has no From");
  fails("From: <sip:a@b>\r\n" + ns + dt + asks + tail, "IMDN: the message has no imdn.Message-ID");
  fails("From: <sip:a@b>\r\n" + ns + "imdn.Message-ID: a\r\n" + asks + tail, "IMDN: the message has no DateTime");
  fails("From: <sip:a@b>\r\n" + ns + "imdn.Message-ID: a\r\n" + dt + asks + tail, "IMDN: the message has no To");
  fails("From: <sip:a@b>\r\nTo: <sip:c@d>\r\n" + ns + "imdn.Message-ID: a\r\n" + dt +
            "imdn.Disposition-Notification: ,\r\n" + tail,
        "IMDN: empty element in Disposition-Notification");
  reply.message_id.clear();
  fails("From: <sip:a@b>\r\nTo: <sip:c@d>\r\n" + ns + "imdn.Message-ID: a\r\n" + dt + asks + tail,
        "IMDN: the notification needs a Message-ID");
  reply.message_id = "n1";
  reply.kind = ImdnKind::kDisplay;
  reply.status = ImdnStatus::kStored;
  fails("From: <sip:a@b>\r\nTo: <sip:c@d>\r\n" + ns + "imdn.Message-ID: a\r\n" + dt + asks + tail,
        "IMDN: <stored> is not a status of <display-notification>");
}

}  // namespace
}  // namespace parley::im
