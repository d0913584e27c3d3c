#pragma once
// Users' own presence lists (RFC 4826 §4): each user's rls-services
// document (XCAP, application/rls-services+xml, services_doc.h) names
// services - a URI of ours and the list of resources behind it. The
// directory holds every
// service of every user, one immutable snapshot per shard replaced (by a
// post) when the change feed reports an rls-services document changed, as
// the group directory does.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "presence/rls/services_doc.h"
#include "proxy/shards.h"
#include "store/executor.h"
#include "store/store.h"

namespace parley::presence {

struct ServiceEntry {
  std::string owner;                 // the user whose document defines it
  std::vector<std::string> members;
  std::optional<std::vector<std::string>> packages;  // its event packages; nullopt: every one
  bool Serves(std::string_view package) const { return ServesPackage(packages, package); }
};
using ServiceMap = std::unordered_map<std::string, ServiceEntry>;  // by service AOR

// A service's <resource-list> (RFC 4826 §4.2) or a list's <external>,
// resolved: a list of a user's resource-lists document on this XCAP server,
// ".../resource-lists/users/<xui>/<document>/~~/resource-lists/list[@name="<list>"]",
// or one nested in named lists, ".../list[@name="a"]/list[@name="b"]" (its path);
// for an <entry-ref> (RFC 4826 §3.2, relative to the XCAP root) one entry
// of such a list, ".../list[@name="<list>"]/entry[@uri="<uri>"]".
struct ListRef {
  std::string xui;       // AOR ("alice@example.com")
  std::string document;  // "index"
  std::string list;      // the list's name, or its path when nested (kListPathSeparator)
  std::string entry;     // the entry's AOR (an <entry-ref>), else ""
  bool operator==(const ListRef&) const = default;
};
// nullopt when `uri` names anything else (read with the XCAP server's
// own document and node selector parsers).
std::optional<ListRef> ParseListRef(std::string_view uri);
std::optional<ListRef> ParseEntryRef(std::string_view uri);

// The XCAP write constraint (RFC 4826 §4.4.2): every service URI of
// `xui`'s new document is in one of our domains, is no user's AOR or
// group's, and no other user's document names it; a <resource-list>, an
// <external> or an <entry-ref> names one of the writer's own lists (or
// an entry of one). Errors: 409 with the reason, 400 for a document that
// does not parse.
Result<void> CheckServiceUris(store::Store& s, const std::string& xui, std::string_view body);

// A service's resources: its list's entries, then what the list's
// references name, depth first - the owner's own lists only (a reference
// to another user's or a global document, or to a list or entry that is
// not there, adds nothing and is logged), each list once (a cycle ends
// there), at most `RlsServicesLimits::max_resources` (the rest is left out
// and logged). A service whose URI a user or group took after it was
// written is left out (the change feed reloads the directory on user and
// group changes too).
class ServiceDirectory {
 public:
  ServiceDirectory(store::StoreExecutor& store, proxy::ShardRouter& router);
  // Reads every document; call before the loops run.
  Result<size_t> LoadFromStore();
  // Reads them again and gives each shard the new snapshot; on any thread.
  void Reload();
  // The snapshot of `shard`, on its loop.
  const ServiceMap& On(size_t shard) const { return snapshots_.On(shard); }
  // Called on each shard's loop once its new snapshot is in place (set before the loops run).
  void AddListener(std::function<void(size_t shard)> l) { snapshots_.AddListener(std::move(l)); }

 private:
  static Result<std::shared_ptr<const ServiceMap>> Read(store::Store& s);

  store::StoreExecutor& store_;
  proxy::ShardSnapshots<ServiceMap> snapshots_;
};

}  // namespace parley::presence
