// The layer as a TU sees it: request matching (RFC 3261 and RFC 2543),
// CANCEL, ACK routing, stateless responses, counters, and re-entrant TUs.

#include <memory>

#include "sip/test_util.h"
#include "transaction/harness.h"
#include "transaction/messages.h"

namespace parley::transaction::testing {
namespace {

using transport::Protocol;

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

RequestSpec Cancel() {
  RequestSpec s;
  s.method = "CANCEL";
  return s;
}

// ------------------------------------------------------ RFC 3261 matching

TEST_F(LayerTest, SentByTakesPartInMatching) {
  RequestSpec spec;
  spec.method = "MESSAGE";
  Receive(RequestText(spec));
  spec.sent_by = "CLIENT.EXAMPLE.COM:5060";  // same host, other case
  Receive(RequestText(spec));
  EXPECT_EQ(tu_.requests.size(), 1u);
  spec.sent_by = "other.example.com:5060";  // same branch, other client
  Receive(RequestText(spec));
  EXPECT_EQ(tu_.requests.size(), 2u);
  spec.method = "OPTIONS";  // same branch and sent-by, other method
  Receive(RequestText(spec));
  EXPECT_EQ(tu_.requests.size(), 3u);
}

TEST_F(LayerTest, CancelFindsItsInviteAndTheTuAnswersBoth) {
  Receive(RequestText(RequestSpec{}));
  ServerTxnId invite = RequestId();
  tu_.on_cancel = [&](ServerTxnId cancel, std::optional<ServerTxnId> target, const sip::Message& m) {
    ASSERT_EQ(target, invite);
    EXPECT_TRUE(layer_->Respond(cancel, sip::MakeResponse(m, 200)).ok());
    EXPECT_TRUE(layer_->Respond(*target, ResponseTo(0, 487)).ok());
  };
  Receive(RequestText(Cancel()));
  ASSERT_EQ(tu_.cancels.size(), 1u);
  EXPECT_EQ(layer_->FindInviteForCancel(*tu_.cancels[0].message), invite);
  ASSERT_EQ(sender_.count(), 2u);
  EXPECT_EQ(sender_.Parsed(0)->cseq()->method_text, "CANCEL");
  EXPECT_EQ(sender_.Parsed(1)->status(), 487);

  Receive(RequestText(Cancel()));  // retransmitted CANCEL: its 200 again
  EXPECT_EQ(tu_.cancels.size(), 1u);
  EXPECT_EQ(sender_.Last()->cseq()->method_text, "CANCEL");

  RequestSpec ack;
  ack.method = "ACK";
  ack.to_tag = "as83kd9bs";
  Receive(RequestText(ack));
  EXPECT_EQ(layer_->State(invite), TxnState::kConfirmed);
  EXPECT_TRUE(tu_.acks.empty());
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(LayerTest, CancelForAnUnknownTransactionLeavesThe481ToTheTu) {
  tu_.on_cancel = [&](ServerTxnId cancel, std::optional<ServerTxnId> target, const sip::Message& m) {
    EXPECT_FALSE(target.has_value());
    EXPECT_TRUE(layer_->Respond(cancel, sip::MakeResponse(m, 481)).ok());
  };
  Receive(RequestText(Cancel()));
  ASSERT_EQ(tu_.cancels.size(), 1u);
  EXPECT_EQ(sender_.Last()->status(), 481);
  EXPECT_TRUE(tu_.requests.empty());
}

TEST_F(LayerTest, CancelAfterTheFinalResponseStillFindsTheInvite) {
  Receive(RequestText(RequestSpec{}));
  ASSERT_TRUE(layer_->Respond(RequestId(), ResponseTo(0, 486)).ok());
  Receive(RequestText(Cancel()));
  ASSERT_EQ(tu_.cancels.size(), 1u);
  ASSERT_EQ(tu_.cancels[0].invite, RequestId());
  // The 487 is refused: the INVITE already has its final response.
  EXPECT_EQ(layer_->Respond(RequestId(), ResponseTo(0, 487)).error().code, kWrongState);
}

TEST_F(LayerTest, AcksOutsideAnInviteTransactionGoToTheTu) {
  RequestSpec ack;
  ack.method = "ACK";
  ack.to_tag = "x";
  Receive(RequestText(ack));  // no transaction at all
  EXPECT_EQ(tu_.acks.size(), 1u);
  EXPECT_EQ(layer_->stats().acks_to_tu, 1u);
  EXPECT_EQ(layer_->server_count(), 0u);  // an ACK never creates one
}

// ------------------------------------------------------ RFC 2543 matching

class Rfc2543Test : public LayerTest {
 protected:
  const std::string invite_ = sip::testing::Conformance("rfc4475/inv2543.dat");
  // The CANCEL an RFC 2543 client sends for it: same Via, no branch.
  std::string CancelText(std::string_view request_uri = "sip:UserB@example.com") const {
    auto m = ParseText(invite_);
    auto cancel = BuildCancel(*m);
    cancel->SetRequestUri(request_uri);
    return cancel->Serialize();
  }
  std::string AckText(std::string_view to_tag) const {
    auto m = ParseText(invite_);
    return BuildAck(*m, *sip::MakeResponse(*m, 486, {}, to_tag))->Serialize();
  }
};

TEST_F(Rfc2543Test, InviteWithoutBranchIsMatchedBy2543Rules) {
  Receive(invite_);
  ASSERT_EQ(tu_.requests.size(), 1u);
  Receive(invite_);  // byte-identical retransmission
  EXPECT_EQ(tu_.requests.size(), 1u);
  // Another INVITE with a different Call-ID from the same client is new.
  Receive(Replace(invite_, "inv2543.1717@", "inv2543.1718@"));
  EXPECT_EQ(tu_.requests.size(), 2u);
  // So is one whose top Via differs.
  Receive(Replace(invite_, "iftgw.example.com", "iftgw2.example.com"));
  EXPECT_EQ(tu_.requests.size(), 3u);
}

TEST_F(Rfc2543Test, CancelMatchesOnRequestUriTagsCallIdCSeqAndVia) {
  Receive(invite_);
  ServerTxnId invite = RequestId();
  Receive(CancelText("sip:UserB@EXAMPLE.COM"));  // equivalent URI (host case)
  ASSERT_EQ(tu_.cancels.size(), 1u);
  EXPECT_EQ(tu_.cancels[0].invite, invite);
  Receive(Replace(CancelText(), "CSeq: 56", "CSeq: 57"));
  Receive(CancelText("sip:userb@example.com"));  // user part differs
  ASSERT_EQ(tu_.cancels.size(), 3u);
  EXPECT_FALSE(tu_.cancels[1].invite.has_value());
  EXPECT_FALSE(tu_.cancels[2].invite.has_value());
}

TEST_F(Rfc2543Test, AckMatchesByTheToTagOfTheResponseSent) {
  Receive(invite_);
  ServerTxnId invite = RequestId();
  ASSERT_TRUE(layer_->Respond(invite, ResponseTo(0, 486, "resp-tag")).ok());
  Receive(AckText("other-tag"));  // not ours
  EXPECT_EQ(tu_.acks.size(), 1u);
  EXPECT_EQ(layer_->State(invite), TxnState::kCompleted);
  Receive(AckText("resp-tag"));
  EXPECT_EQ(layer_->State(invite), TxnState::kConfirmed);
  Receive(AckText("resp-tag"));  // retransmission absorbed
  EXPECT_EQ(tu_.acks.size(), 1u);
  timers_.Advance(5s);
  ExpectIdle();
}

TEST_F(Rfc2543Test, BareMagicCookieBranchIsNotUnique) {
  const std::string options = sip::testing::Conformance("rfc4475/badbranch.dat");
  Receive(options);
  Receive(options);
  ASSERT_EQ(tu_.requests.size(), 1u);  // a retransmission by RFC 2543 rules
  // Same "branch", different request: a transaction of its own.
  Receive(Replace(options, "CSeq: 8", "CSeq: 9"));
  ASSERT_EQ(tu_.requests.size(), 2u);
  ASSERT_TRUE(layer_->Respond(RequestId(0), ResponseTo(0, 200)).ok());
  ASSERT_TRUE(layer_->Respond(RequestId(1), ResponseTo(1, 200)).ok());
  Receive(options);
  EXPECT_EQ(sender_.count(), 3u);
  EXPECT_EQ(sender_.Last()->cseq()->number, 8u);
  timers_.Advance(32s);
  ExpectIdle();
}

// ------------------------------------------------------------- stateless

TEST_F(LayerTest, RespondStatelessKeepsNoState) {
  RequestSpec spec;
  spec.method = "OPTIONS";
  spec.sent_by = "client.example.com:5070;rport";
  auto request = ParseText(RequestText(spec));
  ASSERT_TRUE(layer_->RespondStateless(*request, SourceFor(Protocol::kUdp), sip::MakeResponse(*request, 200)).ok());
  ASSERT_EQ(sender_.count(), 1u);
  EXPECT_EQ(sender_.sent()[0].to.address.ToString(), "192.0.2.1:5060");  // rport: source port
  EXPECT_EQ(layer_->server_count(), 0u);
  EXPECT_EQ(layer_->stats().stateless_responses, 1u);
  spec.sent_by = "client.example.com;maddr=224.0.0.1";
  auto unroutable = ParseText(RequestText(spec));
  auto r = layer_->RespondStateless(*unroutable, SourceFor(Protocol::kUdp), sip::MakeResponse(*unroutable, 200));
  EXPECT_EQ(r.error().code, kNoRoute);
  ExpectIdle();
}

// ------------------------------------------------------------- counters

TEST_F(LayerTest, CountersTrackKindsAndStates) {
  const auto& s = layer_->stats();
  Receive(RequestText(RequestSpec{}));
  RequestSpec message;
  message.method = "MESSAGE";
  message.branch = "z9hG4bKmsg";
  Receive(RequestText(message));
  auto sent = layer_->SendRequest(OutgoingRequest("SUBSCRIBE"), PeerDestination(), nullptr);
  ASSERT_TRUE(sent.ok());
  auto idx = [](auto e) { return static_cast<size_t>(e); };
  EXPECT_EQ(s.created[idx(TxnKind::kInviteServer)], 1u);
  EXPECT_EQ(s.created[idx(TxnKind::kNonInviteServer)], 1u);
  EXPECT_EQ(s.created[idx(TxnKind::kNonInviteClient)], 1u);
  EXPECT_EQ(s.live[idx(TxnKind::kInviteServer)][idx(TxnState::kProceeding)], 1u);
  EXPECT_EQ(s.live[idx(TxnKind::kNonInviteServer)][idx(TxnState::kTrying)], 1u);
  ASSERT_TRUE(layer_->Respond(RequestId(0), ResponseTo(0, 200)).ok());
  ASSERT_TRUE(layer_->Respond(RequestId(1), ResponseTo(1, 200)).ok());
  EXPECT_EQ(s.live[idx(TxnKind::kInviteServer)][idx(TxnState::kAccepted)], 1u);
  EXPECT_EQ(s.live[idx(TxnKind::kInviteServer)][idx(TxnState::kProceeding)], 0u);
  EXPECT_EQ(s.live[idx(TxnKind::kNonInviteServer)][idx(TxnState::kCompleted)], 1u);
  EXPECT_EQ(TxnStateName(TxnState::kAccepted), "accepted");
  EXPECT_EQ(TxnKindName(TxnKind::kInviteServer), "invite_server");
  timers_.Advance(32s);  // L, J, and F of the SUBSCRIBE
  EXPECT_EQ(s.timeouts[idx(TxnKind::kNonInviteClient)], 1u);
  EXPECT_EQ(s.retransmissions_sent, 10u);  // the SUBSCRIBE's Timer E
  ExpectIdle();
}

// ------------------------------------------------------------ re-entrancy

TEST_F(LayerTest, TuMayEndTheTransactionInsideOnRequest) {
  // Over TCP a final response terminates the transaction at once, while
  // OnRequest is still on the stack.
  tu_.on_request = [&](ServerTxnId id, const sip::Message& m) {
    ASSERT_TRUE(layer_->Respond(id, sip::MakeResponse(m, 200, {}, "t")).ok());
    EXPECT_EQ(layer_->State(id), std::nullopt);
    EXPECT_EQ(layer_->Respond(id, sip::MakeResponse(m, 200, {}, "t")).error().code, kNoTransaction);
  };
  RequestSpec spec;
  spec.method = "PUBLISH";
  spec.transport = "TCP";
  Receive(RequestText(spec), Protocol::kTcp);
  EXPECT_EQ(sender_.count(), 1u);
  ExpectIdle();
}

TEST_F(LayerTest, RespondAndForgetEndsAUdpTransactionWithItsFinalResponse) {
  // A digest challenge over UDP: no Timer J state is kept, so a
  // retransmission of the request is a new request for the TU.
  tu_.on_request = [&](ServerTxnId id, const sip::Message& m) {
    ASSERT_TRUE(layer_->RespondAndForget(id, sip::MakeResponse(m, 407, {}, "t")).ok());
    EXPECT_EQ(layer_->State(id), std::nullopt);
  };
  RequestSpec spec;
  spec.method = "MESSAGE";
  Receive(RequestText(spec));
  EXPECT_EQ(sender_.count(), 1u);
  EXPECT_EQ(layer_->server_count(), 0u);
  Receive(RequestText(spec));
  EXPECT_EQ(tu_.requests.size(), 2u);
  EXPECT_EQ(sender_.count(), 2u);
  ExpectIdle();
}

TEST_F(LayerTest, StatefulProxyForwardsInsideCallbacks) {
  // OnRequest forwards downstream; the response handler answers upstream.
  tu_.on_request = [&](ServerTxnId upstream, const sip::Message& m) {
    auto forward = m.Clone();
    forward->AddHeaderFront(sip::HeaderId::kVia, "SIP/2.0/UDP 192.0.2.10:5060;branch=" + NewBranch());
    auto sent = layer_->SendRequest(std::move(forward), PeerDestination(), [this, upstream](sip::MessagePtr r) {
      r->RemoveFirstValue(sip::HeaderId::kVia);
      auto ok = layer_->Respond(upstream, std::move(r));
      EXPECT_TRUE(ok.ok());
    });
    ASSERT_TRUE(sent.ok());
  };
  Receive(RequestText(RequestSpec{}));
  ASSERT_EQ(sender_.count(), 1u);  // the forwarded INVITE
  Receive(PeerResponse(0, 180));
  Receive(PeerResponse(0, 486));
  // Upstream got 180 and 486; downstream got the ACK for the 486.
  ASSERT_EQ(sender_.count(), 4u);
  EXPECT_EQ(sender_.Parsed(1)->status(), 180);
  EXPECT_EQ(sender_.Parsed(2)->method(), sip::Method::kAck);
  EXPECT_EQ(sender_.Parsed(3)->status(), 486);
  EXPECT_EQ(sender_.Parsed(3)->vias().size(), 1u);
  RequestSpec ack;
  ack.method = "ACK";
  ack.to_tag = "peer7";
  Receive(RequestText(ack));
  EXPECT_TRUE(tu_.acks.empty());
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(LayerTest, SendFailureInsideOnRequestIsDeliveredLater) {
  bool in_callback = false;
  std::vector<int> statuses;
  tu_.on_request = [&](ServerTxnId, const sip::Message&) {
    in_callback = true;
    sender_.FailNext();
    auto sent = layer_->SendRequest(OutgoingRequest("NOTIFY"), PeerDestination(), [&](sip::MessagePtr r) {
      EXPECT_FALSE(in_callback);
      statuses.push_back(r->status());
    });
    EXPECT_TRUE(sent.ok());
    in_callback = false;
  };
  RequestSpec spec;
  spec.method = "SUBSCRIBE";
  Receive(RequestText(spec));
  EXPECT_TRUE(statuses.empty());
  timers_.Advance(0ms);
  EXPECT_EQ(statuses, std::vector<int>{503});
}

TEST_F(LayerTest, HandlerMayDetachOrCancelItsOwnTransaction) {
  auto state = std::make_shared<int>(0);
  std::weak_ptr<int> watch = state;
  ClientTxnId id;
  auto sent = layer_->SendRequest(OutgoingRequest(), PeerDestination(), [this, &id, state](sip::MessagePtr r) {
    ++*state;
    EXPECT_TRUE(layer_->Cancel(id).ok());  // sends the CANCEL from inside
    EXPECT_TRUE(layer_->Detach(id));       // releases this very handler
  });
  ASSERT_TRUE(sent.ok());
  id = *sent;
  state.reset();
  Receive(PeerResponse(0, 180));
  EXPECT_TRUE(watch.expired());  // the handler (and what it held) is gone
  ASSERT_EQ(sender_.count(), 2u);
  EXPECT_EQ(sender_.Last()->method(), sip::Method::kCancel);
  Receive(PeerResponse(0, 487));  // still ACKed, nobody called
  EXPECT_EQ(sender_.Last()->method(), sip::Method::kAck);
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(LayerTest, DetachDropsAPendingFailureNotice) {
  bool called = false;
  sender_.FailNext();
  auto sent = layer_->SendRequest(OutgoingRequest("MESSAGE"), PeerDestination(), [&](sip::MessagePtr) {
    called = true;
  });
  ASSERT_TRUE(sent.ok());
  EXPECT_FALSE(layer_->Detach(*sent));  // already over, but its 503 is pending
  timers_.Advance(0ms);
  EXPECT_FALSE(called);
  ExpectIdle();
}

TEST_F(LayerTest, ErrorCallbackMayStartNewWork) {
  Receive(RequestText(RequestSpec{}));
  ASSERT_TRUE(layer_->Respond(RequestId(), ResponseTo(0, 486)).ok());
  tu_.on_error = [&](ServerTxnId id, ServerTxnError) {
    EXPECT_EQ(layer_->State(id), std::nullopt);
    ASSERT_TRUE(layer_->SendRequest(OutgoingRequest("BYE"), PeerDestination(), nullptr).ok());
  };
  timers_.Advance(32s);  // Timer H
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(layer_->client_count(), 1u);
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(LayerTest, DestroyingTheLayerCancelsItsTimers) {
  Receive(RequestText(RequestSpec{}));
  ASSERT_TRUE(layer_->SendRequest(OutgoingRequest(), PeerDestination(), nullptr).ok());
  sender_.FailNext();  // leaves a 503 waiting for the zero-delay flush
  bool called = false;
  ASSERT_TRUE(layer_->SendRequest(OutgoingRequest("MESSAGE"), PeerDestination(), [&](sip::MessagePtr) {
    called = true;
  }).ok());
  // 100 Trying, the first A (B is checked when A fires), and the flush.
  EXPECT_EQ(timers_.pending(), 3u);
  layer_.reset();
  EXPECT_EQ(timers_.pending(), 0u);
  timers_.Advance(1min);
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace parley::transaction::testing
