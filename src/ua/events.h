#pragma once
// Everything the user agent reports, as one variant a program can visit.

#include <string>
#include <variant>
#include <vector>

#include "ua/dialog_info.h"
#include "ua/pager.h"
#include "ua/presence_formats.h"
#include "ua/registration.h"
#include "ua/subscription.h"

namespace parley::ua {

// A presentity's new state (from a presence NOTIFY).
struct PresenceEvent {
  std::string target;  // whom we watch
  PresenceInfo info;
};

// Our watchers (from a presence.winfo NOTIFY), after applying the document.
struct WatcherInfoEvent {
  std::string resource;
  std::vector<Watcher> watchers;  // every known watcher
  bool error = false;             // a document we could not apply (we resubscribe)
};

struct RegInfoEvent {
  std::string target;
  RegInfo info;
};

// The calls of a user we watch (RFC 4235), after applying a dialog-info
// document.
struct DialogInfoEvent {
  std::string target;
  std::vector<DialogEntry> dialogs;  // the user's calls now
  std::vector<DialogEntry> changed;  // what this document said (terminated ones included)
  bool full = false;                 // the document was full state
};

// A list we watch (RFC 4662) notified: its members and the state of each
// one's virtual subscription. The members' documents came just before, as
// the events of their package (PresenceEvent, DialogInfoEvent), each for
// its member.
struct ListEvent {
  std::string target;  // the list we watch
  bool full = false;   // every member is listed (else those that changed)
  struct Member {
    std::string uri;
    std::string state;   // active, pending, terminated ("" not known yet)
    std::string reason;  // of a terminated one
  };
  std::vector<Member> members;
};

// Something worth telling the user that fits nowhere else.
struct NoticeEvent {
  std::string text;
};

using Event = std::variant<RegistrationEvent, SubscriptionEvent, ReceivedMessage, ComposingIndication,
                           DeliveryNotice, PresenceEvent, WatcherInfoEvent, RegInfoEvent, DialogInfoEvent,
                           ListEvent, NoticeEvent>;

}  // namespace parley::ua
