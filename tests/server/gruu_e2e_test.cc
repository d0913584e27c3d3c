// GRUUs (RFC 5627) end to end: the registrar hands out public and
// temporary GRUUs to a UA that supports them, and requests to a GRUU reach
// that one device of the user, through the user's reception policy.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "server_fixture.h"
#include "sip/response.h"
#include "sip_client.h"
#include "store/store.h"

namespace parley::server {
namespace {

using testing::SipClient;

const std::string kPhone = "<urn:uuid:00000000-0000-1000-8000-00000000000a>";
const std::string kLaptop = "<urn:uuid:00000000-0000-1000-8000-00000000000b>";

class Gruu : public ServerFixture {
 protected:
  // bob registers device `c` as `instance`; returns the 200 (or what came).
  sip::MessagePtr RegisterDevice(SipClient& c, const std::string& instance, const std::string& call_id,
                                 const std::string& supported = "Supported: gruu, path\n",
                                 const std::string& contact_uri = "sip:bob@127.0.0.1:$PORT", int cseq = 1) {
    std::string headers = "Contact: <" + contact_uri + ">;+sip.instance=\"" + instance + "\";expires=600\n" + supported;
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", "bob", "sip:bob@example.com", call_id, cseq, headers));
    auto ch = c.ReceiveResponse();
    if (!ch || ch->status() != 401) return ch;
    std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", "bob", "bob-pw");
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", "bob", "sip:bob@example.com", call_id, cseq + 1,
                      headers + "Authorization: " + auth + "\n"));
    return c.ReceiveResponse();
  }

  // The (pub-gruu, temp-gruu) of the binding of `instance` in a 200.
  static std::pair<std::string, std::string> GruusOf(const sip::Message& ok, const std::string& instance) {
    for (const auto& c : ok.contacts()) {
      if (c.params.GetUnquoted("+sip.instance").value_or("") != instance) continue;
      return {c.params.GetUnquoted("pub-gruu").value_or(""), c.params.GetUnquoted("temp-gruu").value_or("")};
    }
    return {};
  }
};

TEST_F(Gruu, ARegistrationThatSupportsGruuGetsAPublicAndATemporaryGruu) {
  SipClient phone(false, udp_);
  auto ok = RegisterDevice(phone, kPhone, "gruu-1");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status(), 200);
  auto [pub, temp] = GruusOf(*ok, kPhone);
  EXPECT_EQ(pub, "sip:bob@example.com;gr=urn:uuid:00000000-0000-1000-8000-00000000000a");
  EXPECT_TRUE(temp.starts_with("sip:tgruu.")) << temp;
  EXPECT_TRUE(temp.ends_with("@example.com;gr")) << temp;
  // Nothing says whose it is: an opaque token, no AOR or instance in clear.
  // (Not "no 'bob' in it": base32 spells that now and then by chance.)
  std::string token = temp.substr(10, temp.size() - 10 - std::string("@example.com;gr").size());
  EXPECT_EQ(token.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos) << temp;
  EXPECT_GE(token.size(), 32u) << temp;
  // A refresh: the same public GRUU, a new temporary one (both stay valid).
  auto again = RegisterDevice(phone, kPhone, "gruu-1", "Supported: gruu\n", "sip:bob@127.0.0.1:$PORT", 3);
  ASSERT_TRUE(again && again->status() == 200);
  EXPECT_EQ(GruusOf(*again, kPhone).first, pub);
  EXPECT_NE(GruusOf(*again, kPhone).second, temp);

  // No GRUUs for a UA that did not say it supports them.
  SipClient laptop(false, udp_);
  auto plain = RegisterDevice(laptop, kLaptop, "gruu-2", "Supported: path\n");
  ASSERT_TRUE(plain && plain->status() == 200);
  for (const auto& c : plain->contacts()) EXPECT_FALSE(c.params.Has("pub-gruu")) << c.uri_text;

  // One of our GRUUs is no contact (it would route to itself).
  auto loop = RegisterDevice(laptop, kLaptop, "gruu-3", "Supported: gruu\n", pub);
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->status(), 403);
  EXPECT_EQ(loop->reason(), "Contact Is A GRUU");
}

TEST_F(Gruu, ARequestToAGruuReachesThatDeviceOnly) {
  SipClient phone(false, udp_), laptop(false, udp_);
  auto p = RegisterDevice(phone, kPhone, "dev-phone");
  auto l = RegisterDevice(laptop, kLaptop, "dev-laptop");
  ASSERT_TRUE(p && p->status() == 200 && l && l->status() == 200);
  auto [phone_pub, phone_temp] = GruusOf(*p, kPhone);
  auto [laptop_pub, laptop_temp] = GruusOf(*l, kLaptop);
  ASSERT_FALSE(phone_temp.empty());
  ASSERT_FALSE(laptop_pub.empty());

  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", laptop_pub, "to the laptop", &laptop);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "to the laptop");
  r = SendMessage(alice, "alice", "alice-pw", phone_temp, "to the phone", &phone);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "to the phone");
  ASSERT_TRUE(received_msg_);
  EXPECT_EQ(received_msg_->request_uri_text().find("tgruu"), std::string::npos);  // the device's Contact
  // Neither was forked to the other device.
  EXPECT_EQ(phone.Receive(), nullptr);
  EXPECT_EQ(laptop.Receive(), nullptr);

  // An instance bob never registered: 480, and not stored for his others.
  auto gone = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com;gr=urn:uuid:nothing-here", "x");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status(), 480);
  // A forged or altered temporary GRUU is nobody.
  std::string forged = phone_temp;
  forged[12] = forged[12] == 'a' ? 'b' : 'a';
  EXPECT_EQ(SendMessage(alice, "alice", "alice-pw", forged, "x")->status(), 404);

  // bob's reception policy covers his GRUUs too.
  ASSERT_TRUE(store_->SetPolicyEntry("bob@example.com", {"carol@example.com", store::PolicyAction::kBlock}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // change feed
  SipClient carol(false, udp_);
  EXPECT_EQ(SendMessage(carol, "carol", "carol-pw", phone_temp, "spam")->status(), 403);
  EXPECT_EQ(SendMessage(carol, "carol", "carol-pw", laptop_pub, "spam")->status(), 403);

  // The phone registers again with a new Call-ID: its old temporary GRUUs
  // end (RFC 5627 §3.2), the new one and the public GRUU work.
  auto p2 = RegisterDevice(phone, kPhone, "dev-phone-rebooted");
  ASSERT_TRUE(p2 && p2->status() == 200);
  EXPECT_EQ(SendMessage(alice, "alice", "alice-pw", phone_temp, "old")->status(), 404);
  r = SendMessage(alice, "alice", "alice-pw", GruusOf(*p2, kPhone).second, "new", &phone);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "new");
  r = SendMessage(alice, "alice", "alice-pw", phone_pub, "public", &phone);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "public");
}

// RFC 5628: the reg event shows a contact's public GRUU and a temporary one
// with the first CSeq of its registration, so a watcher (bob's other
// device) can reach that very device.
TEST_F(Gruu, TheRegEventShowsEachDevicesGruus) {
  SipClient phone(false, udp_), laptop(false, udp_);
  ASSERT_EQ(RegisterDevice(phone, kPhone, "reg-phone")->status(), 200);
  ASSERT_EQ(RegisterDevice(laptop, kLaptop, "reg-laptop", "Supported: path\n")->status(), 200);
  SipClient watcher(false, udp_);
  std::string hdrs = "Event: reg\nAccept: application/reginfo+xml\nExpires: 600\nContact: <sip:bob@127.0.0.1:$PORT>\n";
  watcher.SendRaw(Request(watcher, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", "reg-w", 1, hdrs));
  auto ch = watcher.Receive();
  ASSERT_TRUE(ch && ch->status() == 407);
  std::string auth = testing::AnswerChallenge(*ch, "SUBSCRIBE", "sip:bob@example.com", "bob", "bob-pw");
  watcher.SendRaw(Request(watcher, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", "reg-w", 2,
                          hdrs + "Proxy-Authorization: " + auth + "\n"));
  auto [ok, full] = ResponseAndNotify(watcher);
  ASSERT_TRUE(ok && ok->status() == 200);
  ASSERT_TRUE(full);
  std::string body(full->body());
  EXPECT_NE(body.find("xmlns:gr=\"urn:ietf:params:xml:ns:gruuinfo\""), std::string::npos) << body;
  // Both devices have one (the laptop did not ask for GRUUs, but its
  // instance routes all the same).
  EXPECT_NE(body.find("<gr:pub-gruu uri=\"sip:bob@example.com;gr=urn:uuid:00000000-0000-1000-8000-00000000000a\"/>"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("<gr:pub-gruu uri=\"sip:bob@example.com;gr=urn:uuid:00000000-0000-1000-8000-00000000000b\"/>"),
            std::string::npos)
      << body;
  // A temporary GRUU each: the phone's registration began with CSeq 2 (the
  // challenged REGISTER bound nothing), and its temporary GRUU reaches it.
  size_t at = body.find("<gr:temp-gruu uri=\"sip:tgruu.");
  ASSERT_NE(at, std::string::npos) << body;
  EXPECT_NE(body.find("<gr:temp-gruu uri=\"sip:tgruu.", at + 1), std::string::npos) << body;
  std::string phone_temp;
  const std::string tag = "<gr:temp-gruu uri=\"";
  for (size_t i = at; (i = body.find(tag, i)) != std::string::npos; ++i) {
    size_t b = i + tag.size(), e = body.find('"', b);
    std::string contact = body.substr(body.rfind("<contact ", i), i - body.rfind("<contact ", i));
    if (contact.find(std::to_string(phone.port())) == std::string::npos) continue;
    phone_temp = body.substr(b, e - b);
    EXPECT_TRUE(body.substr(e).starts_with("\" first-cseq=\"2\"/>")) << body;
  }
  ASSERT_TRUE(phone_temp.ends_with("@example.com;gr")) << body;
  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", phone_temp, "by the reg event's GRUU", &phone);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "by the reg event's GRUU");

  // A watcher bob allows sees his devices' public GRUUs but not the
  // temporary ones: those are for bob alone.
  ASSERT_TRUE(store_->SetPolicyEntry("bob@example.com", {"alice@example.com", store::PolicyAction::kAllow}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // change feed
  SipClient other(false, udp_);
  std::string ahdrs = "Event: reg\nAccept: application/reginfo+xml\nExpires: 600\nContact: <sip:alice@127.0.0.1:$PORT>\n";
  other.SendRaw(Request(other, "SUBSCRIBE", "sip:bob@example.com", "alice", "sip:bob@example.com", "reg-a", 1, ahdrs));
  auto ach = other.Receive();
  ASSERT_TRUE(ach && ach->status() == 407);
  std::string aauth = testing::AnswerChallenge(*ach, "SUBSCRIBE", "sip:bob@example.com", "alice", "alice-pw");
  other.SendRaw(Request(other, "SUBSCRIBE", "sip:bob@example.com", "alice", "sip:bob@example.com", "reg-a", 2,
                        ahdrs + "Proxy-Authorization: " + aauth + "\n"));
  auto [aok, afull] = ResponseAndNotify(other);
  ASSERT_TRUE(aok && aok->status() == 200);
  ASSERT_TRUE(afull);
  std::string abody(afull->body());
  EXPECT_NE(abody.find("<gr:pub-gruu uri="), std::string::npos) << abody;
  EXPECT_EQ(abody.find("temp-gruu"), std::string::npos) << abody;
}

// A watcher whose SUBSCRIBE Contact is its GRUU (RFC 5627 §4.2) gets each
// NOTIFY where that device is registered now (§7.1), not where the
// SUBSCRIBE came from: a phone that moved to another address and
// registered again from there keeps its subscriptions.
TEST_F(Gruu, NotifiesToAGruuFollowTheDevicesRegistration) {
  SipClient phone(false, udp_);
  auto p = RegisterDevice(phone, kPhone, "follow-phone");
  ASSERT_TRUE(p && p->status() == 200);
  auto [pub, temp] = GruusOf(*p, kPhone);
  ASSERT_FALSE(temp.empty());
  // Two subscriptions to bob's registrations: one with the public GRUU as
  // Contact, one with the temporary GRUU.
  int cseq = 1;
  for (const std::string& contact : {pub, temp}) {
    std::string call_id = "follow-sub-" + std::to_string(cseq);
    std::string hdrs = "Event: reg\nAccept: application/reginfo+xml\nExpires: 600\nContact: <" + contact + ">\n";
    phone.SendRaw(Request(phone, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", call_id, 1, hdrs));
    auto ch = phone.Receive();
    ASSERT_TRUE(ch && ch->status() == 407);
    std::string auth = testing::AnswerChallenge(*ch, "SUBSCRIBE", "sip:bob@example.com", "bob", "bob-pw");
    phone.SendRaw(Request(phone, "SUBSCRIBE", "sip:bob@example.com", "bob", "sip:bob@example.com", call_id, 2,
                          hdrs + "Proxy-Authorization: " + auth + "\n"));
    auto [ok, first] = ResponseAndNotify(phone);
    ASSERT_TRUE(ok && ok->status() == 200) << contact;
    ASSERT_TRUE(first) << contact;
    // Sent to the device's registered Contact, as a proxy would retarget it.
    EXPECT_EQ(first->request_uri_text(), "sip:bob@127.0.0.1:" + std::to_string(phone.port())) << contact;
    ++cseq;
  }

  // The phone moves: same device, same registration (Call-ID), another
  // address. Its registration changed, so both subscriptions get a NOTIFY,
  // and both go to the new address.
  SipClient moved(false, udp_);
  auto again = RegisterDevice(moved, kPhone, "follow-phone", "Supported: gruu\n", "sip:bob@127.0.0.1:$PORT", 3);
  ASSERT_TRUE(again && again->status() == 200);
  std::set<std::string> call_ids;
  for (int i = 0; i < 2; ++i) {
    auto n = NextNotify(moved);
    ASSERT_TRUE(n) << i;
    ASSERT_EQ(n->method(), sip::Method::kNotify);
    EXPECT_EQ(n->request_uri_text(), "sip:bob@127.0.0.1:" + std::to_string(moved.port()));
    call_ids.insert(std::string(n->call_id()));
  }
  EXPECT_EQ(call_ids, (std::set<std::string>{"follow-sub-1", "follow-sub-2"}));
  EXPECT_EQ(phone.Receive(), nullptr);  // nothing to the old address
}

// A temporary GRUU is keyed by the store's shared secret: it survives a restart.
TEST_F(Gruu, TemporaryGruusSurviveARestart) {
  SipClient phone(false, udp_);
  auto p = RegisterDevice(phone, kPhone, "restart-phone");
  ASSERT_TRUE(p && p->status() == 200);
  std::string temp = GruusOf(*p, kPhone).second;
  ASSERT_FALSE(temp.empty());
  Restart();
  SipClient alice(false, udp_);
  auto r = SendMessage(alice, "alice", "alice-pw", temp, "after restart", &phone);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);
  EXPECT_EQ(received_, "after restart");
}

}  // namespace
}  // namespace parley::server
