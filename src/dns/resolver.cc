#include "dns/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <mutex>
#include <unordered_map>

#include "common/lru_trim.h"
#include "common/strings.h"
#include "runtime/asio.h"
#include "runtime/loop.h"

namespace parley::dns {
namespace {

std::once_flag g_library_once;

Error ToError(int status, const std::string& name) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
    case ARES_ENONAME:
      return Error(kNotFound, name + ": no such record");
    case ARES_ETIMEOUT:
      return Error(kUnavailable, name + ": " + ares_strerror(status));
    default:
      return Error(kFailed, name + ": " + ares_strerror(status));
  }
}

}  // namespace

// One record type's answers by lower-cased name, each kept for a while.
template <typename T>
class Cache {
 public:
  const Result<T>* Find(const std::string& key, Clock::time_point now) const {
    auto it = map_.find(key);
    if (it == map_.end() || it->second.expires <= now) return nullptr;
    return &it->second.value;
  }
  void Put(const std::string& key, Result<T> value, Clock::time_point now, Clock::duration ttl,
           size_t max) {
    map_.insert_or_assign(key, Entry{std::move(value), now + ttl});
    // Over `max`: the answers that expire first go.
    TrimLeastRecentlyUsed(map_, max, [](const Entry& e) { return e.expires; }, [](const Entry&) { return true; });
  }

  // Queues `done` for the answer about `key`; true when it is the first
  // (its lookup is to start), false when it joined one under way.
  bool Wait(const std::string& key, std::function<void(Result<T>)> done) {
    auto& w = waiting_[key];
    w.push_back(std::move(done));
    return w.size() == 1;
  }
  // Everyone waiting for `key`, who are no longer.
  std::vector<std::function<void(Result<T>)>> Waiters(const std::string& key) {
    auto node = waiting_.extract(key);
    if (!node) return {};
    return std::move(node.mapped());
  }

 private:
  struct Entry {
    Result<T> value;
    Clock::time_point expires;
  };
  std::unordered_map<std::string, Entry> map_;
  std::unordered_map<std::string, std::vector<std::function<void(Result<T>)>>> waiting_;
};

struct Resolver::Impl {
  // One descriptor c-ares asked us to watch.
  struct Watch {
    explicit Watch(boost::asio::io_context& io, int fd) : sd(io, fd) {}
    boost::asio::posix::stream_descriptor sd;
    bool want_read = false, want_write = false;
    bool read_armed = false, write_armed = false;
  };

  Impl(runtime::Loop& l, const ResolverConfig& c) : loop(l), config(c) {}

  runtime::Loop& loop;
  ResolverConfig config;
  ares_channel channel = nullptr;
  std::unordered_map<int, std::shared_ptr<Watch>> watches;
  TimerId timer = 0;
  bool destroying = false;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  Cache<std::vector<Srv>> srv_cache;
  Cache<std::vector<Naptr>> naptr_cache;
  Cache<std::vector<std::string>> address_cache;
  uint64_t queries = 0;
  uint64_t hits = 0;

  static void OnSocketState(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<Impl*>(data)->SocketState(fd, readable != 0, writable != 0);
  }

  void SocketState(int fd, bool readable, bool writable) {
    auto it = watches.find(fd);
    if (!readable && !writable) {
      if (it == watches.end()) return;
      // c-ares closes the descriptor itself: ours lets go of it (pending
      // waits end with operation_aborted).
      it->second->sd.release();
      watches.erase(it);
      return;
    }
    if (it == watches.end()) it = watches.emplace(fd, std::make_shared<Watch>(loop.io(), fd)).first;
    it->second->want_read = readable;
    it->second->want_write = writable;
    Arm(it->second);
  }

  void Arm(const std::shared_ptr<Watch>& w) {
    std::weak_ptr<Watch> weak = w;
    if (w->want_read && !w->read_armed) {
      w->read_armed = true;
      w->sd.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this, weak](const boost::system::error_code& ec) { Ready(weak, ec, true); });
    }
    if (w->want_write && !w->write_armed) {
      w->write_armed = true;
      w->sd.async_wait(boost::asio::posix::stream_descriptor::wait_write,
                       [this, weak](const boost::system::error_code& ec) { Ready(weak, ec, false); });
    }
  }

  void Ready(const std::weak_ptr<Watch>& weak, const boost::system::error_code& ec, bool read) {
    auto w = weak.lock();
    if (!w || ec == boost::asio::error::operation_aborted) return;
    (read ? w->read_armed : w->write_armed) = false;
    int fd = w->sd.native_handle();
    ares_process_fd(channel, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
    // Still watched (c-ares may have closed it meanwhile): wait again.
    if (auto it = watches.find(fd); it != watches.end() && it->second == w) Arm(w);
    ArmTimer();
  }

  void ArmTimer() {
    if (timer) loop.Cancel(timer);
    timer = 0;
    timeval tv{};
    if (!ares_timeout(channel, nullptr, &tv)) return;
    auto delay = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
    timer = loop.Schedule(delay, [this] {
      timer = 0;
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      ArmTimer();
    });
  }

  // Keeps an answer or a name's absence (not a failure to get an answer).
  template <typename T>
  void Keep(Cache<T>& cache, const std::string& key, const Result<T>& r) {
    if (!r.ok() && r.error().code != kNotFound) return;
    Clock::duration ttl = r.ok() ? config.positive_ttl : config.negative_ttl;
    cache.Put(key, r, loop.Now(), ttl, config.max_cache);
  }

  // Runs `fn` on the loop later, unless the resolver is gone by then.
  template <typename Fn>
  void Later(Fn fn) {
    loop.Post([alive = std::weak_ptr<bool>(alive), fn = std::move(fn)]() mutable {
      if (alive.lock()) fn();
    });
  }

  // Answers `done` from the cache, or queues it for the answer about
  // `key`: true when a lookup is to start (nobody asked before).
  template <typename T>
  bool Start(Cache<T>& cache, const std::string& key, std::function<void(Result<T>)> done) {
    if (const Result<T>* hit = cache.Find(key, loop.Now())) {
      ++hits;
      Later([done = std::move(done), r = *hit]() mutable { done(std::move(r)); });
      return false;
    }
    if (cache.Wait(key, std::move(done))) return true;
    ++hits;  // rides on a lookup under way
    return false;
  }

  // The answer about `key`, kept and handed to everyone waiting for it.
  template <typename T>
  void Deliver(Cache<T>& cache, const std::string& key, const Result<T>& r) {
    Keep(cache, key, r);
    for (auto& done : cache.Waiters(key)) {
      Later([done = std::move(done), r]() mutable { done(std::move(r)); });
    }
  }

  // A raw query; `parse` turns the answer into T.
  template <typename T, typename Parse>
  void Query(const std::string& name, int type, Cache<T>& cache, std::function<void(Result<T>)> done,
             Parse parse) {
    std::string key = ToLower(name);
    if (!Start(cache, key, std::move(done))) return;
    struct Pending {
      Impl* impl;
      Cache<T>* cache;
      std::string key;
      Parse parse;
    };
    auto* p = new Pending{this, &cache, key, std::move(parse)};
    ++queries;
    ares_query(
        channel, key.c_str(), ns_c_in, type,
        [](void* arg, int status, int, unsigned char* abuf, int alen) {
          std::unique_ptr<Pending> q(static_cast<Pending*>(arg));
          if (q->impl->destroying) return;
          Result<T> r = status == ARES_SUCCESS ? q->parse(abuf, alen, q->key) : Result<T>(ToError(status, q->key));
          q->impl->Deliver(*q->cache, q->key, r);
        },
        p);
    ArmTimer();
  }

  void Addresses(const std::string& name, int family, std::function<void(Result<std::vector<std::string>>)> done) {
    struct Pending {
      Impl* impl;
      std::string name;
      std::function<void(Result<std::vector<std::string>>)> done;
    };
    auto* p = new Pending{this, name, std::move(done)};
    ++queries;
    ares_gethostbyname(
        channel, name.c_str(), family,
        [](void* arg, int status, int, hostent* h) {
          std::unique_ptr<Pending> q(static_cast<Pending*>(arg));
          if (q->impl->destroying) return;
          if (status != ARES_SUCCESS || !h || !h->h_addr_list || !h->h_addr_list[0]) {
            Error e = ToError(status == ARES_SUCCESS ? ARES_ENODATA : status, q->name);
            q->done(std::move(e));  // already on the loop, after the call that asked
            return;
          }
          std::vector<std::string> out;
          char text[INET6_ADDRSTRLEN];
          for (char** a = h->h_addr_list; *a; ++a) {
            if (inet_ntop(h->h_addrtype, *a, text, sizeof text)) out.emplace_back(text);
          }
          q->done(std::move(out));
        },
        p);
    ArmTimer();
  }
};

namespace {

Result<std::vector<Srv>> ParseSrv(const unsigned char* abuf, int alen, const std::string& name) {
  ares_srv_reply* reply = nullptr;
  int rc = ares_parse_srv_reply(abuf, alen, &reply);
  if (rc != ARES_SUCCESS) return ToError(rc, name);
  std::vector<Srv> out;
  for (auto* r = reply; r; r = r->next) out.push_back(Srv{r->priority, r->weight, r->port, r->host});
  ares_free_data(reply);
  // RFC 2782: a lone "." target means the service is not offered there.
  if (out.size() == 1 && (out[0].target.empty() || out[0].target == ".")) {
    return Error(kNotFound, name + ": service not offered");
  }
  if (out.empty()) return Error(kNotFound, name + ": no such record");
  return out;
}

Result<std::vector<Naptr>> ParseNaptr(const unsigned char* abuf, int alen, const std::string& name) {
  ares_naptr_reply* reply = nullptr;
  int rc = ares_parse_naptr_reply(abuf, alen, &reply);
  if (rc != ARES_SUCCESS) return ToError(rc, name);
  std::vector<Naptr> out;
  for (auto* r = reply; r; r = r->next) {
    out.push_back(Naptr{r->order, r->preference, reinterpret_cast<const char*>(r->flags),
                        reinterpret_cast<const char*>(r->service), r->replacement ? r->replacement : ""});
  }
  ares_free_data(reply);
  if (out.empty()) return Error(kNotFound, name + ": no such record");
  return out;
}

}  // namespace

Result<std::unique_ptr<Resolver>> Resolver::Create(runtime::Loop& loop, const ResolverConfig& config) {
  std::call_once(g_library_once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  auto impl = std::make_unique<Impl>(loop, config);
  ares_options opts{};
  opts.sock_state_cb = &Impl::OnSocketState;
  opts.sock_state_cb_data = impl.get();
  opts.timeout = static_cast<int>(config.timeout.count());
  opts.tries = config.tries;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  int rc = ares_init_options(&impl->channel, &opts, mask);
  if (rc != ARES_SUCCESS) return Error(kUnavailable, std::string("DNS resolver: ") + ares_strerror(rc));
  if (!config.servers.empty()) {
    std::string csv;
    for (const auto& s : config.servers) csv.append(csv.empty() ? "" : ",").append(s);
    rc = ares_set_servers_ports_csv(impl->channel, csv.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(impl->channel);
      return Error(kUnavailable, "DNS servers \"" + csv + "\": " + ares_strerror(rc));
    }
  }
  return std::unique_ptr<Resolver>(new Resolver(std::move(impl)));
}

Resolver::Resolver(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Resolver::~Resolver() {
  impl_->destroying = true;
  impl_->alive.reset();
  if (impl_->timer) impl_->loop.Cancel(impl_->timer);
  ares_destroy(impl_->channel);  // ends every query (callbacks see `destroying`)
  for (auto& [fd, w] : impl_->watches) w->sd.release();
}

void Resolver::QuerySrv(const std::string& name, SrvCallback done) {
  impl_->Query<std::vector<Srv>>(name, ns_t_srv, impl_->srv_cache, std::move(done), &ParseSrv);
}

void Resolver::QueryNaptr(const std::string& name, NaptrCallback done) {
  impl_->Query<std::vector<Naptr>>(name, ns_t_naptr, impl_->naptr_cache, std::move(done), &ParseNaptr);
}

void Resolver::QueryAddresses(const std::string& name, AddressCallback done) {
  Impl* impl = impl_.get();
  std::string key = ToLower(name);
  if (!impl->Start(impl->address_cache, key, std::move(done))) return;
  auto deliver = [impl, key](Result<std::vector<std::string>> r) { impl->Deliver(impl->address_cache, key, r); };
  impl->Addresses(key, AF_INET, [impl, key, deliver](Result<std::vector<std::string>> v4) {
    if (v4.ok() || v4.error().code != kNotFound) return deliver(std::move(v4));
    impl->Addresses(key, AF_INET6, deliver);
  });
}

void Resolver::Post(std::function<void()> fn) { impl_->Later(std::move(fn)); }

uint64_t Resolver::queries_sent() const { return impl_->queries; }
uint64_t Resolver::cache_hits() const { return impl_->hits; }

}  // namespace parley::dns
