#pragma once
// One user's dialogs and how what the proxy sees changes them: the INVITE a
// caller sends starts a trying dialog (a provisional without a To tag makes
// it proceeding), a branch's response with a To tag makes an early dialog
// (the first one of a call takes the trying one over) or confirms it (and
// the answer ends the call's other unanswered dialogs), a failure ends it,
// the INVITE's failure upstream ends every unanswered dialog of the call, a
// BYE ends a dialog. Pure: no clock, no I/O.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "dialoginfo/dialog_info.h"

namespace parley::dialoginfo {

struct DialogLimits {
  size_t max_dialogs = 16;         // per user: the oldest go
  int64_t max_age_s = 12 * 3600;   // a dialog whose end we never saw
};

// A change of one user's dialogs, as the proxy saw it.
struct DialogUpdate {
  enum class Kind : uint8_t {
    kTrying,      // the caller's INVITE went out (the caller's side only; no remote tag)
    kResponse,    // a branch's response: early, confirmed, that dialog failed (a To tag),
                  // or proceeding (the caller's side, a provisional without one)
    kCallFailed,  // the INVITE failed upstream: every dialog of the call not confirmed ends
    kBye,         // a BYE in the dialog
  };
  Kind kind = Kind::kResponse;
  int status = 0;        // kResponse, kCallFailed
  bool by_user = false;  // kBye: the user's side sent it
  Dialog dialog;         // call_id, tags, direction, parties (kCallFailed: the caller's tag only)
};

class UserDialogs {
 public:
  // Applies `u` at `now`; returns the dialogs it changed, as they are now
  // (the terminated ones are no longer kept). Dialogs the limits drop (too
  // old, or the oldest beyond max_dialogs) are among them, terminated
  // without an event: a watcher must not keep a dialog nobody tracks.
  std::vector<Dialog> Apply(const DialogUpdate& u, int64_t now, const DialogLimits& limits);
  // Drops dialogs older than the limit; returns them, terminated.
  std::vector<Dialog> Prune(int64_t now, const DialogLimits& limits);
  // Takes back an answered dialog kept over a restart (oldest first: the
  // newest stay within the limit); one it holds already is left alone.
  // Returns the dialog the limit dropped to make room, if any.
  std::optional<Dialog> Restore(Dialog d, const DialogLimits& limits);
  // Notes that the dialog is kept in the store.
  void MarkStored(std::string_view call_id, std::string_view local_tag, std::string_view remote_tag);
  const std::vector<Dialog>& dialogs() const { return dialogs_; }
  bool empty() const { return dialogs_.empty(); }
  // Whether one of them is answered (the user is on the phone).
  bool InCall() const {
    return std::any_of(dialogs_.begin(), dialogs_.end(),
                       [](const Dialog& d) { return d.state == DialogState::kConfirmed; });
  }

 private:
  std::vector<Dialog> dialogs_;  // oldest first
};

}  // namespace parley::dialoginfo
