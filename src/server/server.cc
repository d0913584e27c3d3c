#include "server/server.h"

#include <algorithm>
#include <filesystem>
#include <future>

#include "auth/digest.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/strings.h"
#include "events/notifier.h"
#include "proxy/branch.h"
#include "registrar/temp_gruu_processor.h"
#include "sip/response.h"
#include "server/dispatch.h"
#include "server/prefetch.h"
#include "server/preload.h"
#include "transport/certificate.h"

namespace parley::server {

namespace fs = std::filesystem;

Server::Server(ServerConfig config) : config_(std::move(config)) {}

Server::~Server() {
  RequestShutdown();
  Wait();
  if (drain_thread_.joinable()) drain_thread_.join();
}

Result<void> Server::PrepareTls(transport::TransportConfig& tc) {
  bool has_tls = false;
  for (const auto& l : config_.listen) has_tls |= transport::IsSecure(l.protocol);
  if (!has_tls) return Ok();
  if (!config_.tls_cert.empty() || !config_.tls_key.empty()) {
    if (config_.tls_cert.empty() || config_.tls_key.empty()) return Error(1, "tls: set both tls.cert and tls.key");
    tc.tls_cert_file = config_.tls_cert;
    tc.tls_key_file = config_.tls_key;
    return Ok();
  }
  // The embedded default: a self-signed certificate for our names.
  std::vector<std::string> names = config_.domains;
  for (const auto& l : config_.listen) names.push_back(l.address.ip());
  std::string dir = (fs::path(config_.data_dir) / "tls").string();
  if (auto r = transport::EnsureSelfSignedCertificate(dir, names); !r.ok()) return r;
  tc.tls_cert_file = dir + "/cert.pem";
  tc.tls_key_file = dir + "/key.pem";
  return Ok();
}

// Posts to the loops of the group: how services reach another shard.
class Server::LoopRouter : public proxy::ShardRouter {
 public:
  explicit LoopRouter(runtime::LoopGroup& loops) : loops_(loops) {}
  size_t count() const override { return loops_.size(); }
  size_t current() const override {
    runtime::Loop* l = runtime::Loop::Current();
    return l ? l->index() : 0;
  }
  void Post(size_t shard, std::function<void()> fn) override { loops_.loop(shard).Post(std::move(fn)); }

 private:
  runtime::LoopGroup& loops_;
};

// The configured domains and those the store has, each once.
std::vector<std::string> Server::Domains() const {
  std::vector<std::string> all = config_.domains;
  for (const auto& d : store_domains_) {
    if (std::find(all.begin(), all.end(), d) == all.end()) all.push_back(d);
  }
  return all;
}

Result<void> Server::Start() {
  std::error_code ec;
  fs::create_directories(config_.data_dir, ec);
  if (ec) return Error(1, "data dir " + config_.data_dir + ": " + ec.message());

  store::StoreConfig sc;
  sc.url = config_.store_url.empty() ? store::DefaultStoreUrl(config_.data_dir) : config_.store_url;
  store_ = std::make_unique<store::StoreExecutor>(sc);
  store_->set_sync_soft_state(config_.sync_soft_state);
  if (auto r = store_->Start(); !r.ok()) return Error(1, "store " + sc.url + ": " + r.error().message);
  auto domains = store_->ReadNow<std::vector<std::string>>([](store::Store& s) { return s.ListDomains(); });
  if (!domains.ok()) return Error(1, "store: " + domains.error().message);
  store_domains_ = *domains;
  auto latest = store_->ReadNow<int64_t>([](store::Store& s) { return s.LatestChange(); });
  if (!latest.ok()) return Error(1, "store: " + latest.error().message);
  last_change_ = *latest;
  // The digest nonce key is shared by every node of the store and survives
  // restarts, so outstanding nonces stay valid.
  auto key = store_->ReadNow<std::string>([](store::Store& s) -> Result<std::string> {
    auto k = s.GetMeta("digest_nonce_key");
    if (!k.ok()) return k.error();
    if (*k) return **k;
    std::string fresh = sip::RandomToken(32);
    if (auto w = s.SetMeta("digest_nonce_key", fresh); !w.ok()) return w.error();
    return fresh;
  });
  if (!key.ok()) return Error(1, "store: " + key.error().message);
  nonces_ = std::make_unique<auth::NonceService>(*key, config_.nonce_lifetime_s);
  // Every node derives the same GRUU key from it: a temporary GRUU outlives
  // restarts and reaches its user through any node.
  gruu_ = std::make_unique<registrar::GruuCodec>(*key);
  // And the token of our Record-Route URIs: an in-dialog request routed
  // through us on any node, before or after a restart, carries a valid one.
  route_token_ = [k = *key](std::string_view call_id) {
    std::string data = "record-route";
    data.push_back('\0');
    data.append(call_id);
    return auth::MacToken(k, data, 16);
  };

  size_t threads = config_.threads > 0 ? static_cast<size_t>(config_.threads) : 0;
  loops_ = std::make_unique<runtime::LoopGroup>(threads);

  transport::TransportConfig tc;
  for (const auto& l : config_.listen) {
    transport::ListenPoint lp;
    lp.protocol = l.protocol;
    lp.address = l.address;
    lp.advertised_host = l.advertised_host;
    tc.listen.push_back(lp);
  }
  tc.limits.max_header_bytes = config_.max_header_bytes;
  tc.limits.max_body_bytes = config_.max_body_bytes;
  tc.limits.max_headers = config_.max_headers;
  tc.idle_timeout = std::chrono::seconds(config_.tcp_idle_timeout_s);
  tc.max_connections = config_.max_connections;
  tc.answer_stun = config_.answer_stun;
  if (config_.udp_steering) {
    tc.udp_response_steering = std::string(proxy::kShardBranchPrefix);
    // A refresh or unSUBSCRIBE over UDP to the Contact the notifier gave.
    tc.udp_request_steering = "SUBSCRIBE sip:" + std::string(events::Notifier::kContactUserPrefix);
    // Requests to the shard of their user (dispatch.cc, ShardOf), when the
    // program can read it: by the request URI, or for REGISTER the To URI.
    tc.udp_uri_steering = {"MESSAGE sip:", "PUBLISH sip:", "SUBSCRIBE sip:"};
    tc.udp_to_steering = "REGISTER ";
  }
  if (auto r = PrepareTls(tc); !r.ok()) return r;

  transport_ = std::make_unique<transport::TransportLayer>(
      *loops_, tc, [this](transport::IncomingMessage&& in) { Dispatch(std::move(in)); });
  if (auto r = transport_->Start(); !r.ok()) return r;
  if (!transport_->steering_error().empty()) {
    // Still correct: a response the hash gives to another loop is handed over.
    PLOG_WARN("udp_steering_off", {{"error", transport_->steering_error()}});
  }

  proxy::CoreConfig cc;
  cc.domains = Domains();
  for (const auto& b : transport_->bound()) cc.addresses.push_back(b.address);  // port 0 resolved
  cc.server_header = config_.server_header;
  cc.route_token = route_token_;
  cc.timers.t1 = std::chrono::milliseconds(config_.t1_ms);
  cc.timers.t2 = std::chrono::milliseconds(config_.t2_ms);
  cc.timers.t4 = std::chrono::milliseconds(config_.t4_ms);
  // Timers J, K … of thousands of transactions a second expire together,
  // up to 100 ms late, instead of waking the loop every 2 ms.
  cc.timers.cleanup_slack = std::chrono::milliseconds(100);
  caps_.methods = {sip::Method::kOptions, sip::Method::kRegister};
  caps_.schemes = {sip::Scheme::kSip, sip::Scheme::kSips, sip::Scheme::kIm, sip::Scheme::kPres};
  caps_.extensions = {"path", "gruu", "outbound", "eventlist"};
  for (size_t i = 0; i < loops_->size(); ++i) {
    cc.shard = i;
    cores_.push_back(std::make_unique<proxy::Core>(cc, caps_, loops_->loop(i), *transport_));
    handoffs_.emplace_back();
  }
  if (auto r = StartServices(cc); !r.ok()) return r;

  loops_->Start();
  for (size_t i = 0; i < loops_->size(); ++i) {
    loops_->loop(i).Post([i] { metrics::SetCurrentShard(i); });
  }
  loops_->loop(0).Post([this] {
    PollChanges();
    PruneChanges();
  });
  PreloadDirectories(*store_, *aaa_, *policies_, config_.preload_users);

  if (!config_.http_listen.empty()) {
    auto addr = transport::SocketAddress::ParseHostPort(config_.http_listen, 8080);
    if (!addr) return Error(1, "bad HTTP listen address " + config_.http_listen);
    http_ = std::make_unique<HttpServer>(loops_->loop(0).io(), *addr);
    RegisterHttpRoutes();
    Result<void> r = Ok();
    loops_->loop(0).Invoke([&] { r = http_->Start(); });
    if (!r.ok()) return r;
  }
  started_ = true;
  for (const auto& b : transport_->bound()) {
    PLOG_INFO("listening", {{"proto", transport::ProtocolName(b.protocol)}, {"addr", b.address.ToString()}});
  }
  if (http_) PLOG_INFO("http_listening", {{"addr", config_.http_listen}, {"port", http_->port()}});
  PLOG_INFO("started", {{"threads", loops_->size()}, {"domain", cc.domains.empty() ? "" : cc.domains[0]},
                        {"data_dir", config_.data_dir}, {"store", sc.url}});
  return Ok();
}

Result<void> Server::StartServices(proxy::CoreConfig& cc) {
  size_t n = loops_->size();
  shard_router_ = std::make_unique<LoopRouter>(*loops_);
  auth_config_.algorithms.clear();
  for (const auto& a : config_.auth_algorithms) auth_config_.algorithms.push_back(*auth::ParseAlgorithm(a));
  auth_config_.nonce_lifetime_s = config_.nonce_lifetime_s;
  auth_config_.user_cache_entries = config_.cache_entries;
  auth_config_.replica_entries = config_.auth_replica_entries;
  // A registered, publishing or subscribing user's next refresh comes
  // within the longest expiry granted (and a client may be a little late).
  auth_config_.user_cache_idle =
      std::max(auth_config_.user_cache_idle,
               std::chrono::seconds(std::max(config_.max_expires, config_.presence_max_expires)) + std::chrono::minutes(5));
  registrar_config_.min_expires = config_.min_expires;
  registrar_config_.flow_timer = config_.flow_timer_s;
  registrar_config_.max_contacts = config_.max_contacts;
  registrar_config_.max_expires = config_.max_expires;
  registrar_config_.default_expires = config_.default_expires;
  router_config_.timer_c = std::chrono::seconds(config_.timer_c_s);
  router_config_.max_breadth = config_.max_breadth;

  aaa_ = std::make_unique<proxy::Sharded<aaa::AaaShard>>(*shard_router_);
  policies_ = std::make_unique<proxy::Sharded<proxy::PolicyCache>>(*shard_router_);
  std::vector<TimerService*> timers;
  for (size_t i = 0; i < n; ++i) {
    aaa_->Add(std::make_unique<aaa::AaaShard>(*store_, *shard_router_, i, loops_->loop(i), auth_config_));
    policies_->Add(
        std::make_unique<proxy::PolicyCache>(*store_, *shard_router_, i, loops_->loop(i), config_.cache_entries));
    timers.push_back(&loops_->loop(i));
    // Before the change feed is first read (see PreloadDirectories).
    aaa_->At(i).users.BeginPreload();
    aaa_->At(i).replica.BeginSnapshot();
    policies_->At(i).BeginPreload();
  }
  registrar_ =
      std::make_unique<registrar::Registrar>(registrar_config_, *store_, *shard_router_, *aaa_, timers, gruu_.get());
  notifier_config_.min_notify_interval_ms = config_.notify_min_interval_ms;
  notifier_config_.fanout_batch = config_.notify_batch;
  subscription_store_ = std::make_unique<events::StoreSubscriptions>(*store_, *shard_router_);
  notifiers_ = std::make_unique<proxy::Sharded<events::Notifier>>(*shard_router_);
  for (size_t i = 0; i < n; ++i) {
    notifiers_->Add(std::make_unique<events::Notifier>(i, *cores_[i], *shard_router_, notifier_config_,
                                                       subscription_store_.get()));
    notifiers_->At(i).SetLocationService(registrar_.get(), gruu_.get());
  }
  reg_package_ = std::make_unique<events::RegPackage>(*registrar_, *policies_, *notifiers_);
  presence_config_.min_expires = config_.presence_min_expires;
  presence_config_.max_expires = config_.presence_max_expires;
  presence_config_.default_expires = config_.presence_max_expires;
  presence_config_.max_publications = config_.presence_max_publications;
  list_config_.rls_user = config_.rls_user;
  presence_config_.authorization.cache_entries = config_.cache_entries;
  presence_config_.authorization.default_rule =
      presence::ParseSubHandling(config_.presence_default_rule).value_or(presence::SubHandling::kConfirm);
  presence_ = std::make_unique<presence::PresenceAgent>(presence_config_, *store_, *shard_router_, *registrar_,
                                                        *notifiers_, timers);
  winfo_ = std::make_unique<presence::WinfoPackage>(*notifiers_);
  if (config_.dialog_events) {
    dialog_limits_.max_dialogs = config_.dialog_max_per_user;
    dialog_limits_.max_age_s = config_.dialog_max_age_s;
    dialogs_ = std::make_unique<dialoginfo::DialogPackage>(
        dialog_limits_, *notifiers_,
        [p = presence_.get()](const std::string& subscriber, const std::string& resource,
                              std::function<void(events::Grant)> done) { p->Authorize(subscriber, resource, std::move(done)); },
        store_.get());
    presence_->AuthorizeAlso(std::string(dialogs_->name()));
    if (config_.presence_call_activity) {
      presence_->SetCallSource([d = dialogs_.get()](const std::string& aor) { return d->InCall(aor); });
      dialogs_->AddCallStateListener([p = presence_.get()](const std::string& aor) { p->OnCallStateChanged(aor); });
    }
    dialog_winfo_ = std::make_unique<presence::WinfoPackage>(*notifiers_, std::string(dialogs_->name()));
  }
  for (const events::EventPackage* p : Packages()) caps_.events.emplace_back(p->name());  // Allow-Events
  for (size_t i = 0; i < n; ++i) {
    for (presence::WinfoPackage* w : {winfo_.get(), dialog_winfo_.get()}) {
      if (!w) continue;
      notifiers_->At(i).AddObserver([w](const events::Subscription& s, events::WatcherChange c) {
        w->OnWatcherChange(s, c);
      });
    }
  }
  message_config_.quota = {config_.message_quota_count, int64_t{config_.message_quota_mb} * 1024 * 1024};
  message_config_.max_age_s = int64_t{config_.message_max_age_days} * 24 * 3600;
  message_config_.retry_first_s = config_.message_retry_s;
  message_config_.retry_max_s = std::max<uint32_t>(3600, config_.message_retry_s);
  message_config_.server_uri = "sip:" + (config_.domains.empty() ? std::string("localhost") : config_.domains[0]);
  std::vector<proxy::ProcessorHost*> hosts;
  for (auto& c : cores_) hosts.push_back(c.get());
  messages_ = std::make_unique<im::MessageService>(message_config_, *store_, *shard_router_, *registrar_, hosts);
  groups_ = std::make_unique<im::GroupDirectory>(*store_, *shard_router_);
  services_ = std::make_unique<presence::ServiceDirectory>(*store_, *shard_router_);
  StartLists(n);
  presence_->AddAvailabilityListener([messages = messages_.get()](const std::string& aor) { messages->OnAvailable(aor); });
  registrar_->AddListener([pkg = reg_package_.get(), presence = presence_.get(), messages = messages_.get()](
                              const std::string& aor, const std::vector<registrar::BindingChange>& changes,
                              const registrar::BindingsFn& current) {
    pkg->OnRegistration(aor, changes, current);
    presence->OnRegistration(aor);
    messages->OnRegistration(aor, changes);
  });
  event_config_.min_expires = config_.presence_min_expires;
  event_config_.max_expires = config_.presence_max_expires;
  dns::ResolverConfig dns_config;
  dns_config.servers = config_.dns_servers;
  for (size_t i = 0; i < n; ++i) {
    proxy::Core& core = *cores_[i];
    forwarders_.push_back(std::make_unique<proxy::Forwarder>(core, i));
    proxy::Forwarder& fwd = *forwarders_.back();
    auto router = std::make_unique<proxy::Router>(router_config_, *registrar_, fwd, messages_.get());
    router->SetCallObserver(dialogs_.get());
    routers_.push_back(router.get());
    std::string dns_error;
    hop_locators_.push_back(DnsHopLocator::Create(loops_->loop(i), dns_config, &dns_error));
    if (hop_locators_.back()) {
      router->SetLocator(hop_locators_.back().get());
    } else {
      PLOG_WARN("dns_off", {{"error", dns_error}});  // next hops by name get 502
    }
    core.AddProcessor(std::make_unique<Prefetcher>(*policies_, presence_->authorizer(), *aaa_));
    core.AddProcessor(std::make_unique<aaa::Authenticator>(auth_config_, *nonces_, *aaa_));
    core.AddProcessor(registrar_->MakeProcessor());
    core.AddProcessor(registrar::MakeTempGruuProcessor(*gruu_));
    core.AddProcessor(std::make_unique<proxy::PolicyProcessor>(*policies_));
    core.AddProcessor(presence_->MakePublishProcessor());
    auto events = std::make_unique<events::EventProcessor>(event_config_, *notifiers_, Packages());
    for (presence::ResourceListServer* l : {lists_.get(), dialog_lists_.get()}) {
      if (!l) continue;
      events->AddListPackage(
          l, [l](size_t shard, const std::string& uri) { return l->IsList(shard, uri); },
          {[l](const std::string& uri) { return l->IsServerUri(uri); },
           [l](const sip::Message& m, const std::string& subscriber) { return l->TakeRequestList(m, subscriber); }});
    }
    core.AddProcessor(std::move(events));
    core.AddProcessor(messages_->MakeGroupProcessor(*groups_));  // a group's URI is no user's
    core.AddProcessor(std::move(router));
    core.AddProcessor(messages_->MakeProcessor());  // after the router: what it could not deliver
    proxy::Router* r = routers_.back();
    if (config_.overload_store_queue != 0 || config_.overload_transactions != 0) {
      core.SetOverloadGate([this, &core, store_limit = config_.overload_store_queue,
                            txn_limit = config_.overload_transactions] {
        return (store_limit != 0 && store_->pending() > store_limit) ||
               (txn_limit != 0 && core.InFlight() > txn_limit);
      });
    }
    core.SetAckHandler([r, &core](sip::MessagePtr ack, const transport::Source&) { r->RouteAck(std::move(ack), core); });
    core.SetStrayHandler([&fwd](sip::MessagePtr resp, const transport::Source&) {
      fwd.ForwardStrayResponse(std::move(resp));
    });
  }
  (void)cc;
  // Soft state that expired while no server held it is never deleted by
  // key (nobody is left to expire it): it goes before anything is loaded.
  // So are answered calls older than a dialog may live (their BYE was
  // missed, or came while no server ran).
  const int64_t calls_before = UnixNow() - int64_t{config_.dialog_max_age_s};
  auto swept = store_->ReadNow<size_t>([now = UnixNow(), calls_before](store::Store& s) -> Result<size_t> {
    size_t rows = 0;
    for (auto del : {&store::Store::DeleteExpiredBindings, &store::Store::DeleteExpiredPublications,
                     &store::Store::DeleteExpiredSubscriptions}) {
      auto d = (s.*del)(now);
      if (!d.ok()) return d.error();
      rows += *d;
    }
    auto calls = s.DeleteCallDialogsBefore(calls_before);
    if (!calls.ok()) return calls.error();
    return rows + *calls;
  });
  if (!swept.ok()) return Error(1, "store: deleting expired state: " + swept.error().message);
  if (*swept > 0) PLOG_INFO("expired_state_deleted", {{"rows", *swept}});
  auto loaded = registrar_->LoadFromStore();
  if (!loaded.ok()) return Error(1, "store: loading bindings: " + loaded.error().message);
  PLOG_INFO("bindings_restored", {{"count", *loaded}});
  auto pubs = presence_->LoadFromStore();
  if (!pubs.ok()) return Error(1, "store: loading publications: " + pubs.error().message);
  PLOG_INFO("publications_restored", {{"count", *pubs}});
  auto groups = groups_->LoadFromStore();
  if (!groups.ok()) return Error(1, "store: loading groups: " + groups.error().message);
  auto services = services_->LoadFromStore();
  if (!services.ok()) return Error(1, "store: loading presence list services: " + services.error().message);
  auto waiting = messages_->LoadFromStore();
  if (!waiting.ok()) return Error(1, "store: loading the message queue: " + waiting.error().message);
  PLOG_INFO("mailboxes_restored", {{"users", *waiting}});
  if (dialogs_) {
    auto calls = dialogs_->LoadFromStore();
    if (!calls.ok()) return Error(1, "store: loading answered calls: " + calls.error().message);
    PLOG_INFO("calls_restored", {{"count", *calls}});
  }
  loops_->loop(0).Post([this] { ExpireMessages(); });
  return RestoreSubscriptions();
}

// Subscriptions come back on their resource's loop once the loops run:
// each is authorized again and gets the current state in a NOTIFY.
Result<void> Server::RestoreSubscriptions() {
  auto subs = store_->ReadNow<std::vector<store::SubscriptionRecord>>(
      [](store::Store& s) { return s.LoadSubscriptions(); });
  if (!subs.ok()) return Error(1, "store: loading subscriptions: " + subs.error().message);
  std::vector<std::vector<store::SubscriptionRecord>> per_shard(cores_.size());
  size_t count = 0;
  for (auto& r : *subs) {
    if (!PackageFor(r.package, r.resource)) continue;
    per_shard[shard_router_->ShardOf(r.resource)].push_back(std::move(r));
    ++count;
  }
  for (size_t i = 0; i < per_shard.size(); ++i) {
    if (per_shard[i].empty()) continue;
    loops_->loop(i).Post([this, i, recs = std::move(per_shard[i])] {
      int64_t now = UnixNow();
      for (const auto& r : recs) notifiers_->At(i).Restore(r, PackageFor(r.package, r.resource), now);
    });
  }
  PLOG_INFO("subscriptions_restored", {{"count", count}});
  return Ok();
}

bool Server::IsOurAor(size_t shard, const std::string& aor) const {
  const std::string text = "sip:" + aor;  // the parsed URI views it
  auto uri = sip::ParseUri(text);
  return uri.ok() && cores_[shard]->local().IsLocal(*uri);
}

events::EventPackage* Server::PackageFor(const std::string& name, const std::string& resource) {
  for (presence::ResourceListServer* l : {lists_.get(), dialog_lists_.get()}) {
    if (l && name == l->name() && l->IsList(shard_router_->ShardOf(resource), resource)) return l;
  }
  for (events::EventPackage* p : Packages()) {
    if (p->name() == name) return p;
  }
  return nullptr;
}

std::vector<events::EventPackage*> Server::Packages() const {
  std::vector<events::EventPackage*> out{reg_package_.get(), presence_.get(), winfo_.get()};
  if (dialogs_) out.insert(out.end(), {dialogs_.get(), dialog_winfo_.get()});
  return out;
}

void Server::Dispatch(transport::IncomingMessage&& in) {
  runtime::Loop* current = runtime::Loop::Current();
  size_t shard = current ? HandlingShard(*in.message, cores_.size(), current->index(), gruu_.get())
                         : ShardOf(*in.message, cores_.size(), gruu_.get());
  if (current && current->index() == shard) {
    cores_[shard]->OnMessage(std::move(in));
    return;
  }
  if (current && current->index() < handoffs_.size()) {
    Handoffs& h = handoffs_[current->index()];
    ++(in.message->is_request() ? h.requests : h.responses);
  }
  // std::function needs a copyable callable: carry the message in a
  // shared_ptr across the loop boundary.
  auto holder = std::make_shared<transport::IncomingMessage>(std::move(in));
  proxy::Core* core = cores_[shard].get();
  loops_->loop(shard).Post([core, holder] { core->OnMessage(std::move(*holder)); });
}

void Server::ForEachShard(std::function<void(size_t, proxy::Core&)> f, std::function<void()> done) {
  auto remaining = std::make_shared<std::atomic<size_t>>(cores_.size());
  for (size_t i = 0; i < cores_.size(); ++i) {
    proxy::Core* core = cores_[i].get();
    loops_->loop(i).Post([i, core, f, done, remaining] {
      f(i, *core);
      if (remaining->fetch_sub(1) == 1 && done) done();
    });
  }
}

// Undelivered messages past their age go, once an hour.
void Server::ExpireMessages() {
  if (shutdown_requested_) return;
  messages_->Expire();
  loops_->loop(0).Schedule(std::chrono::hours(1), [this] { ExpireMessages(); });
}

void Server::RequestShutdown() {
  if (shutdown_requested_.exchange(true)) return;
  if (!started_) {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
    return;
  }
  drain_thread_ = std::thread([this] { Drain(); });
}

void Server::Drain() {
  PLOG_INFO("shutdown", {{"grace_ms", config_.shutdown_grace_ms}});
  ForEachShard([](size_t, proxy::Core& c) { c.StartDraining(); }, {});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.shutdown_grace_ms);
  size_t in_flight = 0;
  while (true) {
    auto count = std::make_shared<std::atomic<size_t>>(0);
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    ForEachShard([count](size_t, proxy::Core& c) { *count += c.InFlight(); }, [done] { done->set_value(); });
    fut.wait_for(std::chrono::seconds(2));
    in_flight = count->load();
    if (in_flight == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (http_) loops_->loop(0).Invoke([this] { http_->Stop(); });
  // Batched binding writes go to the store while the loops still run.
  if (registrar_) registrar_->Flush();
  transport_->Stop();
  loops_->Stop();
  loops_->Join();
  // The store's pending writes commit while the services that submitted
  // them still exist: a write (e.g. message expiry) and every completion
  // may use its service; what a completion posts to a loop is dropped.
  if (store_) store_->Stop();
  // Services and cores (and their transaction layers) go with the loops
  // they ran on.
  routers_.clear();
  notifiers_.reset();
  lists_.reset();
  dialog_lists_.reset();
  reg_package_.reset();
  dialog_winfo_.reset();
  dialogs_.reset();
  presence_.reset();
  winfo_.reset();
  messages_.reset();
  subscription_store_.reset();
  forwarders_.clear();
  registrar_.reset();
  policies_.reset();
  aaa_.reset();
  cores_.clear();
  PLOG_INFO("stopped", {{"unfinished_transactions", in_flight}});
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  cv_.notify_all();
}

void Server::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stopped_; });
}

std::vector<transport::ListenPoint> Server::bound() const { return transport_->bound(); }
uint16_t Server::http_port() const { return http_ ? http_->port() : 0; }

}  // namespace parley::server
