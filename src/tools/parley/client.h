#pragma once
// One parley run: the UserAgent, the queue its events arrive in (they are
// produced on the UA's loop thread and consumed here, on the main thread),
// the printer and the local message history.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "tools/parley/options.h"
#include "tools/parley/printer.h"
#include "ua/user_agent.h"

namespace parley::cli {

// Set by SIGINT/SIGTERM.
extern std::atomic<bool> g_interrupted;
void InstallSignalHandlers();

// A command's own request finished.
struct Completion {
  std::string tag;  // what finished: "send", "publish", "unregister" …
  ua::Outcome outcome;
  std::string message_id;
  std::string etag;      // publish: the publication's entity tag
  uint32_t expires = 0;  // publish: its granted lifetime

  static Completion Of(std::string tag, ua::Outcome outcome, std::string message_id = {}) {
    Completion c;
    c.tag = std::move(tag);
    c.outcome = std::move(outcome);
    c.message_id = std::move(message_id);
    return c;
  }
};
using Item = std::variant<ua::Event, Completion>;

class ItemQueue {
 public:
  void Push(Item item);
  // The next item, or nullopt once `deadline` passes (checks every 100 ms
  // for an interrupt, returning nullopt then too).
  std::optional<Item> Pop(std::chrono::steady_clock::time_point deadline);
  // Wakes a waiting Pop (e.g. the terminal has input).
  void Wake();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  bool woken_ = false;
};

class Client {
 public:
  Client(Settings settings, Printer& printer) : settings_(std::move(settings)), printer_(printer) {}
  ~Client();

  // Creates the UA; prints the error and returns its exit status on failure, else 0.
  int Start();
  ua::UserAgent& ua() { return *ua_; }
  const Settings& settings() const { return settings_; }
  Printer& printer() { return printer_; }
  ItemQueue& queue() { return queue_; }
  std::chrono::steady_clock::time_point Deadline() const { return std::chrono::steady_clock::now() + settings_.timeout; }

  // Registers and waits for the result; prints failures. Returns an exit status.
  int Register();
  // Unregisters (and unpublishes if we published), bounded by the timeout.
  void Unregister();
  // Waits for the completion tagged `tag`, printing events meanwhile (and
  // passing each to `on_event` if set). nullopt on timeout or interrupt.
  std::optional<Completion> WaitFor(const std::string& tag, std::function<void(const ua::Event&)> on_event = {});
  // Prints an event (and logs messages to the history file).
  void Show(const ua::Event& e);
  void LogReceived(const ua::ReceivedMessage& m);
  void LogSent(const std::string& to, const std::string& text, const ua::Outcome& o);
  // Prints an outcome as an error and returns the exit status for it.
  int FailWith(const std::string& what, const ua::Outcome& o);
  ua::UserAgent::Sink Sink();
  // Publishes `doc`, continuing this account's last publication if it is
  // still alive (its SIP-ETag is kept in the state file between runs).
  std::optional<Completion> Publish(const ua::PresenceDoc& doc, uint32_t expires = 0);

  bool published = false;

 private:
  void AppendHistory(const nlohmann::json& j);
  Settings settings_;
  Printer& printer_;
  ItemQueue queue_;
  std::unique_ptr<ua::UserAgent> ua_;
};

}  // namespace parley::cli
