#pragma once
// What the proxy asks the location service: where a user of our domains
// can be reached now.

#include <functional>
#include <string>
#include <vector>

#include "transport/types.h"

namespace parley::proxy {

struct Target {
  std::string uri;                       // the registered Contact URI (new Request-URI)
  transport::Destination destination;    // where to send (flow of the registration)
  std::vector<std::string> route;        // Path of the registration, as Route values
  double q = 1.0;
  std::string instance;                  // +sip.instance, for per-device dedupe
};

struct LookupResult {
  enum class Status { kFound, kNotRegistered, kUnknownUser, kError } status = Status::kError;
  std::vector<Target> targets;  // best q first
  // kNotRegistered: the user keeps a message history (their record's
  // setting, read to tell them from an unknown user).
  bool user_history = false;
};

class LocationService {
 public:
  virtual ~LocationService() = default;
  // `done` runs on shard `reply_shard`'s loop.
  virtual void Lookup(const std::string& aor, size_t reply_shard, std::function<void(LookupResult)> done) = 0;
};

}  // namespace parley::proxy
