#pragma once
// The parley subcommands. Each returns the process exit status.

#include <string>
#include <vector>

#include "tools/parley/options.h"
#include "tools/parley/printer.h"

namespace parley::cli {

struct LoginArgs {
  std::string status;  // publish this on login ("" = nothing)
  std::string note;
  std::vector<std::string> watch;  // also watch these presentities
  bool winfo = false;              // also watch our watchers
  double duration_s = 0;           // stay this long (0 = until interrupted)
};
int CmdLogin(const Settings& s, Printer& p, const LoginArgs& a);

struct SendArgs {
  std::string to;
  std::string text;
  bool cpim = false;
  bool imdn = false;  // ask for a delivery notification and wait for it
};
int CmdSend(const Settings& s, Printer& p, const SendArgs& a);

struct StatusArgs {
  std::string status;
  std::string note;
  uint32_t expires = 3600;
  bool permanent = false;  // the hard state over XCAP (RFC 4827), not a PUBLISH
};
int CmdStatus(const Settings& s, Printer& p, const StatusArgs& a);

struct WatchArgs {
  std::vector<std::string> targets;
  bool once = false;       // exit after the first state of every target
  double duration_s = 0;   // 0 = until interrupted
  std::string package = "presence";  // presence | reg
};
int CmdWatch(const Settings& s, Printer& p, const WatchArgs& a);

struct WatchersArgs {
  bool follow = false;
  bool all = false;  // list every watcher, not only pending ones
  std::string package = "presence";  // whose watchers: presence | dialog
};
int CmdWatchers(const Settings& s, Printer& p, const WatchersArgs& a);

// allow | block | polite-block
int CmdRule(const Settings& s, Printer& p, const std::string& action, const std::string& aor);

struct InboxArgs {
  double wait_s = 3;  // SIP mode: how long to collect messages the server delivers on registration
  bool keep = false;  // API mode: do not delete fetched messages
};
int CmdInbox(const Settings& s, Printer& p, const InboxArgs& a);

struct HistoryArgs {
  std::string with;
  size_t limit = 50;
};
int CmdHistory(const Settings& s, Printer& p, const HistoryArgs& a);

int CmdChat(const Settings& s, Printer& p, const std::string& peer);

}  // namespace parley::cli
