#pragma once
// A map from non-zero 64-bit ids to values that never move, for tables
// looked up far more often than changed (subscriptions by id): the entries
// in their own allocations, found through a HashIndex of (mixed id,
// pointer) slots. A lookup reads one slot, usually in cache, then the entry;
// std::unordered_map reads a bucket, the node before the entry (another
// cache miss) and divides by the bucket count on the way.
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

#include "common/hash_index.h"
#include "common/strings.h"

namespace parley {

template <typename V>
class IdMap {
 public:
  using Entry = std::pair<const uint64_t, V>;

  IdMap() = default;
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;
  ~IdMap() {
    index_.ForEach([](Entry& e) { delete &e; });
  }

  size_t size() const { return index_.size(); }
  bool empty() const { return index_.size() == 0; }
  Entry* end() const { return nullptr; }

  Entry* find(uint64_t id) const {
    if (id == 0) return nullptr;
    return index_.Find(Mix(id), [id](const Entry& e) { return e.first == id; });
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
    auto owned = std::make_unique<Entry>(std::piecewise_construct, std::forward_as_tuple(id), std::forward_as_tuple());
    index_.Insert(Mix(id), owned.get());
    return {owned.release(), true};
  }

  void erase(Entry* e) {
    if (e == nullptr) return;
    index_.Erase(Mix(e->first), e);
    delete e;
  }
  size_t erase(uint64_t id) {
    Entry* e = find(id);
    if (e == nullptr) return 0;
    erase(e);
    return 1;
  }

  // f(Entry&) for every entry, in no particular order; f must not insert
  // or erase.
  template <typename F>
  void ForEach(F&& f) const {
    index_.ForEach(f);
  }

 private:
  // The index's home slot is the hash's low bits: spread every id bit into
  // them.
  static uint64_t Mix(uint64_t x) { return Mix64(x); }

  // 7/8: at 100,000 subscriptions the slots take 2 MiB rather than 4.
  HashIndex<Entry> index_{7};
};

}  // namespace parley
