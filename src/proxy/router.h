#pragma once
// Routing of requests that are not for the server itself: loose routing
// (RFC 3261 §16.4, §16.12), requests for users of our domains (location
// service, forking to every registered contact), in-dialog requests
// routed through us, and the refusal of everything else (no open relay;
// federation is off until peer domains are configured).

#include <memory>

#include "proxy/forwarder.h"
#include "proxy/location.h"
#include "proxy/processor.h"

namespace parley::proxy {

// Told the outcome of every pager-mode MESSAGE relayed to a user of ours
// (the message history), on the request's shard.
class RelayObserver {
 public:
  virtual ~RelayObserver() = default;
  virtual void OnRelayed(const RequestContext& ctx, int status) = 0;
};

// Told what happens to the calls (INVITE dialogs) routed through us, for
// the dialog event package (RFC 4235); on the request's shard.
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // A dialog-creating INVITE goes out to its targets (once per request;
  // its final response follows through OnInviteFinal).
  virtual void OnInviteForwarded(const RequestContext& ctx) = 0;
  // A response (101 and up) a branch of a dialog-creating INVITE received.
  // `callee` is the AOR of ours the INVITE was forked to, or "" when it
  // went elsewhere (another domain, a Route).
  virtual void OnInviteResponse(const RequestContext& ctx, const std::string& callee, const sip::Message& response) = 0;
  // The final response such an INVITE got upstream.
  virtual void OnInviteFinal(const RequestContext& ctx, const std::string& callee, int status) = 0;
  // A BYE relayed in a dialog we record-routed.
  virtual void OnBye(const RequestContext& ctx) = 0;
};

// Where a next hop named by a host name is (RFC 3263): DNS, on the loop of
// the caller. `done` always runs later on that loop: the places to try in
// order (at least one; their URIs still to be set; several share an
// `instance`, so the forwarder tries the next when one fails with 503, 408
// or a transport error, RFC 3263 §4.3), or an error whose code is the SIP
// status to answer.
class HopLocator {
 public:
  virtual ~HopLocator() = default;
  virtual void Locate(std::string_view uri, std::function<void(Result<std::vector<Target>>)> done) = 0;
};

struct RouterConfig {
  std::chrono::seconds timer_c{180};
  size_t udp_max_request = 1300;
  uint32_t max_breadth = 60;  // RFC 5393
};

class Router : public Processor {
 public:
  Router(const RouterConfig& config, LocationService& location, Forwarder& forwarder,
         RelayObserver* observer = nullptr);
  std::string_view name() const override { return "router"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) override;

  // ACKs for 2xx (stateless, end to end).
  void RouteAck(sip::MessagePtr ack, ProcessorHost& host);

  // Next hops named by host names are looked up here; without one they
  // are answered 502.
  void SetLocator(HopLocator* locator) { locator_ = locator; }
  // Calls are reported to `observer` (set before the loops run).
  void SetCallObserver(CallObserver* observer) { calls_ = observer; }

 private:
  // Forwards to the next hop `hop` (a Route's URI, or the Request-URI),
  // through the locator when it names a host; kDone or kPending.
  Verdict ForwardToHop(RequestContextPtr& p, std::string_view hop, ProcessorHost& host);
  // Removes our own top Route (§16.4) and says whose it was.
  static LocalTarget::RouteOwner PopOurRoute(sip::Message& m, const LocalTarget& local);
  ForwardOptions OptionsFor(const sip::Message& m) const;
  // OptionsFor, plus what a MESSAGE or INVITE for `aor`, a user of ours,
  // needs.
  ForwardOptions OptionsForUser(const sip::Message& m, const std::string& aor) const;
  // A new INVITE's responses go to the call observer, if any.
  void WatchCall(ForwardOptions& o, const sip::Message& m, const std::string& callee) const;
  // Forks `c` to `targets`, telling the call observer of a new INVITE.
  void Fork(RequestContextPtr c, std::vector<Target> targets, const ForwardOptions& o);

  const RouterConfig& config_;
  LocationService& location_;
  Forwarder& forwarder_;
  RelayObserver* observer_;
  HopLocator* locator_ = nullptr;
  CallObserver* calls_ = nullptr;
};

// A target for a URI with a literal IP host (next hop of a Route, or the
// Request-URI of an in-dialog request). nullopt for names (see HopLocator).
std::optional<Target> TargetForUri(std::string_view uri_text);

}  // namespace parley::proxy
