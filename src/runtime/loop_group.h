#pragma once
// N event loops, one thread each (N = configured threads, default: the number
// of hardware threads).

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/loop.h"

namespace parley::runtime {

class LoopGroup {
 public:
  static constexpr size_t kNoLoop = static_cast<size_t>(-1);

  explicit LoopGroup(size_t threads = 0);
  ~LoopGroup();  // Stop() and Join()
  LoopGroup(const LoopGroup&) = delete;
  LoopGroup& operator=(const LoopGroup&) = delete;

  // Spawns one thread per loop. Once.
  void Start();
  // Each loop runs the tasks posted before this call, then its thread exits.
  // Idempotent; any thread.
  void Stop();
  // Waits for the loop threads to exit. Not from a loop thread.
  void Join();

  size_t size() const { return loops_.size(); }
  Loop& loop(size_t i) { return *loops_[i]; }
  const Loop& loop(size_t i) const { return *loops_[i]; }

  // Index of the loop running on the calling thread, or kNoLoop.
  static size_t CurrentIndex();

 private:
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  bool started_ = false;
};

}  // namespace parley::runtime
