#pragma once
// The home serving proxy handles a request by passing it down a chain of
// small processors (the reSIProcate repro pattern). Each looks at the
// request and answers it, hands it on, or takes it over: it keeps the
// context (e.g. while another shard or the store works) and later gives it
// back to the host, which continues with the next processor or answers.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timer.h"
#include "proxy/local_target.h"
#include "sip/message.h"
#include "transaction/transaction_layer.h"
#include "transaction/types.h"
#include "transport/types.h"

namespace parley::proxy {

// A request on its way through the chain.
struct RequestContext {
  transaction::ServerTxnId txn;  // invalid when answered statelessly
  sip::MessagePtr request;
  transport::Source source;
  size_t shard = 0;           // the shard holding the transaction
  size_t next = 0;            // next processor in the chain
  bool to_self = false;       // Request-URI names this server (no user part)
  bool local_domain = false;  // Request-URI host is one of our domains/addresses
  std::string authenticated;  // AOR proven by digest credentials, or ""
  // The authenticated user keeps a message history (their user record's
  // setting, read with the credentials).
  bool authenticated_history = false;
  bool target_offline = false;  // a user of ours with no registered contact
  // Whether that offline user keeps a message history, when the lookup
  // read their record (else not known here).
  std::optional<bool> target_history;
  // The final (non-2xx) response need not be kept for retransmissions: the
  // transaction ends with it (TransactionLayer::RespondAndForget).
  bool forget_final = false;
  // The Request-URI was one of our temporary GRUUs, retargeted to the
  // public GRUU of its instance; the hash of the Call-ID it is bound to.
  std::optional<std::array<uint8_t, 8>> temp_gruu;
};
using RequestContextPtr = std::unique_ptr<RequestContext>;

enum class Verdict {
  kContinue,  // not mine: next processor
  kDone,      // answered
  kPending,   // taken over: the processor moved the context out and will
              // Respond / Resume later, on ctx->shard's loop
};

using ExtraHeaders = std::vector<std::pair<sip::HeaderId, std::string>>;

// What processors call on the core that runs them.
class ProcessorHost {
 public:
  virtual ~ProcessorHost() = default;
  // Answers ctx's request (To tag, Server header, extra fields added).
  virtual void Respond(RequestContext& ctx, int status, std::string_view reason = {}, ExtraHeaders extra = {}) = 0;
  // Sends a response the processor built itself.
  virtual void Send(RequestContext& ctx, sip::MessagePtr response) = 0;
  // Continues a taken-over request with the processor after the one that
  // took it. Call on ctx->shard's loop.
  virtual void Resume(RequestContextPtr ctx) = 0;
  // The shard's transaction layer (to forward requests).
  virtual transaction::TransactionLayer& layer() = 0;
  // Called when a CANCEL arrives for `txn` (an INVITE being forwarded); the
  // core has answered the CANCEL with 200. Cleared when the transaction ends.
  virtual void OnCancelled(transaction::ServerTxnId txn, std::function<void()> fn) = 0;
  virtual void ClearCancelled(transaction::ServerTxnId txn) = 0;
  // Our domains and addresses.
  virtual const LocalTarget& local() const = 0;
  virtual TimerService& timers() = 0;
  // The transport, for Via sent-by of forwarded requests and stateless sends.
  virtual transport::Sender& sender() = 0;
};

class Processor {
 public:
  virtual ~Processor() = default;
  virtual std::string_view name() const = 0;
  // May move `ctx` out and return kPending.
  virtual Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) = 0;
};

using ProcessorPtr = std::unique_ptr<Processor>;

}  // namespace parley::proxy
