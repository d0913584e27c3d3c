#include "dialoginfo/dialog_package.h"

#include <optional>
#include <utility>

#include "common/strings.h"
#include "common/timer.h"
#include "sip/fields.h"
#include "sip/params.h"
#include "sip/uri.h"

namespace parley::dialoginfo {

namespace {

// The party `na` names and its target: the Contact of `m` (the party's
// message) when that is a GRUU (RFC 5627: that device, through us), else
// the party's address, which our proxy forks to its devices. A device's
// own Contact is no target a watcher's INVITE with Replaces could reach
// through us (we relay to nobody outside our domains), while the AOR
// reaches the ringing device (the others answer 481, RFC 3891 §3).
Party PartyOf(const sip::NameAddr* na, const sip::Message* m = nullptr) {
  if (!na) return {};
  Party p{std::string(na->uri_text), na->DisplayName(), std::string(na->uri_text)};
  if (m && !m->contacts().empty()) {
    const sip::NameAddr& contact = m->contacts().front();
    if (auto gr = contact.uri.params.Get("gr"); gr && contact.uri.has_user) p.target = std::string(contact.uri_text);
  }
  return p;
}

// The INVITE's Referred-By (RFC 3892), or nobody.
Party ReferrerOf(const sip::Message& invite) {
  const sip::HeaderField* f = invite.Find(sip::HeaderId::kReferredBy);
  if (!f) return {};
  auto na = sip::ParseNameAddr(f->value);
  return na.ok() ? Party{std::string(na->uri_text), na->DisplayName(), {}} : Party{};
}

// The dialog an INVITE's Replaces names at its recipient (RFC 3891 §3:
// its to-tag is the recipient's local tag), or none.
Dialog::Replaced ReplacedBy(const sip::Message& invite) {
  const sip::HeaderField* f = invite.Find(sip::HeaderId::kReplaces);
  if (!f) return {};
  const std::string_view value = f->value;
  const size_t semi = value.find(';');
  if (semi == std::string_view::npos) return {};
  const sip::Params params(value.substr(semi));
  auto to_tag = params.Get("to-tag");
  auto from_tag = params.Get("from-tag");
  std::string_view call_id = TrimLws(value.substr(0, semi));
  if (call_id.empty() || !to_tag || !from_tag) return {};
  return {std::string(call_id), std::string(*to_tag), std::string(*from_tag)};
}

// RFC 3323 §4.2 (and RFC 3325 "id"): a caller who asked for privacy of
// their identity is not shown to the callee's watchers.
bool WantsPrivacy(const sip::Message& m) {
  const sip::HeaderField* f = m.Find("Privacy");
  if (!f) return false;
  std::string_view rest = f->value;
  while (!rest.empty()) {
    size_t semi = rest.find_first_of(";,");
    std::string_view token = TrimLws(rest.substr(0, semi));
    if (IEquals(token, "id") || IEquals(token, "header") || IEquals(token, "user")) return true;
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
  }
  return false;
}

// The caller's AOR when it is a user of ours who proved it (a From anyone
// can write must not light someone's busy lamp).
std::string InitiatorOf(const proxy::RequestContext& ctx) {
  const sip::NameAddr* from = ctx.request->from();
  if (ctx.authenticated.empty() || !from || sip::AorKey(from->uri) != ctx.authenticated) return {};
  return ctx.authenticated;
}

}  // namespace

DialogPackage::DialogPackage(const DialogLimits& limits, proxy::Sharded<events::Notifier>& notifiers,
                             AuthorizeFn authorize, store::StoreExecutor* store)
    : limits_(limits),
      notifiers_(notifiers),
      authorize_(std::move(authorize)),
      store_(store),
      shards_(notifiers.router().count()) {}

Result<size_t> DialogPackage::LoadFromStore() {
  if (!store_) return size_t{0};
  const int64_t oldest = UnixNow() - limits_.max_age_s;
  auto calls = store_->ReadNow<std::vector<store::CallDialog>>([](store::Store& s) { return s.LoadCallDialogs(); });
  if (!calls.ok()) return calls.error();
  size_t n = 0;
  for (store::CallDialog& c : *calls) {
    if (c.created_at < oldest) continue;
    Dialog d;
    d.call_id = std::move(c.call_id);
    d.local_tag = std::move(c.local_tag);
    d.remote_tag = std::move(c.remote_tag);
    d.direction = c.initiator ? Direction::kInitiator : Direction::kRecipient;
    d.state = DialogState::kConfirmed;
    // A GRUU target is not kept (it serves picking up a call that rings):
    // the party's address is.
    d.local = {c.local_identity, std::move(c.local_display), c.local_identity};
    d.remote = {c.remote_identity, std::move(c.remote_display), c.remote_identity};
    d.remote_hidden = c.remote_hidden;
    d.created_at = c.created_at;
    d.from_trying = c.from_trying;
    d.stored = true;
    auto dropped = shards_[notifiers_.router().ShardOf(c.aor)].users[c.aor].Restore(std::move(d), limits_);
    if (dropped) Unstore(c.aor, *dropped);
    ++n;
  }
  return n;
}

void DialogPackage::Persist(const std::string& aor, UserDialogs& user, const std::vector<Dialog>& changed) {
  if (!store_) return;
  // Only the calls of a watched user are worth a write: a watcher that
  // subscribes after a restart sees the calls from then on.
  std::optional<bool> watched;
  for (const Dialog& d : changed) {
    if (d.state == DialogState::kTerminated) {
      Unstore(aor, d);
      continue;
    }
    if (d.state != DialogState::kConfirmed) continue;
    if (!watched) {
      watched = notifiers_.At(notifiers_.router().ShardOf(aor)).Has(aor, name()) ||
                (watched_elsewhere_ && watched_elsewhere_(aor));
    }
    // What the store cannot keep as text (not UTF-8, a NUL) stays in memory only.
    const bool storable = *watched && IsStorableText(aor) && IsStorableText(d.call_id) &&
                          IsStorableText(d.local_tag) && IsStorableText(d.remote_tag) &&
                          IsStorableText(d.local.identity) && IsStorableText(d.local.display) &&
                          IsStorableText(d.remote.identity) && IsStorableText(d.remote.display);
    if (!storable) continue;
    user.MarkStored(d.call_id, d.local_tag, d.remote_tag);
    store::CallDialog c{aor,
                        d.call_id,
                        d.local_tag,
                        d.remote_tag,
                        d.direction == Direction::kInitiator,
                        d.from_trying,
                        d.local.identity,
                        d.local.display,
                        d.remote.identity,
                        d.remote.display,
                        d.remote_hidden,
                        d.created_at};
    store_->WriteBehind([c = std::move(c)](store::Store& s) -> store::StoreExecutor::Completion {
      (void)s.SaveCallDialog(c);
      return nullptr;
    });
  }
}

void DialogPackage::Unstore(const std::string& aor, const Dialog& d) {
  if (!store_ || !d.stored) return;
  store_->WriteBehind([aor, call = d.call_id, local = d.local_tag,
                       remote = d.remote_tag](store::Store& s) -> store::StoreExecutor::Completion {
    (void)s.DeleteCallDialog(aor, call, local, remote);
    return nullptr;
  });
}

void DialogPackage::Authorize(const std::string& subscriber, const std::string& resource,
                              std::function<void(events::Grant)> done) {
  authorize_(subscriber, resource, [done = std::move(done)](events::Grant g) {
    g.view = 0;  // presence views filter documents of another kind
    done(g);
  });
}

std::string DialogPackage::FullState(events::Subscription& sub) {
  const int64_t now = UnixNow();
  std::vector<Dialog> dialogs;
  if (!sub.polite) dialogs = DialogsOf(std::string(sub.resource()), now);
  return DialogInfoDocument(sub.local_uri(), sub.version++, true, dialogs, now);
}

void DialogPackage::ViewFor(const std::string& subscriber, const std::string& aor,
                            std::function<void(events::Grant, std::string)> done) {
  authorize_(subscriber, aor, [this, aor, done = std::move(done)](events::Grant g) {
    g.view = 0;
    std::string body;
    if (g.state == events::Authorization::kActive || g.state == events::Authorization::kPolite) {
      const int64_t now = UnixNow();
      std::vector<Dialog> dialogs;
      if (g.state == events::Authorization::kActive) dialogs = DialogsOf(aor, now);
      body = DialogInfoDocument("sip:" + aor, 0, true, dialogs, now, /*with_duration=*/false);
    }
    done(g, std::move(body));
  });
}

void DialogPackage::OnInviteForwarded(const proxy::RequestContext& ctx) {
  std::string caller = InitiatorOf(ctx);
  if (caller.empty()) return;
  const sip::Message& invite = *ctx.request;
  DialogUpdate u;
  u.kind = DialogUpdate::Kind::kTrying;
  u.dialog.call_id = std::string(invite.call_id());
  u.dialog.direction = Direction::kInitiator;
  u.dialog.local_tag = std::string(invite.from()->tag());
  u.dialog.local = PartyOf(invite.from(), &invite);
  u.dialog.remote = PartyOf(invite.to());
  u.dialog.referred_by = ReferrerOf(invite);
  Report(caller, std::move(u));
}

void DialogPackage::OnInviteResponse(const proxy::RequestContext& ctx, const std::string& callee,
                                     const sip::Message& response) {
  const sip::NameAddr* to = response.to();
  const sip::NameAddr* from = response.from();
  if (!to || !from) return;
  const sip::Message& invite = *ctx.request;
  DialogUpdate u;
  u.kind = DialogUpdate::Kind::kResponse;
  u.status = response.status();
  u.dialog.call_id = std::string(response.call_id());
  u.dialog.referred_by = ReferrerOf(invite);
  std::string caller = InitiatorOf(ctx);
  if (!to->has_tag()) {
    // No dialog yet: the caller's call is proceeding (RFC 4235 §3.7.1).
    if (!caller.empty() && u.status < 200) {
      u.dialog.direction = Direction::kInitiator;
      u.dialog.local_tag = std::string(from->tag());
      Report(caller, std::move(u));
    }
    return;
  }
  if (!caller.empty()) {
    u.dialog.direction = Direction::kInitiator;
    u.dialog.local_tag = std::string(from->tag());
    u.dialog.remote_tag = std::string(to->tag());
    u.dialog.local = PartyOf(invite.from(), &invite);
    u.dialog.remote = PartyOf(invite.to(), &response);
    Report(caller, u);
  }
  if (!callee.empty()) {
    u.dialog.direction = Direction::kRecipient;
    u.dialog.local_tag = std::string(to->tag());
    u.dialog.remote_tag = std::string(from->tag());
    u.dialog.local = PartyOf(invite.to(), &response);
    u.dialog.remote = PartyOf(invite.from(), &invite);
    u.dialog.remote_hidden = WantsPrivacy(invite);
    u.dialog.replaces = ReplacedBy(invite);
    Report(callee, std::move(u));
  }
}

void DialogPackage::OnInviteFinal(const proxy::RequestContext& ctx, const std::string& callee, int status) {
  if (status < 300) return;  // answered: the 2xx was reported as the branch's response
  const sip::NameAddr* from = ctx.request->from();
  if (!from) return;
  DialogUpdate u;
  u.kind = DialogUpdate::Kind::kCallFailed;
  u.status = status;
  u.dialog.call_id = std::string(ctx.request->call_id());
  if (std::string caller = InitiatorOf(ctx); !caller.empty()) {
    u.dialog.direction = Direction::kInitiator;
    u.dialog.local_tag = std::string(from->tag());
    Report(caller, u);
  }
  if (!callee.empty()) {
    u.dialog.direction = Direction::kRecipient;
    u.dialog.local_tag.clear();
    u.dialog.remote_tag = std::string(from->tag());
    Report(callee, std::move(u));
  }
}

void DialogPackage::OnBye(const proxy::RequestContext& ctx) {
  const sip::Message& bye = *ctx.request;
  const sip::NameAddr* from = bye.from();
  const sip::NameAddr* to = bye.to();
  if (!from || !to) return;
  DialogUpdate u;
  u.kind = DialogUpdate::Kind::kBye;
  u.dialog.call_id = std::string(bye.call_id());
  const std::string sender = sip::AorKey(from->uri);
  const std::string receiver = sip::AorKey(to->uri);
  u.by_user = true;
  u.dialog.local_tag = std::string(from->tag());
  u.dialog.remote_tag = std::string(to->tag());
  Report(sender, u);
  u.by_user = false;
  std::swap(u.dialog.local_tag, u.dialog.remote_tag);
  Report(receiver, std::move(u));
}

void DialogPackage::Report(const std::string& aor, DialogUpdate u) {
  proxy::ShardRouter& router = notifiers_.router();
  const size_t shard = router.ShardOf(aor);
  if (shard == router.current()) return Apply(aor, u, UnixNow());  // the caller's side, mostly: no loop turn
  router.Post(shard, [this, aor, u = std::move(u)] { Apply(aor, u, UnixNow()); });
}

std::vector<Dialog> DialogPackage::DialogsOf(const std::string& aor, int64_t now) {
  Shard& shard = shards_[notifiers_.router().ShardOf(aor)];
  auto it = shard.users.find(aor);
  if (it == shard.users.end()) return {};
  const bool in_call = it->second.InCall();
  std::vector<Dialog> dropped = it->second.Prune(now, limits_);
  for (const Dialog& d : dropped) Unstore(aor, d);
  std::vector<Dialog> out = it->second.dialogs();
  if (it->second.empty()) shard.users.erase(it);
  if (!dropped.empty()) {
    Notify(aor, std::move(dropped));  // later, from the loop: the other watchers had them
    CallStateMayHaveChanged(aor, in_call);
  }
  return out;
}

bool DialogPackage::InCall(const std::string& aor) const {
  const Shard& shard = shards_[notifiers_.router().ShardOf(aor)];
  auto it = shard.users.find(aor);
  return it != shard.users.end() && it->second.InCall();
}

void DialogPackage::CallStateMayHaveChanged(const std::string& aor, bool before) {
  if (call_state_listeners_.empty() || InCall(aor) == before) return;
  // From the loop, as the NOTIFYs: a report may come from inside a
  // transaction's callback.
  notifiers_.router().Post(notifiers_.router().ShardOf(aor), [this, aor] {
    for (const ChangeListener& l : call_state_listeners_) l(aor);
  });
}

void DialogPackage::Apply(const std::string& aor, const DialogUpdate& u, int64_t now) {
  Shard& shard = shards_[notifiers_.router().ShardOf(aor)];
  auto it = shard.users.find(aor);
  if (it == shard.users.end()) {
    // Only an INVITE going out or a response that makes a dialog starts a
    // user's list.
    bool starts = u.kind == DialogUpdate::Kind::kTrying ||
                  (u.kind == DialogUpdate::Kind::kResponse && u.status < 300 && !u.dialog.remote_tag.empty());
    if (!starts) return;
    it = shard.users.emplace(aor, UserDialogs{}).first;
  }
  const bool in_call = it->second.InCall();
  std::vector<Dialog> changed = it->second.Apply(u, now, limits_);
  for (const Dialog& d : changed) shard.ended += d.state == DialogState::kTerminated;
  if (!changed.empty()) Persist(aor, it->second, changed);
  if (it->second.empty()) shard.users.erase(it);
  if (!changed.empty()) {
    Notify(aor, std::move(changed));
    CallStateMayHaveChanged(aor, in_call);
  }
}

DialogStats DialogPackage::StatsOf(size_t shard) const {
  DialogStats st;
  const Shard& sh = shards_[shard];
  for (const auto& [aor, user] : sh.users) {
    for (const Dialog& d : user.dialogs()) {
      (d.state == DialogState::kConfirmed ? st.confirmed : d.state == DialogState::kEarly ? st.early : st.trying)++;
    }
  }
  st.ended = sh.ended;
  return st;
}

void DialogPackage::Notify(const std::string& aor, std::vector<Dialog> changed) {
  for (const ChangeListener& l : change_listeners_) l(aor);
  const size_t shard = notifiers_.router().ShardOf(aor);
  events::Notifier& n = notifiers_.At(shard);
  if (!n.Has(aor, name())) return;
  // Sent from the loop: a report may come from inside a transaction's
  // callback.
  notifiers_.router().Post(shard, [this, &n, aor, changed = std::move(changed)] {
    n.Changed(aor, name(), [changed](events::Subscription& s) {
      return DialogInfoDocument(s.local_uri(), s.version++, false, changed, UnixNow());
    });
  });
}

}  // namespace parley::dialoginfo
