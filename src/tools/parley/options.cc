#include "tools/parley/options.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/digest.h"

namespace parley::cli {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string Home() {
  std::string h = Env("HOME");
  return h.empty() ? "/tmp" : h;
}

std::string DataDir() {
  std::string x = Env("XDG_DATA_HOME");
  return (x.empty() ? Home() + "/.local/share" : x) + "/parley";
}

// The first non-empty of flag, environment, config file.
std::string Pick(const std::string& flag, const char* env, const toml::table* file, const char* key) {
  if (!flag.empty()) return flag;
  if (env) {
    if (std::string e = Env(env); !e.empty()) return e;
  }
  if (file) {
    if (auto v = (*file)[key].value<std::string>()) return *v;
  }
  return {};
}

}  // namespace

std::string ConfigDir() {
  std::string x = Env("XDG_CONFIG_HOME");
  return (x.empty() ? Home() + "/.config" : x) + "/parley";
}

std::string InstanceId() {
  auto fresh = [] {
    std::string b = auth::RandomBytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string u = "urn:uuid:";
    for (size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) u += '-';
      u += kHex[static_cast<unsigned char>(b[i]) >> 4];
      u += kHex[static_cast<unsigned char>(b[i]) & 15];
    }
    return u;
  };
  fs::path file = fs::path(ConfigDir()) / "instance-id";
  std::ifstream in(file);
  std::string id;
  if (in && std::getline(in, id) && id.rfind("urn:uuid:", 0) == 0) return id;
  id = fresh();
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file);
  if (out) out << id << "\n";
  return id;
}

Result<Settings> ResolveSettings(const Flags& flags) {
  Settings s;
  s.json = flags.json;
  s.ua.trace = flags.trace || !Env("PARLEY_TRACE").empty();
  std::optional<toml::table> file;
  std::string path = !flags.config_path.empty() ? flags.config_path : Env("PARLEY_CONFIG");
  bool explicit_path = !path.empty();
  if (path.empty()) path = ConfigDir() + "/config.toml";
  std::error_code ec;
  if (fs::exists(path, ec)) {
    try {
      file = toml::parse_file(path);
      s.config_path = path;
    } catch (const toml::parse_error& e) {
      std::ostringstream where;
      where << e.source().begin;
      return Error(2, "config " + path + ": " + std::string(e.description()) + " at " + where.str());
    }
  } else if (explicit_path) {
    return Error(2, "config file " + path + " does not exist");
  }
  const toml::table* t = file ? &*file : nullptr;

  std::string user = Pick(flags.user, "PARLEY_USER", t, "user");
  if (user.empty()) {
    return Error(2, "no account: give --user alice@example.com (or PARLEY_USER, or user = \"…\" in " +
                        ConfigDir() + "/config.toml)");
  }
  auto aor = ua::ParseAor(user);
  if (!aor.ok()) return Error(2, aor.error().message);
  s.ua.account.aor = *aor;
  s.ua.account.password = Pick(flags.password, "PARLEY_PASSWORD", t, "password");
  s.ua.account.display_name = Pick(flags.display_name, "PARLEY_DISPLAY_NAME", t, "display_name");
  s.ua.account.auth_user = Pick("", "PARLEY_AUTH_USER", t, "auth_user");

  std::string proxy = Pick(flags.proxy, "PARLEY_PROXY", t, "proxy");
  if (!proxy.empty()) {
    auto p = ua::ParseProxySpec(proxy);
    if (!p.ok()) return Error(2, "--proxy: " + p.error().message);
    s.ua.proxy = *p;
  }
  std::string ca = Pick(flags.ca_file, "PARLEY_CA_FILE", t, "ca_file");
  bool insecure = flags.insecure || (t && (*t)["insecure"].value_or(false));
  if (insecure) {
    s.ua.tls_verify = transport::TlsVerify::kNone;
  } else if (!ca.empty()) {
    if (!fs::exists(ca, ec)) return Error(2, "CA file " + ca + " does not exist");
    s.ua.tls_verify = transport::TlsVerify::kCaFile;
    s.ua.tls_ca_file = ca;
  }
  s.api = Pick(flags.api, "PARLEY_API", t, "api");
  while (!s.api.empty() && s.api.back() == '/') s.api.pop_back();
  s.token = Pick(flags.token, "PARLEY_TOKEN", t, "token");
  s.xcap_root = Pick("", "PARLEY_XCAP_ROOT", t, "xcap_root");
  if (s.xcap_root.empty() && !s.api.empty()) s.xcap_root = s.api + "/xcap";

  uint32_t expires = flags.expires;
  if (expires == 0 && t) expires = static_cast<uint32_t>((*t)["expires"].value_or(int64_t{0}));
  if (expires) s.ua.registration.expires = expires;
  uint32_t keepalive = flags.keepalive_s;
  if (keepalive == 0 && t) keepalive = static_cast<uint32_t>((*t)["keepalive"].value_or(int64_t{0}));
  s.ua.registration.keepalive = std::chrono::seconds(keepalive);
  if (flags.timeout_s <= 0) return Error(2, "--timeout must be positive");
  s.timeout = std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_s * 1000));
  s.ua.instance_id = InstanceId();
  s.history_file = Pick(flags.history_file, "PARLEY_HISTORY", t, "history_file");
  if (s.history_file.empty()) s.history_file = DataDir() + "/history.jsonl";
  s.state_file = DataDir() + "/state.json";
  if (s.history_file == "off" || s.history_file == "none") s.history_file.clear();
  return s;
}

}  // namespace parley::cli
