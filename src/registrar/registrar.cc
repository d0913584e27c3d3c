#include "registrar/registrar.h"

#include <openssl/rand.h>

#include <algorithm>
#include <future>

#include "common/log.h"
#include "common/strings.h"
#include "sip/fields.h"
#include "sip/lex.h"

namespace parley::registrar {

using proxy::RequestContext;
using proxy::RequestContextPtr;
using proxy::Verdict;

namespace {

// Formatted once per second per loop.
const std::string& HttpDate(int64_t unix) {
  thread_local int64_t cached_at = -1;
  thread_local std::string text;
  if (unix != cached_at) {
    text = sip::SipDate::FromUnix(unix).ToString();
    cached_at = unix;
  }
  return text;
}

// "<uri>;expires=N;params" for a 200 to REGISTER; with `gruu`, a binding
// with an instance also gets its public GRUU and a new temporary one
// (RFC 5627 §5.1).
std::string ContactValue(const store::Binding& b, int64_t now, const GruuCodec* gruu) {
  std::string v = "<" + b.contact_uri + ">;expires=" + std::to_string(std::max<int64_t>(b.expires_at - now, 0));
  v.append(b.contact_params);
  if (gruu != nullptr && GruuInstance(b.instance)) {
    v.append(";pub-gruu=\"").append(PublicGruu(b.aor, b.instance)).append("\"");
    std::string temp = MintTempGruu(*gruu, b);
    if (!temp.empty()) v.append(";temp-gruu=\"").append(temp).append("\"");
  }
  return v;
}

// Whether the first Path URI carries "ob": the edge proxy that added it
// supports outbound (RFC 5626 §5.1).
bool FirstPathIsOutboundEdge(const sip::Message& m) {
  bool ob = false;
  m.ForEachValue(sip::HeaderId::kPath, [&](std::string_view v) {
    auto first = sip::ParseNameAddr(v);
    ob = first.ok() && first->uri.params.Has("ob");
    return false;  // the first element only
  });
  return ob;
}

// The header of the first value of `op` the store cannot keep as text (not
// UTF-8, or a NUL), or nullptr.
const char* UnstorableField(const RegisterOp& op) {
  if (!IsStorableText(op.call_id)) return "Call-ID";
  if (!IsStorableText(op.path)) return "Path";
  for (const ContactUpdate& u : op.contacts) {
    if (!IsStorableText(u.uri) || !IsStorableText(u.params)) return "Contact";
  }
  return nullptr;
}

}  // namespace

// Checks a REGISTER on its transaction's shard and hands it to the AOR's.
class Registrar::Processor : public proxy::Processor {
 public:
  explicit Processor(Registrar& r) : r_(r) {}
  std::string_view name() const override { return "registrar"; }

  Verdict Process(RequestContextPtr& p, proxy::ProcessorHost& host) override {
    RequestContext& ctx = *p;
    const sip::Message& m = *ctx.request;
    if (m.method() != sip::Method::kRegister) return Verdict::kContinue;
    const sip::Uri& ruri = *m.request_uri();
    if (!ctx.local_domain) {
      host.Respond(ctx, 403, "Not Our Domain");
      return Verdict::kDone;
    }
    if (ruri.has_user) {
      // §10.2: "The userinfo and "@" components of the SIP URI MUST NOT be present."
      host.Respond(ctx, 400, "User Part Not Allowed In REGISTER Request-URI");
      return Verdict::kDone;
    }
    const sip::NameAddr& to = *m.to();
    if (!to.uri.is_sip() || !to.uri.has_user) {
      host.Respond(ctx, 400, "To Must Be A SIP URI With A User");  // RFC 4475 §3.3.4
      return Verdict::kDone;
    }
    if (!host.local().IsLocal(to.uri)) {
      host.Respond(ctx, 403, "Not Our Domain");
      return Verdict::kDone;
    }
    std::string aor = sip::AorKey(to.uri);
    if (ctx.authenticated != aor) {
      host.Respond(ctx, 403, "Not Authorized For This AOR");
      return Verdict::kDone;
    }

    RegisterOp op;
    op.aor = aor;
    op.call_id = std::string(m.call_id());
    op.cseq = m.cseq()->number;
    op.now = UnixNow();
    op.max_contacts = r_.config_.max_contacts;
    op.source = SourceString(ctx.source);
    op.destination = transport::BackTo(ctx.source);
    // Informational: kept with U+FFFD for what is not UTF-8 (the store keeps
    // UTF-8 text only, PostgreSQL refuses anything else).
    op.user_agent = ToStorableText(m.Value(sip::HeaderId::kUserAgent));
    m.ForEachValue(sip::HeaderId::kPath, [&](std::string_view v) {
      if (!op.path.empty()) op.path.append(", ");
      op.path.append(v);
      return true;
    });

    std::optional<uint32_t> header_expires = m.expires();
    const auto& contacts = m.contacts();
    for (const auto& c : contacts) {
      if (c.is_star) {
        // §10.3 step 6: "*" only alone and with Expires: 0.
        if (contacts.size() != 1 || !header_expires || *header_expires != 0) {
          host.Respond(ctx, 400, "Invalid Wildcard Contact");
          return Verdict::kDone;
        }
        op.remove_all = true;
        break;
      }
      if (c.uri.params.Has("gr") && host.local().IsLocal(c.uri)) {
        // RFC 5627 §5.1: a GRUU of ours routes to a registered contact; as
        // a contact it would route to itself.
        host.Respond(ctx, 403, "Contact Is A GRUU");
        return Verdict::kDone;
      }
      ContactUpdate u;
      u.uri = std::string(c.uri_text);
      uint32_t expires = header_expires.value_or(r_.config_.default_expires);
      bool ok = true;
      c.params.ForEach([&](std::string_view name, std::string_view value, bool has_value) {
        if (IEquals(name, "expires")) {
          auto e = sip::ParseDeltaSeconds(value);
          if (!e.ok()) return ok = false;
          expires = *e;
          return true;
        }
        if (IEquals(name, "q")) {
          char* end = nullptr;
          std::string qs(value);
          double q = std::strtod(qs.c_str(), &end);
          if (qs.empty() || *end != '\0' || q < 0 || q > 1) return ok = false;
          u.q = q;
        } else if (IEquals(name, "+sip.instance")) {
          u.instance = sip::UnquoteString(value);
        } else if (IEquals(name, "reg-id")) {
          u.reg_id = std::string(value);
        }
        u.params.append(";").append(name);
        if (has_value) u.params.append("=").append(value);
        return true;
      });
      if (!ok) {
        host.Respond(ctx, 400, "Malformed Contact Parameter");
        return Verdict::kDone;
      }
      if (expires != 0 && expires < r_.config_.min_expires) {
        host.Respond(ctx, 423, "Interval Too Brief",
                     {{sip::HeaderId::kMinExpires, std::to_string(r_.config_.min_expires)}});
        return Verdict::kDone;
      }
      u.expires = std::min(expires, r_.config_.max_expires);
      op.contacts.push_back(std::move(u));
    }

    // What later requests and the 200 repeat byte for byte cannot be mended:
    // a REGISTER whose bindings the store could not keep as text is refused.
    if (const char* field = UnstorableField(op)) {
      host.Respond(ctx, 400, std::string(field) + " Is Not UTF-8");
      return Verdict::kDone;
    }

    bool supports_path = false;
    bool supports_outbound = false;
    bool supports_gruu = false;
    m.ForEachValue(sip::HeaderId::kSupported, [&](std::string_view t) {
      supports_path |= IEquals(t, "path");
      supports_outbound |= IEquals(t, "outbound");
      supports_gruu |= IEquals(t, "gruu");
      return true;
    });
    const GruuCodec* gruu = supports_gruu ? r_.gruu_ : nullptr;
    std::string path = supports_path ? op.path : std::string();
    // RFC 5626 §6: outbound applies to a Contact with +sip.instance and
    // reg-id when this server is the UA's first hop (one Via, no Path) or
    // the first hop said it is an outbound edge ("ob" in the first Path
    // URI). A UA that supports outbound behind a hop that does not gets 439
    // (§11.6: it may register again without reg-id); without that support
    // the reg-id is ignored and the REGISTER is a plain one.
    bool first_hop = op.path.empty() && m.vias().size() == 1;
    bool outbound_edge = first_hop || FirstPathIsOutboundEdge(m);
    bool wants_outbound = std::any_of(op.contacts.begin(), op.contacts.end(),
                                      [](const ContactUpdate& u) { return !u.instance.empty() && !u.reg_id.empty(); });
    if (wants_outbound && !outbound_edge) {
      if (supports_outbound) {
        host.Respond(ctx, 439, "First Hop Lacks Outbound Support");
        return Verdict::kDone;
      }
      for (auto& u : op.contacts) u.reg_id.clear();
    }
    bool outbound = supports_outbound && wants_outbound && outbound_edge;
    proxy::ExtraHeaders outbound_headers;
    if (outbound) {
      outbound_headers.emplace_back(sip::HeaderId::kRequire, "outbound");
      // The keep-alive interval we want (RFC 5626 §4.4.1), only as the first hop.
      if (first_hop && r_.config_.flow_timer > 0) {
        outbound_headers.emplace_back(sip::HeaderId::kFlowTimer, std::to_string(r_.config_.flow_timer));
      }
    }

    auto holder = std::make_shared<RequestContextPtr>(std::move(p));
    proxy::ProcessorHost* h = &host;
    size_t back = ctx.shard;
    size_t owner = r_.router_.ShardOf(aor);
    Registrar* reg = &r_;
    // Usually this shard (a REGISTER is dispatched to its AOR's): no loop turn.
    r_.tables_.RunOn(owner, [reg, owner, back, holder, h, op = std::move(op), path, gruu,
                             outbound_headers = std::move(outbound_headers)](LocationTable& table) {
      auto applied = table.Apply(op);
      if (!applied.ok()) {
        bool too_many = applied.error().code == 403;
        reg->router_.Post(back, [holder, h, too_many] {
          if (too_many) {
            h->Respond(**holder, 403, "Too Many Contacts");
          } else {
            h->Respond(**holder, 400, "Out Of Order CSeq");
          }
        });
        return;
      }
      auto current = std::make_shared<std::vector<store::Binding>>(std::move(applied->current));
      // Runs on `back`, the loop of the REGISTER's transaction.
      auto answer = [holder, h, current, path, gruu, outbound_headers, now = op.now](bool stored) {
        if (!stored) {
          h->Respond(**holder, 500, "Store Failure", {{sip::HeaderId::kRetryAfter, "5"}});
          return;
        }
        proxy::ExtraHeaders extra;
        for (const auto& b : *current) extra.emplace_back(sip::HeaderId::kContact, ContactValue(b, now, gruu));
        if (!path.empty()) extra.emplace_back(sip::HeaderId::kPath, path);
        extra.insert(extra.end(), outbound_headers.begin(), outbound_headers.end());
        extra.emplace_back(sip::HeaderId::kDate, HttpDate(now));
        h->Respond(**holder, 200, "OK", std::move(extra));
      };
      // From the owner's loop: at once when that is `back` (no loop turn,
      // and the 200 leaves before the NOTIFYs of the change).
      auto answer_here = [reg, owner, back, answer] {
        if (owner == back) {
          answer(true);
        } else {
          reg->router_.Post(back, [answer] { answer(true); });
        }
      };
      if (applied->changes.empty()) {
        answer_here();
        return;
      }
      bool refresh_only = std::all_of(applied->changes.begin(), applied->changes.end(),
                                      [](const BindingChange& c) { return c.kind == ChangeKind::kRefreshed; });
      if (refresh_only) {
        // The stored binding stays valid until its earlier expiry: a lost
        // refresh costs nothing the UA's next refresh does not restore.
        answer_here();
        reg->Defer(owner, applied->changes);
        reg->Notify(op.aor, applied->changes);
        return;
      }
      // From the store's thread once committed.
      reg->Persist(owner, op.aor, std::move(applied->changes), [reg, back, answer](const Result<void>& stored) {
        reg->router_.Post(back, [answer, ok = stored.ok()] { answer(ok); });
      });
    });
    return Verdict::kPending;
  }

 private:
  Registrar& r_;
};

Registrar::Registrar(const RegistrarConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router,
                     proxy::Sharded<aaa::AaaShard>& users, const std::vector<TimerService*>& timers,
                     const GruuCodec* gruu)
    : config_(config), store_(store), router_(router), users_(users), tables_(router), timers_(timers), gruu_(gruu) {
  for (size_t i = 0; i < timers.size(); ++i) {
    pending_.push_back(std::make_unique<Pending>());
    tables_.Add(std::make_unique<LocationTable>(*timers[i], [this, i](const BindingChange& c) {
      Defer(i, {c});
      Notify(c.binding.aor, {c});
    }));
  }
}

Registrar::~Registrar() {
  for (size_t i = 0; i < pending_.size(); ++i) timers_[i]->Cancel(pending_[i]->timer);
}

namespace {
constexpr auto kWriteBehind = std::chrono::milliseconds(200);
}

void Registrar::Defer(size_t shard, const std::vector<BindingChange>& changes) {
  Pending& p = *pending_[shard];
  for (const auto& c : changes) {
    bool gone = IsGone(c.kind);
    auto key = std::make_pair(c.binding.aor, c.binding.contact_uri);
    if (gone) {
      p.writes[key] = std::nullopt;
    } else {
      p.writes[key] = c.binding;
    }
  }
  if (p.timer == 0 && !p.writes.empty()) {
    p.timer = timers_[shard]->Schedule(kWriteBehind, [this, shard] {
      pending_[shard]->timer = 0;
      FlushShard(shard, {});
    });
  }
}

void Registrar::FlushShard(size_t shard, std::function<void()> done) {
  Pending& p = *pending_[shard];
  if (p.timer) {
    timers_[shard]->Cancel(p.timer);
    p.timer = 0;
  }
  if (p.writes.empty()) {
    if (done) done();
    return;
  }
  auto batch = std::make_shared<decltype(p.writes)>(std::move(p.writes));
  p.writes.clear();
  auto write = [batch, done](store::Store& s) -> store::StoreExecutor::Completion {
    Result<void> r = Ok();
    for (const auto& [key, b] : *batch) {
      r = b ? s.UpsertBinding(*b) : s.DeleteBinding(key.first, key.second);
      if (!r.ok()) break;
    }
    bool ok = r.ok();
    std::string err = ok ? std::string() : r.error().message;
    size_t n = batch->size();
    return [ok, err, n, done](const Result<void>& committed) {
      if (!ok || !committed.ok()) {
        PLOG_WARN("binding_batch_not_stored", {{"bindings", n}, {"error", ok ? committed.error().message : err}});
      }
      if (done) done();
    };
  };
  // The timer's flush joins the next group instead of forcing a commit;
  // Flush() (shutdown) waits for its own.
  if (done) {
    store_.Write(std::move(write));
  } else {
    store_.WriteBehind(std::move(write));
  }
}

void Registrar::Flush() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    std::promise<void> p;
    auto f = p.get_future();
    router_.Post(i, [this, i, &p] { FlushShard(i, [&p] { p.set_value(); }); });
    f.wait();
  }
}

std::unique_ptr<proxy::Processor> Registrar::MakeProcessor() { return std::make_unique<Processor>(*this); }

void Registrar::Persist(size_t shard, const std::string& aor, std::vector<BindingChange> changes,
                        std::function<void(const Result<void>&)> done, std::function<void()> after_notify) {
  // A write-through supersedes what is batched for the same bindings (a
  // batched refresh flushed after this removal would bring it back).
  for (const auto& c : changes) pending_[shard]->writes.erase({c.binding.aor, c.binding.contact_uri});
  auto shared = std::make_shared<std::vector<BindingChange>>(std::move(changes));
  store_.Write([this, shard, aor, shared, done, after_notify](store::Store& s) -> store::StoreExecutor::Completion {
    Result<void> r = Ok();
    for (const auto& c : *shared) {
      bool gone = IsGone(c.kind);
      r = gone ? s.DeleteBinding(c.binding.aor, c.binding.contact_uri) : s.UpsertBinding(c.binding);
      if (!r.ok()) break;
    }
    Error failed = r.ok() ? Error() : r.error();
    bool write_ok = r.ok();
    return [this, shard, aor, shared, done, after_notify, write_ok, failed](const Result<void>& committed) {
      Result<void> outcome = !write_ok ? Result<void>(failed) : committed;
      done(outcome);  // first: the answer is posted before the NOTIFYs of the change
      if (outcome.ok()) {
        router_.Post(shard, [this, aor, shared, after_notify] {
          Notify(aor, *shared);
          if (after_notify) after_notify();
        });
      } else if (after_notify) {
        router_.Post(shard, after_notify);
      }
    };
  }, store::Durability::kCommit);
}

void Registrar::Evict(const std::string& aor, const std::string& contact_uri, ChangeKind why,
                      std::function<void()> then) {
  const size_t shard = router_.ShardOf(aor);
  router_.Post(shard, [this, shard, aor, contact_uri, why, then = std::move(then)]() mutable {
    auto changes = tables_.At(shard).Evict(aor, contact_uri, why);
    if (changes.empty()) {
      if (then) then();
      return;
    }
    PLOG_INFO("bindings_evicted", {{"aor", aor},
                                   {"count", changes.size()},
                                   {"event", why == ChangeKind::kRejected ? "rejected" : "deactivated"}});
    Persist(
        shard, aor, std::move(changes),
        [aor](const Result<void>& r) {
          if (!r.ok()) PLOG_WARN("binding_eviction_not_stored", {{"aor", aor}, {"error", r.error().message}});
        },
        std::move(then));
  });
}

void Registrar::Notify(const std::string& aor, const std::vector<BindingChange>& changes) {
  if (listeners_.empty()) return;
  const LocationTable& table = tables_.Local();
  BindingsFn current = [&table, &aor] { return table.Bindings(aor); };
  for (auto& l : listeners_) l(aor, changes, current);
}

Result<size_t> Registrar::LoadFromStore() {
  auto r = store_.ReadNow<std::vector<store::Binding>>([](store::Store& s) { return s.LoadBindings(); });
  if (!r.ok()) return r.error();
  int64_t now = UnixNow();
  size_t n = 0;
  for (const auto& b : *r) {
    auto dest = DestinationFromSource(b.source);
    if (!dest || b.expires_at <= now) continue;
    bool wants_flow = !b.reg_id.empty() || b.contact_uri.find(";ob") != std::string::npos;
    tables_.At(router_.ShardOf(b.aor)).Restore(b, now, BindingDestination(b.contact_uri, b.path, *dest, wants_flow));
    ++n;
  }
  return n;
}

std::string MintTempGruu(const GruuCodec& gruu, const store::Binding& b) {
  std::array<uint8_t, 12> iv{};
  if (RAND_bytes(iv.data(), static_cast<int>(iv.size())) != 1) return {};
  return gruu.Mint(b.aor, b.instance, b.call_id, iv);
}

std::optional<std::pair<std::string, proxy::InstanceFilter>> GruuLookup(const sip::Uri& uri, const GruuCodec* codec) {
  if (!uri.is_sip() || !uri.has_user) return std::nullopt;
  if (codec != nullptr && uri.user.starts_with(GruuCodec::kUserPrefix)) {
    auto g = codec->OpenUri(uri);
    if (g && GruuInstance(g->instance)) {
      return std::make_pair(std::move(g->aor), proxy::InstanceFilter{std::move(g->instance), g->call_id_hash});
    }
  }
  auto gr = uri.params.Get("gr");
  if (!gr || gr->empty()) return std::nullopt;
  return std::make_pair(sip::AorKey(uri), proxy::InstanceFilter{"<" + std::string(*gr) + ">", std::nullopt});
}

proxy::Target TargetOf(const Contact& c) {
  proxy::Target t;
  t.uri = c.record.contact_uri;
  t.destination = c.destination;
  t.q = c.record.q < 0 ? 1.0 : c.record.q;
  t.instance = c.record.instance;
  if (!c.record.path.empty()) {
    sip::ForEachListElement(c.record.path, [&](std::string_view v) {
      t.route.emplace_back(v);
      return true;
    });
  }
  return t;
}

void Registrar::Lookup(const std::string& aor, size_t reply_shard, std::function<void(proxy::LookupResult)> done) {
  LookupOn(aor, std::nullopt, reply_shard, std::move(done));
}

void Registrar::LookupInstance(const std::string& aor, proxy::InstanceFilter filter, size_t reply_shard,
                               std::function<void(proxy::LookupResult)> done) {
  LookupOn(aor, std::move(filter), reply_shard, std::move(done));
}

void Registrar::LookupOn(const std::string& aor, std::optional<proxy::InstanceFilter> filter, size_t reply_shard,
                         std::function<void(proxy::LookupResult)> done) {
  size_t owner = router_.ShardOf(aor);
  // Runs on the owner's loop; called there (delivery runs), without a hop.
  auto on_owner = [this, aor, owner, reply_shard, filter = std::move(filter),
                   done = std::move(done)](LocationTable& table) mutable {
    proxy::LookupResult res;
    bool instance_seen = false;  // registered, but not under the temporary GRUU's Call-ID
    for (const Contact* c : table.Lookup(aor)) {
      if (filter) {
        if (!IEquals(c->record.instance, filter->instance)) continue;
        if (filter->call_id_hash && CallIdHash(c->record.call_id) != *filter->call_id_hash) {
          instance_seen = true;
          continue;
        }
      }
      res.targets.push_back(TargetOf(*c));
    }
    if (instance_seen && res.targets.empty()) {
      // RFC 5627 §3.2: the UA registered again with another Call-ID, which
      // ends the temporary GRUUs of the old one.
      res.status = proxy::LookupResult::Status::kUnknownUser;
      router_.Post(reply_shard, [done = std::move(done), res = std::move(res)]() mutable { done(std::move(res)); });
      return;
    }
    if (!res.targets.empty()) {
      res.status = proxy::LookupResult::Status::kFound;
      router_.Post(reply_shard, [done = std::move(done), res = std::move(res)]() mutable { done(std::move(res)); });
      return;
    }
    users_.At(owner).users.Resolve(aor, [this, reply_shard, done = std::move(done)](
                                             aaa::UserDirectory::Status st, const aaa::UserCredentials* u) mutable {
      proxy::LookupResult r;
      r.user_history = u != nullptr && u->history();
      r.status = st == aaa::UserDirectory::Status::kFound     ? proxy::LookupResult::Status::kNotRegistered
                 : st == aaa::UserDirectory::Status::kUnknown ? proxy::LookupResult::Status::kUnknownUser
                                                               : proxy::LookupResult::Status::kError;
      router_.Post(reply_shard, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    });
  };
  tables_.RunOn(owner, std::move(on_owner));
}

}  // namespace parley::registrar
