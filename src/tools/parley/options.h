#pragma once
// The account and settings of a parley run: flags first, then the
// environment (PARLEY_USER, PARLEY_PASSWORD, PARLEY_PROXY, PARLEY_API,
// PARLEY_TOKEN), then ~/.config/parley/config.toml (or PARLEY_CONFIG).

#include <chrono>
#include <optional>
#include <string>

#include "common/result.h"
#include "ua/user_agent.h"

namespace parley::cli {

// What the flags say (empty = not given).
struct Flags {
  std::string user, password, proxy, display_name, config_path;
  std::string ca_file;
  bool insecure = false;
  std::string api, token;
  bool json = false;
  bool trace = false;
  double timeout_s = 10;
  uint32_t expires = 0;
  uint32_t keepalive_s = 0;
  std::string history_file;
};

struct Settings {
  ua::UaOptions ua;
  bool json = false;
  std::chrono::milliseconds timeout{10000};
  std::string api;    // base URL of the server's HTTP API ("http://host:8080"), may be empty
  std::string token;  // bearer token for it
  std::string xcap_root;
  std::string history_file;  // local JSON-lines log of messages; "" = off
  std::string config_path;   // the file read, if any
  std::string state_file;    // publication ETags kept between runs
};

// Errors are one line for the user (exit status 2).
Result<Settings> ResolveSettings(const Flags& flags);

// ~/.config/parley (XDG_CONFIG_HOME honoured).
std::string ConfigDir();
// A stable "urn:uuid:…" for this installation (kept in the config dir;
// a fresh one per run when that is not writable).
std::string InstanceId();

}  // namespace parley::cli
