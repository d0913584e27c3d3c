#include <gtest/gtest.h>

#include "server/config.h"

namespace parley::server {
namespace {

Result<ServerConfig> Args(std::vector<const char*> args) {
  args.insert(args.begin(), "parleyd");
  return LoadConfig(static_cast<int>(args.size()), args.data());
}

TEST(Config, EmbeddedDefault) {
  auto c = Args({});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->domains, std::vector<std::string>{"localhost"});
  ASSERT_EQ(c->listen.size(), 4u);
  EXPECT_EQ(c->listen[0].ToString(), "udp:127.0.0.1:5060");
  EXPECT_EQ(c->listen[2].ToString(), "tls:127.0.0.1:5061");
  EXPECT_EQ(c->listen[3].ToString(), "ws:127.0.0.1:5066");
  EXPECT_EQ(c->http_listen, "127.0.0.1:8080");
  EXPECT_EQ(c->t1_ms, 500u);
  EXPECT_EQ(c->cache_entries, 10000u);
  EXPECT_FALSE(c->sync_soft_state);
  EXPECT_TRUE(c->answer_stun);
  EXPECT_TRUE(c->udp_steering);
  EXPECT_EQ(c->flow_timer_s, 0u);
  EXPECT_EQ(c->max_contacts, 20u);
  EXPECT_TRUE(c->dns_servers.empty());  // resolv.conf's
}

TEST(Config, FlagsForEverySetting) {
  auto c = Args({"--listen", "udp:127.0.0.1:5080", "--listen", "tcp:[::1]:5081", "--domain", "Example.COM",
                 "--data-dir", "/tmp/x", "--threads", "3", "--log-level", "debug", "--log-format", "json",
                 "--http", "127.0.0.1:9090", "--t1-ms", "100", "--t2-ms", "800", "--t4-ms", "1000",
                 "--max-header-bytes", "4096", "--max-body-bytes", "1000", "--max-headers", "50",
                 "--tcp-idle-timeout", "30", "--max-connections", "7", "--shutdown-grace-ms", "10",
                 "--tls-cert", "c.pem", "--tls-key", "k.pem", "--server-header", "X/1", "--cache-entries", "500",
                 "--sync-soft-state", "true", "--stun", "false", "--flow-timer", "29", "--max-contacts", "0",
                 "--udp-steering", "false", "--dns-server", "127.0.0.1:5353", "--dns-server", "[::1]:53"});
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->listen.size(), 2u);
  EXPECT_EQ(c->listen[1].ToString(), "tcp:[::1]:5081");
  EXPECT_EQ(c->domains, std::vector<std::string>{"example.com"});
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->threads, 3);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->http_listen, "127.0.0.1:9090");
  EXPECT_EQ(c->t1_ms, 100u);
  EXPECT_EQ(c->t2_ms, 800u);
  EXPECT_EQ(c->t4_ms, 1000u);
  EXPECT_EQ(c->max_header_bytes, 4096u);
  EXPECT_EQ(c->max_body_bytes, 1000u);
  EXPECT_EQ(c->max_headers, 50u);
  EXPECT_EQ(c->tcp_idle_timeout_s, 30u);
  EXPECT_EQ(c->max_connections, 7u);
  EXPECT_EQ(c->shutdown_grace_ms, 10u);
  EXPECT_EQ(c->tls_cert, "c.pem");
  EXPECT_EQ(c->tls_key, "k.pem");
  EXPECT_EQ(c->server_header, "X/1");
  EXPECT_EQ(c->cache_entries, 500u);
  EXPECT_TRUE(c->sync_soft_state);
  EXPECT_FALSE(c->answer_stun);
  EXPECT_FALSE(c->udp_steering);
  EXPECT_EQ(c->flow_timer_s, 29u);
  EXPECT_EQ(c->max_contacts, 0u);
  EXPECT_EQ(c->dns_servers, (std::vector<std::string>{"127.0.0.1:5353", "[::1]:53"}));
}

TEST(Config, TomlFile) {
  auto c = LoadConfigFromToml(R"(
domain = ["a.example", "b.example"]
listen = ["udp:127.0.0.1:6000"]
threads = 2
cache_entries = 0
[log]
level = "warn"
[sip]
t1_ms = 250
max_connections = 99
stun = false
udp_steering = false
[http]
listen = ""
[store]
sync_soft_state = true
[dns]
servers = ["10.0.0.53"]
[dialog]
enabled = false
max_per_user = 4
max_age_s = 7200
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->domains.size(), 2u);
  EXPECT_EQ(c->listen.size(), 1u);
  EXPECT_EQ(c->threads, 2);
  EXPECT_EQ(c->cache_entries, 0u);  // no bound
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->t1_ms, 250u);
  EXPECT_EQ(c->max_connections, 99u);
  EXPECT_EQ(c->http_listen, "");
  EXPECT_TRUE(c->sync_soft_state);
  EXPECT_FALSE(c->answer_stun);
  EXPECT_FALSE(c->udp_steering);
  EXPECT_EQ(c->dns_servers, std::vector<std::string>{"10.0.0.53"});
  EXPECT_FALSE(c->dialog_events);
  EXPECT_EQ(c->dialog_max_per_user, 4u);
  EXPECT_EQ(c->dialog_max_age_s, 7200u);
}

TEST(Config, Errors) {
  EXPECT_FALSE(Args({"--listen", "sctp:127.0.0.1:5060"}).ok());
  EXPECT_FALSE(Args({"--listen", "udp:example.com:5060"}).ok());
  EXPECT_FALSE(Args({"--threads", "-1"}).ok());
  EXPECT_FALSE(Args({"--log-level", "chatty"}).ok());
  EXPECT_FALSE(Args({"--t1-ms", "0"}).ok());
  EXPECT_FALSE(Args({"--sync-soft-state", "sometimes"}).ok());
  EXPECT_FALSE(Args({"--stun", "maybe"}).ok());
  EXPECT_FALSE(Args({"--udp-steering", "1"}).ok());
  EXPECT_FALSE(Args({"--no-such-flag"}).ok());
  EXPECT_FALSE(Args({"--dns-server", "dns.example.com"}).ok());  // an address, not a name
  EXPECT_FALSE(LoadConfigFromToml("threads = \"two\"").ok());
  EXPECT_FALSE(LoadConfigFromToml("[sip\nt1_ms = 1").ok());
  std::string help;
  const char* argv[] = {"parleyd", "--help"};
  auto h = LoadConfig(2, argv, &help);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().code, 0);
  EXPECT_NE(help.find("--listen"), std::string::npos);
}

}  // namespace
}  // namespace parley::server
