#pragma once
// The dialog state of a user as RFC 4235 describes it, and the
// application/dialog-info+xml documents that carry it: every INVITE dialog
// the user is part of (as caller or callee), early, confirmed or just
// terminated, with who is on the other end.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace parley::dialoginfo {

enum class Direction : uint8_t { kInitiator, kRecipient };

// RFC 4235 §3.7.1. A caller's call is "trying" from the INVITE the proxy
// forwards and "proceeding" on a provisional without a To tag; the first
// response with a To tag turns it into that dialog (early or confirmed), and
// every further tag of the call (forking) is a dialog of its own.
enum class DialogState : uint8_t { kTrying, kProceeding, kEarly, kConfirmed, kTerminated };

// Not confirmed yet, not ended: trying, proceeding or early.
inline bool IsUnanswered(DialogState s) { return s < DialogState::kConfirmed; }

// Why a dialog ended (the `event` attribute of a terminated <state>).
enum class EndEvent : uint8_t { kNone, kCancelled, kRejected, kTimeout, kLocalBye, kRemoteBye, kError };

std::string_view StateName(DialogState s);
std::string_view EventName(EndEvent e);
// The end event of a dialog whose INVITE failed with `status` (≥ 300).
EndEvent EventForFailure(int status);

struct Party {
  std::string identity;  // URI
  std::string display;   // display name, unquoted; may be empty
  // Where a watcher's phone sends its INVITE with Replaces to pick the
  // call up (RFC 3891): the party's GRUU, or its address; may be empty.
  std::string target;
};

struct Dialog {
  std::string call_id;
  std::string local_tag;   // the user's side
  std::string remote_tag;  // the other side's
  Direction direction = Direction::kInitiator;
  DialogState state = DialogState::kEarly;
  EndEvent event = EndEvent::kNone;
  int code = 0;  // the response that moved it to its state (0: none)
  Party local, remote;
  // The user's dialog this one replaced (the INVITE's Replaces, RFC 3891:
  // a call picked up or transferred to them), as that user's tags; the
  // recipient's side only. Empty call_id: none.
  struct Replaced {
    std::string call_id, local_tag, remote_tag;
  } replaces;
  Party referred_by;           // the INVITE's Referred-By (RFC 3892): who transferred the call; may be empty
                               // (hidden with the caller under privacy)
  bool remote_hidden = false;  // the caller asked for privacy: no remote identity for watchers
  int64_t created_at = 0;      // unix seconds
  // The call's trying dialog became this one: its id stays the one it had
  // without a remote tag, so watchers see one dialog change state.
  bool from_trying = false;
  bool stored = false;  // kept in the store (answered, its user watched): its end deletes it

  // The caller's tag: with the Call-ID, it names the call every dialog of
  // one INVITE belongs to (forked early dialogs, the answer).
  std::string_view caller_tag() const { return direction == Direction::kInitiator ? local_tag : remote_tag; }
  bool Is(std::string_view call, std::string_view local_t, std::string_view remote_t) const {
    return call_id == call && local_tag == local_t && remote_tag == remote_t;
  }
};

// A stable id for a dialog (RFC 4235 §4.1.2: unique among the user's
// dialogs, the same in every document).
std::string DialogId(const Dialog& d);

// A dialog-info document for `entity` (a URI): state="full" lists every
// dialog the user is in, "partial" those that changed. Without
// `with_duration`, no <duration> (optional): a document kept to be sent
// later (a list's part) would tell a stale one.
std::string DialogInfoDocument(std::string_view entity, uint32_t version, bool full, std::span<const Dialog> dialogs,
                               int64_t now, bool with_duration = true);

// `document` (one DialogInfoDocument wrote) numbered `version` instead.
std::string WithVersion(std::string_view document, uint32_t version);

}  // namespace parley::dialoginfo
