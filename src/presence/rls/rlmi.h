#pragma once
// Resource list notifications (RFC 4662 §5): the RLMI document
// (application/rlmi+xml) naming the list's resources and the state of each
// one's virtual subscription, sent as the root of a multipart/related body
// with one part per resource whose state is known. Pure: no I/O, no clock.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::presence {

enum class InstanceState : uint8_t { kNone, kActive, kPending, kTerminated };
// "active", "pending", "terminated" ("" for kNone).
std::string_view InstanceStateName(InstanceState s);

struct RlmiResource {
  std::string uri;             // "sip:bob@example.com"
  InstanceState state = InstanceState::kNone;  // kNone: no instance (not subscribed yet)
  std::string reason;          // of a terminated instance ("rejected")
  std::string body;            // the resource's document (active instances only)
  std::string body_type;       // its content type ("application/pidf+xml")
};

struct RlmiList {
  std::string uri;      // the list's URI ("sip:team@example.com")
  uint32_t version = 0;
  bool full_state = true;
  std::vector<RlmiResource> resources;
  // Parts named "Content-Id: <cid>" without the angle brackets (RFC 2392
  // has them): liblinphone finds a resource's part by that header's exact
  // name and value.
  bool bare_content_ids = false;
};

// The instance id of a resource's virtual subscription: stable for the
// resource (the same in every notification of the list).
std::string InstanceId(std::string_view resource_uri);

// The multipart/related body: the RLMI document first, then each active
// resource's document (Content-ID = the instance's cid). Its boundary is
// chosen so that no part contains it.
std::string BuildListBody(const RlmiList& list);

// The Content-Type of a body BuildListBody made (type, start and boundary
// read from it); "" when `body` is not one.
std::string ListContentType(std::string_view body);

// A list notification taken apart (what a subscriber does with one): the
// RLMI document of a multipart/related body whose Content-Type value is
// `content_type` (its boundary, type application/rlmi+xml), and each active
// instance's part (found by its cid, Content-ID with or without <>; a
// resource whose part is missing keeps no body). Each resource's first
// instance counts. Errors: 400 naming the fault, 413 beyond `max_resources`.
Result<RlmiList> ParseListBody(std::string_view content_type, std::string_view body, size_t max_resources = 1000);

}  // namespace parley::presence
