#pragma once
// The user agent core on one event loop: the transaction user of the UA.
// It builds and sends requests through the transaction layer (Via, branch,
// digest credentials, challenge retries), classifies their outcome, and
// routes incoming requests (MESSAGE, NOTIFY, OPTIONS) to the modules that
// registered a handler. Everything here runs on the loop; nothing blocks.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/timer.h"
#include "sip/message.h"
#include "transaction/transaction_layer.h"
#include "transaction/transaction_user.h"
#include "transport/types.h"
#include "ua/account.h"
#include "ua/digest_client.h"
#include "ua/outcome.h"

namespace parley::ua {

struct CoreConfig {
  Account account;
  transport::Destination proxy;  // resolved outbound proxy (SNI set for TLS)
  std::string local_host;        // our address as it belongs in a URI ("10.0.0.5", "[::1]")
  uint16_t local_port = 0;       // the listen port matching proxy.protocol (TCP's for TLS)
  std::string instance_id;       // "urn:uuid:…" (RFC 5626 +sip.instance), may be empty
  std::string user_agent = "parley/0.1";
  transaction::TimerConfig timers;
  // Sees every message sent (out = true) and received, as bytes (--trace).
  std::function<void(bool out, std::string_view bytes)> trace;
};

// An incoming request waiting for its answer.
struct ServerRequest {
  transaction::ServerTxnId txn;
  sip::MessagePtr request;
  transport::Source source;
};

class Core : public transaction::TransactionUser {
 public:
  // `timers` and `sender` outlive the core; `sender` is the transport.
  Core(CoreConfig config, TimerService& timers, transport::Sender& sender);
  ~Core() override;
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Every message the transport receives.
  void OnMessage(transport::IncomingMessage&& in);

  // ----- sending -----
  // An out-of-dialog request: Request-URI, From (our AOR, `from_tag`), To,
  // Call-ID, CSeq, Max-Forwards, User-Agent. Via is added by Send.
  sip::MessagePtr NewRequest(std::string_view method, std::string_view request_uri, std::string_view to,
                             std::string_view from_tag, std::string_view call_id, uint32_t cseq) const;

  // `final` gets the final response (nullptr when there is none: a made-up
  // 408/503 is passed as a response too) and the request as last sent (its
  // CSeq is the one the owner must continue from). Runs once, later, on the
  // loop — never inside Send.
  using FinalHandler = std::function<void(const Outcome& outcome, const sip::Message& response,
                                          const sip::Message& sent)>;
  using RequestId = uint64_t;
  RequestId Send(sip::MessagePtr request, FinalHandler final);
  // Forgets a request: its handler is never called (for owners that die first).
  void Abandon(RequestId id);

  // ----- receiving -----
  using RequestHandler = std::function<void(ServerRequest&)>;
  // The handler must answer with Respond (now or later).
  void SetHandler(sip::Method method, RequestHandler handler);
  void Respond(const ServerRequest& req, int status, std::string_view reason = {},
               const std::vector<std::pair<sip::HeaderId, std::string>>& extra = {},
               std::string_view content_type = {}, std::string_view body = {});

  // ----- identity and plumbing -----
  const CoreConfig& config() const { return config_; }
  const Aor& aor() const { return config_.account.aor; }
  // Our contact URI: "sip:alice@10.0.0.5:40312;transport=tcp" (";ob" on a
  // reliable flow, RFC 5626).
  std::string ContactUri() const;
  TimerService& timers() { return timers_; }
  transport::Sender& sender() { return sender_; }
  // The connection requests to the proxy use (0 for UDP or none yet).
  transport::FlowId flow() const { return flow_; }
  // Fresh tokens for tags and Call-IDs.
  std::string NewTag() const;
  std::string NewCallId() const;

  // TransactionUser
  void OnRequest(transaction::ServerTxnId txn, sip::MessagePtr request, const transport::Source& source) override;
  void OnCancel(transaction::ServerTxnId cancel_txn, std::optional<transaction::ServerTxnId> invite_txn,
                sip::MessagePtr cancel, const transport::Source& source) override;
  void OnAck(sip::MessagePtr ack, const transport::Source& source) override {}
  void OnStrayResponse(sip::MessagePtr response, const transport::Source& source) override {}
  void OnServerTransactionError(transaction::ServerTxnId txn, transaction::ServerTxnError error) override {}

 private:
  // Remembers the last transport error, so a made-up 503 can say why.
  class TrackingSender : public transport::Sender {
   public:
    TrackingSender(transport::Sender& inner, const CoreConfig& config) : inner_(inner), config_(config) {}
    void Send(const transport::Destination& to, std::string bytes, Done done) override;
    std::string ViaSentBy(const transport::Destination& to) const override { return inner_.ViaSentBy(to); }
    std::error_code last_error;

   private:
    transport::Sender& inner_;
    const CoreConfig& config_;
  };

  struct Pending {
    sip::MessagePtr sent;  // as last sent
    FinalHandler final;
    transaction::ClientTxnId txn;
    int auth_rounds = 0;
  };

  void Attempt(RequestId id);
  void OnResponse(RequestId id, sip::MessagePtr response);
  void Finish(RequestId id, const sip::Message& response, Failure failure);

  CoreConfig config_;
  TimerService& timers_;
  TrackingSender sender_;
  DigestClient digest_;
  std::unique_ptr<transaction::TransactionLayer> layer_;
  std::unordered_map<RequestId, Pending> pending_;
  RequestId next_id_ = 0;
  std::array<RequestHandler, 16> handlers_{};
  transport::FlowId flow_ = 0;
};

}  // namespace parley::ua
