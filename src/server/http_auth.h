#pragma once
// Who is calling the HTTP APIs (XCAP, messages, history): a bearer token
// from `parleyctl token create`, or HTTP Basic with the user's SIP
// password, checked against the stored HA1 (never a stored password). Repeated failures for an
// account lock it for a while, like SIP digest failures do.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/http_server.h"
#include "store/executor.h"

namespace parley::server {

class HttpAuthenticator {
 public:
  explicit HttpAuthenticator(store::StoreExecutor& store) : store_(store) {}
  // `done(aor)` with the authenticated AOR, or "" (answer Challenge()).
  // Runs `done` on the store's thread.
  void Authenticate(const HttpRequest& req, std::function<void(std::string)> done);
  // 401 with Bearer and Basic challenges for `realm`.
  static HttpResponse Challenge(const std::string& realm);

 private:
  bool Locked(const std::string& aor);
  void Failed(const std::string& aor);

  store::StoreExecutor& store_;
  std::mutex mu_;  // failures are counted on the store thread and read on the HTTP loop
  struct Failures {
    int count = 0;
    std::chrono::steady_clock::time_point since;
  };
  std::unordered_map<std::string, Failures> failures_;
};

}  // namespace parley::server
