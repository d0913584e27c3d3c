#pragma once
// Calls through parleyd for end-to-end tests: alice (with credentials)
// calls bob's registered UA; the UAs' answers, and requests in the dialog
// routed through our Record-Route. A mixin over any server fixture.

#include <gtest/gtest.h>

#include "server_fixture.h"

namespace parley::server {

template <typename Base>
class CallFixture : public Base {
 protected:
  // An INVITE from alice (with credentials; or from `caller`) to bob;
  // returns after the 407 was answered (the authenticated INVITE is on its
  // way).
  void Call(SipClient& alice, const std::string& call_id, const std::string& extra = "",
            const std::string& caller = "alice") {
    std::string uri = "sip:bob@example.com";
    auto ch = this->SendAuthed(alice, "INVITE", uri, caller, uri, call_id, 1,
                               "Contact: <sip:" + caller + "@127.0.0.1:$PORT>\nContent-Type: application/sdp\n" + extra,
                               "v=0\r\n");
    ASSERT_TRUE(ch);
    ASSERT_EQ(ch->status(), 407);
    // The INVITE transaction with 407 wants its ACK (§17.1.1.3).
    alice.SendRaw(alice.Fill(testing::ToCrlf(
        "ACK " + uri + " SIP/2.0\n" + std::string(ch->Value(sip::HeaderId::kVia)).insert(0, "Via: ") +
        "\nMax-Forwards: 70\nFrom: " + std::string(ch->Value(sip::HeaderId::kFrom)) + "\nTo: " +
        std::string(ch->Value(sip::HeaderId::kTo)) + "\nCall-ID: " + call_id +
        "\nCSeq: 1 ACK\nContent-Length: 0\n\n")));
  }

  // A response to `req` from a UA, with a To tag and a Contact.
  static std::string Answer(const sip::Message& req, int status, const std::string& reason, const std::string& tag,
                            const std::string& contact = "") {
    auto r = sip::MakeResponse(req, status, reason, tag);
    if (!contact.empty()) r->AddHeader(sip::HeaderId::kContact, contact);
    return r->Serialize();
  }

  // The next message that is not a retransmitted 100 Trying.
  static sip::MessagePtr Next(SipClient& c) {
    for (int i = 0; i < 5; ++i) {
      auto m = c.Receive();
      if (!m || !m->is_response() || m->status() != 100) return m;
    }
    return nullptr;
  }

  // bob's UA answers the ringing `inv` with 200 (its Record-Route kept,
  // Contact its own address); returns the 2xx the caller got on `alice`.
  static sip::MessagePtr Answered(SipClient& bob, SipClient& alice, const sip::Message& inv, const std::string& tag) {
    auto ok = sip::MakeResponse(inv, 200, "OK", tag);
    ok->AddHeader(sip::HeaderId::kRecordRoute, inv.Value(sip::HeaderId::kRecordRoute));
    ok->AddHeader(sip::HeaderId::kContact, "<sip:bob@127.0.0.1:" + std::to_string(bob.port()) + ">");
    bob.Reply(ok->Serialize());
    for (int i = 0; i < 4; ++i) {
      auto m = Next(alice);
      if (m && m->status() == 200) return m;
    }
    return nullptr;
  }

  // The caller on `alice` acknowledges the 2xx `answered` and hangs up:
  // bob's UA gets the ACK and the BYE through our Record-Route and answers
  // the BYE 200 (To tag `tag`). False when either did not arrive.
  static bool AckAndHangUp(SipClient& alice, SipClient& bob, const sip::Message& answered, const std::string& tag) {
    alice.SendRaw(alice.Fill(testing::ToCrlf(InDialog("ACK", answered, bob.port(), 2))));
    if (!Next(bob)) return false;
    alice.SendRaw(alice.Fill(testing::ToCrlf(InDialog("BYE", answered, bob.port(), 3))));
    auto bye = Next(bob);
    if (!bye || bye->method() != sip::Method::kBye) return false;
    bob.Reply(Answer(*bye, 200, "OK", tag));
    return true;
  }

  // bob registered on `bob`, alice calling him from `alice`: the INVITE
  // bob's UA got (nullptr if none came).
  sip::MessagePtr CallBob(SipClient& bob, SipClient& alice, const std::string& call_id) {
    auto reg = this->Register(bob, "bob", "bob-pw");
    if (!reg || reg->status() != 200) return nullptr;
    Call(alice, call_id);
    auto inv = Next(bob);
    return inv && inv->method() == sip::Method::kInvite ? std::move(inv) : nullptr;
  }

  // A request in the dialog `answered` (the 2xx the caller got) through our
  // Record-Route, to `user` at 127.0.0.1:`port`: by the caller, or with
  // `by_callee` by the callee (From and To swapped). LF line ends.
  static std::string InDialog(const std::string& method, const sip::Message& answered, uint16_t port, uint32_t cseq,
                              bool by_callee = false, const std::string& user = "bob") {
    std::string from(answered.Value(sip::HeaderId::kFrom)), to(answered.Value(sip::HeaderId::kTo));
    if (by_callee) std::swap(from, to);
    return method + " sip:" + user + "@127.0.0.1:" + std::to_string(port) +
           " SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:$PORT;branch=z9hG4bK" + sip::RandomToken(6) +
           ";rport\nMax-Forwards: 70\nRoute: " + std::string(answered.Value(sip::HeaderId::kRecordRoute)) +
           "\nFrom: " + from + "\nTo: " + to + "\nCall-ID: " + std::string(answered.call_id()) + "\nCSeq: " +
           std::to_string(cseq) + " " + method + "\nContent-Length: 0\n\n";
  }
};

}  // namespace parley::server
