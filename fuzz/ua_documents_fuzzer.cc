// The client's readers of the documents a server sends in NOTIFYs:
// reginfo (RFC 3680), watcherinfo (RFC 3858), dialog-info (RFC 4235).
// Arbitrary bytes never crash them; a dialog-info document that applies
// leaves every dialog it named that is not terminated in the state, and
// never more than the bound.

#include <cstddef>
#include <cstdint>
#include <string>

#include "ua/dialog_info.h"
#include "ua/presence_formats.h"

using namespace parley::ua;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)ParseRegInfo(body);
  WatcherInfoState winfo;
  (void)winfo.Apply(body);
  (void)winfo.Apply(body);  // the same again: stale, or out of sequence

  DialogInfoState dialogs;
  auto named = dialogs.Apply(body);
  if (!named.ok()) {
    int code = named.error().code;  // unreadable, too many dialogs, a partial one first
    if (code != 400 && code != 413 && code != 409) __builtin_trap();
    return 0;
  }
  if (dialogs.dialogs().size() > DialogInfoState::kMaxDialogs) __builtin_trap();
  for (const DialogEntry& e : *named) {
    if (e.id.empty() || e.state.empty()) __builtin_trap();
    bool kept = dialogs.dialogs().count(e.id) != 0;
    // A later entry with the same id may have ended what an earlier one began.
    if (e.state != "terminated" && !kept) {
      bool ended_later = false;
      for (const DialogEntry& f : *named) ended_later |= f.id == e.id && f.state == "terminated";
      if (!ended_later) __builtin_trap();
    }
  }
  auto again = dialogs.Apply(body);  // a full one again: stale; a partial one: out of sequence
  if (again.ok() && !again->empty() && dialogs.last_full()) __builtin_trap();
  return 0;
}
