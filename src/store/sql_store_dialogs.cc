// Answered calls in the store (migration 10), for the dialog event package
// over a restart. Same rules as sql_store.cc.

#include "store/errors.h"
#include "store/sql_store.h"
#include "store/sql_util.h"

namespace parley::store {
namespace {

const std::string kCallDialogColumns =
    "aor, call_id, local_tag, remote_tag, initiator, from_trying, local_identity, local_display, remote_identity,"
    " remote_display, remote_hidden, created_at";
const std::string kSaveCallDialog =
    "INSERT INTO call_dialogs (" + kCallDialogColumns +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    " ON CONFLICT (aor, call_id, local_tag, remote_tag) DO UPDATE SET initiator = excluded.initiator,"
    " from_trying = excluded.from_trying, local_identity = excluded.local_identity,"
    " local_display = excluded.local_display, remote_identity = excluded.remote_identity,"
    " remote_display = excluded.remote_display, remote_hidden = excluded.remote_hidden,"
    " created_at = excluded.created_at";
const std::string kDeleteCallDialog =
    "DELETE FROM call_dialogs WHERE aor = $1 AND call_id = $2 AND local_tag = $3 AND remote_tag = $4";
const std::string kLoadCallDialogs =
    "SELECT " + kCallDialogColumns + " FROM call_dialogs ORDER BY aor, created_at, call_id, local_tag, remote_tag";
const std::string kDeleteCallDialogsBefore = "DELETE FROM call_dialogs WHERE created_at < $1";

}  // namespace

Result<void> SqlStore::SaveCallDialog(const CallDialog& d) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    if (d.aor.empty() || d.call_id.empty()) return Error(kErrInvalid, "a call needs an AOR and a Call-ID");
    auto r = Run(kSaveCallDialog, {d.aor, d.call_id, d.local_tag, d.remote_tag, int64_t{d.initiator},
                                   int64_t{d.from_trying}, d.local_identity, d.local_display, d.remote_identity,
                                   d.remote_display, int64_t{d.remote_hidden}, d.created_at});
    if (!r.ok()) return r.take_error();
    return Ok();
  });
}

Result<bool> SqlStore::DeleteCallDialog(const std::string& aor, const std::string& call_id,
                                        const std::string& local_tag, const std::string& remote_tag) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto n = Run(kDeleteCallDialog, {aor, call_id, local_tag, remote_tag});
    if (!n.ok()) return n.take_error();
    return *n > 0;
  });
}

Result<std::vector<CallDialog>> SqlStore::LoadCallDialogs() {
  return Guarded<std::vector<CallDialog>>(Mode::kSingle, [&]() -> Result<std::vector<CallDialog>> {
    SqlRows rows;
    if (auto r = Run(kLoadCallDialogs, {}, &rows); !r.ok()) return r.take_error();
    std::vector<CallDialog> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      CallDialog& d = out[i];
      d.aor = rows.at(i, 0);
      d.call_id = rows.at(i, 1);
      d.local_tag = rows.at(i, 2);
      d.remote_tag = rows.at(i, 3);
      d.initiator = ToInt(rows.at(i, 4)) != 0;
      d.from_trying = ToInt(rows.at(i, 5)) != 0;
      d.local_identity = rows.at(i, 6);
      d.local_display = rows.at(i, 7);
      d.remote_identity = rows.at(i, 8);
      d.remote_display = rows.at(i, 9);
      d.remote_hidden = ToInt(rows.at(i, 10)) != 0;
      d.created_at = ToInt(rows.at(i, 11));
    }
    return out;
  });
}

Result<size_t> SqlStore::DeleteCallDialogsBefore(int64_t created_before) {
  return Guarded<size_t>(Mode::kSingle, [&]() -> Result<size_t> {
    auto n = Run(kDeleteCallDialogsBefore, {created_before});
    if (!n.ok()) return n.take_error();
    return static_cast<size_t>(*n);
  });
}

}  // namespace parley::store
