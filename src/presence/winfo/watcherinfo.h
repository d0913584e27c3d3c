#pragma once
// RFC 3858 watcher information documents (application/watcherinfo+xml),
// written by hand, deterministically. Pure: no I/O, no clock.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::presence {

inline constexpr std::string_view kNsWatcherinfo = "urn:ietf:params:xml:ns:watcherinfo";

enum class WatcherStatus : uint8_t { kPending, kActive, kWaiting, kTerminated };
// The event that moved the watcher into its status (RFC 3858).
enum class WatcherEvent : uint8_t {
  kSubscribe, kApproved, kDeactivated, kProbation, kRejected, kTimeout, kGiveup, kNoresource
};

std::string_view WatcherStatusName(WatcherStatus s);  // "pending" …
std::string_view WatcherEventName(WatcherEvent e);    // "subscribe" …

struct WatcherEntry {
  std::string id;  // unique among the watchers of the resource, stable (WatcherId)
  WatcherStatus status = WatcherStatus::kPending;
  WatcherEvent event = WatcherEvent::kSubscribe;
  std::string uri;           // the watcher's URI (the element's content)
  std::string display_name;  // "" = not written
  uint32_t duration_subscribed = 0;   // seconds
  std::optional<uint32_t> expiration; // seconds until the subscription expires
  bool operator==(const WatcherEntry&) const = default;
};

struct WatcherList {
  std::string resource;  // the watched resource's URI
  std::string package;   // "presence"
  std::vector<WatcherEntry> watchers;
  bool operator==(const WatcherList&) const = default;
};

enum class WinfoState : uint8_t { kFull, kPartial };

// The document. Lists are written ordered by (resource, package) and
// watchers by id, so the same content gives the same bytes whatever the
// order of the input. A full document lists every watcher; a partial one
// only those that changed since the previous document (ChangedWatchers),
// and lists without a change are left out.
std::string WatcherinfoDocument(uint64_t version, WinfoState state, std::span<const WatcherList> lists);

// A stable watcher id: "w" + 16 hex digits of a 64-bit FNV-1a hash over the
// watcher URI, the Call-ID and the From tag of its subscription (the dialog
// that subscribes), so a refresh keeps its id and a new subscription from
// the same watcher gets a new one.
std::string WatcherId(std::string_view watcher_uri, std::string_view call_id, std::string_view from_tag);

// What a partial document carries: watchers of `now` that are new or whose
// status, event, URI or display name differ from `before` (matched by
// resource, package and id). Watchers gone from `now` are not reported: the
// caller reports a watcher as terminated once before dropping it.
std::vector<WatcherList> ChangedWatchers(std::span<const WatcherList> before, std::span<const WatcherList> now);

}  // namespace parley::presence
