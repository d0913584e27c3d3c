#pragma once
// Subscriptions (RFC 6665) to presence (RFC 3856), watcher information
// (RFC 3857, "presence.winfo"), registration state (RFC 3680, "reg") and
// calls (RFC 4235, "dialog"); presence and dialog ones say they take a
// list (RFC 4662 eventlist), so a list's URI is watched like a user's.
// Each Subscription is one dialog created by the 2xx to its SUBSCRIBE or
// by the first NOTIFY; it refreshes before expiry, follows the reasons of
// Subscription-State ("terminated;reason=deactivated" resubscribes at once,
// probation/giveup after retry-after, rejected/noresource end it), and
// unsubscribes with Expires: 0. SubscriptionManager routes NOTIFYs.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ua/core.h"

namespace parley::ua {

// kDialogWinfo: who watches the user's calls (RFC 3857 template package).
enum class EventPackage : uint8_t { kPresence, kWinfo, kReg, kDialog, kDialogWinfo };
std::string_view PackageName(EventPackage p);    // "presence", "presence.winfo", "reg", "dialog", "dialog.winfo"
std::string_view PackageAccept(EventPackage p);  // its document type

struct SubscriptionEvent {
  enum class State { kPending, kActive, kTerminated, kFailed, kRetrying };
  std::string target;  // AOR URI
  EventPackage package = EventPackage::kPresence;
  State state = State::kPending;
  std::string reason;     // Subscription-State reason, when terminated
  Outcome outcome;        // the SUBSCRIBE's, when failed
  uint32_t expires = 0;
  std::chrono::seconds retry_in{0};
};
std::string_view SubscriptionStateName(SubscriptionEvent::State s);

// The body of a NOTIFY.
struct Notification {
  std::string target;
  EventPackage package = EventPackage::kPresence;
  std::string content_type;  // essence, lower-case
  std::string content_type_value;  // the whole Content-Type (a list's multipart boundary)
  std::string body;
  std::string state;         // Subscription-State value (active, pending, terminated)
  std::string list;          // the list a member's document came through (RFC 4662), else ""
};

class Subscription {
 public:
  struct Listener {
    std::function<void(const SubscriptionEvent&)> on_state;
    std::function<void(const Notification&)> on_notify;
  };
  Subscription(Core& core, const Aor& target, EventPackage package, uint32_t expires, Listener listener);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  void Start();
  // Unsubscribes (Expires: 0); `done` runs on its final response.
  void Stop(std::function<void()> done);

  // A NOTIFY for this subscription: Call-ID, our tag, the remote tag (once known) and the event package.
  bool Matches(const sip::Message& notify) const;
  void OnNotify(ServerRequest& req);

  const std::string& target() const { return target_uri_; }
  EventPackage package() const { return package_; }
  bool terminated() const { return std::holds_alternative<Ended>(state_); }

 private:
  struct Dialog {
    std::string remote_tag;
    std::string remote_target;
    std::vector<std::string> route_set;
    uint32_t remote_cseq = 0;
  };
  struct Idle {};
  struct Subscribing {};  // SUBSCRIBE sent, waiting for its 2xx or the first NOTIFY
  struct Established {};  // dialog up (pending or active)
  struct Unsubscribing {};
  struct Waiting {};      // terminated by the notifier, resubscribing later
  struct Ended {};
  using State = std::variant<Idle, Subscribing, Established, Unsubscribing, Waiting, Ended>;

  void SendSubscribe(uint32_t expires);
  void OnFinal(const Outcome& o, const sip::Message& response, const sip::Message& sent, uint32_t expires);
  void OnTerminated(const std::string& reason, std::optional<uint32_t> retry_after);
  void ScheduleRefresh(uint32_t expires);
  void ArmNotifyWait();
  void Resubscribe(std::chrono::seconds after);
  void Emit(SubscriptionEvent::State s, const std::string& reason = {}, const Outcome& o = {},
            uint32_t expires = 0, std::chrono::seconds retry = std::chrono::seconds(0));
  void CancelTimers();
  // RFC 5263: the document a <pidf-full> or <pidf-diff> NOTIFY leaves us
  // with; nullopt when it cannot be read, or is a diff that does not follow
  // what we hold (`resync`: a refresh brings full state again).
  std::optional<std::string> Rebuild(std::string_view body, bool& resync);
  static constexpr size_t kMaxPartialDocument = 1 << 20;

  Core& core_;
  Aor target_;
  std::string target_uri_;
  EventPackage package_;
  uint32_t expires_;
  Listener listener_;
  State state_ = Idle{};
  std::optional<Dialog> dialog_;
  std::string call_id_;
  std::string local_tag_;
  uint32_t local_cseq_ = 0;
  bool got_notify_ = false;
  int failures_ = 0;
  Core::RequestId request_ = 0;
  TimerId refresh_timer_ = 0;
  TimerId notify_timer_ = 0;
  std::function<void()> stop_done_;
  std::string partial_doc_;                 // the presence document as partial NOTIFYs built it
  std::optional<uint32_t> partial_version_;  // of the last pidf-full/pidf-diff applied
};

// Owns subscriptions and hands each NOTIFY to the one it belongs to (481
// otherwise).
class SubscriptionManager {
 public:
  explicit SubscriptionManager(Core& core);
  ~SubscriptionManager();

  Subscription& Add(const Aor& target, EventPackage package, uint32_t expires, Subscription::Listener listener);
  Subscription* Find(const Aor& target, EventPackage package);
  // Stops and, once unsubscribed, removes it.
  void Remove(const Aor& target, EventPackage package, std::function<void()> done);
  size_t size() const { return subs_.size(); }

 private:
  void OnNotify(ServerRequest& req);
  Core& core_;
  std::vector<std::unique_ptr<Subscription>> subs_;
};

}  // namespace parley::ua
