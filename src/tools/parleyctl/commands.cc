#include "tools/parleyctl/commands.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

#include "auth/digest.h"
#include "store/errors.h"
#include "common/strings.h"
#include "registrar/gruu.h"
#include "store/names.h"
#include "tools/parleyctl/csv.h"

namespace parley::ctl {
namespace {

constexpr size_t kMaxBadLinesShown = 20;

// Store errors: malformed input is the caller's mistake (usage), the rest
// is a failure.
int FailStore(Output o, const Error& e) {
  return Fail(o, e.code == store::kErrInvalid ? kExitUsage : kExitFailure, e.message);
}

// "2026-01-31T12:00:00Z".
std::string FormatUtc(int64_t ms) {
  time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ReadAll(const std::string& path, std::string* text) {
  if (path == "-") {
    text->assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return !std::cin.bad();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *text = std::move(ss).str();
  return !in.bad();
}

}  // namespace

store::UserRecord MakeUser(const std::string& normalized_aor, const std::string& password) {
  store::AorParts parts = store::SplitAor(normalized_aor);
  store::UserRecord u;
  u.aor = normalized_aor;
  u.user = std::string(parts.user);
  u.domain = std::string(parts.domain);
  u.ha1_md5 = auth::ComputeHa1(auth::Algorithm::kMd5, parts.user, parts.domain, password);
  u.ha1_sha256 = auth::ComputeHa1(auth::Algorithm::kSha256, parts.user, parts.domain, password);
  return u;
}

int UserAdd(store::Store& s, const std::string& aor, const std::string& password, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  if (password.empty()) return Fail(o, kExitUsage, "empty password");
  auto existing = s.GetUser(*a);
  if (!existing.ok()) return FailStore(o, existing.error());
  if (auto r = s.AddUser(MakeUser(*a, password)); !r.ok()) return FailStore(o, r.error());
  o.out << (existing->has_value() ? "updated user " : "added user ") << *a << "\n";
  return kExitOk;
}

int UserDel(store::Store& s, const std::string& aor, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto r = s.DeleteUser(*a);
  if (!r.ok()) return FailStore(o, r.error());
  if (!*r) return Fail(o, kExitFailure, "no such user " + *a);
  o.out << "deleted user " << *a << "\n";
  return kExitOk;
}

int UserList(store::Store& s, const std::string& domain, Output o) {
  std::string d;
  if (!domain.empty()) {
    auto n = store::NormalizeDomain(domain);
    if (!n.ok()) return Fail(o, kExitUsage, n.error().message);
    d = *n;
  }
  auto users = s.ListUsers(d);
  if (!users.ok()) return FailStore(o, users.error());
  for (const auto& u : *users) o.out << u.aor << (u.enabled ? "" : "\tdisabled") << "\n";
  return kExitOk;
}

int UserShow(store::Store& s, const std::string& aor, int64_t now, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto user = s.GetUser(*a);
  if (!user.ok()) return FailStore(o, user.error());
  if (!user->has_value()) return Fail(o, kExitFailure, "no such user " + *a);
  auto bindings = s.LoadBindingsOf(*a);
  if (!bindings.ok()) return FailStore(o, bindings.error());
  size_t live = 0;
  for (const auto& b : *bindings) live += b.expires_at > now ? 1 : 0;
  o.out << *a << ((*user)->enabled ? "" : " (disabled)") << ": " << live << " registration(s)\n";
  for (const auto& b : *bindings) {
    if (b.expires_at <= now) continue;  // gone; the server deletes it
    o.out << Printable(b.contact_uri) << "\texpires in " << b.expires_at - now << " s";
    if (b.q >= 0) o.out << "\tq " << b.q;
    o.out << "\tfrom " << Printable(b.source);
    if (!b.instance.empty()) o.out << "\tinstance " << Printable(b.instance);
    if (!b.reg_id.empty()) o.out << "\treg-id " << Printable(b.reg_id);
    if (registrar::GruuInstance(b.instance)) o.out << "\tgruu " << registrar::PublicGruu(b.aor, b.instance);
    if (!b.path.empty()) o.out << "\tpath " << Printable(b.path);
    if (!b.user_agent.empty()) o.out << "\tua \"" << Printable(b.user_agent) << "\"";
    o.out << "\n";
  }
  return kExitOk;
}

int UserUnregister(store::Store& s, const std::string& aor, const std::string& contact, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto user = s.GetUser(*a);
  if (!user.ok()) return FailStore(o, user.error());
  if (!user->has_value()) return Fail(o, kExitFailure, "no such user " + *a);
  auto n = s.EvictBindings(*a, contact);
  if (!n.ok()) return FailStore(o, n.error());
  if (*n == 0) {
    return Fail(o, kExitFailure,
                contact.empty() ? *a + " has no registration" : *a + " has no registration of " + Printable(contact));
  }
  o.out << "removed " << *n << " registration(s) of " << *a << "\n";
  return kExitOk;
}

int UserImport(store::Store& s, const std::string& path, bool skip_bad, Output o) {
  auto t0 = std::chrono::steady_clock::now();
  std::string text;
  if (!ReadAll(path, &text)) return Fail(o, kExitFailure, "cannot read " + path);
  CsvUsers parsed = ParseUserCsv(text);
  for (size_t i = 0; i < parsed.bad.size() && i < kMaxBadLinesShown; ++i) {
    o.err << path << ":" << parsed.bad[i].line << ": " << parsed.bad[i].reason << "\n";
  }
  if (parsed.bad.size() > kMaxBadLinesShown) {
    o.err << path << ": … and " << parsed.bad.size() - kMaxBadLinesShown << " more bad lines\n";
  }
  if (!parsed.bad.empty() && !skip_bad) {
    return Fail(o, kExitFailure,
                std::to_string(parsed.bad.size()) + " bad line(s) in " + path +
                    ": nothing imported (fix them, or use --skip-bad to import the rest)");
  }
  std::vector<store::UserRecord> users;
  users.reserve(parsed.users.size());
  std::set<std::string> domains;
  for (const CsvUser& u : parsed.users) {
    users.push_back(MakeUser(u.aor, u.password));
    domains.insert(users.back().domain);
  }
  auto n = s.ImportUsers(users);
  if (!n.ok()) return FailStore(o, n.error());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  char timing[32];
  std::snprintf(timing, sizeof(timing), "%.2f", secs);
  o.out << "imported " << *n << " user(s) in " << domains.size() << " domain(s) from " << path << " in " << timing
        << " s\n";
  if (!parsed.bad.empty()) {
    return Fail(o, kExitFailure, std::to_string(parsed.bad.size()) + " bad line(s) skipped");
  }
  return kExitOk;
}

int DomainAdd(store::Store& s, const std::string& domain, Output o) {
  auto d = store::NormalizeDomain(domain);
  if (!d.ok()) return Fail(o, kExitUsage, d.error().message);
  auto all = s.ListDomains();
  if (!all.ok()) return FailStore(o, all.error());
  if (std::find(all->begin(), all->end(), *d) != all->end()) {
    o.out << "domain " << *d << " already exists\n";
    return kExitOk;
  }
  if (auto r = s.AddDomain(*d); !r.ok()) return FailStore(o, r.error());
  o.out << "added domain " << *d << "\n";
  return kExitOk;
}

int DomainDel(store::Store& s, const std::string& domain, Output o) {
  auto d = store::NormalizeDomain(domain);
  if (!d.ok()) return Fail(o, kExitUsage, d.error().message);
  if (auto r = s.RemoveDomain(*d); !r.ok()) return FailStore(o, r.error());
  o.out << "deleted domain " << *d << "\n";
  return kExitOk;
}

int DomainList(store::Store& s, Output o) {
  auto all = s.ListDomains();
  if (!all.ok()) return FailStore(o, all.error());
  for (const auto& d : *all) o.out << d << "\n";
  return kExitOk;
}

int PolicyMode(store::Store& s, const std::string& aor, const std::string& mode, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto m = store::ParseBlockMode(mode);
  if (!m.ok()) return Fail(o, kExitUsage, m.error().message);
  if (auto r = s.SetPolicyMode(*a, *m); !r.ok()) return FailStore(o, r.error());
  o.out << *a << ": blocked senders are " << (*m == store::BlockMode::kReject ? "rejected (403)" : "discarded (200)")
        << "\n";
  return kExitOk;
}

int PolicySet(store::Store& s, const std::string& aor, const std::string& pattern, store::PolicyAction action,
              Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto p = store::NormalizePattern(pattern);
  if (!p.ok()) return Fail(o, kExitUsage, p.error().message);
  if (auto r = s.SetPolicyEntry(*a, {*p, action}); !r.ok()) return FailStore(o, r.error());
  o.out << *a << ": " << store::PolicyActionName(action) << " " << *p << "\n";
  return kExitOk;
}

int PolicyRemove(store::Store& s, const std::string& aor, const std::string& pattern, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto p = store::NormalizePattern(pattern);
  if (!p.ok()) return Fail(o, kExitUsage, p.error().message);
  auto r = s.RemovePolicyEntry(*a, *p);
  if (!r.ok()) return FailStore(o, r.error());
  if (!*r) return Fail(o, kExitFailure, *a + " has no policy entry for " + *p);
  o.out << *a << ": removed " << *p << "\n";
  return kExitOk;
}

int PolicyShow(store::Store& s, const std::string& aor, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto user = s.GetUser(*a);
  if (!user.ok()) return FailStore(o, user.error());
  if (!user->has_value()) return Fail(o, kExitFailure, "no such user " + *a);
  auto p = s.GetPolicy(*a);
  if (!p.ok()) return FailStore(o, p.error());
  o.out << "mode " << store::BlockModeName(p->mode) << "\n";
  for (const auto& e : p->entries) o.out << store::PolicyActionName(e.action) << " " << e.pattern << "\n";
  return kExitOk;
}

constexpr int64_t kMsPerDay = 86400 * 1000LL;

int TokenCreate(store::Store& s, const std::string& aor, const std::string& label, int64_t expires_days,
                int64_t now_ms, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  if (expires_days < 0 || expires_days > kMaxTokenDays) {
    return Fail(o, kExitUsage, "--expires: 0 (never) to " + std::to_string(kMaxTokenDays) + " days");
  }
  int64_t expires_at = expires_days == 0 ? 0 : now_ms + expires_days * kMsPerDay;
  auto t = s.CreateToken(*a, label, expires_at, now_ms);
  if (!t.ok()) return FailStore(o, t.error());
  o.out << t->secret << "\n";
  o.out << "token " << t->info.id << " for " << *a << (label.empty() ? "" : ", label " + Printable(label))
        << ", expires " << (expires_at == 0 ? std::string("never") : FormatUtc(expires_at))
        << " (shown once: only its hash is stored)\n";
  return kExitOk;
}

int TokenList(store::Store& s, const std::string& aor, int64_t now_ms, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto user = s.GetUser(*a);
  if (!user.ok()) return FailStore(o, user.error());
  if (!user->has_value()) return Fail(o, kExitFailure, "no such user " + *a);
  auto tokens = s.ListTokens(*a);
  if (!tokens.ok()) return FailStore(o, tokens.error());
  for (const auto& t : *tokens) {
    std::string expiry = t.expires_at_ms == 0            ? "never"
                         : t.expires_at_ms <= now_ms ? "expired " + FormatUtc(t.expires_at_ms)
                                                     : FormatUtc(t.expires_at_ms);
    o.out << t.id << "\t" << (t.label.empty() ? "-" : Printable(t.label)) << "\tcreated " << FormatUtc(t.created_at_ms)
          << "\texpires " << expiry << "\n";
  }
  return kExitOk;
}

int TokenRevoke(store::Store& s, const std::string& aor, const std::string& id, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto n = ParseUint(id, static_cast<uint64_t>(INT64_MAX));
  if (!n) return Fail(o, kExitUsage, "token id must be a number (see token list)");
  auto r = s.RevokeToken(*a, static_cast<int64_t>(*n));
  if (!r.ok()) return FailStore(o, r.error());
  if (!*r) return Fail(o, kExitFailure, *a + " has no token " + id);
  o.out << "revoked token " << id << " of " << *a << "\n";
  return kExitOk;
}

int HistorySet(store::Store& s, const std::string& aor, bool enabled, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  if (auto r = s.SetHistoryEnabled(*a, enabled); !r.ok()) return FailStore(o, r.error());
  o.out << *a << ": message history " << (enabled ? "on" : "off") << "\n";
  return kExitOk;
}

int MessagesList(store::Store& s, const std::string& aor, size_t shown, Output o) {
  auto a = store::NormalizeAor(aor);
  if (!a.ok()) return Fail(o, kExitUsage, a.error().message);
  auto user = s.GetUser(*a);
  if (!user.ok()) return FailStore(o, user.error());
  if (!user->has_value()) return Fail(o, kExitFailure, "no such user " + *a);
  auto usage = s.CountPending(*a);
  if (!usage.ok()) return FailStore(o, usage.error());
  o.out << *a << ": " << usage->count << " pending message(s), " << usage->bytes << " bytes\n";
  auto first = s.PendingMessages(*a, 0, shown);
  if (!first.ok()) return FailStore(o, first.error());
  for (const auto& m : *first) {
    o.out << m.id << "\t" << FormatUtc(m.received_at_ms) << "\tfrom " << Printable(m.sender) << "\t"
          << Printable(m.content_type) << "\t" << m.body.size() << " bytes\tattempts " << m.attempts << "\n";
  }
  if (usage->count > static_cast<int64_t>(first->size())) {
    o.out << "… and " << usage->count - static_cast<int64_t>(first->size()) << " more\n";
  }
  return kExitOk;
}

}  // namespace parley::ctl
