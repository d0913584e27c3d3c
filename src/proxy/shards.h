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

}  // namespace parley::proxy
