#pragma once
// Registration (RFC 3261 §10) with digest authentication, refresh before
// expiry, 423 handling, RFC 5626 outbound (instance id, reg-id, CRLF
// keep-alives on the flow, re-registration when the flow fails) and
// retries with back-off when a refresh fails.
//
//   Registration reg(core, {.expires = 600}, [](const RegistrationEvent& e) { … });
//   reg.Start();            // register and stay registered
//   reg.Stop([] { … });     // unregister our contact

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "ua/core.h"

namespace parley::ua {

struct RegistrationConfig {
  uint32_t expires = 600;
  // CRLF keep-alive period on the flow (RFC 5626 §4.4.1); zero: the
  // server's Flow-Timer, else 90 s over TCP/TLS and 25 s over UDP.
  std::chrono::seconds keepalive{0};
  // RFC 5626 §4.5 back-off after a failed refresh: base and cap.
  std::chrono::seconds retry_base{30};
  std::chrono::seconds retry_max{1800};
};

struct RegistrationEvent {
  enum class State { kRegistered, kUnregistered, kFailed, kRetrying };
  State state = State::kUnregistered;
  Outcome outcome;                     // of the REGISTER that caused this
  uint32_t expires = 0;                // granted (kRegistered)
  std::vector<std::string> contacts;   // every binding the registrar returned
  std::string gruu;                    // our public GRUU (RFC 5627), when the registrar gave one
  std::chrono::seconds retry_in{0};    // kRetrying
  std::string note;                    // e.g. "flow failed"
};
std::string_view RegistrationStateName(RegistrationEvent::State s);

class Registration {
 public:
  using Listener = std::function<void(const RegistrationEvent&)>;
  Registration(Core& core, RegistrationConfig config, Listener listener);
  ~Registration();
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

  // Registers now and keeps the binding refreshed. A failure of the first
  // REGISTER is reported (kFailed) and not retried; later failures retry
  // with back-off (kRetrying).
  void Start();
  // Removes our binding (Expires 0) and calls `done` with its outcome.
  void Stop(std::function<void(const Outcome&)> done);
  bool registered() const { return std::holds_alternative<Registered>(state_); }

 private:
  struct Idle {};
  struct Registering {
    bool had_binding = false;  // a refresh (failures then retry)
  };
  struct Registered {
    uint32_t expires = 0;
  };
  struct Retrying {};
  struct Unregistering {};
  using State = std::variant<Idle, Registering, Registered, Retrying, Unregistering>;

  void SendRegister(uint32_t expires);
  void OnFinal(const Outcome& o, const sip::Message& response, const sip::Message& sent);
  void OnRefused(const Outcome& o, bool had_binding);
  void ScheduleRefresh(uint32_t expires);
  void ScheduleKeepAlive();
  void SendKeepAlive();
  void CancelTimers();
  std::string ContactHeader(uint32_t expires) const;

  Core& core_;
  RegistrationConfig config_;
  Listener listener_;
  State state_ = Idle{};
  std::string call_id_;
  std::string from_tag_;
  uint32_t cseq_ = 0;
  uint32_t expires_;
  std::chrono::seconds flow_timer_{0};
  int failures_ = 0;
  Core::RequestId request_ = 0;
  TimerId refresh_timer_ = 0;
  TimerId keepalive_timer_ = 0;
  std::function<void(const Outcome&)> stop_done_;
  // Send completions may run after we are gone: they check this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::ua
