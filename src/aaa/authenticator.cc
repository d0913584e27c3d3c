#include "aaa/authenticator.h"

#include <chrono>

#include "common/log.h"
#include "sip/fields.h"

namespace parley::aaa {

using proxy::RequestContext;
using proxy::RequestContextPtr;
using proxy::Verdict;

Authenticator::Authenticator(const AuthConfig& config, auth::NonceService& nonces, proxy::Sharded<AaaShard>& shards)
    : config_(config), nonces_(nonces), shards_(shards) {}

namespace {

// An in-dialog request routed through us by a Record-Route we inserted in
// its dialog (its token matches the Call-ID): anyone can write a Route
// naming us and a To tag, and without the token such a request would pass
// unchallenged to wherever its Request-URI or next Route points.
bool LooseRoutedToUs(const sip::Message& m, const proxy::LocalTarget& local) {
  const sip::NameAddr* to = m.to();
  return to && to->has_tag() && local.FirstRouteOwner(m) == proxy::LocalTarget::RouteOwner::kOursSigned;
}

// The response the client computed over the user's stored HA1. An unusable
// stored HA1 (empty) matches nothing: a response computed over an empty HA1
// must not pass.
bool ResponseMatches(const auth::Credentials& creds, const UserCredentials& u, std::string_view method) {
  std::string_view ha1 = creds.algorithm == auth::Algorithm::kSha256 ? u.ha1_sha256() : u.ha1_md5();
  return !ha1.empty() && auth::DigestEquals(auth::ExpectedResponse(creds, ha1, method), creds.response);
}

}  // namespace

bool Authenticator::ChallengedAnywhere(const sip::Message& m) {
  switch (m.method()) {
    case sip::Method::kAck:
    case sip::Method::kCancel:
    case sip::Method::kInvite:
    case sip::Method::kOptions:
      return false;
    default:
      break;
  }
  const sip::NameAddr* to = m.to();
  if (to == nullptr || to->has_tag() || m.from() == nullptr) return false;  // in-dialog: LooseRoutedToUs may pass it
  for (const auto& h : m.headers()) {
    if (h.id == sip::HeaderId::kAuthorization || h.id == sip::HeaderId::kProxyAuthorization) return false;
  }
  return true;
}

void Authenticator::Challenge(RequestContext& ctx, proxy::ProcessorHost& host, const std::string& realm, bool stale) {
  bool reg = ctx.request->method() == sip::Method::kRegister;
  // A retransmitted request may as well be challenged again: keep no state.
  ctx.forget_final = true;
  std::string nonce = nonces_.Issue(UnixNow());
  proxy::ExtraHeaders extra;
  for (auth::Algorithm a : config_.algorithms) {
    extra.emplace_back(reg ? sip::HeaderId::kWwwAuthenticate : sip::HeaderId::kProxyAuthenticate,
                       auth::MakeChallenge(a, realm, nonce, stale));
  }
  host.Respond(ctx, reg ? 401 : 407, reg ? "Unauthorized" : "Proxy Authentication Required", std::move(extra));
}

void Authenticator::WarmIfHere(const std::string& aor) {
  if (shards_.router().ShardOf(aor) == shards_.router().current()) shards_.Local().users.Warm(aor);
}

Verdict Authenticator::Process(RequestContextPtr& p, proxy::ProcessorHost& host) {
  RequestContext& ctx = *p;
  const sip::Message& m = *ctx.request;
  sip::Method method = m.method();
  // What passes here without credentials must stay outside
  // ChallengedAnywhere: the server answers those on any loop.
  if (method == sip::Method::kAck || method == sip::Method::kCancel) return Verdict::kContinue;
  if (ctx.to_self && method == sip::Method::kOptions) return Verdict::kContinue;
  if (LooseRoutedToUs(m, host.local())) return Verdict::kContinue;

  // Source failures are counted and checked on the loop that runs this:
  // the shard of the request's user when it has credentials (where its
  // failures are recorded), the receiving loop when it has none (see
  // ChallengedAnywhere), which answers a throttled source's first request
  // with a challenge and its credentials with 403.
  AaaShard& here = shards_.Local();
  std::string source_ip = ctx.source.remote.ip();
  auto now = host.timers().Now();
  if (here.source_failures.Blocked(source_ip, now)) {
    host.Respond(ctx, 403, "Too Many Failed Attempts");
    return Verdict::kDone;
  }

  const sip::NameAddr* id = method == sip::Method::kRegister ? m.to() : m.from();
  bool local_identity = id->uri.is_sip() && host.local().IsLocal(id->uri) && id->uri.has_user;
  std::string identity_aor = sip::AorKey(id->uri);
  std::string realm = local_identity ? ToLower(id->uri.host)
                                     : (host.local().domains().empty() ? "parley" : host.local().domains()[0]);

  // Credentials for our realm, in the header the challenge asked for first.
  sip::HeaderId kinds[2] = {sip::HeaderId::kProxyAuthorization, sip::HeaderId::kAuthorization};
  if (method == sip::Method::kRegister) std::swap(kinds[0], kinds[1]);
  std::optional<auth::Credentials> creds;
  size_t consumed = SIZE_MAX;  // index of the field the credentials came from
  bool malformed = false;
  for (sip::HeaderId kind : kinds) {
    for (size_t i = 0; i < m.headers().size(); ++i) {
      const auto& h = m.headers()[i];
      if (h.id != kind || creds) continue;
      auto c = auth::ParseCredentials(h.value);
      if (!c.ok()) {
        malformed |= c.error().code == 400;
        continue;  // code 0: another scheme, ignored (RFC 4475 §3.3.7)
      }
      if (!IEquals(c->realm, realm)) continue;
      creds = std::move(*c);
      consumed = i;
    }
  }
  if (!creds && malformed) {
    host.Respond(ctx, 400, "Malformed Credentials");
    return Verdict::kDone;
  }
  // No credentials, or a nonce we did not issue or that expired: a challenge.
  auth::NonceService::Check nonce =
      creds ? nonces_.Verify(creds->nonce, UnixNow()) : auth::NonceService::Check::kInvalid;
  if (nonce != auth::NonceService::Check::kValid) {
    if (local_identity) WarmIfHere(identity_aor);
    Challenge(ctx, host, realm, nonce == auth::NonceService::Check::kStale);
    return Verdict::kDone;
  }
  if (!local_identity) {
    // A foreign identity cannot be one of our users.
    Challenge(ctx, host, realm, false);
    return Verdict::kDone;
  }
  // The credentials must be for this request (RFC 7616 §3.4.6): its
  // Request-URI, or the server itself — what SIPp and clients behind an
  // outbound proxy put there. A URI of some other resource is refused.
  auto cred_uri = sip::ParseUri(creds->uri);
  bool uri_ok = cred_uri.ok() && (sip::UriEquivalent(*cred_uri, *m.request_uri()) ||
                                  (!cred_uri->has_user && host.local().IsLocal(*cred_uri)));
  if (!uri_ok) {
    host.Respond(ctx, 400, "Authorization URI Mismatch");
    return Verdict::kDone;
  }
  if (!creds->qop.empty() && !nonces_.AcceptNonceCount(creds->nonce, creds->nonce_count)) {
    Challenge(ctx, host, realm, true);  // replayed nonce count
    return Verdict::kDone;
  }
  std::string user_aor =
      creds->username.find('@') != std::string::npos ? ToLower(creds->username) : creds->username + "@" + realm;
  size_t owner = shards_.router().ShardOf(user_aor);
  if (owner != shards_.router().current()) {
    // Another shard's user, checked against the copy of its credentials
    // kept here, else the start-up snapshot's. Anything but a match asks
    // the owner.
    const UserCredentials* u = here.replica.Find(user_aor, now);
    bool copy = u != nullptr;
    if (!copy) u = here.replica.FromSnapshot(user_aor);
    if (u != nullptr && u->enabled() && ResponseMatches(*creds, *u, m.method_text())) {
      ++(copy ? here.replica_hits : here.snapshot_hits);
      return Accept(ctx, host, consumed, std::move(user_aor), identity_aor, u->history());
    }
  }
  auto check = std::make_shared<Check>();
  check->user_aor = std::move(user_aor);
  check->replica_epoch = here.replica.epoch();
  check->identity_aor = std::move(identity_aor);
  check->creds = std::move(*creds);
  check->consumed = consumed;
  check->back = ctx.shard;
  check->host = &host;
  check->ctx = std::move(p);
  // A REGISTER is dispatched to its AOR's shard and most other requests to
  // their From AOR's, so the owner is usually this shard: no hop there (a
  // MESSAGE or SUBSCRIBE goes to its recipient's shard and makes one hop
  // here when neither a copy nor the start-up snapshot matched).
  shards_.RunOn(owner, [this, check](AaaShard& s) mutable { OnOwner(std::move(check), s); });
  return Verdict::kPending;
}

// On the user's shard: its failure window and directory, then back.
void Authenticator::OnOwner(std::shared_ptr<Check> check, AaaShard& owner) {
  auto back = [this](std::shared_ptr<Check> c) {
    size_t shard = c->back;
    shards_.router().Post(shard, [this, c = std::move(c)] { Finish(*c); });
  };
  if (owner.user_failures.Blocked(check->user_aor, check->host->timers().Now())) {
    check->outcome = Outcome::kLocked;
    back(std::move(check));
    return;
  }
  // `check` stays alive until Resolve returns, whichever loop runs Finish.
  owner.users.Resolve(check->user_aor, [this, &owner, check, back](UserDirectory::Status st,
                                                                   const UserCredentials* u) mutable {
    Check& c = *check;
    if (st == UserDirectory::Status::kFound && u->enabled()) {
      c.history = u->history();
      c.outcome = ResponseMatches(c.creds, *u, c.ctx->request->method_text()) ? Outcome::kOk : Outcome::kWrong;
      if (c.outcome == Outcome::kOk && c.back != shards_.router().current()) c.user.emplace(*u);
    }
    if (c.outcome != Outcome::kOk) {
      auto now = c.host->timers().Now();
      owner.user_failures.Fail(c.user_aor, now);
      if (owner.user_failures.Blocked(c.user_aor, now)) EraseCopies(c.user_aor);
    }
    back(std::move(check));
  });
}

void Authenticator::Finish(Check& c) {
  proxy::ProcessorHost& host = *c.host;
  if (c.outcome != Outcome::kOk) {
    shards_.Local().source_failures.Fail(c.ctx->source.remote.ip(), host.timers().Now());
    PLOG_INFO("auth_failed", {{"user", c.user_aor}, {"from", c.ctx->source.remote.ToString()},
                              {"reason", c.outcome == Outcome::kLocked ? "locked" : c.outcome == Outcome::kWrong ? "wrong" : "unknown"}});
    host.Respond(*c.ctx, 403, c.outcome == Outcome::kLocked ? "Too Many Failed Attempts" : "Authentication Failed");
    return;
  }
  if (c.user) shards_.Local().replica.Put(c.user_aor, *c.user, c.replica_epoch, host.timers().Now());
  if (Accept(*c.ctx, host, c.consumed, std::move(c.user_aor), c.identity_aor, c.history) == Verdict::kContinue) {
    host.Resume(std::move(c.ctx));
  }
}

Verdict Authenticator::Accept(RequestContext& ctx, proxy::ProcessorHost& host, size_t consumed, std::string user_aor,
                              const std::string& identity_aor, bool history) {
  if (user_aor != identity_aor) {
    host.Respond(ctx, 403, "Identity Mismatch");
    return Verdict::kDone;
  }
  // Proxy credentials for our realm go no further (RFC 3261 §22.3).
  if (ctx.request->headers()[consumed].id == sip::HeaderId::kProxyAuthorization) {
    ctx.request->RemoveHeaderAt(consumed);
  }
  ctx.authenticated = std::move(user_aor);
  ctx.authenticated_history = history;
  return Verdict::kContinue;
}

void Authenticator::EraseCopies(const std::string& aor) {
  for (size_t i = 0; i < shards_.size(); ++i) {
    shards_.RunOn(i, [aor](AaaShard& s) { s.replica.Erase(aor); });
  }
}

}  // namespace parley::aaa
