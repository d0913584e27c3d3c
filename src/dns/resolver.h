#pragma once
// Asynchronous DNS on one event loop (c-ares): SRV, NAPTR and host
// addresses, with a small cache. Never blocks the loop: c-ares' sockets are
// watched by the loop's reactor and its timeouts are loop timers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace parley::runtime {
class Loop;
}  // namespace parley::runtime

namespace parley::dns {

struct Srv {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;
};

struct Naptr {
  uint16_t order = 0;
  uint16_t preference = 0;
  std::string flags;
  std::string service;
  std::string replacement;
};

// Error codes of a failed lookup.
inline constexpr int kNotFound = 1;     // NXDOMAIN or no record of that type
inline constexpr int kUnavailable = 2;  // no answer in time (every try timed out)
// Failed at once: SERVFAIL or REFUSED from every server (c-ares reports
// these as it reports a refused connection), a malformed answer.
inline constexpr int kFailed = 4;

struct ResolverConfig {
  // "ip" or "ip:port" ("[v6]:port"); empty: the system's (resolv.conf).
  std::vector<std::string> servers;
  std::chrono::milliseconds timeout{1500};  // per try
  int tries = 2;
  // c-ares 1.18 hands out no TTL for SRV and NAPTR: every answer is kept
  // this long; a failed name this long.
  std::chrono::seconds positive_ttl{60};
  std::chrono::seconds negative_ttl{10};
  size_t max_cache = 4096;  // names per record type
};

class Resolver {
 public:
  using SrvCallback = std::function<void(Result<std::vector<Srv>>)>;
  using NaptrCallback = std::function<void(Result<std::vector<Naptr>>)>;
  // IP literals, IPv4 first then IPv6.
  using AddressCallback = std::function<void(Result<std::vector<std::string>>)>;

  // Lives on `loop`, used only from its thread; callbacks run there, never
  // inside the call that asked.
  static Result<std::unique_ptr<Resolver>> Create(runtime::Loop& loop, const ResolverConfig& config);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  void QuerySrv(const std::string& name, SrvCallback done);
  void QueryNaptr(const std::string& name, NaptrCallback done);
  // The hosts file first, then DNS (A, then AAAA when there is no A).
  void QueryAddresses(const std::string& name, AddressCallback done);

  // Runs `fn` later on the loop, unless the resolver is gone by then.
  void Post(std::function<void()> fn);

  uint64_t queries_sent() const;  // lookups sent to a server (hosts file included)
  uint64_t cache_hits() const;    // lookups answered without one: cached, or under way

 private:
  struct Impl;
  explicit Resolver(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::dns
