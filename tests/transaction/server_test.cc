// Server transactions (RFC 3261 §17.2, RFC 6026): every state, timers G, H,
// I, J, L, the 100 Trying rule, retransmission absorption, transport errors.

#include "transaction/harness.h"

namespace parley::transaction::testing {
namespace {

using std::chrono::milliseconds;
using transport::Protocol;

class ServerTest : public LayerTest {
 protected:
  // Receives a request built from `spec` and returns its transaction.
  ServerTxnId Arrive(const RequestSpec& spec, Protocol protocol = Protocol::kUdp) {
    size_t before = tu_.requests.size();
    Receive(RequestText(spec), protocol);
    EXPECT_EQ(tu_.requests.size(), before + 1);
    return tu_.requests.back().id;
  }
  static RequestSpec Options() {
    RequestSpec s;
    s.method = "OPTIONS";
    return s;
  }
  static RequestSpec Ack(std::string to_tag = "as83kd9bs") {
    RequestSpec s;
    s.method = "ACK";
    s.to_tag = std::move(to_tag);
    return s;
  }
};

// ---------------------------------------------------------------- non-INVITE

TEST_F(ServerTest, NonInviteUdpCompletesAndTimerJEndsIt) {
  ServerTxnId id = Arrive(Options());
  EXPECT_EQ(layer_->State(id), TxnState::kTrying);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  ASSERT_EQ(sender_.count(), 1u);
  EXPECT_EQ(sender_.Last()->status(), 200);
  // Response goes to the source IP and the Via port (§18.2.2).
  EXPECT_EQ(sender_.sent()[0].to.address.ToString(), "192.0.2.1:5060");

  // A retransmission gets the final response again, the TU sees nothing.
  Receive(RequestText(Options()));
  EXPECT_EQ(tu_.requests.size(), 1u);
  ASSERT_EQ(sender_.count(), 2u);
  EXPECT_EQ(sender_.sent()[1].bytes, sender_.sent()[0].bytes);
  EXPECT_EQ(layer_->stats().retransmissions_absorbed, 1u);

  timers_.Advance(64 * 500ms - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  timers_.Advance(1ms);  // Timer J = 64*T1
  EXPECT_EQ(layer_->State(id), std::nullopt);
  EXPECT_FALSE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  ExpectIdle();
}

TEST_F(ServerTest, NonInviteOverTcpTerminatesWithTheFinalResponse) {
  ServerTxnId id = Arrive(Options(), Protocol::kTcp);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());  // Timer J = 0
  EXPECT_EQ(layer_->State(id), std::nullopt);
  EXPECT_EQ(sender_.sent()[0].to.flow, 7u);  // the request's connection
  ExpectIdle();
}

TEST_F(ServerTest, NonInviteRetransmissionInTryingGetsNothingInProceedingTheProvisional) {
  ServerTxnId id = Arrive(Options());
  Receive(RequestText(Options()));
  EXPECT_EQ(sender_.count(), 0u);  // Trying: absorbed silently

  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 180)).ok());
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 183)).ok());
  Receive(RequestText(Options()));
  ASSERT_EQ(sender_.count(), 3u);
  EXPECT_EQ(sender_.Last()->status(), 183);  // the most recent provisional
  EXPECT_EQ(tu_.requests.size(), 1u);

  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 404)).ok());
  Receive(RequestText(Options()));
  EXPECT_EQ(sender_.Last()->status(), 404);
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(ServerTest, RespondRejectsWrongStateAndUnknownIds) {
  ServerTxnId id = Arrive(Options());
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  auto again = layer_->Respond(id, ResponseTo(0, 200));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, kWrongState);
  EXPECT_EQ(layer_->Respond(id, ResponseTo(0, 180)).error().code, kWrongState);
  EXPECT_EQ(layer_->Respond(ServerTxnId{12345}, ResponseTo(0, 200)).error().code, kNoTransaction);
  EXPECT_EQ(layer_->Respond(id, ParseText(RequestText(Options()))).error().code, kInvalidMessage);
  EXPECT_EQ(sender_.count(), 1u);
  timers_.Advance(32s);
  ExpectIdle();
}

// -------------------------------------------------------------------- INVITE

TEST_F(ServerTest, InviteSends100TryingAfter200ms) {
  ServerTxnId id = Arrive(RequestSpec{});
  EXPECT_EQ(layer_->State(id), TxnState::kProceeding);
  timers_.Advance(199ms);
  EXPECT_EQ(sender_.count(), 0u);
  timers_.Advance(1ms);
  ASSERT_EQ(sender_.count(), 1u);
  auto trying = sender_.Last();
  EXPECT_EQ(trying->status(), 100);
  EXPECT_FALSE(trying->to()->has_tag());
  EXPECT_EQ(trying->cseq()->number, 314159u);
  // A retransmitted INVITE gets the 100 again (the last provisional).
  Receive(RequestText(RequestSpec{}));
  ASSERT_EQ(sender_.count(), 2u);
  EXPECT_EQ(sender_.Last()->status(), 100);
  EXPECT_EQ(tu_.requests.size(), 1u);
}

TEST_F(ServerTest, NoTryingWhenTheTuAnswersWithin200ms) {
  ServerTxnId id = Arrive(RequestSpec{});
  timers_.Advance(150ms);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 180)).ok());
  timers_.Advance(1s);
  ASSERT_EQ(sender_.count(), 1u);
  EXPECT_EQ(sender_.Last()->status(), 180);
  Receive(RequestText(RequestSpec{}));
  EXPECT_EQ(sender_.Last()->status(), 180);
}

TEST_F(ServerTest, InviteNon2xxOverUdpRetransmitsWithTimerGUntilTimerH) {
  ServerTxnId id = Arrive(RequestSpec{});
  const Clock::time_point start = timers_.Now();
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 486)).ok());
  EXPECT_EQ(layer_->State(id), TxnState::kCompleted);
  timers_.Advance(64 * 500ms - 1ms);
  // G: T1, then doubling up to T2.
  std::vector<milliseconds> expected = {0ms,     500ms,   1500ms,  3500ms,  7500ms, 11500ms,
                                        15500ms, 19500ms, 23500ms, 27500ms, 31500ms};
  EXPECT_EQ(SendTimes(start), expected);
  for (const auto& s : sender_.sent()) EXPECT_EQ(s.bytes, sender_.sent()[0].bytes);
  EXPECT_TRUE(tu_.errors.empty());

  timers_.Advance(1ms);  // H = 64*T1: no ACK came
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(tu_.errors[0], std::make_pair(id, ServerTxnError::kTimeout));
  EXPECT_EQ(layer_->stats().timeouts[static_cast<size_t>(TxnKind::kInviteServer)], 1u);
  EXPECT_EQ(layer_->stats().retransmissions_sent, 10u);
  ExpectIdle();
}

TEST_F(ServerTest, AckConfirmsAndTimerIAbsorbsAckRetransmissions) {
  ServerTxnId id = Arrive(RequestSpec{});
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 486)).ok());
  timers_.Advance(600ms);  // one G retransmission
  ASSERT_EQ(sender_.count(), 2u);

  Receive(RequestText(Ack()));  // same branch: part of the transaction
  EXPECT_EQ(layer_->State(id), TxnState::kConfirmed);
  Receive(RequestText(Ack()));
  EXPECT_TRUE(tu_.acks.empty());
  Receive(RequestText(RequestSpec{}));  // a late INVITE is absorbed too
  EXPECT_EQ(tu_.requests.size(), 1u);

  timers_.Advance(5s - 1ms);  // Timer I = T4; G stopped
  EXPECT_EQ(sender_.count(), 2u);
  EXPECT_EQ(layer_->State(id), TxnState::kConfirmed);
  timers_.Advance(1ms);
  EXPECT_TRUE(tu_.errors.empty());
  ExpectIdle();
}

TEST_F(ServerTest, InviteNon2xxOverTcpHasNoTimerGAndEndsOnAck) {
  RequestSpec spec;
  spec.transport = "TCP";
  ServerTxnId id = Arrive(spec, Protocol::kTcp);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 603)).ok());
  timers_.Advance(20s);
  EXPECT_EQ(sender_.count(), 1u);
  RequestSpec ack = Ack();
  ack.transport = "TCP";
  Receive(RequestText(ack), Protocol::kTcp);  // Timer I = 0
  ExpectIdle();
}

TEST_F(ServerTest, InviteOverTcpStillTimesOutWithoutAck) {
  RequestSpec spec;
  spec.transport = "TCP";
  ServerTxnId id = Arrive(spec, Protocol::kTcp);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 480)).ok());
  timers_.Advance(32s);
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(tu_.errors[0].second, ServerTxnError::kTimeout);
  ExpectIdle();
}

TEST_F(ServerTest, Invite2xxMovesToAcceptedUntilTimerL) {
  ServerTxnId id = Arrive(RequestSpec{});
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 180)).ok());
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  ASSERT_EQ(sender_.count(), 2u);

  // RFC 6026: INVITE retransmissions are absorbed without a response …
  Receive(RequestText(RequestSpec{}));
  EXPECT_EQ(sender_.count(), 2u);
  EXPECT_EQ(tu_.requests.size(), 1u);
  // … the TU's own 2xx retransmissions pass through; anything else fails.
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  EXPECT_EQ(sender_.count(), 3u);
  EXPECT_EQ(layer_->Respond(id, ResponseTo(0, 486)).error().code, kWrongState);
  EXPECT_EQ(layer_->Respond(id, ResponseTo(0, 180)).error().code, kWrongState);

  // The ACK (its own transaction, new branch) goes to the TU; so does one
  // reusing the INVITE's branch while Accepted.
  RequestSpec ack = Ack();
  ack.branch = "z9hG4bKack2xx";
  Receive(RequestText(ack));
  Receive(RequestText(Ack()));
  EXPECT_EQ(tu_.acks.size(), 2u);

  timers_.Advance(64 * 500ms - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  timers_.Advance(1ms);  // Timer L
  EXPECT_TRUE(tu_.errors.empty());
  ExpectIdle();
}

TEST_F(ServerTest, TimerLIs64T1OverTcpToo) {
  RequestSpec spec;
  spec.transport = "TCP";
  ServerTxnId id = Arrive(spec, Protocol::kTcp);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  timers_.Advance(32s - 1ms);
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  timers_.Advance(1ms);
  ExpectIdle();
}

TEST_F(ServerTest, TimerValuesFollowTheConfiguration) {
  TimerConfig config;
  config.t1 = 100ms;
  config.t2 = 400ms;
  config.t4 = 1s;
  layer_ = std::make_unique<TransactionLayer>(timers_, sender_, config, tu_);
  ServerTxnId id = Arrive(RequestSpec{});
  const Clock::time_point start = timers_.Now();
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 500)).ok());
  timers_.Advance(1s);
  std::vector<milliseconds> expected = {0ms, 100ms, 300ms, 700ms};
  EXPECT_EQ(SendTimes(start), expected);
  timers_.Advance(64 * 100ms - 1s);  // H = 64*T1
  EXPECT_EQ(tu_.errors.size(), 1u);
  ExpectIdle();
}

// ----------------------------------------------------------- transport errors

TEST_F(ServerTest, SendFailureInsideRespondIsReportedAfterwards) {
  ServerTxnId id = Arrive(Options());
  sender_.FailNext();
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  // Never nested in the TU's own call; delivered from a zero-delay timer.
  EXPECT_TRUE(tu_.errors.empty());
  EXPECT_EQ(layer_->State(id), std::nullopt);
  timers_.Advance(0ms);
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(tu_.errors[0], std::make_pair(id, ServerTxnError::kTransportError));
  EXPECT_EQ(layer_->stats().transport_errors[static_cast<size_t>(TxnKind::kNonInviteServer)], 1u);
  ExpectIdle();
}

TEST_F(ServerTest, AsynchronousFailureOfARetransmissionTerminates) {
  ServerTxnId id = Arrive(RequestSpec{});
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 486)).ok());
  sender_.set_hold(true);
  timers_.Advance(500ms);  // G retransmission, completion held
  sender_.CompleteHeld(std::make_error_code(std::errc::host_unreachable));
  ASSERT_EQ(tu_.errors.size(), 1u);  // from the loop: delivered at once
  EXPECT_EQ(tu_.errors[0].second, ServerTxnError::kTransportError);
  ExpectIdle();
}

TEST_F(ServerTest, LateFailureAfterTheAckIsIgnored) {
  ServerTxnId id = Arrive(RequestSpec{});
  sender_.set_hold(true);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 486)).ok());
  Receive(RequestText(Ack()));
  sender_.CompleteHeld(std::make_error_code(std::errc::host_unreachable));
  EXPECT_TRUE(tu_.errors.empty());
  EXPECT_EQ(layer_->State(id), TxnState::kConfirmed);
  timers_.Advance(5s);
  ExpectIdle();
}

TEST_F(ServerTest, FailureOf2xxInAcceptedInformsTheTuButKeepsAbsorbing) {
  ServerTxnId id = Arrive(RequestSpec{});
  sender_.set_hold(true);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  sender_.CompleteHeld(std::make_error_code(std::errc::connection_reset));
  ASSERT_EQ(tu_.errors.size(), 1u);
  EXPECT_EQ(layer_->State(id), TxnState::kAccepted);
  Receive(RequestText(RequestSpec{}));
  EXPECT_EQ(tu_.requests.size(), 1u);
  timers_.Advance(32s);
  ExpectIdle();
}

TEST_F(ServerTest, NoRouteForResponsesIsATransportError) {
  RequestSpec spec = Options();
  spec.sent_by = "client.example.com;maddr=255.255.255.255";  // broadcast: never answered
  ServerTxnId id = Arrive(spec);
  ASSERT_TRUE(layer_->Respond(id, ResponseTo(0, 200)).ok());
  EXPECT_EQ(sender_.count(), 0u);
  timers_.Advance(0ms);
  ASSERT_EQ(tu_.errors.size(), 1u);
  ExpectIdle();
}

}  // namespace
}  // namespace parley::transaction::testing
