#pragma once
// An event package (RFC 6665 §7) as the notifier sees it: its name, body
// format, how subscriptions are authorized, and its full state.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::events {

struct Subscription;

enum class Authorization : uint8_t {
  kActive,   // allowed: state "active"
  kPending,  // waiting for the resource's owner (state "pending", 202)
  kReject,   // 403
  kPolite,   // allowed, but the watcher sees a neutral state (presence polite-block)
};

// An authorization decision and the package-defined view it grants (e.g.
// which parts of a presence document the watcher may see).
struct Grant {
  Authorization state = Authorization::kActive;
  uint32_t view = 0;
};

class EventPackage {
 public:
  virtual ~EventPackage() = default;
  virtual std::string_view name() const = 0;  // "reg", "presence"
  virtual std::string_view content_type() const = 0;  // "application/reginfo+xml"
  virtual uint32_t default_expires() const { return 3600; }
  // Runs on the resource's shard; `done` on the same shard (may be later).
  virtual void Authorize(const std::string& subscriber, const std::string& resource,
                         std::function<void(Grant)> done) = 0;
  // The full state for `sub` (its version is maintained by the package).
  virtual std::string FullState(Subscription& sub) = 0;
  // The Content-Type of a NOTIFY carrying `body` (a multipart body names
  // its boundary); `scratch` may hold the text.
  virtual std::string_view ContentTypeOf(std::string_view body, std::string& scratch) const {
    (void)body;
    (void)scratch;
    return content_type();
  }
  // The Event value of `sub`'s NOTIFYs: the package's name, unless the
  // package must spell it as a peer expects.
  virtual std::string EventHeaderValue(const Subscription& sub) const {
    (void)sub;
    return std::string(name());
  }
  // A body type for partial state a watcher may ask for in Accept
  // (RFC 5263 "application/pidf-diff+xml"), or "": the subscription's
  // `partial` flag says it did.
  virtual std::string_view partial_type() const { return {}; }
  // An option tag the 2xx and every NOTIFY require ("eventlist"), or "".
  virtual std::string_view require() const { return {}; }
  // What the package keeps with `sub` in its store record (the resources
  // of a list SUBSCRIBE, RFC 5367), and takes back on `resource`'s shard
  // when the notifier restores that subscription, before authorizing it.
  virtual std::string SavedState(const Subscription& sub) const {
    (void)sub;
    return {};
  }
  virtual void RestoreState(const std::string& resource, const std::string& subscriber, std::string_view state) {
    (void)resource;
    (void)subscriber;
    (void)state;
  }
};

}  // namespace parley::events
