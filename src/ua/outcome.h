#pragma once
// How a request ended, in terms a user can act on.

#include <cstdint>
#include <string>
#include <string_view>

namespace parley::ua {

enum class Failure : uint8_t {
  kNone,         // 2xx
  kAuth,         // credentials refused (wrong user name or password)
  kUnreachable,  // no connection, or no answer at all
  kTls,          // the server's TLS certificate is not trusted
  kNotFound,     // 404 / 604: no such user
  kRejected,     // any other final response
};

std::string_view FailureName(Failure f);  // "none", "auth", "unreachable", …

struct Outcome {
  int status = 0;          // the final status (made up locally for timeouts and transport errors)
  std::string reason;      // its reason phrase
  Failure failure = Failure::kNone;
  std::string detail;      // transport error text, when there was one
  bool local = false;      // the response was made up here, not received

  bool ok() const { return failure == Failure::kNone; }
  // One line for a user: "401 Unauthorized: wrong user name or password".
  std::string Describe() const;
};

}  // namespace parley::ua
