#pragma once
// parleyctl end to end: the fixture that runs the built binary against a
// temporary data directory (one definition for the files of tools_test).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth/digest.h"
#include "store/store.h"

extern char** environ;

namespace parley::ctl {

struct CtlRun {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ParleyctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/parleyctl-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    data_dir_ = tmp_ + "/data";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(tmp_, ec);
  }

  // Runs parleyctl with `args`, `input` on stdin and `env` added to a copy
  // of our environment without PARLEY_PASSWORD.
  CtlRun Ctl(std::vector<std::string> args, const std::string& input = "", std::vector<std::string> env = {}) {
    std::string in = tmp_ + "/stdin", out = tmp_ + "/stdout", err = tmp_ + "/stderr";
    std::ofstream(in) << input;
    std::vector<std::string> argv_s{PARLEYCTL_PATH};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).starts_with("PARLEY_PASSWORD=")) continue;
      env_s.emplace_back(*e);
    }
    env_s.insert(env_s.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      int fi = open(in.c_str(), O_RDONLY);
      int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fi, 0);
      dup2(fo, 1);
      dup2(fe, 2);
      if (chdir(tmp_.c_str()) != 0) _exit(126);  // a default "parley-data" lands in tmp_
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CtlRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(out);
    r.err = Slurp(err);
    return r;
  }

  // Ctl with --data-dir.
  CtlRun Dd(std::vector<std::string> args, const std::string& input = "", std::vector<std::string> env = {}) {
    args.insert(args.begin(), {"--data-dir", data_dir_});
    return Ctl(std::move(args), input, std::move(env));
  }

  std::unique_ptr<store::Store> OpenStore() {
    auto s = store::OpenStore({store::DefaultStoreUrl(data_dir_), true});
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE((*s)->Migrate().ok());
    return std::move(*s);
  }

  void ExpectPassword(const std::string& aor, const std::string& password) {
    auto u = OpenStore()->GetUser(aor);
    ASSERT_TRUE(u.ok() && u->has_value()) << aor;
    const auto& rec = **u;
    EXPECT_EQ(rec.ha1_md5, auth::ComputeHa1(auth::Algorithm::kMd5, rec.user, rec.domain, password));
    EXPECT_EQ(rec.ha1_sha256, auth::ComputeHa1(auth::Algorithm::kSha256, rec.user, rec.domain, password));
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = tmp_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::string tmp_, data_dir_;
};

}  // namespace parley::ctl
