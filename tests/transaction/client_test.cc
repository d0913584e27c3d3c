// Client transactions (RFC 3261 §17.1, RFC 6026): timers A, B, D, E, F, K,
// M, ACK generation, made-up 408/503 responses, CANCEL (§9.1).

#include "transaction/harness.h"
#include "transaction/messages.h"

namespace parley::transaction::testing {
namespace {

using std::chrono::milliseconds;
using transport::Protocol;

class ClientTest : public LayerTest {
 protected:
  ClientTxnId Start(std::string method = "INVITE", Protocol protocol = Protocol::kUdp) {
    auto id = layer_->SendRequest(OutgoingRequest(std::move(method), protocol), PeerDestination(protocol),
                                  responses_.Handler());
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    return id.ok() ? *id : ClientTxnId{};
  }
  void Reply(size_t request_index, int status, Protocol protocol = Protocol::kUdp,
             std::string_view to_tag = "peer7") {
    Receive(PeerResponse(request_index, status, to_tag), protocol);
  }
  Responses responses_;
};

// ---------------------------------------------------------------- non-INVITE

TEST_F(ClientTest, TimerEDoublesToT2ThenTimerFGives408) {
  const Clock::time_point start = timers_.Now();
  ClientTxnId id = Start("MESSAGE");
  EXPECT_EQ(layer_->State(id), TxnState::kTrying);
  timers_.Advance(64 * 500ms - 1ms);
  // E: 500 ms, 1 s, 2 s, 4 s, 4 s …
  std::vector<milliseconds> expected = {0ms,     500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                        15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(SendTimes(start), expected);
  for (const auto& s : sender_.sent()) EXPECT_EQ(s.bytes, sender_.sent()[0].bytes);
  EXPECT_TRUE(responses_.received.empty());

  timers_.Advance(1ms);  // F = 64*T1
  EXPECT_EQ(responses_.statuses(), std::vector<int>{408});
  auto& r = *responses_.received[0];
  EXPECT_EQ(r.cseq()->method_text, "MESSAGE");
  EXPECT_EQ(r.call_id(), sender_.Parsed(0)->call_id());
  EXPECT_EQ(layer_->stats().timeouts[static_cast<size_t>(TxnKind::kNonInviteClient)], 1u);
  ExpectIdle();
}

TEST_F(ClientTest, ProvisionalHoldsTimerEAtT2) {
  const Clock::time_point start = timers_.Now();
  ClientTxnId id = Start("SUBSCRIBE");
  timers_.Advance(700ms);  // E fired at 500 ms; next at 1.5 s
  Reply(0, 100);
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{100});
  timers_.Advance(10s);
  std::vector<milliseconds> expected = {0ms, 500ms, 1500ms, 5500ms, 9500ms};
  EXPECT_EQ(SendTimes(start), expected);
  Reply(0, 200);
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{100, 200}));
  timers_.Advance(5s);  // K; E stopped with the final response
  EXPECT_EQ(sender_.count(), 5u);
  ExpectIdle();
}

TEST_F(ClientTest, FinalResponseCompletesAndTimerKAbsorbsRetransmissions) {
  ClientTxnId id = Start("OPTIONS");
  Reply(0, 200);
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  Reply(0, 200);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{200});
  timers_.Advance(5s - 1ms);
  EXPECT_EQ(sender_.count(), 1u);  // E stopped
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  timers_.Advance(1ms);  // K = T4
  ExpectIdle();
  Reply(0, 200);  // after K: a stray
  EXPECT_EQ(tu_.strays.size(), 1u);
}

TEST_F(ClientTest, ANewTransactionAfterAnEndedOneStartsCleanAndTheOldBranchIsStray) {
  ClientTxnId first = Start("MESSAGE");
  Reply(0, 200);
  timers_.Advance(5s);  // K: ended
  EXPECT_EQ(layer_->State(first), std::nullopt);
  ClientTxnId second = Start("OPTIONS");
  EXPECT_EQ(layer_->State(second), TxnState::kTrying);
  EXPECT_EQ(layer_->State(first), std::nullopt);  // the old id finds nothing
  timers_.Advance(500ms);  // E: its own bytes again, nothing of the first
  ASSERT_EQ(sender_.count(), 3u);
  EXPECT_EQ(sender_.sent()[2].bytes, sender_.sent()[1].bytes);
  EXPECT_EQ(sender_.Parsed(2)->method_text(), "OPTIONS");
  Reply(0, 200);  // to the first branch
  EXPECT_EQ(tu_.strays.size(), 1u);
  EXPECT_EQ(layer_->State(second), TxnState::kTrying);
  Reply(1, 200);
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{200, 200}));
  timers_.Advance(5s);
  ExpectIdle();
}

TEST_F(ClientTest, NonInviteOverTcpNeverRetransmitsAndEndsOnTheFinalResponse) {
  ClientTxnId id = Start("MESSAGE", Protocol::kTcp);
  timers_.Advance(20s);
  EXPECT_EQ(sender_.count(), 1u);
  Reply(0, 202, Protocol::kTcp);  // K = 0
  EXPECT_EQ(layer_->State(id), std::nullopt);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{202});
  ExpectIdle();
}

TEST_F(ClientTest, NonInviteOverTcpStillTimesOut) {
  Start("MESSAGE", Protocol::kTcp);
  timers_.Advance(32s);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{408});
  ExpectIdle();
}

// -------------------------------------------------------------------- INVITE

TEST_F(ClientTest, TimerADoublesWithoutBoundThenTimerBGives408) {
  const Clock::time_point start = timers_.Now();
  ClientTxnId id = Start();
  EXPECT_EQ(layer_->State(id), TxnState::kCalling);
  timers_.Advance(64 * 500ms - 1ms);
  std::vector<milliseconds> expected = {0ms, 500ms, 1500ms, 3500ms, 7500ms, 15500ms, 31500ms};
  EXPECT_EQ(SendTimes(start), expected);
  timers_.Advance(1ms);  // B
  EXPECT_EQ(responses_.statuses(), std::vector<int>{408});
  ExpectIdle();
}

TEST_F(ClientTest, InviteOverTcpHasNoTimerAButTimerB) {
  Start("INVITE", Protocol::kTcp);
  timers_.Advance(32s);
  EXPECT_EQ(sender_.count(), 1u);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{408});
  ExpectIdle();
}

TEST_F(ClientTest, TimerMIs64T1OverTcpToo) {
  ClientTxnId id = Start("INVITE", Protocol::kTcp);
  Reply(0, 200, Protocol::kTcp);
  timers_.Advance(32s - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  timers_.Advance(1ms);
  ExpectIdle();
}

TEST_F(ClientTest, ProvisionalStopsTimersAAndB) {
  ClientTxnId id = Start();
  Reply(0, 180);
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);
  timers_.Advance(120s);
  EXPECT_EQ(sender_.count(), 1u);
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);  // waiting is the TU's business
  Reply(0, 183);
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{180, 183}));
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(ClientTest, Non2xxIsAcknowledgedByTheTransaction) {
  ClientTxnId id = Start();
  Reply(0, 100);
  Reply(0, 486, Protocol::kUdp, "callee1");
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{100, 486}));
  ASSERT_EQ(sender_.count(), 2u);

  auto invite = sender_.Parsed(0);
  auto ack = sender_.Parsed(1);
  EXPECT_EQ(sender_.sent()[1].to.address, PeerDestination().address);
  EXPECT_EQ(ack->method(), sip::Method::kAck);
  EXPECT_EQ(ack->request_uri_text(), invite->request_uri_text());
  EXPECT_EQ(ack->call_id(), invite->call_id());
  EXPECT_EQ(ack->Value(sip::HeaderId::kFrom), invite->Value(sip::HeaderId::kFrom));
  EXPECT_EQ(ack->cseq()->number, invite->cseq()->number);
  EXPECT_EQ(ack->cseq()->method_text, "ACK");
  EXPECT_EQ(ack->to()->tag(), "callee1");  // To from the response
  ASSERT_EQ(ack->vias().size(), 1u);
  EXPECT_EQ(ack->top_via()->text, invite->top_via()->text);
  EXPECT_EQ(ack->Value(sip::HeaderId::kRoute), "<sip:proxy.example.com;lr>");
  EXPECT_EQ(ack->Value(sip::HeaderId::kContact), "");
  EXPECT_TRUE(ack->body().empty());

  // A retransmitted 486 gets the same ACK, the TU nothing.
  Reply(0, 486, Protocol::kUdp, "callee1");
  ASSERT_EQ(sender_.count(), 3u);
  EXPECT_EQ(sender_.sent()[2].bytes, sender_.sent()[1].bytes);
  EXPECT_EQ(responses_.received.size(), 2u);

  timers_.Advance(32s - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  timers_.Advance(1ms);  // Timer D
  ExpectIdle();
}

TEST_F(ClientTest, Non2xxOverTcpAcksAndEndsAtOnce) {
  ClientTxnId id = Start("INVITE", Protocol::kTcp);
  timers_.Advance(10s);
  EXPECT_EQ(sender_.count(), 1u);  // no Timer A
  Reply(0, 404, Protocol::kTcp);
  EXPECT_EQ(layer_->State(id), std::nullopt);  // D = 0
  ASSERT_EQ(sender_.count(), 2u);
  EXPECT_EQ(sender_.Last()->method(), sip::Method::kAck);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{404});
  ExpectIdle();
}

TEST_F(ClientTest, TwoXxMovesToAcceptedAndEvery2xxReachesTheTuUntilTimerM) {
  ClientTxnId id = Start();
  Reply(0, 200, Protocol::kUdp, "fork1");
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  Reply(0, 200, Protocol::kUdp, "fork2");  // another branch of a fork
  Reply(0, 200, Protocol::kUdp, "fork1");  // a retransmission: the TU re-ACKs
  Reply(0, 486);                           // not after a 2xx
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{200, 200, 200}));
  EXPECT_EQ(sender_.count(), 1u);  // the transaction never ACKs a 2xx
  timers_.Advance(64 * 500ms - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  timers_.Advance(1ms);  // Timer M
  ExpectIdle();
  Reply(0, 200, Protocol::kUdp, "fork1");
  EXPECT_EQ(tu_.strays.size(), 1u);
}

// ----------------------------------------------------------- transport errors

TEST_F(ClientTest, SendFailureInsideSendRequestGives503Afterwards) {
  sender_.FailNext();
  ClientTxnId id = Start("MESSAGE");
  EXPECT_TRUE(id.valid());
  EXPECT_TRUE(responses_.received.empty());  // not nested in SendRequest
  EXPECT_EQ(layer_->State(id), std::nullopt);
  timers_.Advance(0ms);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{503});
  EXPECT_EQ(layer_->stats().transport_errors[static_cast<size_t>(TxnKind::kNonInviteClient)], 1u);
  ExpectIdle();
}

TEST_F(ClientTest, FailedRetransmissionGives503) {
  Start();
  sender_.FailNext();
  timers_.Advance(500ms);  // Timer A retransmission fails
  EXPECT_EQ(responses_.statuses(), std::vector<int>{503});
  ExpectIdle();
}

TEST_F(ClientTest, AsynchronousConnectFailureGives503) {
  sender_.set_hold(true);
  Start("INVITE", Protocol::kTls);
  sender_.CompleteHeld(std::make_error_code(std::errc::connection_refused));
  EXPECT_EQ(responses_.statuses(), std::vector<int>{503});
  ExpectIdle();
}

TEST_F(ClientTest, LateSendFailureAfterAProvisionalIsIgnoredForInvite) {
  sender_.set_hold(true);
  ClientTxnId id = Start();
  Reply(0, 180);
  sender_.CompleteHeld(std::make_error_code(std::errc::host_unreachable));
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);
  EXPECT_EQ(responses_.statuses(), std::vector<int>{180});
}

TEST_F(ClientTest, LateSendFailureInProceedingEndsANonInvite) {
  sender_.set_hold(true);
  Start("MESSAGE");
  Reply(0, 100);
  sender_.CompleteHeld(std::make_error_code(std::errc::host_unreachable));
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{100, 503}));
  ExpectIdle();
}

// -------------------------------------------------------------------- CANCEL

TEST_F(ClientTest, CancelWaitsForAProvisionalResponse) {
  ClientTxnId id = Start();
  ASSERT_TRUE(layer_->Cancel(id).ok());
  EXPECT_EQ(sender_.count(), 1u);  // §9.1: not before a provisional
  timers_.Advance(500ms);
  EXPECT_EQ(sender_.count(), 2u);  // an INVITE retransmission, no CANCEL
  Reply(0, 180);
  ASSERT_EQ(sender_.count(), 3u);

  auto invite = sender_.Parsed(0);
  auto cancel = sender_.Parsed(2);
  EXPECT_EQ(cancel->method(), sip::Method::kCancel);
  EXPECT_EQ(cancel->request_uri_text(), invite->request_uri_text());
  EXPECT_EQ(cancel->call_id(), invite->call_id());
  EXPECT_EQ(cancel->Value(sip::HeaderId::kTo), invite->Value(sip::HeaderId::kTo));
  EXPECT_EQ(cancel->Value(sip::HeaderId::kFrom), invite->Value(sip::HeaderId::kFrom));
  EXPECT_EQ(cancel->cseq()->number, invite->cseq()->number);
  EXPECT_EQ(cancel->cseq()->method_text, "CANCEL");
  ASSERT_EQ(cancel->vias().size(), 1u);
  EXPECT_EQ(cancel->top_via()->branch(), invite->top_via()->branch());
  EXPECT_EQ(cancel->Value(sip::HeaderId::kRoute), invite->Value(sip::HeaderId::kRoute));
  EXPECT_EQ(layer_->client_count(), 2u);

  Reply(2, 200);  // the CANCEL's 200 is absorbed by its transaction
  Reply(0, 487);
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{180, 487}));
  EXPECT_EQ(sender_.Last()->method(), sip::Method::kAck);
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(ClientTest, PendingCancelIsDroppedByAFinalResponse) {
  ClientTxnId id = Start();
  ASSERT_TRUE(layer_->Cancel(id).ok());
  Reply(0, 603);
  EXPECT_EQ(sender_.count(), 2u);  // INVITE and ACK, no CANCEL
  EXPECT_EQ(layer_->Cancel(id).error().code, kWrongState);
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(ClientTest, CancelledInviteWithoutFinalResponseEndsWith487After64T1) {
  ClientTxnId id = Start();
  Reply(0, 180);
  ASSERT_TRUE(layer_->Cancel(id).ok());
  ASSERT_TRUE(layer_->Cancel(id).ok());  // idempotent
  EXPECT_EQ(sender_.count(), 2u);
  Reply(1, 200);
  timers_.Advance(64 * 500ms - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);
  timers_.Advance(1ms);
  EXPECT_EQ(responses_.statuses(), (std::vector<int>{180, 487}));
  timers_.Advance(5s);  // the CANCEL's Timer K
  ExpectIdle();
}

TEST_F(ClientTest, CancelRejectsNonInviteAndUnknownIds) {
  ClientTxnId id = Start("MESSAGE");
  EXPECT_EQ(layer_->Cancel(id).error().code, kInvalidMessage);
  EXPECT_EQ(layer_->Cancel(ClientTxnId{99}).error().code, kNoTransaction);
}

// ------------------------------------------------------------ API contract

TEST_F(ClientTest, SendRequestValidatesTheRequest) {
  auto bad = [&](sip::MessagePtr m) {
    auto r = layer_->SendRequest(std::move(m), PeerDestination(), nullptr);
    return r.ok() ? 0 : r.error().code;
  };
  RequestSpec spec;
  spec.branch = "";
  EXPECT_EQ(bad(ParseText(RequestText(spec))), kInvalidMessage);
  spec.branch = "z9hG4bK";
  EXPECT_EQ(bad(ParseText(RequestText(spec))), kInvalidMessage);
  spec.branch = "z9hG4bKok";
  spec.method = "ACK";
  EXPECT_EQ(bad(ParseText(RequestText(spec))), kInvalidMessage);
  spec.method = "INVITE";
  spec.cseq_method = "BYE";
  EXPECT_EQ(bad(ParseText(RequestText(spec))), kInvalidMessage);
  spec.cseq_method = "";
  EXPECT_EQ(bad(ParseText(RequestText(spec))), 0);
  EXPECT_EQ(bad(ParseText(RequestText(spec))), kDuplicateTransaction);
  EXPECT_EQ(bad(nullptr), kInvalidMessage);
  EXPECT_EQ(sender_.count(), 1u);
}

TEST_F(ClientTest, ResponsesMatchOnBranchAndCSeqMethod) {
  Start();
  auto response = PeerResponse(0, 180);
  response->SetHeader(sip::HeaderId::kCSeq, "1 BYE");  // same branch, other method
  Receive(std::move(response));
  EXPECT_EQ(tu_.strays.size(), 1u);
  EXPECT_TRUE(responses_.received.empty());
  EXPECT_EQ(layer_->stats().stray_responses, 1u);
}

TEST_F(ClientTest, NewBranchIsUniqueAndCarriesTheCookie) {
  std::string a = NewBranch(), b = NewBranch();
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("z9hG4bK"));
  EXPECT_GT(a.size(), 7u + 16u);
}

}  // namespace
}  // namespace parley::transaction::testing
