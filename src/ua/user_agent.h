#pragma once
// The user agent as a whole, for programs: one event loop (a LoopGroup of
// 1) running the transport, the transaction layer and the UA modules. Every
// method may be called from any thread: it posts to the loop. Results and
// events are delivered on the loop thread through callbacks; a program with
// its own thread queues them (see tools/parley).
//
//   auto ua = UserAgent::Create(options, [](ua::Event e) { queue.Push(std::move(e)); });
//   (*ua)->Register();
//   (*ua)->SendMessage(bob, "hi", {}, [](const SendResult& r) { … });

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "transport/config.h"
#include "ua/account.h"
#include "ua/events.h"
#include "ua/pager.h"
#include "ua/presence.h"
#include "ua/registration.h"
#include "ua/subscription.h"

namespace parley::ua {

struct UaOptions {
  Account account;
  std::optional<ProxySpec> proxy;  // unset: locate the AOR's domain (SRV, then A)
  transport::TlsVerify tls_verify = transport::TlsVerify::kSystemCas;
  std::string tls_ca_file;
  std::string instance_id;  // "urn:uuid:…"; empty: none
  std::string user_agent = "parley/0.1";
  RegistrationConfig registration;
  std::chrono::milliseconds t1{500};
  bool trace = false;  // print every SIP message to stderr
};

class Session;  // the loop-side state (user_agent.cc)

class UserAgent {
 public:
  using Sink = std::function<void(Event)>;

  // Locates the server, binds UDP and TCP on the local address facing it
  // (port 0) and starts the loop. Blocking (DNS): call from a plain thread.
  static Result<std::unique_ptr<UserAgent>> Create(UaOptions options, Sink sink);
  ~UserAgent();  // Shutdown()
  UserAgent(const UserAgent&) = delete;
  UserAgent& operator=(const UserAgent&) = delete;

  // Registration (events: RegistrationEvent).
  void Register();
  void Unregister(std::function<void(const Outcome&)> done);

  // Instant messages (incoming ones arrive as events).
  void SendMessage(const Aor& to, std::string text, SendOptions options, std::function<void(const SendResult&)> done);
  void SendComposing(const Aor& to, bool active);

  // Presence publication (RFC 3903). `done` also gets the publication's
  // entity tag and granted lifetime; `resume_etag` continues a publication
  // made before (e.g. by an earlier run) instead of adding another.
  using PublishDone = std::function<void(const Outcome&, const std::string& etag, uint32_t expires)>;
  void Publish(PresenceDoc doc, PublishDone done, std::string resume_etag = {}, uint32_t expires = 0);
  void Unpublish(std::function<void(const Outcome&)> done);

  // Subscriptions (events: SubscriptionEvent plus the package's content).
  void Subscribe(const Aor& target, EventPackage package, uint32_t expires = 600);
  void Unsubscribe(const Aor& target, EventPackage package, std::function<void()> done = {});

  // Stops everything: the loop, the transport. Does not unregister (do that
  // first). Idempotent; not from the loop thread.
  void Shutdown();

  const Aor& aor() const { return options_.account.aor; }
  // "udp 127.0.0.1:5060" — where requests go.
  std::string ServerDescription() const;

 private:
  UserAgent(UaOptions options, Sink sink);
  void Post(std::function<void(Session&)> fn);

  UaOptions options_;
  Sink sink_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::ua
