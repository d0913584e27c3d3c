#include "dialoginfo/user_dialogs.h"

#include <algorithm>

namespace parley::dialoginfo {

namespace {

bool SameCall(const Dialog& d, std::string_view call_id, std::string_view caller_tag) {
  return d.call_id == call_id && d.caller_tag() == caller_tag;
}

}  // namespace

void UserDialogs::Prune(int64_t now, const DialogLimits& limits) {
  std::erase_if(dialogs_, [&](const Dialog& d) { return now - d.created_at > limits.max_age_s; });
}

std::vector<Dialog> UserDialogs::Apply(const DialogUpdate& u, int64_t now, const DialogLimits& limits) {
  Prune(now, limits);
  std::vector<Dialog> changed;
  auto end = [&](Dialog& d, EndEvent event, int code) {
    d.state = DialogState::kTerminated;
    d.event = event;
    d.code = code;
    changed.push_back(d);
  };
  const Dialog& in = u.dialog;
  auto end_early_of_call = [&](EndEvent event, int code) {
    for (Dialog& d : dialogs_) {
      if (d.state == DialogState::kEarly && SameCall(d, in.call_id, in.caller_tag())) end(d, event, code);
    }
  };
  switch (u.kind) {
    case DialogUpdate::Kind::kResponse: {
      auto found = std::find_if(dialogs_.begin(), dialogs_.end(),
                                [&](const Dialog& d) { return d.Is(in.call_id, in.local_tag, in.remote_tag); });
      if (u.status >= 300) {
        if (found != dialogs_.end()) end(*found, EventForFailure(u.status), u.status);
        break;
      }
      const DialogState state = u.status >= 200 ? DialogState::kConfirmed : DialogState::kEarly;
      if (found == dialogs_.end()) {
        if (limits.max_dialogs == 0) break;
        if (dialogs_.size() >= limits.max_dialogs) dialogs_.erase(dialogs_.begin());  // the oldest
        Dialog d = in;
        d.state = state;
        d.event = EndEvent::kNone;
        d.code = state == DialogState::kEarly ? u.status : 0;
        d.created_at = now;
        dialogs_.push_back(std::move(d));
        changed.push_back(dialogs_.back());
      } else if (found->state == DialogState::kEarly && state == DialogState::kConfirmed) {
        found->state = state;
        found->code = 0;
        changed.push_back(*found);
      } else {
        break;  // another provisional of an early dialog, or a retransmitted 2xx
      }
      if (state == DialogState::kConfirmed) {
        // The answer ends the call's other early dialogs (the branches
        // the proxy cancels).
        end_early_of_call(EndEvent::kCancelled, 0);
      }
      break;
    }
    case DialogUpdate::Kind::kCallFailed:
      end_early_of_call(EventForFailure(u.status), u.status);
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
