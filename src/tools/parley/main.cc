// parley — the Parley command-line client. See `parley --help` and the
// README section "Try it".

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "tools/parley/client.h"
#include "tools/parley/commands.h"
#include "tools/parley/server_api.h"
#include "tools/parley/exit_codes.h"

using namespace parley::cli;

namespace {

constexpr const char* kExitHelp =
    "Exit status: 0 done/delivered, 1 refused (SIP code printed) or nothing in time, 2 usage/config,\n"
    "3 stored for later delivery, 4 wrong user name or password, 5 server unreachable,\n"
    "6 TLS certificate not trusted, 7 user unknown.";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"parley — a SIP/SIMPLE presence and instant messaging client"};
  app.footer(kExitHelp);
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand too
  Flags f;
  app.add_option("-u,--user", f.user, "account AOR, e.g. alice@example.com (env PARLEY_USER)");
  app.add_option("-p,--password", f.password, "password (env PARLEY_PASSWORD)");
  app.add_option("--proxy", f.proxy, "server: host[:port][;transport=udp|tcp|tls] (env PARLEY_PROXY)");
  app.add_option("--display-name", f.display_name, "display name in From");
  app.add_option("--config", f.config_path, "config file (default ~/.config/parley/config.toml)");
  app.add_option("--ca-file", f.ca_file, "trust these CA certificates (PEM) for TLS");
  app.add_flag("--insecure", f.insecure, "do not verify the server's TLS certificate");
  app.add_option("--api", f.api, "server HTTP API base URL, e.g. http://host:8080 (env PARLEY_API)");
  app.add_option("--token", f.token, "bearer token for the HTTP API (env PARLEY_TOKEN)");
  app.add_flag("--json", f.json, "one JSON object per line");
  app.add_flag("--trace", f.trace, "print every SIP message sent and received to stderr (env PARLEY_TRACE)");
  app.add_option("--timeout", f.timeout_s, "seconds to wait for an answer (default 10)");
  app.add_option("--expires", f.expires, "registration lifetime in seconds (default 600)");
  app.add_option("--keepalive", f.keepalive_s, "CRLF keep-alive period in seconds (default: server's Flow-Timer)");
  app.add_option("--history-file", f.history_file, "local message log (\"off\" to disable)");

  LoginArgs login;
  auto* c_login = app.add_subcommand("login", "register and stay online, printing messages and notifications");
  c_login->add_option("--status", login.status, "publish this presence while online (open, away, busy …)");
  c_login->add_option("--note", login.note, "presence note");
  c_login->add_option("--watch", login.watch, "also watch these users' presence");
  c_login->add_flag("--winfo", login.winfo, "also print who watches us (presence.winfo)");
  c_login->add_option("--for", login.duration_s, "log out after this many seconds");

  SendArgs send;
  auto* c_send = app.add_subcommand("send", "send an instant message (text \"-\" reads stdin)");
  c_send->add_option("to", send.to, "recipient, e.g. bob@example.com, or one device by its GRUU: \"sip:bob@example.com;gr=urn:uuid:…\"")->required();
  c_send->add_option("text", send.text, "message text")->required();
  c_send->add_flag("--cpim", send.cpim, "wrap in message/cpim (RFC 3862)");
  c_send->add_flag("--imdn", send.imdn, "request a delivery notification and wait for it (RFC 5438)");

  StatusArgs status;
  auto* c_status = app.add_subcommand("status", "publish presence: open, closed, away, busy, dnd or an RPID activity");
  c_status->add_option("status", status.status, "open | closed | away | busy | dnd | <activity>")->required();
  c_status->add_option("--note", status.note, "a note shown to watchers");
  c_status->add_option("--publish-expires", status.expires, "lifetime of the publication in seconds (default 3600)");
  c_status->add_flag("--permanent", status.permanent,
                     "keep the activity and note on the server (XCAP hard state, shown whether or not a device is "
                     "online) instead of publishing; 'status clear --permanent' removes it");

  WatchArgs watch;
  auto* c_watch = app.add_subcommand("watch", "subscribe to presence and print changes");
  c_watch->add_option("targets", watch.targets, "users to watch (default: yourself)");
  c_watch->add_flag("--once", watch.once, "exit after the first state of every user");
  c_watch->add_option("--for", watch.duration_s, "stop after this many seconds");
  c_watch->add_option("--package", watch.package, "event package: presence (default), reg or dialog (RFC 4235: the user's calls)");

  WatchersArgs watchers;
  auto* c_watchers = app.add_subcommand("watchers", "list pending watchers (presence.winfo; dialog.winfo with --package dialog)");
  c_watchers->add_option("--package", watchers.package, "whose watchers: presence (default) or dialog (who watches your calls)");
  c_watchers->add_flag("--follow", watchers.follow, "keep printing changes");
  c_watchers->add_flag("--all", watchers.all, "list every watcher, not only pending ones");

  std::string rule_aor;
  auto* c_allow = app.add_subcommand("allow", "let a user see your presence");
  c_allow->add_option("aor", rule_aor, "watcher")->required();
  auto* c_block = app.add_subcommand("block", "refuse a user's subscriptions");
  c_block->add_option("aor", rule_aor, "watcher")->required();
  auto* c_polite = app.add_subcommand("polite-block", "show a user an offline presence instead of refusing");
  c_polite->add_option("aor", rule_aor, "watcher")->required();

  std::vector<std::string> policy_args;
  auto* c_policy = app.add_subcommand(
      "screen", "who may reach you (messages, calls, subscriptions): show | allow|block|remove SENDER | mode reject|discard");
  c_policy->add_option("args", policy_args, "show; allow/block/remove an AOR, a domain or *; mode reject|discard");

  std::vector<std::string> devices_args;
  auto* c_devices = app.add_subcommand(
      "devices", "where you are registered: list, or 'remove CONTACT' / 'remove all' to log a device out at once");
  c_devices->add_option("args", devices_args, "nothing to list; remove CONTACT|all");

  std::string invisible_state;
  auto* c_invisible = app.add_subcommand("invisible", "look offline to everyone while still watching (on|off)");
  c_invisible->add_option("state", invisible_state, "on or off (nothing: show)")->check(CLI::IsMember({"on", "off"}));

  InboxArgs inbox;
  auto* c_inbox = app.add_subcommand("inbox", "retrieve messages stored while you were offline");
  c_inbox->add_option("--wait", inbox.wait_s, "SIP mode: seconds to collect delivered messages (default 3)");
  c_inbox->add_flag("--keep", inbox.keep, "API mode: leave the messages on the server");

  HistoryArgs history;
  auto* c_history = app.add_subcommand("history", "show past messages");
  c_history->add_option("--with", history.with, "only with this user");
  c_history->add_option("--limit", history.limit, "at most this many (default 50)");

  std::string chat_peer;
  auto* c_chat = app.add_subcommand("chat", "interactive conversation (terminal UI)");
  c_chat->add_option("peer", chat_peer, "whom to talk to")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  auto settings = ResolveSettings(f);
  Printer printer(f.json);
  if (!settings.ok()) {
    printer.Fail("usage", settings.error().message);
    return kExitUsage;
  }
  InstallSignalHandlers();
  const Settings& s = *settings;
  if (*c_login) return CmdLogin(s, printer, login);
  if (*c_send) {
    if (send.text == "-") send.text.assign(std::istreambuf_iterator<char>(std::cin), {});
    return CmdSend(s, printer, send);
  }
  if (*c_status) return CmdStatus(s, printer, status);
  if (*c_watch) return CmdWatch(s, printer, watch);
  if (*c_watchers) return CmdWatchers(s, printer, watchers);
  if (*c_allow) return CmdRule(s, printer, "allow", rule_aor);
  if (*c_block) return CmdRule(s, printer, "block", rule_aor);
  if (*c_polite) return CmdRule(s, printer, "polite-block", rule_aor);
  if (*c_policy) return EditPolicy(s, printer, policy_args);
  if (*c_devices) return Devices(s, printer, devices_args);
  if (*c_invisible) {
    std::optional<bool> on;
    if (!invisible_state.empty()) on = invisible_state == "on";
    return SetInvisible(s, printer, on);
  }
  if (*c_inbox) return CmdInbox(s, printer, inbox);
  if (*c_history) return CmdHistory(s, printer, history);
  if (*c_chat) return CmdChat(s, printer, chat_peer);
  return kExitUsage;
}
