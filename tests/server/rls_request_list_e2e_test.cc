// Lists in the SUBSCRIBE (RFC 5367) end to end: a SUBSCRIBE to the list
// server's URI (rls@example.com) carries the resources it watches, as
// Linphone sends its friend list (deflated resource-lists, Content-
// Disposition: recipient-list, Require: recipient-list-subscribe); the
// subscription is a presence list subscription (RFC 4662) of its own that
// survives a restart.

#include <gtest/gtest.h>
#include <poll.h>

#include <memory>
#include <string>

#include "rls_fixture.h"
#include "sip/content_coding.h"

namespace parley::server {
namespace {

// bob, carol and zed@elsewhere.example.org in a resource-lists document,
// deflated in the zlib format by Python's zlib.compress.
constexpr std::string_view kDeflatedListHex =
    "789c85ce4d0e82400c05e03da798740fe8ce4c1860c509f400c3507192f9212d287a7a47a30be2c2555f9aefa5ad9ad53b7145621b8382"
    "7db10381c1c4c18651c1e9d8e50768eaac22e4b890c1dc599e59a45260050b0569713ecb4993f62cd35a06965b0ca9fe0a696098e92e16"
    "b20ad84eb28f7d8babf693c3c2440fe52f319aa2fb871e38b4e8186f17242cbe38d2f8c6e5e778b97dabce9e49f85801";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string ResourceLists(const std::string& entries) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
         "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list>" +
         entries + "</list></resource-lists>";
}

constexpr const char* kRequestListHeaders =
    "Supported: eventlist\nRequire: recipient-list-subscribe\nContent-Disposition: recipient-list\n"
    "Accept: multipart/related, application/pidf+xml, application/rlmi+xml\n";

class RequestLists : public PresenceLists {
 protected:
  // `user` subscribes to rls@example.com with `body` as its list: the
  // final response and the first NOTIFY (answered).
  std::pair<sip::MessagePtr, sip::MessagePtr> SubscribeWith(SipClient& c, const std::string& user,
                                                            const std::string& call_id, const std::string& headers,
                                                            const std::string& body) {
    std::string hdrs = "Event: presence\nExpires: 600\nContact: <sip:" + user + "@127.0.0.1:$PORT>\n" + headers;
    const std::string uri = "sip:rls@example.com";
    auto ch = SendAuthed(c, "SUBSCRIBE", uri, user, uri, call_id, 1, hdrs, body);
    if (!ch || ch->status() != 407) return {std::move(ch), nullptr};
    return ResponseAndNotify(c);
  }
  // The final response only (a refused SUBSCRIBE).
  sip::MessagePtr Refused(SipClient& c, const std::string& call_id, const std::string& headers,
                          const std::string& body, const std::string& target = "rls") {
    std::string hdrs = "Event: presence\nExpires: 600\nContact: <sip:alice@127.0.0.1:$PORT>\n" + headers;
    const std::string uri = "sip:" + target + "@example.com";
    auto ch = SendAuthed(c, "SUBSCRIBE", uri, "alice", uri, call_id, 1, hdrs, body);
    if (!ch || ch->status() != 407) return ch;
    return c.Receive();
  }
};

TEST_F(RequestLists, ADeflatedListAsLinphoneSendsItIsOneSubscriptionThatSurvivesARestart) {
  SipClient carol(false, udp_);
  ASSERT_EQ(Publish(carol, "carol", "", 600, Pidf("carol", "open", "at my desk"))->status(), 200);

  SipClient alice(false, udp_);
  auto [ok, first] = SubscribeWith(alice, "alice", "rl-1",
                                   std::string(kRequestListHeaders) +
                                       "Content-Type: application/resource-lists+xml\nContent-Encoding: deflate\n",
                                   FromHex(kDeflatedListHex));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200) << ok->reason();
  EXPECT_EQ(ok->Value(sip::HeaderId::kRequire), "eventlist");
  auto full = Parse(first);
  ASSERT_TRUE(full) << (first ? std::string(first->body()) : "no NOTIFY");
  EXPECT_TRUE(full->Full());
  // The list has a URI of its own under the list server's.
  EXPECT_NE(full->rlmi.find(" uri=\"sip:rls@example.com;list="), std::string::npos) << full->rlmi;
  EXPECT_EQ(full->State("bob"), "active");
  EXPECT_EQ(full->State("carol"), "active");
  EXPECT_NE(full->Doc("carol").find("at my desk"), std::string::npos);
  // Another domain's resource: no federation, no state to show.
  EXPECT_EQ(full->State("zed@elsewhere.example.org"), "terminated");
  EXPECT_NE(full->rlmi.find("reason=\"rejected\""), std::string::npos);
  // The NOTIFY comes from the URI the SUBSCRIBE was sent to.
  EXPECT_EQ(first->from()->uri_text, "sip:rls@example.com");

  // A member's change: a partial notification of that member.
  SipClient bob(false, udp_);
  ASSERT_EQ(Publish(bob, "bob", "", 600, Pidf("bob", "open", "in a meeting"))->status(), 200);
  auto change = Parse(NextNotify(alice));
  ASSERT_TRUE(change);
  EXPECT_FALSE(change->Full());
  EXPECT_NE(change->Doc("bob").find("in a meeting"), std::string::npos);
  EXPECT_EQ(change->State("carol"), "absent");

  // The list came with the SUBSCRIBE only: a restart takes it from the
  // subscription's store record.
  Restart();
  auto restored = Parse(NextNotify(alice));
  ASSERT_TRUE(restored);
  EXPECT_TRUE(restored->Full());
  EXPECT_EQ(restored->State("bob"), "active");
  EXPECT_NE(restored->Doc("carol").find("at my desk"), std::string::npos);
  SipClient carol_again(false, udp_);  // the server listens on new ports
  ASSERT_EQ(Publish(carol_again, "carol", "", 600, Pidf("carol", "closed", "gone home"))->status(), 200);
  auto later = Parse(NextNotify(alice));
  ASSERT_TRUE(later);
  EXPECT_NE(later->Doc("carol").find("gone home"), std::string::npos);

  // Unsubscribed at the Contact we gave (its user names the
  // subscription; the server has new ports): the list and its view go.
  SipClient again(false, udp_);
  std::string target = "sip:" + std::string(ok->contacts().at(0).uri.user) + "@example.com";
  auto gone = SendAuthed(again, "SUBSCRIBE", target, "alice",
                         "<sip:rls@example.com>;tag=" + std::string(ok->to()->tag()), "rl-1", 3,
                         std::string("Event: presence\nExpires: 0\nContact: <sip:alice@127.0.0.1:$PORT>\n") +
                             kListHeaders);
  if (gone && gone->status() == 407) gone = again.Receive();
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status(), 200);
  auto last = NextNotify(alice);
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->Value(sip::HeaderId::kSubscriptionState).starts_with("terminated"));
  EXPECT_EQ(ListMetricsWhenIdle(), "views=0 feeds=0");
}

TEST_F(RequestLists, TwoListsOfOneSubscriberAreTwoSubscriptions) {
  SipClient alice(false, udp_);
  const std::string headers = std::string(kRequestListHeaders) + "Content-Type: application/resource-lists+xml\n";
  auto [a, na] = SubscribeWith(alice, "alice", "rl-a", headers, ResourceLists("<entry uri=\"sip:bob@example.com\"/>"));
  ASSERT_TRUE(a);
  ASSERT_EQ(a->status(), 200);
  auto [b, nb] =
      SubscribeWith(alice, "alice", "rl-b", headers, ResourceLists("<entry uri=\"sip:carol@example.com\"/>"));
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status(), 200);
  auto first = Parse(na), second = Parse(nb);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->State("bob"), "active");
  EXPECT_EQ(first->State("carol"), "absent");
  EXPECT_EQ(second->State("carol"), "active");
  EXPECT_EQ(second->State("bob"), "absent");
}

// Linphone (liblinphone 5.1) reads a list NOTIFY only as Event
// "Presence" with parts named "Content-Id: cid" (interop case
// linphone_presence_list); what its User-Agent gets, across a restart too.
TEST_F(RequestLists, LinphoneGetsItsListAsLiblinphoneReadsIt) {
  SipClient alice(false, udp_);
  auto [ok, first] = SubscribeWith(alice, "alice", "rl-lin",
                                   std::string(kRequestListHeaders) +
                                       "Content-Type: application/resource-lists+xml\nUser-Agent: Linphonec/5.1.65\n",
                                   ResourceLists("<entry uri=\"sip:bob@example.com\"/>"));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Value(sip::HeaderId::kEvent), "Presence");
  EXPECT_NE(first->body().find("\r\nContent-Id: "), std::string_view::npos);
  EXPECT_EQ(first->body().find("Content-ID: <"), std::string_view::npos);
  auto full = Parse(first);
  ASSERT_TRUE(full);
  EXPECT_NE(full->Doc("bob").find("<basic>closed</basic>"), std::string::npos);  // found by its bare cid
  Restart();
  auto restored = NextNotify(alice);
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->Value(sip::HeaderId::kEvent), "Presence");
  ASSERT_TRUE(Parse(restored));
  EXPECT_EQ(Parse(restored)->State("bob"), "active");
}

// A NOTIFY too big for a datagram (RFC 3261 §18.1.1) goes deflated to a
// subscriber whose SUBSCRIBE accepts deflate (as Linphone's do), and plain
// to one that does not (over TCP, refused here: then as a datagram).
TEST_F(RequestLists, LargeNotifiesOverUdpAreDeflatedForThoseWhoAcceptIt) {
  std::string entries;
  for (int i = 0; i < 12; ++i) entries += "<entry uri=\"sip:member" + std::to_string(i) + "@example.com\"/>";
  const std::string headers = std::string(kRequestListHeaders) + "Content-Type: application/resource-lists+xml\n";
  SipClient alice(false, udp_);
  auto [ok, first] = SubscribeWith(alice, "alice", "rl-big", headers + "Accept-Encoding: deflate\n",
                                   ResourceLists(entries));
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->Value(sip::HeaderId::kContentEncoding), "deflate");
  auto plain = sip::DecodeBody("deflate", first->body(), 1 << 20);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_GT(plain->size(), 1300u);
  EXPECT_LT(first->body().size(), plain->size() / 2);
  EXPECT_NE(plain->find("sip:member11@example.com"), std::string::npos);

  SipClient bob(false, udp_);
  auto [ok2, other] = SubscribeWith(bob, "bob", "rl-big2", headers, ResourceLists(entries));
  ASSERT_TRUE(ok2);
  ASSERT_EQ(ok2->status(), 200);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->Value(sip::HeaderId::kContentEncoding), "");
  auto list = Parse(other);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->State("member11"), "active");
  EXPECT_EQ(list->Version(), 0);  // the NOTIFY TCP could not take, not a new one
}

// One that does not accept deflate gets it over TCP at the address it
// subscribed from (§18.1.1) when something listens there, and as a
// datagram when nothing does (the connection refused) — above, bob.
// A UDP client and a TCP listener on the same port number. The number is
// the kernel's pick for the UDP socket, which some TCP socket of this
// machine may hold already: then another client.
struct ClientListeningOnTcp {
  std::unique_ptr<SipClient> client;
  int listener = -1;
};
ClientListeningOnTcp ClientWithTcpListener(uint16_t server_port) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto c = std::make_unique<SipClient>(false, server_port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(c->port());
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(fd, 4) == 0) return {std::move(c), fd};
    close(fd);
  }
  return {};
}

TEST_F(RequestLists, LargeNotifiesGoOverTcpToASubscriberListeningThere) {
  std::string entries;
  for (int i = 0; i < 12; ++i) entries += "<entry uri=\"sip:member" + std::to_string(i) + "@example.com\"/>";
  auto carol_tcp = ClientWithTcpListener(udp_);
  ASSERT_GE(carol_tcp.listener, 0);
  SipClient& carol = *carol_tcp.client;
  int listener = carol_tcp.listener;
  std::string hdrs = "Event: presence\nExpires: 600\nContact: <sip:carol@127.0.0.1:$PORT>\n" +
                     std::string(kRequestListHeaders) + "Content-Type: application/resource-lists+xml\n";
  const std::string uri = "sip:rls@example.com";
  auto ch = SendAuthed(carol, "SUBSCRIBE", uri, "carol", uri, "rl-tcp", 1, hdrs, ResourceLists(entries));
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->status(), 407);
  auto ok = carol.ReceiveResponse();
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  pollfd p{listener, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  int conn = accept(listener, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  timeval tv{5, 0};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sip::MessageParser parser{sip::ParserLimits()};
  std::string pending;
  sip::MessagePtr notify;
  while (!notify) {
    char buf[65536];
    ssize_t n = recv(conn, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    pending.append(buf, static_cast<size_t>(n));
    std::string_view rest(pending);
    auto step = parser.Feed(rest);
    pending.erase(0, step.consumed);
    if (step.status == sip::MessageParser::Status::kMessage) notify = parser.TakeMessage();
  }
  EXPECT_EQ(notify->method(), sip::Method::kNotify);
  EXPECT_NE(notify->Value(sip::HeaderId::kVia).find("SIP/2.0/TCP"), std::string_view::npos);
  EXPECT_EQ(notify->Value(sip::HeaderId::kContentEncoding), "");
  EXPECT_GT(notify->Serialize().size(), 1300u);
  auto list = Parse(notify);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->State("member11"), "active");
  std::string answer = sip::MakeResponse(*notify, 200, "OK")->Serialize();
  ::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
  EXPECT_FALSE(carol.Receive());  // nothing over UDP
  close(conn);
  close(listener);

  // Behind a NAT (its Contact is not where its requests come from) no
  // connection is tried: a datagram, though something listens on TCP.
  auto dave_tcp = ClientWithTcpListener(udp_);
  ASSERT_GE(dave_tcp.listener, 0);
  SipClient& dave = *dave_tcp.client;
  int nat_listener = dave_tcp.listener;
  std::string nat = "Event: presence\nExpires: 600\nContact: <sip:bob@10.0.0.7:5060>\n" +
                    std::string(kRequestListHeaders) + "Content-Type: application/resource-lists+xml\n";
  auto ch2 = SendAuthed(dave, "SUBSCRIBE", uri, "bob", uri, "rl-nat", 1, nat, ResourceLists(entries));
  ASSERT_TRUE(ch2);
  ASSERT_EQ(ch2->status(), 407);
  auto [ok2, datagram] = ResponseAndNotify(dave);
  ASSERT_TRUE(ok2);
  ASSERT_EQ(ok2->status(), 200);
  ASSERT_TRUE(datagram);
  EXPECT_NE(datagram->Value(sip::HeaderId::kVia).find("SIP/2.0/UDP"), std::string_view::npos);
  pollfd q{nat_listener, POLLIN, 0};
  EXPECT_EQ(poll(&q, 1, 0), 0);  // no connection came
  close(nat_listener);
}

TEST_F(RequestLists, RefusalsNameTheFault) {
  SipClient alice(false, udp_);
  const std::string list = ResourceLists("<entry uri=\"sip:bob@example.com\"/>");
  const std::string type = "Content-Type: application/resource-lists+xml\n";

  // No list in the body.
  auto none = Refused(alice, "rl-e1", kRequestListHeaders, "");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status(), 400);
  EXPECT_EQ(none->reason(), "Missing Resource List");
  // Not a resource-lists document: 415 naming what is.
  auto text = Refused(alice, "rl-e2", std::string(kRequestListHeaders) + "Content-Type: text/plain\n", "bob");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status(), 415);
  EXPECT_EQ(text->Value(sip::HeaderId::kAccept), "application/resource-lists+xml");
  // A coding we do not undo: 415 naming those we do.
  auto gzip = Refused(alice, "rl-e3", std::string(kRequestListHeaders) + type + "Content-Encoding: gzip\n", list);
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->status(), 415);
  EXPECT_EQ(gzip->Value(sip::HeaderId::kAcceptEncoding), "deflate, identity");
  // Broken XML, a corrupt deflate stream: 400 with the parser's reason.
  auto broken = Refused(alice, "rl-e4", std::string(kRequestListHeaders) + type, "<resource-lists");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status(), 400);
  EXPECT_TRUE(broken->reason().starts_with("resource-lists: not well-formed XML")) << broken->reason();
  auto corrupt =
      Refused(alice, "rl-e5", std::string(kRequestListHeaders) + type + "Content-Encoding: deflate\n", "x\x9c garbage");
  ASSERT_TRUE(corrupt);
  EXPECT_EQ(corrupt->status(), 400);
  // Without Supported: eventlist the list server cannot answer: 421.
  auto old = Refused(alice, "rl-e6", "Require: recipient-list-subscribe\n" + type, list);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status(), 421);
  EXPECT_EQ(old->Value(sip::HeaderId::kRequire), "eventlist");
  // A user's URI is no list server, and an extension nobody serves: 420.
  auto user = Refused(alice, "rl-e7", std::string(kRequestListHeaders) + type, list, "bob");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->status(), 420);
  EXPECT_EQ(user->Value(sip::HeaderId::kUnsupported), "recipient-list-subscribe");
  auto unknown = Refused(alice, "rl-e8", "Require: x-teleport\n", "", "bob");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status(), 420);
  EXPECT_EQ(unknown->Value(sip::HeaderId::kUnsupported), "x-teleport");
  EXPECT_EQ(ListMetricsWhenIdle(), "views=0 feeds=0");
}

}  // namespace
}  // namespace parley::server
