#pragma once
// parleyd: event loops, transports, one proxy core per loop, the HTTP
// listener, and an orderly shutdown.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "aaa/authenticator.h"
#include "common/result.h"
#include "events/event_processor.h"
#include "events/reg_package.h"
#include "im/service/api.h"
#include "im/service/message_service.h"
#include "presence/agent/agent.h"
#include "presence/agent/winfo_package.h"
#include "dialoginfo/dialog_package.h"
#include "presence/rls/list_server.h"
#include "presence/rls/services.h"
#include "proxy/core.h"
#include "proxy/forwarder.h"
#include "proxy/policy.h"
#include "proxy/router.h"
#include "registrar/registrar.h"
#include "store/executor.h"
#include "runtime/loop_group.h"
#include "server/config.h"
#include "server/hop_locator.h"
#include "server/http_auth.h"
#include "server/http_server.h"
#include "transport/transport_layer.h"
#include "xcap/xcap.h"

namespace parley::server {

class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();

  // Binds everything and starts serving; an error names what failed.
  Result<void> Start();
  // From any thread (e.g. the signal handler's): new requests get 503,
  // in-flight transactions get up to shutdown_grace_ms to finish, then
  // everything stops. Idempotent.
  void RequestShutdown();
  // Blocks until the server has stopped.
  void Wait();

  std::vector<transport::ListenPoint> bound() const;
  uint16_t http_port() const;
  const ServerConfig& config() const { return config_; }

  // Runs `f(shard_index, core)` on every shard's loop and then `done()` on
  // the calling... loop of the last shard to finish.
  void ForEachShard(std::function<void(size_t, proxy::Core&)> f, std::function<void()> done);

 private:
  class LoopRouter;
  Result<void> StartServices(proxy::CoreConfig& cc);
  // The list servers over the groups and services, wired to the packages
  // whose members they show (server_lists.cc; part of StartServices).
  void StartLists(size_t shards);
  Result<void> RestoreSubscriptions();
  void OnChange(const store::Change& c);
  void UserChanged(const std::string& aor);
  void UserDeleted(const std::string& aor);
  // The package of a stored subscription: a presence or dialog
  // subscription to a list is that package's resource list server's.
  events::EventPackage* PackageFor(const std::string& name, const std::string& resource);
  // The event packages served (Allow-Events order).
  std::vector<events::EventPackage*> Packages() const;
  // Whether `aor` is in one of our domains, as `shard`'s core sees them (on its loop).
  bool IsOurAor(size_t shard, const std::string& aor) const;
  // The configured domains and the store's, each once.
  std::vector<std::string> Domains() const;
  // The change feed (server_changes.cc): edits of other processes and nodes.
  void PollChanges();
  void ForgetCachedState();
  void PruneChanges();
  static constexpr size_t kPrunePage = 10000;
  static constexpr std::chrono::minutes kPruneEvery{10};
  void Dispatch(transport::IncomingMessage&& in);
  void RegisterHttpRoutes();
  void ServeXcap(const HttpRequest& req, HttpReply reply);
  void ServeMessages(const HttpRequest& req, HttpReply reply);
  void RulesChanged(const std::string& aor);  // posts to the AOR's shard
  void ServeInvisible(const HttpRequest& req, HttpReply reply);
  void ServePolicy(const HttpRequest& req, HttpReply reply);
  void ServeRegistrations(const HttpRequest& req, HttpReply reply);
  void AsUser(const HttpRequest& req, const HttpReply& reply, std::function<void(std::string aor)> fn);
  void ExpireMessages();
  void RenderMetrics(HttpReply reply);
  void Drain();
  Result<void> PrepareTls(transport::TransportConfig& tc);

  ServerConfig config_;
  sip::Capabilities caps_;  // what the server itself does, shared by every core
  std::unique_ptr<runtime::LoopGroup> loops_;
  std::unique_ptr<transport::TransportLayer> transport_;
  std::vector<std::unique_ptr<proxy::Core>> cores_;
  // Messages each loop received and posted to another shard's loop; each
  // loop writes only its own entry.
  struct alignas(64) Handoffs {
    uint64_t requests = 0;
    uint64_t responses = 0;
  };
  std::vector<Handoffs> handoffs_;
  // Services (see StartServices). Declared after the cores they reference.
  std::unique_ptr<store::StoreExecutor> store_;
  std::unique_ptr<proxy::ShardRouter> shard_router_;  // a LoopRouter
  std::unique_ptr<auth::NonceService> nonces_;
  std::unique_ptr<registrar::GruuCodec> gruu_;  // temporary GRUUs, keyed like the nonces
  proxy::RouteTokenFn route_token_;  // signs our Record-Route URIs, keyed like the nonces
  aaa::AuthConfig auth_config_;
  registrar::RegistrarConfig registrar_config_;
  proxy::RouterConfig router_config_;
  std::unique_ptr<proxy::Sharded<aaa::AaaShard>> aaa_;
  std::unique_ptr<proxy::Sharded<proxy::PolicyCache>> policies_;
  std::unique_ptr<registrar::Registrar> registrar_;
  std::vector<std::unique_ptr<proxy::Forwarder>> forwarders_;
  std::vector<proxy::Router*> routers_;
  std::vector<std::unique_ptr<DnsHopLocator>> hop_locators_;  // one per loop (null: no DNS): the routers'
  events::EventConfig event_config_;
  events::NotifierConfig notifier_config_;
  std::unique_ptr<events::StoreSubscriptions> subscription_store_;
  std::unique_ptr<proxy::Sharded<events::Notifier>> notifiers_;
  std::unique_ptr<events::RegPackage> reg_package_;
  presence::AgentConfig presence_config_;
  presence::ListServerConfig list_config_;
  std::unique_ptr<presence::PresenceAgent> presence_;
  std::unique_ptr<presence::WinfoPackage> winfo_;
  dialoginfo::DialogLimits dialog_limits_;
  std::unique_ptr<dialoginfo::DialogPackage> dialogs_;
  std::unique_ptr<presence::WinfoPackage> dialog_winfo_;  // dialog.winfo (with dialogs_)
  std::unique_ptr<presence::ResourceListServer> lists_;
  std::unique_ptr<presence::ResourceListServer> dialog_lists_;  // busy-lamp lists (with dialogs_)
  std::unique_ptr<presence::ServiceDirectory> services_;
  im::MessageServiceConfig message_config_;
  std::unique_ptr<im::MessageService> messages_;
  std::unique_ptr<im::GroupDirectory> groups_;
  std::unique_ptr<im::MessageApi> message_api_;
  int64_t last_change_ = 0;
  std::vector<std::string> store_domains_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<HttpAuthenticator> http_auth_;
  std::unique_ptr<xcap::XcapServer> xcap_;
  std::atomic<bool> shutdown_requested_{false};
  std::atomic<bool> started_{false};
  std::thread drain_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace parley::server
