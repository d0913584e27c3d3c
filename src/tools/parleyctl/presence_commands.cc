// parleyctl presence …: the presentity's authorization rules (its
// pres-rules document, the same one clients edit over XCAP), the default
// rule of a domain, and invisibility.

#include <functional>

#include "auth/digest.h"
#include "common/timer.h"
#include "presence/doc/compose.h"
#include "presence/doc/pidf.h"
#include "presence/rules/edit.h"
#include "store/errors.h"
#include "store/names.h"
#include "tools/parleyctl/commands.h"

namespace parley::ctl {
namespace {

constexpr const char* kAuid = "pres-rules";
constexpr const char* kDocument = "index";

std::string NewEtag() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : auth::RandomBytes(12)) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> UserAor(store::Store& s, const std::string& aor) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Error(kExitUsage, a.error().message);
  auto user = s.GetUser(*a);
  if (!user.ok()) return Error(kExitFailure, user.error().message);
  if (!user->has_value()) return Error(kExitFailure, "no such user " + *a);
  return *a;
}

std::string WatcherUri(const std::string& watcher) {
  return watcher.find(':') == std::string::npos ? "sip:" + watcher : watcher;
}

// Applies `edit` to the user's pres-rules document, conditionally on the
// version read (retried when someone else wrote in between).
int EditRules(store::Store& s, const std::string& aor,
              const std::function<Result<std::string>(const std::string&)>& edit, Output o) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto current = s.GetXcapDocument(kAuid, aor, kDocument);
    if (!current.ok()) return Fail(o, kExitFailure, current.error().message);
    std::string text = *current ? (*current)->content : std::string();
    auto edited = edit(text);
    if (!edited.ok()) return Fail(o, edited.error().code == 400 ? kExitUsage : kExitFailure, edited.error().message);
    store::XcapDocument doc{kAuid, aor, kDocument, NewEtag(), std::move(*edited), UnixNow()};
    auto w = s.PutXcapDocument(doc, *current ? (*current)->etag : "", !*current);
    if (!w.ok()) return Fail(o, kExitFailure, w.error().message);
    if (*w != store::XcapOutcome::kPreconditionFailed) return kExitOk;
  }
  return Fail(o, kExitFailure, "the rules of " + aor + " keep changing; try again");
}

}  // namespace

int PresenceRuleSet(store::Store& s, const std::string& aor, const std::string& watcher, const std::string& handling,
                    Output o) {
  auto h = presence::rules::ParseSubHandling(handling);
  if (!h) return Fail(o, kExitUsage, "unknown rule " + handling + " (allow, confirm, block, polite-block)");
  auto a = UserAor(s, aor);
  if (!a.ok()) return Fail(o, a.error().code, a.error().message);
  std::string uri = WatcherUri(watcher);
  int rc = EditRules(s, *a, [&](const std::string& doc) { return presence::rules::SetWatcherRule(doc, uri, *h); }, o);
  if (rc == kExitOk) o.out << *a << ": " << presence::rules::SubHandlingName(*h) << " " << uri << "\n";
  return rc;
}

int PresenceRuleRemove(store::Store& s, const std::string& aor, const std::string& watcher, Output o) {
  auto a = UserAor(s, aor);
  if (!a.ok()) return Fail(o, a.error().code, a.error().message);
  std::string uri = WatcherUri(watcher);
  int rc = EditRules(s, *a, [&](const std::string& doc) -> Result<std::string> {
    if (doc.empty()) return Error(404, *a + " has no rule for " + uri);
    return presence::rules::RemoveWatcherRule(doc, uri);
  }, o);
  if (rc == kExitOk) o.out << *a << ": removed the rule for " << uri << "\n";
  return rc;
}

int PresenceRuleList(store::Store& s, const std::string& aor, Output o) {
  auto a = UserAor(s, aor);
  if (!a.ok()) return Fail(o, a.error().code, a.error().message);
  auto doc = s.GetXcapDocument(kAuid, *a, kDocument);
  if (!doc.ok()) return Fail(o, kExitFailure, doc.error().message);
  if (!*doc) return kExitOk;
  auto rules = presence::rules::ListRules((*doc)->content);
  if (!rules.ok()) return Fail(o, kExitFailure, rules.error().message);
  for (const auto& r : *rules) {
    o.out << (r.sub_handling ? presence::rules::SubHandlingName(*r.sub_handling) : "(no sub-handling)") << " "
          << (r.watcher.empty() ? r.conditions : r.watcher) << (r.provides_all ? "" : " (limited view)") << "\n";
  }
  return kExitOk;
}

namespace {

// "open \"at work\"": the basic status of each tuple and the first note.
std::string Summary(const std::string& pidf) {
  auto doc = presence::ParsePidf(pidf, "");
  if (!doc.ok()) return "(unreadable: " + doc.error().message + ")";
  std::string out;
  for (const auto& t : doc->tuples) {
    if (!out.empty()) out += ",";
    out += t.basic == presence::Basic::kOpen ? "open" : t.basic == presence::Basic::kClosed ? "closed" : "-";
  }
  if (out.empty()) out = "no tuple";
  const std::vector<presence::Note>* notes = doc->person && !doc->person->notes.empty() ? &doc->person->notes
                                             : !doc->notes.empty()                       ? &doc->notes
                                             : !doc->tuples.empty()                      ? &doc->tuples[0].notes
                                                                                         : nullptr;
  if (notes != nullptr && !notes->empty()) out += " \"" + Printable(notes->front().text) + "\"";
  return out;
}

}  // namespace

int PresenceShow(store::Store& s, const std::string& aor, int64_t now, Output o) {
  auto a = UserAor(s, aor);
  if (!a.ok()) return Fail(o, a.error().code, a.error().message);
  auto pubs = s.LoadPublications();
  auto subs = s.LoadSubscriptions();
  auto hard = s.GetXcapDocument(std::string(presence::kPidfManipulationAuid), *a,
                                std::string(presence::kPidfManipulationDocument));
  auto options = s.GetOptions(*a);
  if (!pubs.ok() || !subs.ok() || !hard.ok() || !options.ok()) return Fail(o, kExitFailure, "store unavailable");
  std::vector<const store::Publication*> mine;
  for (const auto& p : *pubs) {
    if (p.aor == *a && p.expires_at > now) mine.push_back(&p);
  }
  std::vector<const store::SubscriptionRecord*> watchers, own;
  for (const auto& r : *subs) {
    if (r.expires_at <= now) continue;  // gone; the server deletes it
    if (r.resource == *a) watchers.push_back(&r);
    if (r.subscriber == *a && r.resource != *a) own.push_back(&r);
  }
  bool invisible = false;
  for (const auto& opt : *options) invisible |= opt.name == presence::rules::kOptionInvisible && !opt.value.empty();
  o.out << *a << ": " << mine.size() << " publication(s), " << watchers.size() << " subscription(s) to it, "
        << own.size() << " of its own" << (*hard ? ", a hard state" : "") << (invisible ? ", invisible" : "") << "\n";
  for (const auto* p : mine) {
    o.out << "publication " << Printable(p->etag) << "\texpires in " << p->expires_at - now << " s\t"
          << Summary(p->body) << "\n";
  }
  if (*hard) o.out << "hard state\t" << Summary((*hard)->content) << "\n";
  auto line = [&](const char* what, const std::string& who, const store::SubscriptionRecord& r) {
    o.out << what << " " << Printable(who) << "\t" << Printable(r.package) << "\t" << Printable(r.state)
          << "\texpires in " << r.expires_at - now << " s\n";
  };
  for (const auto* r : watchers) line("watched by", r->subscriber, *r);
  for (const auto* r : own) line("watches", r->resource, *r);
  return kExitOk;
}

int PresenceDefault(store::Store& s, const std::string& domain, const std::string& handling, Output o) {
  auto d = store::NormalizeDomain(domain);
  if (!d.ok()) return Fail(o, kExitUsage, d.error().message);
  if (handling != "server" && !presence::rules::ParseSubHandling(handling)) {
    return Fail(o, kExitUsage, "unknown rule " + handling + " (allow, confirm, block, polite-block, server)");
  }
  auto r = s.SetOption({*d, presence::rules::kOptionDefaultRule, handling == "server" ? "" : handling});
  if (!r.ok()) return Fail(o, r.error().code == store::kErrInvalid ? kExitUsage : kExitFailure, r.error().message);
  o.out << *d << ": watchers no rule names get "
        << (handling == "server" ? "the server's default (--presence-default-rule)" : handling) << "\n";
  return kExitOk;
}

int PresenceInvisible(store::Store& s, const std::string& aor, bool on, Output o) {
  auto a = UserAor(s, aor);
  if (!a.ok()) return Fail(o, a.error().code, a.error().message);
  auto r = s.SetOption({*a, presence::rules::kOptionInvisible, on ? "1" : ""});
  if (!r.ok()) return Fail(o, kExitFailure, r.error().message);
  o.out << *a << (on ? ": invisible (looks offline to every watcher)" : ": visible") << "\n";
  return kExitOk;
}

}  // namespace parley::ctl
