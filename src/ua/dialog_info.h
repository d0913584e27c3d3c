#pragma once
// The watcher's side of the dialog event package (RFC 4235): the calls of
// a user we watch, kept over full and partial application/dialog-info+xml
// documents (a partial one must carry the next version).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::ua {

struct DialogEntry {
  std::string id;
  std::string call_id;
  std::string direction;  // initiator, recipient (or "")
  std::string state;      // trying, proceeding, early, confirmed, terminated
  std::string event;      // why it ended: cancelled, rejected, replaced, local-bye, remote-bye, error, timeout
  int code = 0;           // the response that moved it (0: none given)
  std::string remote_identity, remote_display;
  uint32_t duration = 0;  // seconds
};

class DialogInfoState {
 public:
  static constexpr size_t kMaxDialogs = 256;
  // Applies a document; returns the dialogs it named (the terminated ones
  // no longer kept). A partial document out of sequence is an error with
  // code 409 (refresh the subscription for full state); a full one older
  // than what we hold is ignored (no dialogs named).
  Result<std::vector<DialogEntry>> Apply(std::string_view xml);
  // The user's dialogs now, by id.
  const std::map<std::string, DialogEntry>& dialogs() const { return dialogs_; }
  int64_t version() const { return version_; }
  // Whether the last document applied was full state.
  bool last_full() const { return last_full_; }

 private:
  int64_t version_ = -1;
  bool last_full_ = false;
  std::map<std::string, DialogEntry> dialogs_;
};

}  // namespace parley::ua
