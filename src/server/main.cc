// parleyd: the Parley SIP/SIMPLE presence and IM server.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "common/log.h"
#include "server/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
  std::string help;
  auto config = parley::server::LoadConfig(argc, argv, &help);
  if (!config.ok()) {
    if (config.error().code == 0) {
      std::fputs(help.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "parleyd: %s\n", config.error().message.c_str());
    return 2;
  }
  parley::log::Init(config->log_level, config->log_format);

  // Signals are taken synchronously on a dedicated thread.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  parley::server::Server server(std::move(*config));
  if (auto r = server.Start(); !r.ok()) {
    PLOG_ERROR("startup_failed", {{"error", r.error().message}});
    std::fprintf(stderr, "parleyd: %s\n", r.error().message.c_str());
    return 1;
  }
  std::atomic<bool> signalled{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    signalled = true;
    PLOG_INFO("signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    server.RequestShutdown();
  });
  server.Wait();
  // Wake the signal thread if the server stopped on its own.
  if (!signalled) pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  return 0;
}
