#pragma once
// Invalidation for the per-shard caches whose entries may be loading from
// the store (UserDirectory, PolicyCache, Authorizer): an entry at rest is
// erased; one whose read is in flight stays (its waiters hold on to it) and
// is marked `invalidated`, so the read's answer is not kept when it comes.
// `Entry` needs `bool loading` and `bool invalidated`.

namespace parley {

template <typename Map, typename Key>
void InvalidateCached(Map& map, const Key& key) {
  auto it = map.find(key);
  if (it == map.end()) return;
  if (it->second.loading) {
    it->second.invalidated = true;
  } else {
    map.erase(it);
  }
}

// As above for every entry whose key satisfies `pred(key)`.
template <typename Map, typename Pred>
void InvalidateCachedIf(Map& map, Pred pred) {
  for (auto it = map.begin(); it != map.end();) {
    if (!pred(it->first)) {
      ++it;
    } else if (it->second.loading) {
      it->second.invalidated = true;
      ++it;
    } else {
      it = map.erase(it);
    }
  }
}

// As above for every entry (a cache told to forget all it holds).
template <typename Map>
void InvalidateAllCached(Map& map) {
  InvalidateCachedIf(map, [](const auto&) { return true; });
}

}  // namespace parley
