// parleyctl: administers Parley's store directly (users, domains, reception
// policies, API tokens, history settings; shows queued messages). A running
// server notices the edits through the change feed.

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include "common/log.h"
#include "common/strings.h"
#include "common/timer.h"
#include "store/names.h"
#include "store/store.h"
#include "tools/parleyctl/commands.h"

namespace {

using parley::ctl::kExitFailure;
using parley::ctl::kExitUsage;

constexpr const char* kDefaultDataDir = "parley-data";

int Usage(const std::string& message) {
  std::cerr << "parleyctl: " << message << " (see --help)\n";
  return kExitUsage;
}

// --password, else --password-stdin (first line), else $PARLEY_PASSWORD.
bool GetPassword(const std::string& flag_value, bool from_flag, bool from_stdin, std::string* password,
                 std::string* why) {
  if (from_flag) {
    *password = flag_value;
  } else if (from_stdin) {
    if (!std::getline(std::cin, *password)) {
      *why = "--password-stdin: no password on stdin";
      return false;
    }
    if (!password->empty() && password->back() == '\r') password->pop_back();
  } else if (const char* env = std::getenv("PARLEY_PASSWORD"); env != nullptr) {
    *password = env;
  } else {
    *why = "no password: give --password, --password-stdin or PARLEY_PASSWORD";
    return false;
  }
  if (password->empty()) {
    *why = "empty password";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  parley::log::Init("warn", "text");
  namespace ctl = parley::ctl;
  namespace store = parley::store;

  CLI::App app{"parleyctl: manage the users, domains, reception policies, API tokens and message history in "
               "Parley's store"};
  app.require_subcommand(1);
  std::string data_dir, store_url;
  auto* dd = app.add_option("--data-dir", data_dir, "the server's data directory (default parley-data)");
  auto* su = app.add_option("--store", store_url, "store URL: sqlite:PATH or postgresql://...");
  dd->excludes(su);

  std::string aor, domain, password, pattern, mode, file;
  bool password_stdin = false, skip_bad = false;

  auto* user = app.add_subcommand("user", "users (AORs with digest credentials)");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "add a user, or replace its password (creates the domain)");
  user_add->add_option("aor", aor, "user@domain")->required();
  auto* pw = user_add->add_option("--password", password, "the password (visible in ps: prefer the others)");
  auto* pws = user_add->add_flag("--password-stdin", password_stdin, "read the password from stdin's first line");
  pw->excludes(pws);
  auto* user_del = user->add_subcommand("del", "delete a user, its policy and its registrations");
  user_del->add_option("aor", aor, "user@domain")->required();
  auto* user_list = user->add_subcommand("list", "list users");
  user_list->add_option("--domain", domain, "only this domain");
  auto* user_show = user->add_subcommand("show", "a user's registrations: contact, expiry, source, device (GRUU)");
  user_show->add_option("aor", aor, "user@domain")->required();
  std::string contact;
  auto* user_unreg =
      user->add_subcommand("unregister", "remove a user's registrations now (all, or one contact as 'user show' prints it)");
  user_unreg->add_option("aor", aor, "user@domain")->required();
  user_unreg->add_option("contact", contact, "the contact URI (default: every registration)");
  auto* user_import = user->add_subcommand("import", "add or update users from a CSV file of aor,password lines");
  user_import->add_option("file", file, "the CSV file (- for stdin)")->required();
  user_import->add_flag("--skip-bad", skip_bad, "import the good lines even if some are bad");

  auto* dom = app.add_subcommand("domain", "domains served");
  dom->require_subcommand(1);
  auto* dom_add = dom->add_subcommand("add", "add a domain");
  dom_add->add_option("domain", domain, "the domain")->required();
  auto* dom_del = dom->add_subcommand("del", "delete a domain without users");
  dom_del->add_option("domain", domain, "the domain")->required();
  auto* dom_list = dom->add_subcommand("list", "list domains");

  auto* pol = app.add_subcommand("policy", "per-user reception policy");
  pol->require_subcommand(1);
  auto* pol_mode = pol->add_subcommand("mode", "what blocked senders get: reject (403) or discard (200)");
  pol_mode->add_option("aor", aor, "user@domain")->required();
  pol_mode->add_option("mode", mode, "reject or discard")->required();
  auto* pol_allow = pol->add_subcommand("allow", "allow a sender (AOR or domain)");
  auto* pol_block = pol->add_subcommand("block", "block a sender (AOR or domain)");
  auto* pol_remove = pol->add_subcommand("remove", "remove a sender's entry");
  for (auto* sub : {pol_allow, pol_block, pol_remove}) {
    sub->add_option("aor", aor, "user@domain")->required();
    sub->add_option("pattern", pattern, "user@domain or domain")->required();
  }
  auto* pol_show = pol->add_subcommand("show", "show a user's policy");
  pol_show->add_option("aor", aor, "user@domain")->required();

  std::string watcher, handling, on_off;
  auto* pres = app.add_subcommand("presence", "who may watch a user's presence (pres-rules), invisibility");
  pres->require_subcommand(1);
  auto* rule = pres->add_subcommand("rule", "a user's rule for one watcher");
  rule->require_subcommand(1);
  auto* rule_set = rule->add_subcommand("set", "allow, confirm, block or polite-block a watcher");
  rule_set->add_option("aor", aor, "the watched user@domain")->required();
  rule_set->add_option("watcher", watcher, "the watcher (user@domain or URI)")->required();
  rule_set->add_option("rule", handling, "allow, confirm, block or polite-block")->required();
  auto* rule_remove = rule->add_subcommand("remove", "remove the rule for a watcher");
  rule_remove->add_option("aor", aor, "the watched user@domain")->required();
  rule_remove->add_option("watcher", watcher, "the watcher")->required();
  auto* rule_list = rule->add_subcommand("list", "list a user's rules");
  rule_list->add_option("aor", aor, "user@domain")->required();
  auto* pres_default = pres->add_subcommand("default", "the rule for watchers no rule names, per domain");
  pres_default->add_option("domain", domain, "the domain")->required();
  pres_default->add_option("rule", handling, "allow, confirm, block, polite-block, or server")->required();
  auto* pres_show = pres->add_subcommand(
      "show", "what is stored of a user's presence: publications, subscriptions to it and its own, hard state");
  pres_show->add_option("aor", aor, "user@domain")->required();
  auto* pres_invisible = pres->add_subcommand("invisible", "look offline to every watcher, or not");
  pres_invisible->add_option("aor", aor, "user@domain")->required();
  pres_invisible->add_option("state", on_off, "on or off")->required()->check(CLI::IsMember({"on", "off"}));

  std::string label, token_id;
  int64_t expires_days = 0;
  auto* tok = app.add_subcommand("token", "API tokens (bearer tokens for the HTTP API)");
  tok->require_subcommand(1);
  auto* tok_create = tok->add_subcommand("create", "create a token and print it (once: only its hash is kept)");
  tok_create->add_option("aor", aor, "user@domain")->required();
  tok_create->add_option("--label", label, "what the token is for");
  tok_create->add_option("--expires", expires_days, "days until it expires (default 0: never)");
  auto* tok_list = tok->add_subcommand("list", "list a user's tokens (never the tokens themselves)");
  tok_list->add_option("aor", aor, "user@domain")->required();
  auto* tok_revoke = tok->add_subcommand("revoke", "revoke a token");
  tok_revoke->add_option("aor", aor, "user@domain")->required();
  tok_revoke->add_option("id", token_id, "the token's id (token list)")->required();

  auto* hist = app.add_subcommand("history", "per-user message history (off by default)");
  hist->require_subcommand(1);
  auto* hist_on = hist->add_subcommand("enable", "keep the user's messages in the history");
  auto* hist_off = hist->add_subcommand("disable", "stop keeping them (what is kept stays until it expires)");
  for (auto* sub : {hist_on, hist_off}) sub->add_option("aor", aor, "user@domain")->required();

  auto* msgs = app.add_subcommand("messages", "messages waiting for offline users");
  msgs->require_subcommand(1);
  auto* msgs_list = msgs->add_subcommand("list", "pending count and the first few messages");
  msgs_list->add_option("aor", aor, "user@domain")->required();

  std::string ack = "single", posting = "members";
  std::vector<std::string> members;
  auto* grp = app.add_subcommand("group", "groups: a MESSAGE to a group's URI goes to its members");
  grp->require_subcommand(1);
  auto* grp_create = grp->add_subcommand("create", "create a group, or change its settings");
  grp_create->add_option("aor", aor, "the group's name@domain")->required();
  grp_create->add_option("--ack", ack, "single (one 202) or per-recipient (and an IMDN per member)")
      ->check(CLI::IsMember({"single", "per-recipient"}));
  grp_create->add_option("--posting", posting, "who may send: members, or any of our users")
      ->check(CLI::IsMember({"members", "users"}));
  auto* grp_delete = grp->add_subcommand("delete", "delete a group");
  auto* grp_show = grp->add_subcommand("show", "a group's settings and members");
  for (auto* sub : {grp_delete, grp_show}) sub->add_option("aor", aor, "the group's name@domain")->required();
  auto* grp_add = grp->add_subcommand("add", "add users or groups to a group");
  auto* grp_remove = grp->add_subcommand("remove", "remove members from a group");
  for (auto* sub : {grp_add, grp_remove}) {
    sub->add_option("aor", aor, "the group's name@domain")->required();
    sub->add_option("members", members, "user@domain or group@domain …")->required();
  }
  auto* grp_list = grp->add_subcommand("list", "every group");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    return Usage(e.what());
  }

  // Malformed arguments are usage errors, found before the store is touched.
  if (!aor.empty()) {
    if (auto a = store::NormalizeAor(aor); !a.ok()) return Usage(a.error().message);
  }
  if (!domain.empty()) {
    if (auto d = store::NormalizeDomain(domain); !d.ok()) return Usage(d.error().message);
  }
  if (!pattern.empty()) {
    if (auto p = store::NormalizePattern(pattern); !p.ok()) return Usage(p.error().message);
  }
  if (!mode.empty()) {
    if (auto m = store::ParseBlockMode(mode); !m.ok()) return Usage(m.error().message);
  }

  if (tok_create->parsed() && (expires_days < 0 || expires_days > ctl::kMaxTokenDays)) {
    return Usage("--expires: 0 (never) to " + std::to_string(ctl::kMaxTokenDays) + " days");
  }
  if (tok_revoke->parsed() && !parley::ParseUint(token_id, INT64_MAX)) {
    return Usage("token id must be a number (see token list)");
  }

  std::string secret;
  if (user_add->parsed()) {
    std::string why;
    if (!GetPassword(password, pw->count() > 0, password_stdin, &secret, &why)) return Usage(why);
  }

  const bool read_only = user_list->parsed() || user_show->parsed() || dom_list->parsed() || pol_show->parsed() || tok_list->parsed() ||
                         msgs_list->parsed() || rule_list->parsed() || pres_show->parsed() || grp_list->parsed() || grp_show->parsed();
  if (store_url.empty()) {
    if (data_dir.empty()) data_dir = kDefaultDataDir;
    std::string db = data_dir + "/parley.db";
    struct stat st {};
    if (read_only && ::stat(db.c_str(), &st) != 0) {
      std::cerr << "parleyctl: no store in " << data_dir << " (nothing added yet, or wrong --data-dir)\n";
      return kExitFailure;
    }
    store_url = store::DefaultStoreUrl(data_dir);
  }
  auto opened = store::OpenStore({store_url, /*durable=*/true});
  if (!opened.ok()) {
    std::cerr << "parleyctl: " << opened.error().message << "\n";
    return kExitFailure;
  }
  store::Store& s = **opened;
  if (auto m = s.Migrate(); !m.ok()) {
    std::cerr << "parleyctl: " << m.error().message << "\n";
    return kExitFailure;
  }

  ctl::Output o{std::cout, std::cerr};
  if (user_add->parsed()) return ctl::UserAdd(s, aor, secret, o);
  if (user_del->parsed()) return ctl::UserDel(s, aor, o);
  if (user_list->parsed()) return ctl::UserList(s, domain, o);
  if (user_show->parsed()) return ctl::UserShow(s, aor, parley::UnixNow(), o);
  if (user_unreg->parsed()) return ctl::UserUnregister(s, aor, contact, o);
  if (user_import->parsed()) return ctl::UserImport(s, file, skip_bad, o);
  if (dom_add->parsed()) return ctl::DomainAdd(s, domain, o);
  if (dom_del->parsed()) return ctl::DomainDel(s, domain, o);
  if (dom_list->parsed()) return ctl::DomainList(s, o);
  if (pol_mode->parsed()) return ctl::PolicyMode(s, aor, mode, o);
  if (pol_allow->parsed()) return ctl::PolicySet(s, aor, pattern, store::PolicyAction::kAllow, o);
  if (pol_block->parsed()) return ctl::PolicySet(s, aor, pattern, store::PolicyAction::kBlock, o);
  if (pol_remove->parsed()) return ctl::PolicyRemove(s, aor, pattern, o);
  if (pol_show->parsed()) return ctl::PolicyShow(s, aor, o);
  if (rule_set->parsed()) return ctl::PresenceRuleSet(s, aor, watcher, handling, o);
  if (rule_remove->parsed()) return ctl::PresenceRuleRemove(s, aor, watcher, o);
  if (rule_list->parsed()) return ctl::PresenceRuleList(s, aor, o);
  if (pres_default->parsed()) return ctl::PresenceDefault(s, domain, handling, o);
  if (pres_invisible->parsed()) return ctl::PresenceInvisible(s, aor, on_off == "on", o);
  if (pres_show->parsed()) return ctl::PresenceShow(s, aor, parley::UnixNow(), o);

  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  if (tok_create->parsed()) return ctl::TokenCreate(s, aor, label, expires_days, now_ms, o);
  if (tok_list->parsed()) return ctl::TokenList(s, aor, now_ms, o);
  if (tok_revoke->parsed()) return ctl::TokenRevoke(s, aor, token_id, o);
  if (hist_on->parsed()) return ctl::HistorySet(s, aor, true, o);
  if (hist_off->parsed()) return ctl::HistorySet(s, aor, false, o);
  if (msgs_list->parsed()) return ctl::MessagesList(s, aor, 10, o);
  if (grp_create->parsed()) return ctl::GroupCreate(s, aor, ack, posting, o);
  if (grp_delete->parsed()) return ctl::GroupDelete(s, aor, o);
  if (grp_add->parsed()) return ctl::GroupMembers(s, aor, members, true, o);
  if (grp_remove->parsed()) return ctl::GroupMembers(s, aor, members, false, o);
  if (grp_list->parsed()) return ctl::GroupList(s, o);
  if (grp_show->parsed()) return ctl::GroupShow(s, aor, o);
  return Usage("no command");
}
