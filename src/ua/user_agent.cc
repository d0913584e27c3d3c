#include "ua/user_agent.h"

#include <cstdio>
#include <future>
#include <map>

#include "common/strings.h"
#include "presence/rls/rlmi.h"
#include "runtime/loop_group.h"
#include "sip/fields.h"
#include "transport/transport_layer.h"
#include "ua/locate.h"

namespace parley::ua {

// The loop-side state: the core and its modules. Created and used on the loop.
class Session {
 public:
  Session(CoreConfig config, TimerService& timers, transport::Sender& sender, RegistrationConfig reg,
          UserAgent::Sink sink)
      : sink_(std::move(sink)),
        core_(std::move(config), timers, sender),
        registration_(core_, reg, [this](const RegistrationEvent& e) { sink_(e); }),
        pager_(core_, Pager::Listener{[this](const ReceivedMessage& m) { sink_(m); },
                                      [this](const ComposingIndication& c) { sink_(c); },
                                      [this](const DeliveryNotice& d) { sink_(d); }}),
        publication_(core_, 600, [this](const Outcome& o) { sink_(NoticeEvent{"presence refresh failed: " + o.Describe()}); }),
        subscriptions_(core_) {}

  Core& core() { return core_; }
  Registration& registration() { return registration_; }
  Pager& pager() { return pager_; }
  Publication& publication() { return publication_; }

  void Subscribe(const Aor& target, EventPackage package, uint32_t expires) {
    Subscription::Listener l;
    l.on_state = [this](const SubscriptionEvent& e) { sink_(e); };
    l.on_notify = [this](const Notification& n) { OnNotification(n); };
    subscriptions_.Add(target, package, expires, std::move(l)).Start();
  }
  void Unsubscribe(const Aor& target, EventPackage package, std::function<void()> done) {
    subscriptions_.Remove(target, package, std::move(done));
  }

 private:
  void OnNotification(const Notification& n) {
    if (n.content_type == "multipart/related") return OnList(n);
    switch (n.package) {
      case EventPackage::kPresence: {
        auto info = ParsePidf(n.body);
        if (!info.ok()) return sink_(NoticeEvent{"bad presence document from " + n.target + ": " + info.error().message});
        return sink_(PresenceEvent{n.target, *info});
      }
      case EventPackage::kWinfo:
      case EventPackage::kDialogWinfo: {
        auto& state = winfo_[{n.target, n.package}];
        WatcherInfoEvent e;
        e.resource = n.target;
        if (auto r = state.Apply(n.body); !r.ok()) {
          e.error = true;
          state = WatcherInfoState();
          sink_(NoticeEvent{"watcher information: " + r.error().message});
        }
        for (const auto& [id, w] : state.watchers()) e.watchers.push_back(w);
        return sink_(e);
      }
      case EventPackage::kReg: {
        auto info = ParseRegInfo(n.body);
        if (!info.ok()) return sink_(NoticeEvent{"bad reginfo document: " + info.error().message});
        return sink_(RegInfoEvent{n.target, *info});
      }
      case EventPackage::kDialog: {
        // Per list too: a list numbers its members' documents its own way.
        auto& state = dialogs_[n.list + '\n' + n.target];
        auto changed = state.Apply(n.body);
        if (!changed.ok()) {
          // Out of step or unreadable: start over; the next full state (a
          // refresh, or the notifier's next coalesced NOTIFY) sets it right.
          state = DialogInfoState();
          return sink_(NoticeEvent{"calls of " + n.target + ": " + changed.error().message});
        }
        DialogInfoEvent e{n.target, {}, std::move(*changed), state.last_full()};
        for (const auto& [id, d] : state.dialogs()) e.dialogs.push_back(d);
        return sink_(std::move(e));
      }
    }
  }

  // A list's NOTIFY (RFC 4662): each active member's document as if it
  // came for that member alone, then the members' states.
  void OnList(const Notification& n) {
    auto list = presence::ParseListBody(n.content_type_value, n.body);
    if (!list.ok()) return sink_(NoticeEvent{"list " + n.target + ": " + list.error().message});
    ListEvent e{n.target, list->full_state, {}};
    for (const auto& r : list->resources) {
      e.members.push_back({r.uri, std::string(presence::InstanceStateName(r.state)), r.reason});
      if (r.body.empty()) continue;
      auto type = sip::ParseMediaType(r.body_type);
      Notification part{r.uri, n.package, type.ok() ? type->Essence() : "", r.body_type, r.body, n.state, n.target};
      if (part.content_type != "multipart/related") OnNotification(part);  // one level only
    }
    sink_(std::move(e));
  }

  UserAgent::Sink sink_;
  Core core_;
  Registration registration_;
  Pager pager_;
  Publication publication_;
  SubscriptionManager subscriptions_;
  std::map<std::pair<std::string, EventPackage>, WatcherInfoState> winfo_;  // per resource and package
  std::map<std::string, DialogInfoState> dialogs_;  // by list (or "") and user
};

struct UserAgent::Impl {
  Located located;
  std::unique_ptr<runtime::LoopGroup> loops;
  std::unique_ptr<transport::TransportLayer> transport;
  std::unique_ptr<Session> session;
  bool shut_down = false;
};

UserAgent::UserAgent(UaOptions options, Sink sink)
    : options_(std::move(options)), sink_(std::move(sink)), impl_(std::make_unique<Impl>()) {}

UserAgent::~UserAgent() { Shutdown(); }

Result<std::unique_ptr<UserAgent>> UserAgent::Create(UaOptions options, Sink sink) {
  auto located = Locate(options.proxy, options.account.aor.domain);
  if (!located.ok()) return located.take_error();
  std::unique_ptr<UserAgent> ua(new UserAgent(std::move(options), std::move(sink)));
  Impl& impl = *ua->impl_;
  impl.located = *located;

  transport::TransportConfig tc;
  auto local = transport::SocketAddress::Parse(impl.located.local_ip, 0);
  if (!local) return Error(1, "bad local address " + impl.located.local_ip);
  tc.listen.push_back({transport::Protocol::kUdp, *local, {}, 0});
  tc.listen.push_back({transport::Protocol::kTcp, *local, {}, 0});
  tc.tls_verify = ua->options_.tls_verify;
  tc.tls_ca_file = ua->options_.tls_ca_file;
  tc.idle_timeout = std::chrono::seconds(0);  // our flow lives as long as we do

  impl.loops = std::make_unique<runtime::LoopGroup>(1);
  impl.transport = std::make_unique<transport::TransportLayer>(
      *impl.loops, tc, [&impl](transport::IncomingMessage&& in) {
        if (impl.session) impl.session->core().OnMessage(std::move(in));
      });
  if (auto r = impl.transport->Start(); !r.ok()) return Error(r.error().code, "cannot listen: " + r.error().message);

  CoreConfig cc;
  cc.account = ua->options_.account;
  cc.proxy = impl.located.destination;
  cc.local_host = local->HostForUri();
  for (const auto& b : impl.transport->bound()) {
    bool want_tcp = cc.proxy.protocol != transport::Protocol::kUdp;
    if ((b.protocol == transport::Protocol::kTcp) == want_tcp) cc.local_port = b.address.port();
  }
  cc.instance_id = ua->options_.instance_id;
  cc.user_agent = ua->options_.user_agent;
  cc.timers.t1 = ua->options_.t1;
  if (ua->options_.trace) {
    cc.trace = [](bool out, std::string_view bytes) {
      if (bytes == "\r\n\r\n") return;
      std::string text = std::string(out ? "--> sent\n" : "<-- received\n") + std::string(bytes) + "\n";
      std::fwrite(text.data(), 1, text.size(), stderr);
    };
  }
  // The loop is not running yet: its timers belong to this thread until Start.
  impl.session = std::make_unique<Session>(cc, impl.loops->loop(0), *impl.transport, ua->options_.registration,
                                           ua->sink_);
  impl.loops->Start();
  return ua;
}

std::string UserAgent::ServerDescription() const {
  const auto& d = impl_->located.destination;
  std::string out = ToLower(transport::ProtocolName(d.protocol)) + " " + d.address.ToString();
  if (impl_->located.host != d.address.ip()) out += " (" + impl_->located.host + ")";
  return out;
}

void UserAgent::Post(std::function<void(Session&)> fn) {
  if (impl_->shut_down || !impl_->session) return;
  Session* s = impl_->session.get();
  impl_->loops->loop(0).Post([s, fn = std::move(fn)] { fn(*s); });
}

void UserAgent::Shutdown() {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  if (impl_->transport) impl_->transport->Stop();
  if (impl_->loops) {
    impl_->loops->Stop();
    impl_->loops->Join();
  }
  // The loop has stopped: its timers belong to this thread now.
  impl_->session.reset();
  impl_->transport.reset();
  impl_->loops.reset();
}

void UserAgent::Register() {
  Post([](Session& s) { s.registration().Start(); });
}

void UserAgent::Unregister(std::function<void(const Outcome&)> done) {
  Post([done = std::move(done)](Session& s) mutable { s.registration().Stop(std::move(done)); });
}

void UserAgent::SendMessage(const Aor& to, std::string text, SendOptions options,
                            std::function<void(const SendResult&)> done) {
  Post([to, text = std::move(text), options, done = std::move(done)](Session& s) mutable {
    s.pager().Send(to, text, options, std::move(done));
  });
}

void UserAgent::SendComposing(const Aor& to, bool active) {
  Post([to, active](Session& s) { s.pager().SendComposing(to, active); });
}

void UserAgent::Publish(PresenceDoc doc, PublishDone done, std::string resume_etag, uint32_t expires) {
  Post([doc = std::move(doc), done = std::move(done), etag = std::move(resume_etag), expires](Session& s) mutable {
    Publication& pub = s.publication();
    if (!etag.empty() && !pub.published()) pub.Resume(etag);
    if (expires) pub.set_expires(expires);
    pub.Publish(doc, [&pub, done = std::move(done)](const Outcome& o) {
      if (done) done(o, pub.etag(), pub.granted());
    });
  });
}

void UserAgent::Unpublish(std::function<void(const Outcome&)> done) {
  Post([done = std::move(done)](Session& s) mutable { s.publication().Remove(std::move(done)); });
}

void UserAgent::Subscribe(const Aor& target, EventPackage package, uint32_t expires) {
  Post([target, package, expires](Session& s) { s.Subscribe(target, package, expires); });
}

void UserAgent::Unsubscribe(const Aor& target, EventPackage package, std::function<void()> done) {
  Post([target, package, done = std::move(done)](Session& s) mutable {
    s.Unsubscribe(target, package, std::move(done));
  });
}

}  // namespace parley::ua
