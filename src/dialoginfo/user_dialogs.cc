#include "dialoginfo/user_dialogs.h"

#include <algorithm>

namespace parley::dialoginfo {

namespace {

bool SameCall(const Dialog& d, std::string_view call_id, std::string_view caller_tag) {
  return d.call_id == call_id && d.caller_tag() == caller_tag;
}

// The targets a response brought (a 2xx's Contact may be a GRUU where the
// provisional's was not, or the other way round).
void TakeTargets(Dialog& d, const Dialog& in) {
  if (!in.local.target.empty()) d.local.target = in.local.target;
  if (!in.remote.target.empty()) d.remote.target = in.remote.target;
}

// A dialog the limits drop: its end was not seen (no event, no code).
Dialog Dropped(Dialog d) {
  d.state = DialogState::kTerminated;
  d.event = EndEvent::kNone;
  d.code = 0;
  return d;
}

}  // namespace

std::vector<Dialog> UserDialogs::Prune(int64_t now, const DialogLimits& limits) {
  std::vector<Dialog> dropped;
  std::erase_if(dialogs_, [&](Dialog& d) {
    if (now - d.created_at <= limits.max_age_s) return false;
    dropped.push_back(Dropped(std::move(d)));
    return true;
  });
  return dropped;
}

std::optional<Dialog> UserDialogs::Restore(Dialog d, const DialogLimits& limits) {
  if (limits.max_dialogs == 0) return Dropped(std::move(d));
  bool held = std::any_of(dialogs_.begin(), dialogs_.end(),
                          [&](const Dialog& x) { return x.Is(d.call_id, d.local_tag, d.remote_tag); });
  if (held) return std::nullopt;
  std::optional<Dialog> dropped;
  if (dialogs_.size() >= limits.max_dialogs) {
    dropped = Dropped(std::move(dialogs_.front()));
    dialogs_.erase(dialogs_.begin());
  }
  dialogs_.push_back(std::move(d));
  return dropped;
}

void UserDialogs::MarkStored(std::string_view call_id, std::string_view local_tag, std::string_view remote_tag) {
  for (Dialog& d : dialogs_) {
    if (d.Is(call_id, local_tag, remote_tag)) d.stored = true;
  }
}

std::vector<Dialog> UserDialogs::Apply(const DialogUpdate& u, int64_t now, const DialogLimits& limits) {
  std::vector<Dialog> changed = Prune(now, limits);
  auto end = [&](Dialog& d, EndEvent event, int code) {
    d.state = DialogState::kTerminated;
    d.event = event;
    d.code = code;
    changed.push_back(d);
  };
  const Dialog& in = u.dialog;
  auto end_unanswered_of_call = [&](EndEvent event, int code) {
    for (Dialog& d : dialogs_) {
      if (IsUnanswered(d.state) && SameCall(d, in.call_id, in.caller_tag())) end(d, event, code);
    }
  };
  // A new dialog in `state` (false when the user keeps no dialogs).
  auto add = [&](DialogState state, int code) {
    if (limits.max_dialogs == 0) return false;
    if (dialogs_.size() >= limits.max_dialogs) {  // the oldest goes
      changed.push_back(Dropped(std::move(dialogs_.front())));
      dialogs_.erase(dialogs_.begin());
    }
    Dialog d = in;
    d.state = state;
    d.event = EndEvent::kNone;
    d.code = code;
    d.created_at = now;
    d.from_trying = false;
    d.stored = false;
    dialogs_.push_back(std::move(d));
    changed.push_back(dialogs_.back());
    return true;
  };
  switch (u.kind) {
    case DialogUpdate::Kind::kTrying: {
      bool known = std::any_of(dialogs_.begin(), dialogs_.end(),
                               [&](const Dialog& d) { return SameCall(d, in.call_id, in.caller_tag()); });
      if (!known) add(DialogState::kTrying, 0);  // else a retransmission, or the INVITE spiralled back
      break;
    }
    case DialogUpdate::Kind::kResponse: {
      auto found = std::find_if(dialogs_.begin(), dialogs_.end(),
                                [&](const Dialog& d) { return d.Is(in.call_id, in.local_tag, in.remote_tag); });
      // The caller's call before any dialog of it was made.
      auto trying = in.direction != Direction::kInitiator
                        ? dialogs_.end()
                        : std::find_if(dialogs_.begin(), dialogs_.end(), [&](const Dialog& d) {
                            return d.state <= DialogState::kProceeding && SameCall(d, in.call_id, in.caller_tag());
                          });
      const std::string_view callee_tag = in.direction == Direction::kInitiator ? in.remote_tag : in.local_tag;
      if (callee_tag.empty()) {
        // A provisional without a To tag: proceeding.
        if (u.status < 200 && trying != dialogs_.end() && trying->state == DialogState::kTrying) {
          trying->state = DialogState::kProceeding;
          trying->code = u.status;
          changed.push_back(*trying);
        }
        break;
      }
      if (u.status >= 300) {
        // That branch's dialog ended; a trying call waits for its others
        // (the call's own failure ends it).
        if (found != dialogs_.end()) end(*found, EventForFailure(u.status), u.status);
        break;
      }
      const DialogState state = u.status >= 200 ? DialogState::kConfirmed : DialogState::kEarly;
      const int code = state == DialogState::kEarly ? u.status : 0;
      if (found == dialogs_.end() && trying != dialogs_.end()) {
        trying->remote_tag = in.remote_tag;
        TakeTargets(*trying, in);  // the branch that answered
        trying->from_trying = true;
        trying->state = state;
        trying->code = code;
        changed.push_back(*trying);
      } else if (found == dialogs_.end()) {
        if (!add(state, code)) break;
      } else if (found->state == DialogState::kEarly && state == DialogState::kConfirmed) {
        found->state = state;
        found->code = 0;
        TakeTargets(*found, in);
        changed.push_back(*found);
      } else {
        break;  // another provisional of an early dialog, or a retransmitted 2xx
      }
      if (state == DialogState::kConfirmed) {
        // The answer ends the call's other unanswered dialogs (the
        // branches the proxy cancels).
        end_unanswered_of_call(EndEvent::kCancelled, 0);
      }
      break;
    }
    case DialogUpdate::Kind::kCallFailed:
      end_unanswered_of_call(EventForFailure(u.status), u.status);
      break;
    case DialogUpdate::Kind::kBye:
      for (Dialog& d : dialogs_) {
        if (d.state != DialogState::kTerminated && d.Is(in.call_id, in.local_tag, in.remote_tag)) {
          end(d, u.by_user ? EndEvent::kLocalBye : EndEvent::kRemoteBye, 0);
        }
      }
      break;
  }
  std::erase_if(dialogs_, [](const Dialog& d) { return d.state == DialogState::kTerminated; });
  return changed;
}

}  // namespace parley::dialoginfo
