#pragma once
// Composition of one presence document from every source a presentity has
// (publications and registrations), and the documents authorization hands
// out instead of it. The rules are in README.md beside this file.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "presence/doc/pidf.h"

namespace parley::presence {

// The users' hard state (RFC 4827): a PIDF document each user keeps over
// XCAP (`/xcap/pidf-manipulation/users/<aor>/index`), composed with the
// publications as their oldest source (`Compose`'s `hard_state`).
inline constexpr std::string_view kPidfManipulationAuid = "pidf-manipulation";
inline constexpr std::string_view kPidfManipulationDocument = "index";

// One live publication (RFC 3903): the caller leaves expired ones out.
struct Publication {
  std::string etag;          // its current entity-tag
  int64_t published_at = 0;  // Unix seconds of the PUBLISH that carried this body
  PresenceDoc doc;           // as parsed (and validated) from that body
};

// One live registration binding of the presentity's AOR.
struct RegisteredContact {
  std::string uri;            // the Contact URI
  std::optional<uint16_t> q;  // its q value in thousandths, if it had one
};

// The presentity's document at `now` (Unix seconds). Deterministic: the same
// inputs in any order give the same document. `hard_state` (RFC 4827, the
// user's pidf-manipulation document, or null) is the oldest source: its
// person shows while no publication has one, its tuples, devices and notes
// are united with theirs, and it does not hide the registrations (only
// published tuples do). `on_the_phone`: the user is in an answered call
// through us, an implicit source of the person's activities (RFC 4480
// "on-the-phone", added to what was published).
PresenceDoc Compose(std::string_view entity, std::span<const Publication> publications,
                    std::span<const RegisteredContact> registrations, int64_t now,
                    const PresenceDoc* hard_state = nullptr, bool on_the_phone = false);

// One "closed" tuple and nothing else: what a presentity with no source at
// all looks like.
PresenceDoc Offline(std::string_view entity);

// polite-block (RFC 5025 §3.2.1) and invisible (lurking) watchers get
// exactly the offline document, so they cannot tell either from offline.
PresenceDoc PoliteBlock(std::string_view entity);
PresenceDoc Invisible(std::string_view entity);

}  // namespace parley::presence
