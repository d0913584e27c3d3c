#pragma once
// The home serving proxy's core on one shard: the syntax gate, the
// transaction user, and the processor chain. One Core per event loop; every
// call happens on that loop.

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/timer.h"
#include "proxy/local_target.h"
#include "proxy/processor.h"
#include "sip/checks.h"
#include "transaction/transaction_layer.h"
#include "transaction/transaction_user.h"

namespace parley::proxy {

struct CoreConfig {
  std::vector<std::string> domains;
  std::vector<transport::SocketAddress> addresses;  // our listen addresses
  std::string server_header = "Parley/0.1";
  transaction::TimerConfig timers;
  size_t shard = 0;
  RouteTokenFn route_token;  // signs our Record-Route URIs (none: unsigned)
};

// Counters of one shard's core, read on its loop.
struct CoreStats {
  std::array<uint64_t, 16> requests_by_method{};  // index: sip::Method
  uint64_t requests_rejected = 0;                  // failed the syntax gate
  uint64_t responses_dropped = 0;                  // malformed responses
  uint64_t stateless_answers = 0;
  uint64_t requests_shed = 0;                      // 503 while overloaded
  std::array<uint64_t, 7> responses_by_class{};    // [status / 100]
};

class Core : public transaction::TransactionUser, public ProcessorHost {
 public:
  // `caps` is shared by every shard's core (read-only once traffic starts).
  Core(const CoreConfig& config, const sip::Capabilities& caps, TimerService& timers, transport::Sender& sender);
  ~Core() override;

  // Services, in order, between the UAS checks and the server's OPTIONS
  // answer. Add before traffic starts.
  void AddProcessor(ProcessorPtr p);

  // Every message this shard owns enters here.
  void OnMessage(transport::IncomingMessage&& in);

  // New requests get 503 (Retry-After) from now on; transactions in flight
  // finish normally.
  void StartDraining() { draining_ = true; }
  // Load shedding: while `overloaded()` says so, new out-of-dialog requests
  // get 503 Server Overloaded (Retry-After) before any work is done for
  // them; in-dialog requests, ACK and CANCEL still finish what is under
  // way, and retransmissions of accepted requests reach their transaction.
  void SetOverloadGate(std::function<bool()> overloaded) { overloaded_ = std::move(overloaded); }
  // Server transactions still waiting for a final response, plus client
  // transactions: what a clean shutdown waits for.
  size_t InFlight() const;

  const CoreStats& stats() const { return stats_; }
  const LocalTarget& local() const override { return local_; }
  // Replaces our domain list (domains added or removed with parleyctl).
  void SetDomains(std::vector<std::string> domains) {
    local_ = LocalTarget(std::move(domains), config_.addresses, config_.route_token);
  }
  TimerService& timers() override { return timers_; }
  transport::Sender& sender() override { return sender_; }
  const CoreConfig& config() const { return config_; }

  // TransactionUser
  void OnRequest(transaction::ServerTxnId txn, sip::MessagePtr request, const transport::Source& source) override;
  void OnCancel(transaction::ServerTxnId cancel_txn, std::optional<transaction::ServerTxnId> invite_txn,
                sip::MessagePtr cancel, const transport::Source& source) override;
  void OnAck(sip::MessagePtr ack, const transport::Source& source) override;
  void OnStrayResponse(sip::MessagePtr response, const transport::Source& source) override;
  void OnServerTransactionError(transaction::ServerTxnId txn, transaction::ServerTxnError error) override;

  // ProcessorHost
  void Respond(RequestContext& ctx, int status, std::string_view reason = {}, ExtraHeaders extra = {}) override;
  void Send(RequestContext& ctx, sip::MessagePtr response) override;
  void Resume(RequestContextPtr ctx) override;
  transaction::TransactionLayer& layer() override { return *layer_; }
  void OnCancelled(transaction::ServerTxnId txn, std::function<void()> fn) override;
  void ClearCancelled(transaction::ServerTxnId txn) override;

  // Hooks for stray responses and 2xx ACKs (a stateful proxy forwards them).
  void SetStrayHandler(std::function<void(sip::MessagePtr, const transport::Source&)> fn) { stray_ = std::move(fn); }
  void SetAckHandler(std::function<void(sip::MessagePtr, const transport::Source&)> fn) { ack_ = std::move(fn); }

 private:
  void RunChain(RequestContextPtr ctx);
  // Answers `ctx` with 503 if the overload gate says so; true if it did.
  bool Shed(RequestContext& ctx);
  RequestContextPtr NewContext(transaction::ServerTxnId txn, sip::MessagePtr request, const transport::Source& src);
  void RejectStateless(const sip::Message& req, const transport::Source& src, int status, std::string_view reason,
                       ExtraHeaders extra = {});

  CoreConfig config_;
  LocalTarget local_;
  const sip::Capabilities& caps_;
  TimerService& timers_;
  transport::Sender& sender_;
  std::unique_ptr<transaction::TransactionLayer> layer_;
  std::vector<ProcessorPtr> chain_;
  size_t services_at_ = 0;  // where AddProcessor inserts
  std::unordered_map<transaction::ServerTxnId, std::function<void()>> cancel_watchers_;
  std::function<void(sip::MessagePtr, const transport::Source&)> stray_, ack_;
  bool draining_ = false;
  std::function<bool()> overloaded_;
  std::chrono::steady_clock::time_point last_shed_log_{};
  uint64_t shed_logged_ = 0;  // requests_shed at the last log line
  CoreStats stats_;
};

// A To tag that is the same for every retransmission of a request, so
// stateless answers stay consistent (RFC 3261 §8.2.7).
std::string StableToTag(const sip::Message& request);

}  // namespace parley::proxy
