#include "server/config.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <sstream>
#include <toml++/toml.h>

#include "common/strings.h"
#include "transport/address.h"

namespace parley::server {

Result<ListenSpec> ListenSpec::Parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Error(1, "listen spec must be PROTO:HOST:PORT");
  auto proto = transport::ParseProtocol(text.substr(0, colon));
  if (!proto) return Error(1, "unknown protocol in listen spec: " + std::string(text));
  uint16_t default_port = transport::IsSecure(*proto) ? 5061 : 5060;
  auto addr = transport::SocketAddress::ParseHostPort(text.substr(colon + 1), default_port);
  if (!addr) return Error(1, "listen address must be a literal IP[:PORT]: " + std::string(text));
  ListenSpec s;
  s.protocol = *proto;
  s.address = *addr;
  return s;
}

std::string ListenSpec::ToString() const {
  return ToLower(transport::ProtocolName(protocol)) + ":" + address.ToString();
}

std::vector<ListenSpec> DefaultListen() {
  std::vector<ListenSpec> out;
  // WebSocket on 5066, the port SIP-over-WebSocket servers commonly use, so
  // a browser UA (JsSIP, SIP.js) can connect to the embedded default.
  for (const char* s : {"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "tls:127.0.0.1:5061", "ws:127.0.0.1:5066"}) {
    out.push_back(*ListenSpec::Parse(s));
  }
  return out;
}

namespace {

// One setting: TOML key path ("sip.t1_ms"), flag ("--t1-ms"), help, and a
// setter taking its text form. Lists take every element.
struct Setting {
  const char* toml_key;
  const char* flag;
  const char* help;
  bool list;
  std::function<Result<void>(ServerConfig&, const std::vector<std::string>&)> set;
};

Result<void> SetUint(uint32_t& out, const std::vector<std::string>& v, const char* what, uint32_t min = 0) {
  auto n = ParseUint(v.back(), UINT32_MAX);
  if (!n || *n < min) return Error(1, std::string("invalid value for ") + what + ": " + v.back());
  out = static_cast<uint32_t>(*n);
  return Ok();
}

Result<void> SetBool(bool& out, const std::vector<std::string>& v, const char* what) {
  std::string l = ToLower(v.back());
  if (l != "true" && l != "false") return Error(1, std::string(what) + ": true or false, not " + v.back());
  out = l == "true";
  return Ok();
}

std::vector<Setting> Settings() {
  return {
      {"listen", "--listen", "SIP listen point PROTO:IP:PORT (udp, tcp, tls, ws, wss); repeatable", true,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.listen.clear();
         for (const auto& s : v) {
           auto l = ListenSpec::Parse(s);
           if (!l.ok()) return l.error();
           c.listen.push_back(*l);
         }
         return Ok();
       }},
      {"domain", "--domain", "SIP domain this server is authoritative for; repeatable", true,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.domains.clear();
         for (const auto& d : v) c.domains.push_back(ToLower(d));
         return Ok();
       }},
      {"dns.servers", "--dns-server",
       "DNS server (IP or IP:PORT) for next hops named by host names (RFC 3263); repeatable; default: resolv.conf",
       true,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.dns_servers.clear();
         for (const auto& s : v) {
           if (!transport::SocketAddress::ParseHostPort(s, 53)) return Error(1, "invalid DNS server: " + s);
           c.dns_servers.push_back(s);
         }
         return Ok();
       }},
      {"data_dir", "--data-dir", "directory for the store, TLS material and state", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.data_dir = v.back();
         return Ok();
       }},
      {"threads", "--threads", "event loops (0 = one per core)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         uint32_t n = 0;
         if (auto r = SetUint(n, v, "threads"); !r.ok()) return r;
         if (n > 64) return Error(1, "threads must be at most 64");
         c.threads = static_cast<int>(n);
         return Ok();
       }},
      {"log.level", "--log-level", "trace, debug, info, warn, error or off", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
         for (const char* l : kLevels) {
           if (v.back() == l) {
             c.log_level = l;
             return Ok();
           }
         }
         return Error(1, "invalid log level: " + v.back());
       }},
      {"log.format", "--log-format", "text (logfmt) or json", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         if (v.back() != "text" && v.back() != "json") return Error(1, "invalid log format: " + v.back());
         c.log_format = v.back();
         return Ok();
       }},
      {"http.listen", "--http", "HTTP listener IP:PORT for /healthz, /metrics and the APIs (\"\" disables)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         if (!v.back().empty() && !transport::SocketAddress::ParseHostPort(v.back(), 8080)) {
           return Error(1, "invalid HTTP listen address: " + v.back());
         }
         c.http_listen = v.back();
         return Ok();
       }},
      {"tls.cert", "--tls-cert", "PEM certificate chain for TLS listeners", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.tls_cert = v.back();
         return Ok();
       }},
      {"tls.key", "--tls-key", "PEM private key for TLS listeners", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.tls_key = v.back();
         return Ok();
       }},
      {"sip.t1_ms", "--t1-ms", "RFC 3261 T1 in ms", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.t1_ms, v, "t1_ms", 1); }},
      {"sip.t2_ms", "--t2-ms", "RFC 3261 T2 in ms", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.t2_ms, v, "t2_ms", 1); }},
      {"sip.t4_ms", "--t4-ms", "RFC 3261 T4 in ms", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.t4_ms, v, "t4_ms", 1); }},
      {"sip.max_header_bytes", "--max-header-bytes", "largest accepted start line + header section", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.max_header_bytes, v, "max_header_bytes", 256);
       }},
      {"sip.max_body_bytes", "--max-body-bytes", "largest accepted message body", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.max_body_bytes, v, "max_body_bytes"); }},
      {"sip.max_headers", "--max-headers", "most header fields in a message", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.max_headers, v, "max_headers", 8); }},
      {"sip.tcp_idle_timeout", "--tcp-idle-timeout", "seconds before an idle TCP/TLS connection closes (0 = never)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.tcp_idle_timeout_s, v, "tcp_idle_timeout");
       }},
      {"sip.stun", "--stun",
       "true: answer STUN Binding keep-alives (RFC 5626) on UDP listen points (default); false: drop them", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetBool(c.answer_stun, v, "stun"); }},
      {"sip.udp_steering", "--udp-steering",
       "true: with several threads, a BPF program on each UDP port hands responses to our requests and "
       "in-dialog SUBSCRIBEs to the thread that holds their state (default); false: the kernel's hash alone",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetBool(c.udp_steering, v, "udp_steering"); }},
      {"sip.max_connections", "--max-connections", "most simultaneous TCP/TLS connections", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.max_connections, v, "max_connections", 1);
       }},
      {"shutdown_grace_ms", "--shutdown-grace-ms", "how long SIGTERM waits for in-flight transactions", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.shutdown_grace_ms, v, "shutdown_grace_ms");
       }},
      {"store.url", "--store", "store URL: sqlite:PATH or postgresql://… (default sqlite in the data dir)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.store_url = v.back();
         return Ok();
       }},
      {"store.sync_soft_state", "--sync-soft-state",
       "true: bindings, publications and subscriptions are synced to disk before their 2xx too "
       "(default false: committed, safe from a parleyd crash, not from a power loss)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetBool(c.sync_soft_state, v, "sync_soft_state");
       }},
      {"auth.algorithms", "--auth-algorithm", "digest algorithm to offer, in order (md5, sha-256); repeatable", true,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.auth_algorithms.clear();
         for (const auto& a : v) {
           std::string l = ToLower(a);
           if (l != "md5" && l != "sha-256") return Error(1, "unknown digest algorithm: " + a);
           c.auth_algorithms.push_back(l);
         }
         return Ok();
       }},
      {"auth.nonce_lifetime", "--nonce-lifetime", "seconds a digest nonce stays valid", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.nonce_lifetime_s, v, "nonce_lifetime", 1); }},
      {"registrar.min_expires", "--min-expires", "shortest registration accepted (shorter: 423)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.min_expires, v, "min_expires"); }},
      {"registrar.max_expires", "--max-expires", "longest registration granted", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.max_expires, v, "max_expires", 1); }},
      {"registrar.default_expires", "--default-expires", "registration length when the REGISTER names none", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.default_expires, v, "default_expires", 1);
       }},
      {"registrar.flow_timer", "--flow-timer",
       "seconds between keep-alives asked of SIP Outbound UAs in the 200 to their REGISTER (Flow-Timer; 0 = not sent)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.flow_timer_s, v, "flow_timer"); }},
      {"registrar.max_contacts", "--max-contacts",
       "bindings one AOR may have; a REGISTER that would add more gets 403 Too Many Contacts (0 = no limit)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.max_contacts, v, "max_contacts"); }},
      {"proxy.timer_c", "--timer-c", "seconds an INVITE branch may stay without a final response (RFC 3261 §16.8)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.timer_c_s, v, "timer_c", 181); }},
      {"proxy.max_breadth", "--max-breadth",
       "concurrent branches a forwarded request may fan out into below us: the Max-Breadth of a request that has "
       "none, the cap on one that has more (RFC 5393)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.max_breadth, v, "max_breadth", 1); }},
      {"store.change_poll_ms", "--change-poll-ms", "how often user/policy/domain edits are picked up", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.change_poll_ms, v, "change_poll_ms", 10);
       }},
      {"store.change_retention_s", "--change-retention-s",
       "how long the change feed keeps an edit; a node behind by more reloads what it caches (0: forever)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.change_retention_s, v, "change_retention_s");
       }},
      {"proxy.overload_store_queue", "--overload-store-queue",
       "store writes waiting above which new requests get 503 (0: never)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.overload_store_queue, v, "overload_store_queue");
       }},
      {"proxy.overload_transactions", "--overload-transactions",
       "transactions in flight per shard above which new requests get 503 (0: never)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.overload_transactions, v, "overload_transactions");
       }},
      {"presence.default_rule", "--presence-default-rule",
       "who may watch a user with no rule about them: allow, confirm, block, polite-block", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         const std::string& r = v.back();
         if (r != "allow" && r != "confirm" && r != "block" && r != "polite-block") {
           return Error(1, "invalid presence default rule: " + r);
         }
         c.presence_default_rule = r;
         return Ok();
       }},
      {"presence.min_expires", "--presence-min-expires", "shortest PUBLISH/SUBSCRIBE accepted (shorter: 423)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.presence_min_expires, v, "presence_min_expires");
       }},
      {"presence.max_expires", "--presence-max-expires", "longest PUBLISH/SUBSCRIBE granted", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.presence_max_expires, v, "presence_max_expires", 1);
       }},
      {"presence.max_publications", "--presence-max-publications", "live publications per presentity", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.presence_max_publications, v, "presence_max_publications", 1);
       }},
      {"presence.rls_user", "--rls-user",
       "user part of the list server's URI in each domain, for SUBSCRIBEs carrying their list (RFC 5367; \"\": off)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         const std::string& u = v.back();
         if (u.find_first_of("@:;<> \t") != std::string::npos) return Error(1, "invalid rls user: " + u);
         c.rls_user = u;
         return Ok();
       }},
      {"presence.notify_min_interval_ms", "--notify-min-interval-ms",
       "minimum ms between two NOTIFYs of one subscription (bursts coalesce; the last state always goes out)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.notify_min_interval_ms, v, "notify_min_interval_ms");
       }},
      {"cache_entries", "--cache-entries",
       "users, reception policies and presence rules each event loop keeps cached (0: no bound)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.cache_entries, v, "cache_entries"); }},
      {"auth_replica_entries", "--auth-replica-entries",
       "copies of other event loops' users' credentials each loop keeps, so their next requests are checked "
       "without a hop (0: none)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.auth_replica_entries, v, "auth_replica_entries");
       }},
      {"preload_users", "--preload-users",
       "up to this many users, all their credentials are loaded at start and kept in memory (0: off, only a "
       "cache of the active ones)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.preload_users, v, "preload_users"); }},
      {"presence.notify_batch", "--notify-batch", "NOTIFYs sent per loop turn when one change fans out", false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.notify_batch, v, "notify_batch", 1); }},
      {"presence.call_activity", "--presence-call-activity",
       "a user in an answered call through us shows the activity on-the-phone (RFC 4480; needs dialog.enabled)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetBool(c.presence_call_activity, v, "presence_call_activity");
       }},
      {"dialog.enabled", "--dialog-events", "track calls through the proxy for the dialog event package (RFC 4235)",
       false, [](ServerConfig& c, const std::vector<std::string>& v) { return SetBool(c.dialog_events, v, "dialog_events"); }},
      {"dialog.max_per_user", "--dialog-max-per-user", "dialogs kept per user for watchers (the oldest go)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.dialog_max_per_user, v, "dialog_max_per_user", 1);
       }},
      {"dialog.max_age_s", "--dialog-max-age", "seconds after which a dialog whose end was not seen is dropped", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.dialog_max_age_s, v, "dialog_max_age_s", 60);
       }},
      {"messages.quota_count", "--message-quota", "messages waiting per offline user (more get 486)", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.message_quota_count, v, "message_quota", 1);
       }},
      {"messages.quota_mb", "--message-quota-mb", "MiB of messages waiting per offline user", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.message_quota_mb, v, "message_quota_mb", 1);
       }},
      {"messages.max_age_days", "--message-max-age-days", "days an undelivered message is kept", false,
       [](ServerConfig& c, const std::vector<std::string>& v) {
         return SetUint(c.message_max_age_days, v, "message_max_age_days", 1);
       }},
      {"messages.retry_s", "--message-retry", "seconds before retrying a failed delivery (doubles up to an hour)",
       false,
       [](ServerConfig& c, const std::vector<std::string>& v) { return SetUint(c.message_retry_s, v, "message_retry", 1); }},
      {"server_header", "--server-header", "value of the Server/User-Agent header", false,
       [](ServerConfig& c, const std::vector<std::string>& v) -> Result<void> {
         c.server_header = v.back();
         return Ok();
       }},
  };
}

// Text forms of a TOML node: scalars as written, arrays element-wise.
std::optional<std::vector<std::string>> TomlValues(const toml::node& n) {
  std::vector<std::string> out;
  auto scalar = [&](const toml::node& e) -> bool {
    // Booleans first: value<int64_t>() converts them to 0/1.
    if (const auto* b = e.as_boolean()) {
      out.push_back(b->get() ? "true" : "false");
    } else if (auto s = e.value<std::string>()) {
      out.push_back(*s);
    } else if (auto i = e.value<int64_t>()) {
      if (*i < 0) return false;
      out.push_back(std::to_string(*i));
    } else {
      return false;
    }
    return true;
  };
  if (const toml::array* a = n.as_array()) {
    for (const auto& e : *a) {
      if (!scalar(e)) return std::nullopt;
    }
    return out;
  }
  if (!scalar(n)) return std::nullopt;
  return out;
}

Result<void> ApplyToml(const toml::table& t, ServerConfig& c) {
  for (const auto& s : Settings()) {
    toml::node_view<const toml::node> n = t.at_path(s.toml_key);
    if (!n) continue;
    auto vals = TomlValues(*n.node());
    if (!vals || (!s.list && vals->size() != 1) || vals->empty()) {
      return Error(1, std::string("config key ") + s.toml_key + " has the wrong type");
    }
    if (auto r = s.set(c, *vals); !r.ok()) return r;
  }
  return Ok();
}

void Finish(ServerConfig& c) {
  if (c.listen.empty()) c.listen = DefaultListen();
}

}  // namespace

Result<ServerConfig> LoadConfigFromToml(std::string_view text) {
  ServerConfig c;
  try {
    toml::table t = toml::parse(text);
    if (auto r = ApplyToml(t, c); !r.ok()) return r.error();
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config: " << e.description() << " at line " << e.source().begin.line;
    return Error(1, os.str());
  }
  Finish(c);
  return c;
}

Result<ServerConfig> LoadConfig(int argc, const char* const* argv, std::string* help_text) {
  CLI::App app{"parleyd: Parley SIP/SIMPLE presence and IM server"};
  app.set_version_flag("--version", "parleyd 0.1.0");
  std::string config_file;
  app.add_option("-c,--config", config_file, "TOML configuration file")->check(CLI::ExistingFile);
  auto settings = Settings();
  std::vector<std::vector<std::string>> given(settings.size());
  for (size_t i = 0; i < settings.size(); ++i) {
    auto* opt = app.add_option(settings[i].flag, given[i], settings[i].help);
    if (!settings[i].list) opt->expected(1);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    int code = app.exit(e, out, err);
    if (help_text) *help_text = out.str() + err.str();
    return Error(code, code == 0 ? "help" : err.str());
  }
  ServerConfig c;
  if (!config_file.empty()) {
    try {
      toml::table t = toml::parse_file(config_file);
      if (auto r = ApplyToml(t, c); !r.ok()) return r.error();
    } catch (const toml::parse_error& e) {
      std::ostringstream os;
      os << config_file << ":" << e.source().begin.line << ": " << e.description();
      return Error(1, os.str());
    }
  }
  for (size_t i = 0; i < settings.size(); ++i) {
    if (given[i].empty()) continue;
    if (auto r = settings[i].set(c, given[i]); !r.ok()) return r.error();
  }
  Finish(c);
  return c;
}

}  // namespace parley::server
