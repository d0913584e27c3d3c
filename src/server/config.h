#pragma once
// parleyd configuration: one table of settings, each readable from the TOML
// file (`--config FILE`) and from a command-line flag; flags win. With no
// file and no flags the server runs on its embedded default.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "transport/types.h"

namespace parley::server {

struct ListenSpec {
  transport::Protocol protocol = transport::Protocol::kUdp;
  transport::SocketAddress address;
  std::string advertised_host;  // what goes in Via/Contact when bound to a wildcard

  static Result<ListenSpec> Parse(std::string_view text);  // "udp:127.0.0.1:5060", "tls:[::1]:5061"
  std::string ToString() const;
};

struct ServerConfig {
  std::vector<ListenSpec> listen;      // default udp+tcp 127.0.0.1:5060, tls 127.0.0.1:5061
  std::vector<std::string> domains{"localhost"};
  // DNS servers for next hops named by host names (RFC 3263), "ip" or
  // "ip:port"; empty: the system's (/etc/resolv.conf).
  std::vector<std::string> dns_servers;
  std::string data_dir = "parley-data";
  int threads = 0;                     // 0: one loop per core
  std::string log_level = "info";      // trace, debug, info, warn, error, off
  std::string log_format = "text";     // text (logfmt) or json
  std::string http_listen = "127.0.0.1:8080";  // "" disables the HTTP listener
  std::string tls_cert;                // empty: self-signed in data_dir/tls
  std::string tls_key;
  uint32_t t1_ms = 500, t2_ms = 4000, t4_ms = 5000;
  uint32_t max_header_bytes = 32 * 1024;
  uint32_t max_body_bytes = 1024 * 1024;
  uint32_t max_headers = 128;
  uint32_t tcp_idle_timeout_s = 600;
  bool answer_stun = true;  // STUN Binding keep-alives on UDP listen points
  bool udp_steering = true;  // transport::TransportConfig::udp_response_steering, udp_request_steering
  uint32_t max_connections = 10000;
  uint32_t shutdown_grace_ms = 5000;
  std::string server_header = "Parley/0.1";
  // Store: "" = sqlite in data_dir; "sqlite:PATH" or "postgresql://…".
  std::string store_url;
  // fsync every commit, also of soft state (bindings, publications,
  // subscriptions), which by default survives a crash of parleyd but not a
  // power loss (store::Durability).
  bool sync_soft_state = false;
  // Digest challenges offered, in order ("md5", "sha-256").
  // MD5 only by default: some deployed clients (baresip 1.0 / libre) give up on a
  // 401 that also offers SHA-256 (RFC 8760). Add "sha-256" to offer both.
  std::vector<std::string> auth_algorithms{"md5"};
  uint32_t nonce_lifetime_s = 300;
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
  uint32_t default_expires = 3600;
  uint32_t flow_timer_s = 0;  // Flow-Timer for SIP Outbound UAs (0: not sent)
  uint32_t max_contacts = 20;  // bindings per AOR (0: no limit)
  uint32_t timer_c_s = 180;
  uint32_t max_breadth = 60;  // RFC 5393
  uint32_t change_poll_ms = 1000;  // how often parleyctl edits are picked up
  uint32_t change_retention_s = 7 * 24 * 3600;  // how long the change feed keeps an edit (0: forever)
  // Users, reception policies and presence rules each shard keeps cached
  // (0: no bound): beyond it the least recently used are read again when
  // next needed. Bounds memory with many more users than active ones.
  uint32_t cache_entries = 10000;
  // Copies of other loops' users' credentials each loop keeps (0: none;
  // see aaa/credential_replica.h).
  uint32_t auth_replica_entries = 10000;
  // Up to this many users in the store, every node keeps all of their
  // credentials in memory (loaded at start, kept current by the change
  // feed): no request waits for the store for a user. 0: off.
  uint32_t preload_users = 500000;
  // Load shedding (0 = off): new requests get 503 while more store writes
  // than this wait, or while a shard has more transactions in flight.
  uint32_t overload_store_queue = 4000;
  uint32_t overload_transactions = 20000;
  // Presence (RFC 3856/3903/5025/6446).
  std::string presence_default_rule = "confirm";  // allow, confirm, block, polite-block
  uint32_t presence_min_expires = 60;     // PUBLISH and SUBSCRIBE
  uint32_t presence_max_expires = 3600;
  uint32_t presence_max_publications = 16;  // per presentity
  std::string rls_user = "rls";             // rls@<domain>: the list server of RFC 5367 SUBSCRIBEs
  uint32_t notify_min_interval_ms = 0;    // server-wide minimum between NOTIFYs of a subscription
  uint32_t notify_batch = 128;            // NOTIFYs per loop turn when a change fans out
  // Dialog event package (RFC 4235): calls through the proxy for watchers.
  bool dialog_events = true;          // off: no call is tracked, `dialog` is not served
  bool presence_call_activity = true; // a user in an answered call shows "on-the-phone" (with dialog_events)
  uint32_t dialog_max_per_user = 16;  // dialogs kept per user (the oldest go)
  uint32_t dialog_max_age_s = 43200;  // a dialog whose BYE we never saw is dropped after this
  // Message store (deferred delivery of pager-mode MESSAGE).
  uint32_t message_quota_count = 1000;          // messages waiting per user (more: 486)
  uint32_t message_quota_mb = 16;               // their bytes, in MiB
  uint32_t message_max_age_days = 30;           // undelivered messages older are dropped
  uint32_t message_retry_s = 30;                // first retry after a failed delivery (doubles, up to an hour)
};

// Parses argv (and the TOML file it names). `help_text` receives the usage
// when --help/--version is given (the result is then an Error with code 0).
Result<ServerConfig> LoadConfig(int argc, const char* const* argv, std::string* help_text = nullptr);
Result<ServerConfig> LoadConfigFromToml(std::string_view toml_text);

// The default listen points (applied when none are configured).
std::vector<ListenSpec> DefaultListen();

}  // namespace parley::server
