#pragma once
// How services reach the shard (event loop) that owns a piece of state.
// Per-AOR state (registrations, credentials, policies, presentities) lives
// on the shard `ShardOf(aor)`; work for it is posted there, and answers are
// posted back. No locks: each shard's objects are touched by its loop only.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "common/strings.h"

namespace parley::proxy {

class ShardRouter {
 public:
  virtual ~ShardRouter() = default;
  virtual size_t count() const = 0;
  // The shard of the calling thread (its loop index).
  virtual size_t current() const = 0;
  // Runs `fn` on shard `shard`'s loop (later, even when it is the current).
  virtual void Post(size_t shard, std::function<void()> fn) = 0;

  size_t ShardOf(std::string_view aor) const { return ShardHash(aor) % count(); }
};

// One T per shard; T k is only touched on shard k.
template <typename T>
class Sharded {
 public:
  explicit Sharded(ShardRouter& router) : router_(router) {}

  void Add(std::unique_ptr<T> t) { items_.push_back(std::move(t)); }
  size_t size() const { return items_.size(); }
  ShardRouter& router() const { return router_; }

  // The calling shard's instance.
  T& Local() { return *items_[router_.current()]; }
  T& At(size_t shard) { return *items_[shard]; }
  const T& At(size_t shard) const { return *items_[shard]; }

  // Runs fn(T&) on the shard owning `aor`.
  void OnOwner(std::string_view aor, std::function<void(T&)> fn) { On(router_.ShardOf(aor), std::move(fn)); }
  void On(size_t shard, std::function<void(T&)> fn) {
    T* t = items_[shard].get();
    router_.Post(shard, [t, fn = std::move(fn)] { fn(*t); });
  }
  // Runs fn(T&) on shard `shard`: at once when called on that shard's loop
  // (no loop turn), else posted there. For steps that only read or update
  // the shard's state and post their answer back.
  template <typename Fn>
  void RunOn(size_t shard, Fn&& fn) {
    if (router_.current() == shard) {
      fn(*items_[shard]);
    } else {
      On(shard, std::function<void(T&)>(std::forward<Fn>(fn)));
    }
  }

 private:
  ShardRouter& router_;
  std::vector<std::unique_ptr<T>> items_;
};

// One immutable snapshot of T per shard (a directory read from the store:
// groups, list services): each shard reads its own without a lock; a new
// snapshot replaces the old one by a post to each shard's loop, after which
// the listeners run there.
template <typename T>
class ShardSnapshots {
 public:
  explicit ShardSnapshots(ShardRouter& router)
      : router_(router), per_shard_(router.count(), std::make_shared<const T>()) {}

  // The snapshot of `shard`, on its loop.
  const T& On(size_t shard) const { return *per_shard_[shard]; }
  // Before the loops run: every shard gets `snapshot` at once (no listener runs).
  void SetAll(std::shared_ptr<const T> snapshot) {
    for (auto& s : per_shard_) s = snapshot;
  }
  // From any thread: each shard gets `snapshot` on its loop, then the listeners run there.
  void Publish(std::shared_ptr<const T> snapshot) {
    for (size_t i = 0; i < per_shard_.size(); ++i) {
      router_.Post(i, [this, i, snapshot] {
        per_shard_[i] = snapshot;
        for (const auto& l : listeners_) l(i);
      });
    }
  }
  // Set before the loops run.
  void AddListener(std::function<void(size_t shard)> l) { listeners_.push_back(std::move(l)); }

 private:
  ShardRouter& router_;
  std::vector<std::shared_ptr<const T>> per_shard_;  // each replaced only on its loop
  std::vector<std::function<void(size_t shard)>> listeners_;
};

}  // namespace parley::proxy
