#pragma once
// A ShardRouter of one shard whose posts are queued and run by the test
// (other threads, e.g. the store's, post too).

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "proxy/shards.h"

namespace parley::testing {

// One shard; posts are queued and run by the test (the store's thread posts too).
class QueueRouter : public proxy::ShardRouter {
 public:
  size_t count() const override { return 1; }
  size_t current() const override { return 0; }
  void Post(size_t, std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(fn));
  }
  // Runs what was posted until `until` holds (or 5 s pass).
  template <typename P>
  bool RunUntil(P until) {
    for (int i = 0; i < 5000 && !until(); ++i) {
      std::deque<std::function<void()>> batch;
      {
        std::lock_guard<std::mutex> lock(mu_);
        batch.swap(queue_);
      }
      if (batch.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      for (auto& fn : batch) fn();
    }
    return until();
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace parley::testing
