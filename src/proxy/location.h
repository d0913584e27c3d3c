#pragma once
// What the proxy asks the location service: where a user of our domains
// can be reached now.

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
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

// A request to a GRUU (RFC 5627 §7.1) reaches one instance of the user.
struct InstanceFilter {
  std::string instance;  // +sip.instance, "<urn:…>" (compared case-insensitively)
  // A temporary GRUU: valid only while the instance is registered with the
  // Call-ID it was minted for (registrar::CallIdHash of it).
  std::optional<std::array<uint8_t, 8>> call_id_hash;
};

class LocationService {
 public:
  virtual ~LocationService() = default;
  // `done` runs on shard `reply_shard`'s loop.
  virtual void Lookup(const std::string& aor, size_t reply_shard, std::function<void(LookupResult)> done) = 0;
  // Lookup restricted to the contacts of one instance: kNotRegistered when
  // it has none, kUnknownUser also when a temporary GRUU is no longer valid.
  virtual void LookupInstance(const std::string& aor, InstanceFilter filter, size_t reply_shard,
                              std::function<void(LookupResult)> done) = 0;
};

}  // namespace parley::proxy
