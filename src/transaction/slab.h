#pragma once
// Owns objects in numbered slots and hands out generation-checked ids: a
// lookup is an index plus a compare, and the id of a removed object never
// finds the one that reuses its slot.

#include <cstdint>
#include <memory>
#include <vector>

namespace parley::transaction {

template <typename T>
class Slab {
 public:
  // Takes ownership; returns the new object's id (never 0).
  uint64_t Insert(std::unique_ptr<T> value) {
    uint32_t index;
    if (free_.empty()) {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      index = free_.back();
      free_.pop_back();
    }
    Slot& s = slots_[index];
    s.value = std::move(value);
    ++size_;
    return (static_cast<uint64_t>(s.generation) << 32) | index;
  }

  T* Get(uint64_t id) const {
    uint32_t index = static_cast<uint32_t>(id);
    if (index >= slots_.size()) return nullptr;
    const Slot& s = slots_[index];
    return s.generation == static_cast<uint32_t>(id >> 32) ? s.value.get() : nullptr;
  }

  // Releases ownership of the object with this id (nullptr if none).
  std::unique_ptr<T> Remove(uint64_t id) {
    if (Get(id) == nullptr) return nullptr;
    uint32_t index = static_cast<uint32_t>(id);
    Slot& s = slots_[index];
    if (++s.generation == 0) s.generation = 1;
    free_.push_back(index);
    --size_;
    return std::move(s.value);
  }

  size_t size() const { return size_; }

  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.value) f(*s.value);
    }
  }

 private:
  struct Slot {
    std::unique_ptr<T> value;
    uint32_t generation = 1;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t size_ = 0;
};

}  // namespace parley::transaction
