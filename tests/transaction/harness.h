#pragma once
// A TransactionLayer wired to ManualTimers, a FakeSender and a recording TU,
// plus builders for the requests and responses the tests exchange.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/fake_sender.h"
#include "common/manual_timers.h"
#include "sip/response.h"
#include "transaction/transaction_layer.h"

namespace parley::transaction::testing {

using namespace std::chrono_literals;
using parley::testing::FakeSender;
using parley::testing::ManualTimers;

// Converts "\n" line ends to CRLF.
std::string Crlf(std::string_view s);

// A request as a UA would send it; empty strings leave a part out.
struct RequestSpec {
  std::string method = "INVITE";
  std::string request_uri = "sip:bob@example.com";
  std::string transport = "UDP";
  std::string sent_by = "client.example.com:5060";
  std::string branch = "z9hG4bK776asdhds";  // "" for no branch parameter
  std::string from_tag = "1928301774";
  std::string to_tag;
  std::string call_id = "a84b4c76e66710@client.example.com";
  uint32_t cseq = 314159;
  std::string cseq_method;  // defaults to `method`
  std::vector<std::string> routes;
};
std::string RequestText(const RequestSpec& spec);
sip::MessagePtr ParseText(const std::string& text);

// Records every TU callback; the hooks run inside the callback.
class RecordingTu : public TransactionUser {
 public:
  struct Request {
    ServerTxnId id;
    sip::MessagePtr message;
  };
  struct Cancel {
    ServerTxnId id;
    std::optional<ServerTxnId> invite;
    sip::MessagePtr message;
  };

  void OnRequest(ServerTxnId txn, sip::MessagePtr request, const transport::Source& source) override;
  void OnCancel(ServerTxnId cancel_txn, std::optional<ServerTxnId> invite_txn, sip::MessagePtr cancel,
                const transport::Source& source) override;
  void OnAck(sip::MessagePtr ack, const transport::Source& source) override;
  void OnStrayResponse(sip::MessagePtr response, const transport::Source& source) override;
  void OnServerTransactionError(ServerTxnId txn, ServerTxnError error) override;

  std::vector<Request> requests;
  std::vector<Cancel> cancels;
  std::vector<sip::MessagePtr> acks;
  std::vector<sip::MessagePtr> strays;
  std::vector<std::pair<ServerTxnId, ServerTxnError>> errors;

  std::function<void(ServerTxnId, const sip::Message&)> on_request;
  std::function<void(ServerTxnId, std::optional<ServerTxnId>, const sip::Message&)> on_cancel;
  std::function<void(ServerTxnId, ServerTxnError)> on_error;
};

// Collects the responses of one client transaction.
struct Responses {
  std::vector<sip::MessagePtr> received;
  ResponseHandler Handler() {
    return [this](sip::MessagePtr r) { received.push_back(std::move(r)); };
  }
  std::vector<int> statuses() const;
};

class LayerTest : public ::testing::Test {
 protected:
  LayerTest();

  // Feeds a message as if received over `protocol` from 192.0.2.1:5060.
  void Receive(const std::string& text, transport::Protocol protocol = transport::Protocol::kUdp);
  void Receive(sip::MessagePtr message, transport::Protocol protocol = transport::Protocol::kUdp);
  static transport::Source SourceFor(transport::Protocol protocol);
  static transport::Destination PeerDestination(transport::Protocol protocol = transport::Protocol::kUdp);

  // Server side: the ServerTxnId of the n-th request the TU saw.
  ServerTxnId RequestId(size_t n = 0) const { return tu_.requests.at(n).id; }
  const sip::Message& RequestMessage(size_t n = 0) const { return *tu_.requests.at(n).message; }
  // A response to the n-th request (To tag added for status > 100).
  sip::MessagePtr ResponseTo(size_t n, int status, std::string_view to_tag = "as83kd9bs") const;

  // Client side: a request ready for SendRequest, with a fresh branch.
  sip::MessagePtr OutgoingRequest(std::string method = "INVITE",
                                  transport::Protocol protocol = transport::Protocol::kUdp);
  // The response a peer would send to the request in sender_.sent()[i].
  sip::MessagePtr PeerResponse(size_t i, int status, std::string_view to_tag = "peer7") const;

  // Times (relative to `start`) of the sends in sender_.sent()[from, end).
  std::vector<std::chrono::milliseconds> SendTimes(Clock::time_point start, size_t from = 0) const;

  // Both tables are empty and no timer is left behind.
  void ExpectIdle() const;

  ManualTimers timers_;
  FakeSender sender_{&timers_};
  RecordingTu tu_;
  std::unique_ptr<TransactionLayer> layer_;
};

}  // namespace parley::transaction::testing
