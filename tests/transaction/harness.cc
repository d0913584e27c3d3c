#include "transaction/harness.h"

#include "sip/parser.h"
#include "transaction/messages.h"

namespace parley::transaction::testing {

std::string Crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

std::string RequestText(const RequestSpec& s) {
  std::string t = s.method + " " + s.request_uri + " SIP/2.0\n";
  t += "Via: SIP/2.0/" + s.transport + " " + s.sent_by;
  if (!s.branch.empty()) t += ";branch=" + s.branch;
  t += "\nMax-Forwards: 70\n";
  for (const auto& r : s.routes) t += "Route: " + r + "\n";
  t += "To: Bob <sip:bob@example.com>";
  if (!s.to_tag.empty()) t += ";tag=" + s.to_tag;
  t += "\nFrom: Alice <sip:alice@example.com>";
  if (!s.from_tag.empty()) t += ";tag=" + s.from_tag;
  t += "\nCall-ID: " + s.call_id + "\n";
  t += "CSeq: " + std::to_string(s.cseq) + " " + (s.cseq_method.empty() ? s.method : s.cseq_method) + "\n";
  t += "Contact: <sip:alice@client.example.com>\nContent-Length: 0\n\n";
  return Crlf(t);
}

sip::MessagePtr ParseText(const std::string& text) {
  auto m = sip::ParseDatagram(text, sip::ParserLimits());
  EXPECT_TRUE(m != nullptr && m->parse_error().ok()) << text;
  return m;
}

void RecordingTu::OnRequest(ServerTxnId txn, sip::MessagePtr request, const transport::Source&) {
  requests.push_back({txn, std::move(request)});
  if (on_request) on_request(txn, *requests.back().message);
}

void RecordingTu::OnCancel(ServerTxnId cancel_txn, std::optional<ServerTxnId> invite_txn, sip::MessagePtr cancel,
                           const transport::Source&) {
  cancels.push_back({cancel_txn, invite_txn, std::move(cancel)});
  if (on_cancel) on_cancel(cancel_txn, invite_txn, *cancels.back().message);
}

void RecordingTu::OnAck(sip::MessagePtr ack, const transport::Source&) { acks.push_back(std::move(ack)); }

void RecordingTu::OnStrayResponse(sip::MessagePtr response, const transport::Source&) {
  strays.push_back(std::move(response));
}

void RecordingTu::OnServerTransactionError(ServerTxnId txn, ServerTxnError error) {
  errors.emplace_back(txn, error);
  if (on_error) on_error(txn, error);
}

std::vector<int> Responses::statuses() const {
  std::vector<int> out;
  for (const auto& r : received) out.push_back(r->status());
  return out;
}

LayerTest::LayerTest() : layer_(std::make_unique<TransactionLayer>(timers_, sender_, TimerConfig{}, tu_)) {}

transport::Source LayerTest::SourceFor(transport::Protocol protocol) {
  transport::Source s;
  s.protocol = protocol;
  s.remote = *transport::SocketAddress::Parse("192.0.2.1", 5060);
  s.local = *transport::SocketAddress::Parse("192.0.2.10", 5060);
  s.flow = transport::IsReliable(protocol) ? 7 : 0;
  return s;
}

transport::Destination LayerTest::PeerDestination(transport::Protocol protocol) {
  transport::Destination d;
  d.protocol = protocol;
  d.address = *transport::SocketAddress::Parse("192.0.2.20", 5060);
  return d;
}

void LayerTest::Receive(const std::string& text, transport::Protocol protocol) { Receive(ParseText(text), protocol); }

void LayerTest::Receive(sip::MessagePtr message, transport::Protocol protocol) {
  ASSERT_NE(message, nullptr);
  layer_->OnMessage(transport::IncomingMessage{std::move(message), SourceFor(protocol)});
}

sip::MessagePtr LayerTest::ResponseTo(size_t n, int status, std::string_view to_tag) const {
  return sip::MakeResponse(RequestMessage(n), status, {}, to_tag);
}

sip::MessagePtr LayerTest::OutgoingRequest(std::string method, transport::Protocol protocol) {
  RequestSpec spec;
  spec.method = std::move(method);
  spec.transport = std::string(transport::ProtocolName(protocol));
  spec.sent_by = sender_.ViaSentBy(PeerDestination(protocol));
  spec.branch = NewBranch();
  spec.routes = {"<sip:proxy.example.com;lr>"};
  return ParseText(RequestText(spec));
}

sip::MessagePtr LayerTest::PeerResponse(size_t i, int status, std::string_view to_tag) const {
  auto request = sender_.Parsed(i);
  // Through the parser, as a received response would be.
  return ParseText(sip::MakeResponse(*request, status, {}, to_tag)->Serialize());
}

std::vector<std::chrono::milliseconds> LayerTest::SendTimes(Clock::time_point start, size_t from) const {
  std::vector<std::chrono::milliseconds> out;
  for (size_t i = from; i < sender_.count(); ++i) {
    out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(sender_.sent()[i].at - start));
  }
  return out;
}

void LayerTest::ExpectIdle() const {
  EXPECT_EQ(layer_->server_count(), 0u);
  EXPECT_EQ(layer_->client_count(), 0u);
  EXPECT_EQ(timers_.pending(), 0u);
  const auto& s = layer_->stats();
  for (size_t k = 0; k < kTxnKinds; ++k) {
    EXPECT_EQ(s.Live(static_cast<TxnKind>(k)), 0u) << TxnKindName(static_cast<TxnKind>(k));
    EXPECT_EQ(s.created[k], s.terminated[k]) << TxnKindName(static_cast<TxnKind>(k));
  }
}

}  // namespace parley::transaction::testing
