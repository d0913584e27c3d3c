#pragma once
// Locating a SIP server (RFC 3263 §4): from a URI to the transports,
// addresses and ports to try, in order — NAPTR, then SRV, then A/AAAA.

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "common/result.h"
#include "dns/resolver.h"
#include "sip/uri.h"
#include "transport/types.h"

namespace parley::dns {

struct LocatorConfig {
  bool udp = true, tcp = true, tls = true;  // transports we can send over
  size_t max_destinations = 8;
};

class SipLocator {
 public:
  // Error codes: the resolver's kNotFound (the name does not resolve),
  // kUnavailable (DNS does not answer), kFailed (DNS failed), and kBadUri for
  // a URI that names no server we can reach (not sip/sips, a transport we do
  // not send over).
  static constexpr int kBadUri = 3;
  using Callback = std::function<void(Result<std::vector<transport::Destination>>)>;

  SipLocator(Resolver& resolver, LocatorConfig config = {});

  // `uri` is copied. `done` runs later on the resolver's loop, never inside
  // the call; an IP host gets its one destination without DNS. TLS
  // destinations carry the URI's host as the name to verify (RFC 5922 §4).
  void Locate(const sip::Uri& uri, Callback done);

 private:
  struct Job;
  void Naptr(std::shared_ptr<Job> job);
  void SrvChain(std::shared_ptr<Job> job, std::vector<std::pair<std::string, transport::Protocol>> queries, size_t i);
  void FromSrv(std::shared_ptr<Job> job, std::vector<Srv> records, transport::Protocol protocol);
  void Addresses(std::shared_ptr<Job> job, std::vector<std::pair<Srv, transport::Protocol>> hosts, size_t i);
  void Finish(const std::shared_ptr<Job>& job);
  void Refuse(Callback done, std::string reason);  // kBadUri, later
  bool Supports(transport::Protocol p) const;
  // RFC 2782: by priority, and by weighted random choice within one.
  std::vector<Srv> Order(std::vector<Srv> records);

  Resolver& resolver_;
  LocatorConfig config_;
  std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace parley::dns
