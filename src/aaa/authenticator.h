#pragma once
// Digest authentication of requests (RFC 3261 §22, RFC 7616): the AAA of
// the home serving proxy. Every request that is not an ACK or CANCEL, not
// addressed to the server itself without side effects, and not a
// loose-routed in-dialog request must carry valid credentials for its
// identity (To for REGISTER, From otherwise): REGISTER is challenged with
// 401, everything else with 407. A request whose identity belongs to a
// foreign domain is challenged too: nobody can answer it, so the server is
// never an open relay.

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "aaa/credential_replica.h"
#include "aaa/failure_window.h"
#include "aaa/user_directory.h"
#include "auth/digest.h"
#include "proxy/processor.h"
#include "proxy/shards.h"

namespace parley::aaa {

struct AuthConfig {
  // Challenges offered, in this order. MD5 first by default: SIPp and many
  // deployed phones only answer the first challenge and only know MD5.
  std::vector<auth::Algorithm> algorithms = {auth::Algorithm::kMd5, auth::Algorithm::kSha256};
  uint32_t nonce_lifetime_s = 300;
  uint32_t max_failures_per_source = 30;  // per window, then 403 until it ends
  uint32_t max_failures_per_user = 10;
  std::chrono::seconds failure_window{60};
  size_t user_cache_entries = 0;  // users a shard keeps cached (0: no bound)
  // How long a user nobody asked for stays cached: past the longest
  // refresh interval (registration, publication, subscription), so a
  // refresh finds its user in memory.
  std::chrono::seconds user_cache_idle{600};
  // Credentials of other shards' users a shard keeps copies of (see
  // CredentialReplica; 0: none, every such check goes to the owner).
  size_t replica_entries = 10000;
};

// Per-shard state: the users this shard owns, copies of other shards' users
// (CredentialReplica), and failure counters.
struct AaaShard {
  AaaShard(store::StoreExecutor& store, proxy::ShardRouter& router, size_t shard, TimerService& timers,
           const AuthConfig& config)
      : users(store, router, shard, timers, config.user_cache_entries, config.user_cache_idle),
        source_failures(config.max_failures_per_source, config.failure_window),
        user_failures(config.max_failures_per_user, config.failure_window),
        replica(config.replica_entries) {}
  UserDirectory users;
  FailureWindow source_failures;  // keyed by source IP, on the request's shard
  FailureWindow user_failures;    // keyed by AOR, on the user's shard
  CredentialReplica replica;      // other shards' users, copied here
  uint64_t replica_hits = 0;      // requests checked against a copy
  uint64_t snapshot_hits = 0;     // requests checked against the start-up snapshot
};

class Authenticator : public proxy::Processor {
 public:
  Authenticator(const AuthConfig& config, auth::NonceService& nonces, proxy::Sharded<AaaShard>& shards);
  std::string_view name() const override { return "authenticator"; }
  proxy::Verdict Process(proxy::RequestContextPtr& ctx, proxy::ProcessorHost& host) override;

  // True for a request every shard answers alike, from no shard's state: an
  // out-of-dialog request without Authorization or Proxy-Authorization,
  // other than ACK, CANCEL, OPTIONS and INVITE (whose ACK and CANCEL must
  // find its transaction on its own shard). Process challenges it unless
  // the checks before it reject it first, or its source is throttled on
  // the loop that runs it. The server answers such a request on the loop
  // that received it: the first half of every digest exchange costs no
  // hop to another loop.
  static bool ChallengedAnywhere(const sip::Message& m);

 private:
  enum class Outcome { kOk, kWrong, kUnknownOrError, kLocked };
  // A request whose credentials are checked on the user's shard: one
  // allocation carried there and back (the credentials are never copied).
  struct Check {
    proxy::RequestContextPtr ctx;
    proxy::ProcessorHost* host = nullptr;
    size_t back = 0;      // the request's shard
    size_t consumed = 0;  // index of the field the credentials came from
    std::string user_aor, identity_aor;
    auth::Credentials creds;
    Outcome outcome = Outcome::kUnknownOrError;
    bool history = false;  // the user's record: keeps a message history
    std::optional<UserCredentials> user;  // when accepted on another shard: a copy for the replica
    uint64_t replica_epoch = 0;           // the request shard's replica when the check left it
  };
  void Challenge(proxy::RequestContext& ctx, proxy::ProcessorHost& host, const std::string& realm, bool stale);
  // A challenged request's user, when this loop owns it: read while the
  // client computes its credentials, so the request carrying them finds it
  // cached. (For a user of another loop the post there would cost about
  // what it saves.)
  void WarmIfHere(const std::string& aor);
  void OnOwner(std::shared_ptr<Check> check, AaaShard& owner);
  void Finish(Check& check);
  // Accepted credentials: the identity check, then the request goes on
  // (kContinue) or is answered (kDone).
  proxy::Verdict Accept(proxy::RequestContext& ctx, proxy::ProcessorHost& host, size_t consumed,
                        std::string user_aor, const std::string& identity_aor, bool history);
  // Copies of `aor` on every other shard go (its owner locked it out).
  void EraseCopies(const std::string& aor);

  const AuthConfig& config_;
  auth::NonceService& nonces_;
  proxy::Sharded<AaaShard>& shards_;
};


}  // namespace parley::aaa
