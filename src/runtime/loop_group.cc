#include "runtime/loop_group.h"

#include <pthread.h>

#include <cassert>
#include <string>

namespace parley::runtime {

LoopGroup::LoopGroup(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  loops_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) loops_.push_back(std::make_unique<Loop>(i));
}

LoopGroup::~LoopGroup() {
  Stop();
  Join();
}

void LoopGroup::Start() {
  assert(!started_);
  started_ = true;
  threads_.reserve(loops_.size());
  for (auto& loop : loops_) {
    // Running from now on, so Invoke() from other threads waits for the
    // thread instead of running the task itself.
    loop->running_.store(true, std::memory_order_release);
    Loop* l = loop.get();
    threads_.emplace_back([l] { l->Run(); });
    std::string name = "parley-loop-" + std::to_string(l->index());
    pthread_setname_np(threads_.back().native_handle(), name.substr(0, 15).c_str());
  }
}

void LoopGroup::Stop() {
  for (auto& loop : loops_) loop->Stop();
}

void LoopGroup::Join() {
  assert(Loop::Current() == nullptr);
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t LoopGroup::CurrentIndex() {
  Loop* l = Loop::Current();
  return l ? l->index() : kNoLoop;
}

}  // namespace parley::runtime
