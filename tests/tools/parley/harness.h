#pragma once
// Runs real processes for the parley end-to-end tests: a private network
// namespace per test (nothing leaves the machine, fixed ports never clash),
// child processes with their output in files, bounded waits, and cleanup by
// PID.

#include <fcntl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace parley::cli::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string ParleyBinary() { return std::string(PARLEY_BINARY_DIR) + "/src/tools/parley/parley"; }
inline std::string ParleydBinary() { return std::string(PARLEY_BINARY_DIR) + "/src/server/parleyd"; }
inline std::string TestDataDir() { return std::string(PARLEY_SOURCE_DIR) + "/tests/tools/parley"; }

// Moves this process into a new network namespace with loopback up. False
// (with `why`) when that is not allowed (not root): tests then skip.
inline bool EnterPrivateNetwork(std::string* why) {
  if (::unshare(CLONE_NEWNET) != 0) {
    *why = std::string("cannot create a network namespace (needs root): ") + std::strerror(errno);
    return false;
  }
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  bool ok = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) *why = "cannot bring up loopback in the namespace";
  return ok;
}

// True when something accepts TCP connections on 127.0.0.1:`port`.
inline bool TcpListening(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

inline bool Which(const std::string& tool) {
  return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0;
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child process whose stdout and stderr go to files.
class Proc {
 public:
  Proc() = default;
  Proc(const Proc&) = delete;
  Proc& operator=(const Proc&) = delete;
  ~Proc() { Kill(); }

  // `env` entries are "NAME=value", added to the current environment.
  bool Start(const std::vector<std::string>& argv, const fs::path& out_prefix,
             const std::vector<std::string>& env = {}) {
    out_ = out_prefix.string() + ".out";
    err_ = out_prefix.string() + ".err";
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::setpgid(0, 0);
      int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int n = ::open("/dev/null", O_RDONLY);
      ::dup2(n, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      for (const auto& kv : env) ::putenv(const_cast<char*>(kv.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return true;
  }

  // Waits for the exit status; -1 on timeout (the process keeps running).
  int Wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return status_;
    auto end = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int st = 0;
      pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
      }
      if (std::chrono::steady_clock::now() >= end) return -1;
      std::this_thread::sleep_for(20ms);
    }
  }
  void Signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // SIGTERM, then SIGKILL after a second; reaps.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (Wait(1000ms) == -1) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      Wait(2000ms);
    }
  }
  bool running() const { return pid_ > 0; }

  std::string out() const { return ReadFile(out_); }
  std::string err() const { return ReadFile(err_); }
  // Waits until stdout contains `text`.
  bool WaitForOutput(const std::string& text, std::chrono::milliseconds timeout) const {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (out().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string out_, err_;
};

struct RunResult {
  int status = -1;
  std::string out, err;
};

// Stops a daemon we started (not our child: it wrote its pid to a file) by
// its pid: SIGTERM, up to 5 s for it to go, then SIGKILL. Its files are
// only removed after it is gone (it deletes its pid file as it exits).
inline void StopDaemon(const fs::path& pid_file) {
  std::string text = ReadFile(pid_file);
  pid_t pid = text.empty() ? 0 : static_cast<pid_t>(std::atoi(text.c_str()));
  if (pid <= 0 || ::kill(pid, SIGTERM) != 0) return;
  // Gone, or a zombie nobody reaps yet (a daemon is not our child).
  auto alive = [pid] {
    std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');
    return !stat.empty() && paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
  };
  for (int i = 0; i < 100 && alive(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (alive()) ::kill(pid, SIGKILL);
}

// Removes a test's directory; a file its processes remove at the same time
// is not an error.
inline void RemoveTree(const fs::path& dir) {
  std::error_code ec;
  for (int i = 0; i < 3 && fs::exists(dir, ec); ++i) fs::remove_all(dir, ec);
}

// A fresh temporary directory, removed by its owner.
inline fs::path TempDir(const std::string& prefix) {
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  char* d = ::mkdtemp(tmpl.data());
  return d ? fs::path(d) : fs::path();
}

// Drives the parley binary as one account would: HOME in `dir` keeps its
// config, state and history apart from the others.
class ParleyUser {
 public:
  ParleyUser(fs::path dir, std::string user, std::string password, std::string proxy)
      : dir_(std::move(dir)), user_(std::move(user)), password_(std::move(password)), proxy_(std::move(proxy)) {
    fs::create_directories(dir_ / "home");
  }

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {ParleyBinary(), "--user", user_, "--proxy", proxy_, "--timeout", timeout_};
    if (!password_.empty()) a.insert(a.end(), {"--password", password_});
    a.insert(a.end(), extra_.begin(), extra_.end());
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }
  std::vector<std::string> Env() const { return {"HOME=" + (dir_ / "home").string()}; }

  RunResult Run(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 20000ms) {
    Proc p;
    fs::path prefix = dir_ / ("run" + std::to_string(++runs_));
    p.Start(Argv(args), prefix, Env());
    RunResult r;
    r.status = p.Wait(timeout);
    if (r.status == -1) p.Kill();
    r.out = p.out();
    r.err = p.err();
    return r;
  }
  // Starts a long-running command (login, watch).
  void Spawn(Proc& p, const std::vector<std::string>& args) {
    p.Start(Argv(args), dir_ / ("bg" + std::to_string(++runs_)), Env());
  }
  void SetTimeout(std::string seconds) { timeout_ = std::move(seconds); }
  void AddFlags(std::vector<std::string> flags) { extra_.insert(extra_.end(), flags.begin(), flags.end()); }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
  std::string user_, password_, proxy_;
  std::vector<std::string> extra_;
  std::string timeout_ = "5";
  int runs_ = 0;
};

}  // namespace parley::cli::testing
