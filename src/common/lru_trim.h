#pragma once
// Keeps a per-shard cache (a map of key -> entry that records when it was
// last used) within a capacity: once it holds more than `capacity`
// entries, the least recently used ones that may go are dropped until a
// quarter of the room is free again. One trim costs O(n), and happens at
// most once per capacity/4 insertions: O(1) amortized, no list to keep.

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <vector>

namespace parley {

// `used_at(entry)` gives a comparable time; `may_go(entry)` says whether
// the entry may be dropped (not loading, nobody waiting on it).
// Returns how many entries were dropped.
template <typename Map, typename UsedAt, typename MayGo>
size_t TrimLeastRecentlyUsed(Map& map, size_t capacity, UsedAt used_at, MayGo may_go) {
  if (capacity == 0 || map.size() <= capacity) return 0;
  size_t target = capacity - capacity / 4;
  using It = typename Map::iterator;
  std::vector<It> candidates;
  candidates.reserve(map.size());
  for (It it = map.begin(); it != map.end(); ++it) {
    if (may_go(it->second)) candidates.push_back(it);
  }
  size_t excess = map.size() - target;
  size_t n = std::min(excess, candidates.size());
  if (n == 0) return 0;
  auto older = [&](const It& a, const It& b) { return used_at(a->second) < used_at(b->second); };
  if (n < candidates.size()) {
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(n), candidates.end(), older);
  }
  for (size_t i = 0; i < n; ++i) map.erase(candidates[i]);
  return n;
}

// The entry for `key`; when there is none, room is made (as above) and a
// default one is created.
template <typename Map, typename Key, typename UsedAt, typename MayGo>
typename Map::mapped_type& FindOrInsertWithin(Map& map, const Key& key, size_t capacity, UsedAt used_at,
                                              MayGo may_go) {
  auto it = map.find(key);
  if (it != map.end()) return it->second;
  TrimLeastRecentlyUsed(map, capacity, used_at, may_go);
  return map[key];
}

}  // namespace parley
