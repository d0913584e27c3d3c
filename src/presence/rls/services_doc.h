#pragma once
// rls-services documents (RFC 4826 §4): a user's presence list services -
// each a URI of ours and the resources behind it - and the resource-lists
// documents of RFC 5367 list SUBSCRIBEs. Pure: parsing only.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::presence {

inline constexpr std::string_view kRlsServicesAuid = "rls-services";
inline constexpr std::string_view kRlsServicesType = "application/rls-services+xml";
inline constexpr std::string_view kNsRlsServices = "urn:ietf:params:xml:ns:rls-services";

struct RlsServicesLimits {
  size_t max_body_bytes = 256 * 1024;
  size_t max_services = 32;
  size_t max_resources = 500;  // per service, nested lists included
  size_t max_lists = 64;       // top-level lists of a resource-lists document
};

// A reference inside a list (RFC 4826 §3.2): `<external anchor>` names
// another list (an absolute HTTP URI), `<entry-ref ref>` one entry of a list
// (relative to the XCAP root). Kept as written; services.h resolves them.
struct ListReference {
  bool entry = false;  // <entry-ref>, else <external>
  std::string uri;
  bool operator==(const ListReference&) const = default;
};

// Whether a service whose <packages> (nullopt: absent) are `packages`
// serves subscriptions to `package`.
inline bool ServesPackage(const std::optional<std::vector<std::string>>& packages, std::string_view package) {
  return !packages || std::find(packages->begin(), packages->end(), package) != packages->end();
}

struct RlsService {
  std::string uri;                   // the service's AOR ("alice-buddies@example.com")
  std::vector<std::string> members;  // AORs, in document order, each once (an inline <list>)
  std::vector<ListReference> refs;   // the inline list's references, in document order
  std::string list_ref;              // or the <resource-list> URI naming its list (services.h resolves it)
  // The event packages of its <packages> (RFC 4826 §4.2); nullopt when
  // absent: every package the list server serves.
  std::optional<std::vector<std::string>> packages;
  bool Serves(std::string_view package) const { return ServesPackage(packages, package); }
};

// Parses an rls-services document. A service's resources are an inline
// <list> (entries and references; nested lists flattened) or a
// <resource-list> reference (kept as written); URIs that are no SIP AOR and
// a service URI given twice are refused. References count against
// `max_resources` like entries. Errors: 400 with the reason, 413 for a limit.
Result<std::vector<RlsService>> ParseRlsServices(std::string_view body, const RlsServicesLimits& limits = {});

inline constexpr std::string_view kResourceListsAuid = "resource-lists";
inline constexpr std::string_view kResourceListsType = "application/resource-lists+xml";
inline constexpr std::string_view kNsResourceLists = "urn:ietf:params:xml:ns:resource-lists";

// A user's resource-lists document over XCAP (RFC 4826 §3): its top-level
// lists by name (each flattened: nested lists' entries and references too,
// each AOR once), then every named list nested in a named one under its
// path, the names joined by kListPathSeparator (flattened the same way),
// for references to it. An
// entry whose URI is no SIP AOR (tel:, mailto: in an address book) is no
// presence resource and left out. Names of sibling lists are unique; an
// unnamed top-level list is kept with name "". Errors: 400 with the
// reason, 413 for a limit (`max_lists` top-level lists, four times as many
// with the nested ones).
// Joins the names of a nested list's path ("outer", "inner"): a character
// XML 1.0 does not allow, so no list name contains it.
inline constexpr char kListPathSeparator = '\x1f';

struct NamedList {
  std::string name;
  std::vector<std::string> members;
  std::vector<ListReference> refs;
};
Result<std::vector<NamedList>> ParseResourceListsDocument(std::string_view body, const RlsServicesLimits& limits = {});

// The resources of a resource-lists document (RFC 4826 §3) as a SUBSCRIBE
// carries it (RFC 5367): the entries of every <list>, nested lists
// flattened, each AOR once, in document order; the same refusals and
// limits as a service's list, and 400 for a document without resources
// and for references (nothing of the subscriber's is read for a SUBSCRIBE).
Result<std::vector<std::string>> ParseResourceLists(std::string_view body, const RlsServicesLimits& limits = {});

}  // namespace parley::presence
