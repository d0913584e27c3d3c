#pragma once
// Process-wide metrics in Prometheus text format. Counters are sharded per
// event loop (each loop adds to its own cache line), so counting never
// contends; rendering sums the shards. Gauges are read through callbacks
// registered by the component that owns the value.

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace parley::metrics {

inline constexpr size_t kMaxShards = 64;

// The calling thread's shard (set by each event loop at start; 0 otherwise).
size_t CurrentShard();
void SetCurrentShard(size_t shard);

class Counter {
 public:
  void Add(uint64_t n = 1) { slots_[CurrentShard()].v.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const;

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> v{0};
  };
  std::array<Slot, kMaxShards> slots_{};
};

class Registry {
 public:
  static Registry& Global();

  // Returns the counter for `name` + `labels` (e.g. `method="OPTIONS"`),
  // creating it on first use. Call at setup and keep the reference: the
  // lookup takes a lock; Add() does not.
  Counter& GetCounter(const std::string& name, const std::string& help, const std::string& labels = "");
  // A gauge whose value `read` returns at scrape time (called from the
  // HTTP loop: it must be thread-safe).
  void AddGauge(const std::string& name, const std::string& help, std::function<double()> read,
                const std::string& labels = "");
  std::string RenderPrometheus() const;
  // For tests: forget everything.
  void Reset();

 private:
  struct Entry {
    std::string name, help, labels;
    std::unique_ptr<Counter> counter;
    std::function<double()> gauge;
  };
  mutable std::mutex mu_;  // registration and scrapes only
  std::vector<Entry> entries_;
};

}  // namespace parley::metrics
