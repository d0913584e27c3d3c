#pragma once
// A map from non-zero 64-bit ids to values that never move, for tables
// looked up far more often than changed (subscriptions by id). Open
// addressing over (id, pointer) slots with linear probing: a lookup reads
// one slot, usually in cache, then the entry itself; std::unordered_map
// reads a bucket, the node before the entry (another cache miss) and
// divides by the bucket count on the way.
//
// The interface follows std::unordered_map where it is used: find()
// returns a pointer to the entry (`->first`, `->second`) or end(), which is
// nullptr. Entries keep their address until erased.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace parley {

template <typename V>
class IdMap {
 public:
  using Entry = std::pair<const uint64_t, V>;

  IdMap() = default;
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Entry* end() const { return nullptr; }

  Entry* find(uint64_t id) const {
    if (id == 0 || slots_.empty()) return nullptr;
    for (size_t i = Home(id);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == id) return s.entry.get();
      if (s.id == 0) return nullptr;
    }
  }
  size_t count(uint64_t id) const { return find(id) != nullptr; }
  V& at(uint64_t id) const {
    Entry* e = find(id);
    if (e == nullptr) throw std::out_of_range("IdMap::at");
    return e->second;
  }

  // Inserts a value-initialized V under `id` unless present; nothing for
  // id 0 ({nullptr, false}).
  std::pair<Entry*, bool> try_emplace(uint64_t id) {
    if (id == 0) return {nullptr, false};
    if (Entry* e = find(id)) return {e, false};
    if ((size_ + 1) * 8 > slots_.size() * 7) Grow();
    auto owned = std::make_unique<Entry>(std::piecewise_construct, std::forward_as_tuple(id), std::forward_as_tuple());
    Entry* e = owned.get();
    Place(id, std::move(owned));
    ++size_;
    return {e, true};
  }

  void erase(Entry* e) {
    if (e != nullptr) erase(e->first);
  }
  size_t erase(uint64_t id) {
    if (id == 0 || slots_.empty()) return 0;
    size_t i = Home(id);
    while (slots_[i].id != id) {
      if (slots_[i].id == 0) return 0;
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{};
    --size_;
    // Backward-shift: move later members of the run into the hole when
    // their home is not between the hole and them.
    for (size_t j = (i + 1) & mask_; slots_[j].id != 0; j = (j + 1) & mask_) {
      size_t home = Home(slots_[j].id);
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = std::move(slots_[j]);
        slots_[j] = Slot{};
        i = j;
      }
    }
    if (slots_.size() > kMinSlots && size_ * 8 < slots_.size()) Rehash(slots_.size() / 2);
    return 1;
  }

  // f(Entry&) for every entry, in no particular order; f must not insert
  // or erase.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.id != 0) f(*s.entry);
    }
  }

 private:
  static constexpr size_t kMinSlots = 16;
  struct Slot {
    uint64_t id = 0;
    std::unique_ptr<Entry> entry;
  };

  size_t Home(uint64_t id) const { return static_cast<size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_) & mask_; }

  void Place(uint64_t id, std::unique_ptr<Entry> e) {
    size_t i = Home(id);
    while (slots_[i].id != 0) i = (i + 1) & mask_;
    slots_[i].id = id;
    slots_[i].entry = std::move(e);
  }

  void Grow() { Rehash(slots_.empty() ? kMinSlots : slots_.size() * 2); }

  void Rehash(size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(n);
    mask_ = n - 1;
    shift_ = 64;
    for (size_t k = n; k > 1; k >>= 1) --shift_;
    for (Slot& s : old) {
      if (s.id != 0) Place(s.id, std::move(s.entry));
    }
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
  size_t mask_ = 0;
  unsigned shift_ = 64;
};

}  // namespace parley
