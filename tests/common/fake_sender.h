#pragma once
// A transport::Sender for tests: records every send (with the time, if given
// a clock) and completes it successfully, fails it on demand, or holds the
// completion until the test releases it.

#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "common/timer.h"
#include "sip/parser.h"
#include "transport/types.h"

namespace parley::testing {

class FakeSender : public transport::Sender {
 public:
  struct Sent {
    transport::Destination to;
    std::string bytes;
    Clock::time_point at;
  };

  explicit FakeSender(const TimerService* clock = nullptr) : clock_(clock) {}

  void Send(const transport::Destination& to, std::string bytes, Done done) override {
    sent_.push_back({to, std::move(bytes), clock_ ? clock_->Now() : Clock::time_point()});
    if (fail_next_ > 0) {
      --fail_next_;
      if (done) done(std::make_error_code(std::errc::connection_refused));
    } else if (hold_) {
      held_.push_back(std::move(done));
    } else if (done) {
      done({});
    }
  }

  std::string ViaSentBy(const transport::Destination& to) const override { return "192.0.2.10:5060"; }

  // The next `n` sends fail, reported synchronously from inside Send().
  void FailNext(int n = 1) { fail_next_ = n; }
  // While set, completions are held until CompleteHeld().
  void set_hold(bool hold) { hold_ = hold; }
  // Runs the held completions with `ec` (as a loop would, later).
  void CompleteHeld(std::error_code ec) {
    auto held = std::move(held_);
    held_.clear();
    for (auto& done : held) {
      if (done) done(ec);
    }
  }

  const std::vector<Sent>& sent() const { return sent_; }
  size_t count() const { return sent_.size(); }
  sip::MessagePtr Parsed(size_t i) const { return sip::ParseDatagram(sent_.at(i).bytes, sip::ParserLimits()); }
  sip::MessagePtr Last() const { return Parsed(sent_.size() - 1); }
  void Clear() { sent_.clear(); }

 private:
  const TimerService* clock_;
  std::vector<Sent> sent_;
  std::vector<Done> held_;
  int fail_next_ = 0;
  bool hold_ = false;
};

}  // namespace parley::testing
