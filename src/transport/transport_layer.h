#pragma once
// The SIP transport layer: UDP, TCP and TLS over IPv4 and IPv6 on a group of
// event loops. See README.md for the threading model and FlowId encoding.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/loop_group.h"
#include "transport/config.h"
#include "transport/stats.h"
#include "transport/types.h"

namespace parley::transport {

namespace internal {
struct Core;
}  // namespace internal

class TransportLayer final : public Sender {
 public:
  // Called on the loop that read the message, never concurrently for one
  // loop. Requests already carry received/rport in their top Via.
  using Handler = std::function<void(IncomingMessage&&)>;

  // At most 256 loops (a FlowId keeps the owning loop in 8 bits).
  TransportLayer(runtime::LoopGroup& loops, TransportConfig config, Handler handler);
  ~TransportLayer() override;  // Stop()
  TransportLayer(const TransportLayer&) = delete;
  TransportLayer& operator=(const TransportLayer&) = delete;

  // Binds every listen point on every loop and starts reading. The error
  // names the listen point that failed ("TCP 127.0.0.1:5060: bind: Address
  // already in use"); nothing stays bound then. Call once, from a thread
  // that is not one of the loops (before or after the loops start).
  Result<void> Start();

  // Closes listeners and connections (pending sends fail with
  // operation_aborted) and waits until every loop has done so. Idempotent.
  // Not from a loop thread, and not while other non-loop threads call Send.
  // Loops that are not running are handled on the calling thread.
  void Stop();

  // The listen points as bound (port 0 replaced by the actual port).
  std::vector<ListenPoint> bound() const;
  // After Start: UDP listen points with a steering program (TransportConfig::
  // udp_response_steering, udp_request_steering), and why not, if it failed.
  size_t steered_udp_listen_points() const;
  const std::string& steering_error() const;

  // Sender. From a loop thread `done` runs later on that loop (never inside
  // Send); from any other thread it runs on the loop that did the work.
  void Send(const Destination& to, std::string bytes, Done done = {}) override;
  void SendReportingErrors(const Destination& to, std::string_view bytes, Done on_error) override;
  // "host:port" of the listen point a request to `to` leaves from (same
  // protocol and address family), or "" if there is none.
  std::string ViaSentBy(const Destination& to) const override;

  // Sums the per-loop counters; callable from any thread (values from
  // different loops may be a moment apart).
  TransportStats Stats() const;

 private:
  void SendWith(const Destination& to, std::string bytes, Done done, bool errors_only);

  std::shared_ptr<internal::Core> core_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace parley::transport
