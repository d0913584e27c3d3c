#pragma once
// Objects by hash: an open-addressing table of (hash, pointer) pairs with
// linear probing, not owning what it points to (transactions by matching
// key, IdMap's entries). A lookup reads one or two adjacent 16-byte
// entries and compares the key only on a full 64-bit hash match, where a
// node-based map chases a bucket, a node and the key string. The same key
// may be inserted more than once (RFC 2543 server keys); Find's predicate
// tells the entries apart. Removal shifts the following entries back, so
// there are no tombstones. The table grows past its maximum load (3/4 by
// default) and shrinks at 1/8. The home slot is the hash's low bits: hashes
// must be mixed.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace parley {

template <typename T>
class HashIndex {
 public:
  // Grows when more than max_load_eighths / 8 of the slots would be used.
  explicit HashIndex(unsigned max_load_eighths = 6) : max_load_eighths_(max_load_eighths) {}

  static uint64_t Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  // The first entry with this hash for which pred(const T&) holds.
  template <typename Pred>
  T* Find(uint64_t hash, Pred&& pred) const {
    if (size_ == 0) return nullptr;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.value == nullptr) return nullptr;
      if (e.hash == hash && pred(*e.value)) return e.value;
    }
  }

  void Insert(uint64_t hash, T* value) {
    if ((size_ + 1) * 8 > slots_.size() * max_load_eighths_) Resize(slots_.empty() ? kMinSlots : slots_.size() * 2);
    Place(hash, value);
    ++size_;
  }

  // Removes the entry for `value` inserted with `hash`; false if none.
  bool Erase(uint64_t hash, const T* value) {
    if (size_ == 0) return false;
    size_t i = hash & mask_;
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].value == nullptr) return false;
      if (slots_[i].value == value) break;
    }
    // Backward shift: an entry after the hole moves into it unless the hole
    // lies before the entry's home slot (it would then never be found).
    for (size_t j = (i + 1) & mask_; slots_[j].value != nullptr; j = (j + 1) & mask_) {
      const size_t home = slots_[j].hash & mask_;
      if (((j - home) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Entry{};
    --size_;
    if (slots_.size() > kMinSlots && size_ * 8 < slots_.size()) Resize(slots_.size() / 2);
    return true;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }

  // f(T&) for every entry, in no particular order; f must not insert or
  // erase.
  template <typename F>
  void ForEach(F&& f) const {
    for (const Entry& e : slots_) {
      if (e.value != nullptr) f(*e.value);
    }
  }

 private:
  struct Entry {
    uint64_t hash = 0;
    T* value = nullptr;  // nullptr: empty slot
  };
  static constexpr size_t kMinSlots = 64;

  void Place(uint64_t hash, T* value) {
    size_t i = hash & mask_;
    while (slots_[i].value != nullptr) i = (i + 1) & mask_;
    slots_[i] = Entry{hash, value};
  }

  void Resize(size_t slots) {
    std::vector<Entry> old(slots, Entry{});
    old.swap(slots_);
    mask_ = slots - 1;
    for (const Entry& e : old) {
      if (e.value != nullptr) Place(e.hash, e.value);
    }
  }

  std::vector<Entry> slots_;  // size is 0 or a power of two
  unsigned max_load_eighths_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace parley
