// The forwarder (RFC 3261 §16.6–16.10) driven through a real Core and
// transaction layer on a manual clock and a fake transport.

#include <gtest/gtest.h>

#include "common/fake_sender.h"
#include "common/manual_timers.h"
#include "proxy/core.h"
#include "proxy/forwarder.h"
#include "sip/response.h"
#include "sip/test_util.h"

namespace parley::proxy {
namespace {

using sip::testing::Crlf;

// Sends every request it sees to the targets the test sets.
class ForkTo : public Processor {
 public:
  ForkTo(Forwarder& f, const std::vector<Target>& t) : f_(f), t_(t) {}
  std::string_view name() const override { return "fork-to"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost&) override {
    ForwardOptions o;
    o.record_route = ctx->request->method() == sip::Method::kInvite;
    f_.Fork(std::move(ctx), t_, o);
    return Verdict::kDone;
  }

 private:
  Forwarder& f_;
  const std::vector<Target>& t_;
};

Target T(const char* ip) {
  Target t;
  t.uri = std::string("sip:bob@") + ip;
  t.destination.address = *transport::SocketAddress::Parse(ip, 5060);
  return t;
}

class ForwarderTest : public ::testing::Test {
 protected:
  ForwarderTest() {
    caps_.methods = {sip::Method::kOptions};
    CoreConfig cc;
    cc.domains = {"example.com"};
    cc.addresses = {*transport::SocketAddress::Parse("192.0.2.10", 5060)};
    core_ = std::make_unique<Core>(cc, caps_, timers_, sender_);
    fwd_ = std::make_unique<Forwarder>(*core_, 0);
    core_->AddProcessor(std::make_unique<ForkTo>(*fwd_, targets_));
    upstream_.protocol = transport::Protocol::kUdp;
    upstream_.remote = *transport::SocketAddress::Parse("192.0.2.1", 5060);
  }

  void Receive(std::string bytes, const transport::Source& from) {
    core_->OnMessage({sip::ParseDatagram(std::move(bytes), sip::ParserLimits()), from});
  }
  transport::Source From(const char* ip) {
    transport::Source s;
    s.remote = *transport::SocketAddress::Parse(ip, 5060);
    return s;
  }
  std::string Request(const std::string& method, const std::string& branch = "z9hG4bKup1",
                      const std::string& extra = "") {
    return Crlf("" + method + " sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=" + branch +
                "\nMax-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=a\n"
                "Call-ID: fwd1\nCSeq: 1 " + method + "\nContact: <sip:alice@192.0.2.1>\n" + extra +
                "Content-Length: 0\n\n");
  }
  // Sent messages by destination IP and kind.
  std::vector<sip::MessagePtr> SentTo(const char* ip, std::string_view method_or_response) {
    std::vector<sip::MessagePtr> out;
    for (size_t i = 0; i < sender_.count(); ++i) {
      if (sender_.sent()[i].to.address.ip() != ip) continue;
      auto m = sender_.Parsed(i);
      bool match = method_or_response == "response" ? m->is_response() : m->method_text() == method_or_response;
      if (match) out.push_back(std::move(m));
    }
    return out;
  }
  void Answer(const sip::Message& req, int status, const char* ip, std::string_view extra_name = {},
              std::string_view extra_value = {}) {
    auto r = sip::MakeResponse(req, status, "", std::string("tag-") + ip);
    if (!extra_name.empty()) r->AddHeader(extra_name, extra_value);
    Receive(r->Serialize(), From(ip));
  }

  std::vector<Target> targets_{T("10.0.0.1"), T("10.0.0.2")};
  sip::Capabilities caps_;
  testing::ManualTimers timers_;
  testing::FakeSender sender_{&timers_};
  std::unique_ptr<Core> core_;
  std::unique_ptr<Forwarder> fwd_;
  transport::Source upstream_;
};

TEST_F(ForwarderTest, ForksAndA2xxCancelsTheOtherBranch) {
  Receive(Request("INVITE"), upstream_);
  auto a = SentTo("10.0.0.1", "INVITE");
  auto b = SentTo("10.0.0.2", "INVITE");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0]->request_uri_text(), "sip:bob@10.0.0.1");
  EXPECT_EQ(a[0]->max_forwards(), 69u);
  EXPECT_EQ(a[0]->vias().size(), 2u);
  EXPECT_TRUE(a[0]->top_via()->branch().starts_with("z9hG4bK-s0-"));
  EXPECT_EQ(a[0]->Value(sip::HeaderId::kRecordRoute), "<sip:192.0.2.10:5060;lr>");
  EXPECT_NE(a[0]->top_via()->branch(), b[0]->top_via()->branch());

  Answer(*a[0], 180, "10.0.0.1");
  auto up = SentTo("192.0.2.1", "response");
  ASSERT_FALSE(up.empty());
  EXPECT_EQ(up.back()->status(), 180);
  EXPECT_EQ(up.back()->vias().size(), 1u);  // ours removed

  Answer(*b[0], 200, "10.0.0.2");
  up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 200);
  auto cancel = SentTo("10.0.0.1", "CANCEL");
  ASSERT_EQ(cancel.size(), 1u);  // §16.7 step 10: the pending branch is cancelled
  EXPECT_EQ(cancel[0]->top_via()->branch(), a[0]->top_via()->branch());
  Answer(*cancel[0], 200, "10.0.0.1");
  Answer(*a[0], 487, "10.0.0.1");
  up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 200);  // the 487 stays here
  EXPECT_EQ(fwd_->active(), 0u);
}

TEST_F(ForwarderTest, UpstreamCancelCancelsEveryBranch) {
  Receive(Request("INVITE"), upstream_);
  auto a = SentTo("10.0.0.1", "INVITE");
  auto b = SentTo("10.0.0.2", "INVITE");
  Answer(*a[0], 180, "10.0.0.1");
  Answer(*b[0], 183, "10.0.0.2");
  Receive(Crlf("CANCEL sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKup1\n"
               "Max-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=a\nCall-ID: fwd1\n"
               "CSeq: 1 CANCEL\nContent-Length: 0\n\n"),
          upstream_);
  auto up = SentTo("192.0.2.1", "response");
  bool cancel_ok = false;
  for (auto& r : up) cancel_ok |= r->status() == 200 && r->cseq()->method == sip::Method::kCancel;
  EXPECT_TRUE(cancel_ok);
  auto ca = SentTo("10.0.0.1", "CANCEL");
  auto cb = SentTo("10.0.0.2", "CANCEL");
  ASSERT_EQ(ca.size(), 1u);
  ASSERT_EQ(cb.size(), 1u);
  Answer(*a[0], 487, "10.0.0.1");
  Answer(*b[0], 487, "10.0.0.2");
  up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 487);
  EXPECT_EQ(up.back()->cseq()->method, sip::Method::kInvite);
}

TEST_F(ForwarderTest, TimerCCancelsABranchThatOnlyRings) {
  Receive(Request("INVITE"), upstream_);
  auto a = SentTo("10.0.0.1", "INVITE");
  auto b = SentTo("10.0.0.2", "INVITE");
  Answer(*a[0], 180, "10.0.0.1");
  Answer(*b[0], 486, "10.0.0.2");
  timers_.Advance(std::chrono::seconds(179));
  EXPECT_TRUE(SentTo("10.0.0.1", "CANCEL").empty());
  timers_.Advance(std::chrono::seconds(2));
  auto cancels = SentTo("10.0.0.1", "CANCEL");  // §16.8 (then retransmitted over UDP)
  ASSERT_GE(cancels.size(), 1u);
  Answer(*cancels[0], 200, "10.0.0.1");
  Answer(*a[0], 487, "10.0.0.1");
  auto up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 486);  // a real 486 beats the 487 our CANCEL caused
}

TEST_F(ForwarderTest, ChallengesFromAllBranchesAreMerged) {
  Receive(Request("MESSAGE", "z9hG4bKup2"), upstream_);
  auto a = SentTo("10.0.0.1", "MESSAGE");
  auto b = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0]->Find(sip::HeaderId::kRecordRoute), nullptr);  // not dialog-creating
  Answer(*a[0], 407, "10.0.0.1", "Proxy-Authenticate", "Digest realm=\"a\", nonce=\"1\"");
  Answer(*b[0], 407, "10.0.0.2", "Proxy-Authenticate", "Digest realm=\"b\", nonce=\"2\"");
  auto up = SentTo("192.0.2.1", "response");
  ASSERT_FALSE(up.empty());
  EXPECT_EQ(up.back()->status(), 407);
  EXPECT_EQ(up.back()->Count(sip::HeaderId::kProxyAuthenticate), 2u);
}

TEST_F(ForwarderTest, A503BecomesA500) {
  Receive(Request("MESSAGE", "z9hG4bKup3"), upstream_);
  auto a = SentTo("10.0.0.1", "MESSAGE");
  auto b = SentTo("10.0.0.2", "MESSAGE");
  Answer(*a[0], 503, "10.0.0.1");
  Answer(*b[0], 503, "10.0.0.2");
  auto up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 500);  // §16.7 step 6
}

TEST_F(ForwarderTest, TimedOutBranchesGive408) {
  Receive(Request("MESSAGE", "z9hG4bKup4"), upstream_);
  timers_.Advance(std::chrono::seconds(40));  // Timer F on both branches
  auto up = SentTo("192.0.2.1", "response");
  ASSERT_FALSE(up.empty());
  EXPECT_EQ(up.back()->status(), 408);
  EXPECT_EQ(fwd_->active(), 0u);
}

// RFC 5626 §7: one flow per instance at a time. Two flows of one device
// (reg-id 1 and 2) and another device: the request goes to the first flow
// and the other device; when that flow fails (430, 408 or 503) the next
// flow of the device takes its place; any other answer is the device's.
TEST_F(ForwarderTest, OneFlowPerInstanceAndTheNextWhenItFails) {
  const std::string phone = "<urn:uuid:00000000-0000-1000-8000-00000000000a>";
  targets_ = {T("10.0.0.1"), T("10.0.0.2"), T("10.0.0.3")};
  targets_[0].instance = phone;
  targets_[1].instance = "<URN:UUID:00000000-0000-1000-8000-00000000000A>";  // the same, compared case-insensitively
  Receive(Request("MESSAGE", "z9hG4bKup5"), upstream_);
  auto a = SentTo("10.0.0.1", "MESSAGE");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(SentTo("10.0.0.2", "MESSAGE").empty());
  auto c = SentTo("10.0.0.3", "MESSAGE");
  ASSERT_EQ(c.size(), 1u);
  Answer(*a[0], 430, "10.0.0.1");
  auto b = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(b.size(), 1u);  // the phone's other flow
  Answer(*c[0], 404, "10.0.0.3");
  EXPECT_TRUE(SentTo("192.0.2.1", "response").empty());  // the phone's second flow is pending
  Answer(*b[0], 200, "10.0.0.2");
  auto up = SentTo("192.0.2.1", "response");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0]->status(), 200);
  EXPECT_EQ(fwd_->active(), 0u);

  // A device's own answer is final: its other flow is not tried.
  Receive(Request("MESSAGE", "z9hG4bKup6"), upstream_);
  auto a2 = SentTo("10.0.0.1", "MESSAGE");
  auto c2 = SentTo("10.0.0.3", "MESSAGE");
  ASSERT_EQ(a2.size(), 2u);
  ASSERT_EQ(c2.size(), 2u);
  Answer(*a2[1], 486, "10.0.0.1");
  Answer(*c2[1], 486, "10.0.0.3");
  EXPECT_EQ(SentTo("10.0.0.2", "MESSAGE").size(), 1u);  // no new one
  up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 486);

  // Every flow failed: a 430 never goes upstream (480 instead).
  targets_ = {T("10.0.0.1"), T("10.0.0.2")};
  targets_[0].instance = targets_[1].instance = phone;
  Receive(Request("MESSAGE", "z9hG4bKup7"), upstream_);
  auto a3 = SentTo("10.0.0.1", "MESSAGE");
  ASSERT_EQ(a3.size(), 3u);
  Answer(*a3[2], 430, "10.0.0.1");
  auto b3 = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(b3.size(), 2u);
  Answer(*b3[1], 430, "10.0.0.2");
  up = SentTo("192.0.2.1", "response");
  EXPECT_EQ(up.back()->status(), 480);
  EXPECT_EQ(fwd_->active(), 0u);
}

// RFC 5393 §5.3: every branch carries a Max-Breadth, the pending branches'
// values add up to no more than the request's (or 60, ours, when it has
// none or more), and each is at least 1.
TEST_F(ForwarderTest, MaxBreadthIsAddedAndSharedAmongTheBranches) {
  auto breadth = [](const sip::Message& m) { return std::string(m.Find("Max-Breadth")->value); };
  Receive(Request("MESSAGE", "z9hG4bKmb1"), upstream_);
  auto a = SentTo("10.0.0.1", "MESSAGE");
  auto b = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(breadth(*a[0]), "30");
  EXPECT_EQ(breadth(*b[0]), "30");

  Receive(Request("MESSAGE", "z9hG4bKmb2", "Max-Breadth: 7\n"), upstream_);
  a = SentTo("10.0.0.1", "MESSAGE");
  b = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(breadth(*a[1]), "3");
  EXPECT_EQ(breadth(*b[1]), "4");
  EXPECT_EQ(a[1]->Count(sip::HeaderId::kUnknown), 1u);  // replaced, not added

  Receive(Request("MESSAGE", "z9hG4bKmb3", "Max-Breadth: 99999999999999999999999\n"), upstream_);
  a = SentTo("10.0.0.1", "MESSAGE");
  b = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(breadth(*a[2]), "30");
  EXPECT_EQ(breadth(*b[2]), "30");
}

// §5.3.3 and §5.3.1: targets the Max-Breadth leaves no room for wait, and a
// branch that ends hands what it held to the next of them; a 2xx ends the
// search.
TEST_F(ForwarderTest, TargetsBeyondTheMaxBreadthWaitForABranchToEnd) {
  targets_ = {T("10.0.0.1"), T("10.0.0.2"), T("10.0.0.3")};
  Receive(Request("MESSAGE", "z9hG4bKmb4", "Max-Breadth: 2\n"), upstream_);
  auto a = SentTo("10.0.0.1", "MESSAGE");
  auto b = SentTo("10.0.0.2", "MESSAGE");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(a[0]->Find("Max-Breadth")->value, "1");
  EXPECT_EQ(b[0]->Find("Max-Breadth")->value, "1");
  EXPECT_TRUE(SentTo("10.0.0.3", "MESSAGE").empty());
  Answer(*a[0], 486, "10.0.0.1");
  auto c = SentTo("10.0.0.3", "MESSAGE");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]->Find("Max-Breadth")->value, "1");
  Answer(*b[0], 404, "10.0.0.2");
  EXPECT_TRUE(SentTo("192.0.2.1", "response").empty());  // the third is pending
  Answer(*c[0], 200, "10.0.0.3");
  auto up = SentTo("192.0.2.1", "response");
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0]->status(), 200);
  EXPECT_EQ(fwd_->active(), 0u);

  // One at a time; the first one's 200 ends it: the others are never tried.
  Receive(Request("INVITE", "z9hG4bKmb5", "Max-Breadth: 1\n"), upstream_);
  a = SentTo("10.0.0.1", "INVITE");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(SentTo("10.0.0.2", "INVITE").empty());
  Answer(*a[0], 200, "10.0.0.1");
  EXPECT_EQ(SentTo("192.0.2.1", "response").back()->status(), 200);
  EXPECT_TRUE(SentTo("10.0.0.2", "INVITE").empty());
  EXPECT_TRUE(SentTo("10.0.0.3", "INVITE").empty());
  EXPECT_EQ(fwd_->active(), 0u);

  // The caller's CANCEL ends it too.
  Receive(Request("INVITE", "z9hG4bKmb6", "Max-Breadth: 1\n"), upstream_);
  a = SentTo("10.0.0.1", "INVITE");
  ASSERT_EQ(a.size(), 2u);
  Answer(*a[1], 180, "10.0.0.1");  // §9.1: a CANCEL waits for a provisional
  Receive(Crlf("CANCEL sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKmb6\n"
               "Max-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=a\n"
               "Call-ID: fwd1\nCSeq: 1 CANCEL\nContent-Length: 0\n\n"),
          upstream_);
  ASSERT_EQ(SentTo("10.0.0.1", "CANCEL").size(), 1u);
  Answer(*a[1], 487, "10.0.0.1");
  EXPECT_TRUE(SentTo("10.0.0.2", "INVITE").empty());
  EXPECT_EQ(SentTo("192.0.2.1", "response").back()->status(), 487);
  EXPECT_EQ(fwd_->active(), 0u);
}

TEST_F(ForwarderTest, MaxBreadthZeroGets440AndAMalformedOne400) {
  struct Case {
    const char* header;
    int status;
    const char* reason;
  };
  const Case cases[] = {
      {"Max-Breadth: 0\n", 440, "Max-Breadth Exceeded"},
      {"Max-Breadth: ten\n", 400, "Malformed Max-Breadth"},
      {"Max-Breadth: -1\n", 400, "Malformed Max-Breadth"},
      {"Max-Breadth:\n", 400, "Malformed Max-Breadth"},
      {"Max-Breadth: 5\nMax-Breadth: 5\n", 400, "Malformed Max-Breadth"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    Receive(Request("MESSAGE", "z9hG4bKmbx" + std::to_string(n++), c.header), upstream_);
    auto up = SentTo("192.0.2.1", "response");
    ASSERT_EQ(up.size(), static_cast<size_t>(n));
    EXPECT_EQ(up.back()->status(), c.status);
    EXPECT_EQ(up.back()->reason(), c.reason);
  }
  EXPECT_TRUE(SentTo("10.0.0.1", "MESSAGE").empty());
  EXPECT_EQ(fwd_->active(), 0u);
}

}  // namespace
}  // namespace parley::proxy
