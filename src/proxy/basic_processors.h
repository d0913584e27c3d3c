#pragma once
// Processors every request meets first (RFC 3261 §16.3 and §8.2), and the
// server's own answers to requests addressed to it.

#include "proxy/processor.h"
#include "sip/checks.h"

namespace parley::proxy {

// §16.3 request validation that needs the element's policy: unsupported
// Request-URI scheme (416), Max-Forwards 0 (483; an OPTIONS to the server
// itself is answered instead), unsupported Proxy-Require (420).
class ProxyChecks : public Processor {
 public:
  explicit ProxyChecks(const sip::Capabilities& caps) : caps_(caps) {}
  std::string_view name() const override { return "proxy-checks"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) override;

 private:
  const sip::Capabilities& caps_;
};

// Requests whose Request-URI is the server itself (no user part): the
// server acts as a UAS (§8.2) and checks them before any service sees
// them: 405/501, 416, 420, 415. Services that implement a method for the
// server (REGISTER, PUBLISH …) add it to the capabilities.
class ServerUasChecks : public Processor {
 public:
  explicit ServerUasChecks(const sip::Capabilities& caps) : caps_(caps) {}
  std::string_view name() const override { return "server-uas-checks"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) override;

 private:
  const sip::Capabilities& caps_;
};

// OPTIONS to the server → 200 with Allow, Accept, Accept-Encoding,
// Accept-Language and Supported (§11.2).
class ServerUas : public Processor {
 public:
  explicit ServerUas(const sip::Capabilities& caps) : caps_(caps) {}
  std::string_view name() const override { return "server-uas"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) override;

 private:
  const sip::Capabilities& caps_;
};

// The end of the chain: what no processor took. A user of ours with no
// contact: 480; without a location service: 404; other domains are not
// relayed (403).
class Fallback : public Processor {
 public:
  std::string_view name() const override { return "fallback"; }
  Verdict Process(RequestContextPtr& ctx, ProcessorHost& host) override;
};

}  // namespace parley::proxy
