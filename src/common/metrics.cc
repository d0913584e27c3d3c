#include "common/metrics.h"

#include <cmath>
#include <map>
#include <sstream>

namespace parley::metrics {

namespace {
thread_local size_t t_shard = 0;
}

size_t CurrentShard() { return t_shard; }
void SetCurrentShard(size_t shard) { t_shard = shard < kMaxShards ? shard : kMaxShards - 1; }

uint64_t Counter::Value() const {
  uint64_t sum = 0;
  for (const auto& s : slots_) sum += s.v.load(std::memory_order_relaxed);
  return sum;
}

Registry& Registry::Global() {
  static Registry r;
  return r;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help, const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_) {
    if (e.counter && e.name == name && e.labels == labels) return *e.counter;
  }
  entries_.push_back(Entry{name, help, labels, std::make_unique<Counter>(), {}});
  return *entries_.back().counter;
}

void Registry::AddGauge(const std::string& name, const std::string& help, std::function<double()> read,
                        const std::string& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : entries_) {
    if (!e.counter && e.name == name && e.labels == labels) {
      e.gauge = std::move(read);
      return;
    }
  }
  entries_.push_back(Entry{name, help, labels, nullptr, std::move(read)});
}

std::string Registry::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  // Group by metric name so HELP/TYPE appear once.
  std::map<std::string, std::vector<const Entry*>> by_name;
  for (const auto& e : entries_) by_name[e.name].push_back(&e);
  std::ostringstream os;
  for (const auto& [name, list] : by_name) {
    const Entry* first = list.front();
    os << "# HELP " << name << ' ' << first->help << '\n';
    os << "# TYPE " << name << ' ' << (first->counter ? "counter" : "gauge") << '\n';
    for (const Entry* e : list) {
      os << name;
      if (!e->labels.empty()) os << '{' << e->labels << '}';
      os << ' ';
      if (e->counter) {
        os << e->counter->Value();
      } else {
        double v = e->gauge ? e->gauge() : 0.0;
        if (std::floor(v) == v && std::abs(v) < 1e15) {
          os << static_cast<int64_t>(v);
        } else {
          os << v;
        }
      }
      os << '\n';
    }
  }
  return os.str();
}

void Registry::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

}  // namespace parley::metrics
