#pragma once
// The presentities one shard owns: their live publications (RFC 3903) and
// the composed document watchers get, cached until a source changes.
// Pure state on one loop: the agent (agent.h) does the I/O around it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/timer.h"
#include "presence/doc/compose.h"
#include "presence/doc/pidf.h"

namespace parley::presence {

struct LivePublication {
  std::string etag;
  int64_t published_at_ms = 0;  // of the PUBLISH that carried this body
  int64_t expires_at = 0;       // unix seconds
  PresenceDoc doc;
  std::string body;             // as published (what the store keeps)
  TimerId timer = 0;
  // The RFC 5262 version of the last pidf-full/pidf-diff that made `body`
  // (RFC 5264); none for a PIDF body or a publication read at startup.
  std::optional<uint32_t> version;
};

struct Presentity {
  std::vector<LivePublication> pubs;
  // Composition cache, dropped when a publication or a binding changes.
  // On the heap: a PresenceDoc is kilobytes, and a presentity that only
  // has watchers keeps its serialized bodies alone (PresenceAgent::FullState).
  std::unique_ptr<PresenceDoc> composed;
  std::unordered_map<uint32_t, std::string> bodies;  // serialized, per authorization view
  void Invalidate() {
    composed.reset();
    bodies.clear();
  }
};

// A PUBLISH after the checks that need no state (RFC 3903 §6 steps 1–5).
struct PublishOp {
  std::string aor;
  std::string if_match;        // SIP-If-Match, "" for an initial publication
  uint32_t expires = 0;        // already bounded; 0 removes
  std::optional<PresenceDoc> doc;  // the parsed body, if any
  std::string body;
  // RFC 5264: a <pidf-diff> to apply to the publication `if_match` names
  // (PresenceAgent::Publish turns it into `doc` and `body`), and the
  // version of the pidf-full/pidf-diff this PUBLISH carries.
  std::string diff;
  std::optional<uint32_t> version;
  int64_t now = 0;             // unix seconds
  int64_t now_ms = 0;
};

struct PublishResult {
  int status = 200;
  std::string reason;
  std::string etag;             // the new entity-tag (2xx, not for a removal)
  uint32_t expires = 0;
  std::string replaced_etag;    // the entity-tag this PUBLISH retired, if any
  bool changed = false;         // the presentity's document may have changed
};

class PresentityTable {
 public:
  explicit PresentityTable(size_t max_publications) : max_publications_(max_publications) {}

  // Applies a PUBLISH (§6 steps 6–8). A new entity-tag is made for every
  // successful one, refreshes included. `new_etag` is the tag to assign.
  PublishResult Publish(const PublishOp& op, const std::string& new_etag);
  // Removes an expired publication; false if it is not there (anymore).
  bool Expire(const std::string& aor, const std::string& etag);
  // Takes every publication of `aor` out (its user was deleted); returns
  // their expiry timers, for the caller to cancel.
  std::vector<TimerId> RemoveAll(const std::string& aor);
  // Adds a stored publication at startup.
  void Restore(const std::string& aor, LivePublication pub);

  Presentity* Find(const std::string& aor);
  const LivePublication* FindPublication(const std::string& aor, const std::string& etag) const;
  // Whether the presentity's publications contribute tuples (then the
  // registrations do not show in its document).
  bool HasPublishedTuples(const std::string& aor) const;
  // The composed document (cached) for `entity`; `on_the_phone`: the user
  // is in an answered call (see Compose).
  const PresenceDoc& Composed(const std::string& aor, const std::string& entity,
                              const std::vector<RegisteredContact>& registrations, int64_t now,
                              bool on_the_phone = false);
  void Invalidate(const std::string& aor);
  size_t publications() const { return publications_; }

  // The user's hard state (RFC 4827 pidf-manipulation document), composed
  // with the publications; nullopt removes it.
  void SetHardState(const std::string& aor, std::optional<PresenceDoc> doc);
  size_t hard_states() const { return hard_.size(); }

 private:
  size_t max_publications_;
  size_t publications_ = 0;
  std::unordered_map<std::string, Presentity> presentities_;
  std::unordered_map<std::string, PresenceDoc> hard_;
};

}  // namespace parley::presence
