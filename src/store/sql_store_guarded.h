#pragma once
// SqlStore::Guarded, shared by the .cc files that implement SqlStore.

#include "store/sql_store.h"

namespace parley::store {

template <typename T, typename F>
Result<T> SqlStore::Guarded(Mode mode, F&& body) {
  if (in_txn_ && txn_error_) {
    return Error(txn_error_->code, "transaction aborted by an earlier error: " + txn_error_->message);
  }
  bool own = mode != Mode::kSingle && !in_txn_;
  if (own) {
    if (auto b = conn_->Begin(); !b.ok()) return b.error();
  }
  auto run = [&]() -> Result<T> {
    // Feed writers take the change lock before any row lock, so two of
    // them cannot deadlock over it.
    if (mode == Mode::kFeed) {
      if (auto l = LockChanges(); !l.ok()) return l.error();
    }
    return body();
  };
  Result<T> r = run();
  if (own) {
    Result<void> end = r.ok() ? conn_->Commit() : Result<void>(r.error());
    if (!end.ok()) (void)conn_->Rollback();
    changes_locked_ = false;
    if (!end.ok()) return end.error();
  } else if (in_txn_ && !r.ok()) {
    txn_error_ = r.error();
  }
  return r;
}

}  // namespace parley::store
