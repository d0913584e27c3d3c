#pragma once
// Publishing our presence (RFC 3903 PUBLISH, event package "presence"):
// the first PUBLISH carries the document; the SIP-ETag of its 2xx names
// the publication, which is refreshed (SIP-If-Match, no body) before it
// expires, modified (SIP-If-Match plus body) and removed (Expires: 0). A
// 412 starts over with a fresh publication; 423 raises the expiry.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ua/core.h"
#include "ua/presence_formats.h"

namespace parley::ua {

class Publication {
 public:
  using Done = std::function<void(const Outcome&)>;
  // `failed` hears about refreshes that fail (the initial result goes to
  // each call's `done`).
  Publication(Core& core, uint32_t expires, std::function<void(const Outcome&)> refresh_failed = {});
  ~Publication();
  Publication(const Publication&) = delete;
  Publication& operator=(const Publication&) = delete;

  // Publishes or modifies the document.
  void Publish(const PresenceDoc& doc, Done done);
  // Removes the publication (no-op success when there is none).
  void Remove(Done done);

  // Takes over a publication made earlier (by another process of ours):
  // the next Publish modifies it instead of creating a second one.
  void Resume(std::string etag) { etag_ = std::move(etag); }
  void set_expires(uint32_t expires) { expires_ = expires; }

  const std::string& etag() const { return etag_; }
  uint32_t granted() const { return granted_; }
  bool published() const { return !etag_.empty(); }

 private:
  enum class Kind { kInitial, kModify, kRefresh, kRemove };
  void SendPublish(Kind kind, Done done);
  void ScheduleRefresh(uint32_t expires);

  Core& core_;
  uint32_t expires_;
  std::function<void(const Outcome&)> refresh_failed_;
  std::string body_;
  std::string etag_;
  Core::RequestId request_ = 0;
  TimerId refresh_timer_ = 0;
  bool retried_412_ = false;
  uint32_t granted_ = 0;
};

}  // namespace parley::ua
