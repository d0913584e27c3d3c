#include "presence/rls/services.h"

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "xcap/node_selector.h"
#include "xcap/xcap.h"

namespace parley::presence {

namespace {

using UriSet = std::set<std::string, std::less<>>;

Result<UriSet> GroupUris(store::Store& s) {
  auto groups = s.ListGroups();
  if (!groups.ok()) return groups.error();
  UriSet out;
  for (const auto& g : *groups) out.insert(g.aor);
  return out;
}

// Whose address `uri` is besides a service's: "a user's", "a group's", or
// null (`groups`: every group's URI).
Result<const char*> AddressOwner(store::Store& s, const UriSet& groups, const std::string& uri) {
  auto user = s.GetUser(uri);
  if (!user.ok()) return user.error();
  if (user->has_value()) return "a user's";
  return groups.count(uri) ? "a group's" : nullptr;
}

constexpr std::string_view kNoListRef =
    " is no top-level list of a resource-lists document here "
    "(.../resource-lists/users/<xui>/<document>/~~/resource-lists/list[@name=\"...\"])";

// The resource-lists documents a reload has read, by (xui, document).
using ListCache = std::map<std::pair<std::string, std::string>, std::vector<NamedList>>;

// The lists of the document `ref` names ("" lists when it is missing or
// unreadable), read once per reload.
Result<const std::vector<NamedList>*> ListsOf(store::Store& s, const ListRef& ref, ListCache& cache) {
  auto key = std::make_pair(ref.xui, ref.document);
  if (auto it = cache.find(key); it != cache.end()) return &it->second;
  auto doc = s.GetXcapDocument(std::string(kResourceListsAuid), ref.xui, ref.document);
  if (!doc.ok()) return doc.error();
  std::vector<NamedList>& lists = cache[key];
  if (doc->has_value()) {
    auto parsed = ParseResourceListsDocument((*doc)->content);
    if (parsed.ok()) {
      lists = std::move(*parsed);
    } else {
      PLOG_WARN("resource_lists_unreadable", {{"user", ref.xui}, {"error", parsed.error().message}});
    }
  }
  return &lists;
}

}  // namespace

std::optional<ListRef> ParseListRef(std::string_view uri) {
  // After the XCAP root, whatever it is: ".../resource-lists/users/...".
  const std::string auid = "/" + std::string(kResourceListsAuid) + "/";
  size_t at = uri.find(auid);
  if (at == std::string_view::npos) return std::nullopt;
  auto sel = xcap::ParseDocumentSelector(uri.substr(at));
  if (!sel.ok() || sel->xui == "global" || !sel->node_selector) return std::nullopt;
  auto node = xcap::ParseNodeSelector(sel->node, {}, kNsResourceLists);
  if (!node.ok() || node->selects_attribute() || node->steps.size() != 2) return std::nullopt;
  const xcap::Step& root = node->steps[0];
  const xcap::Step& list = node->steps[1];
  auto is = [](const xcap::Step& step, std::string_view local) {
    return !step.any && step.name.ns == kNsResourceLists && step.name.local == local && step.position == 0;
  };
  if (!is(root, "resource-lists") || root.attr || !is(list, "list") || !list.attr || list.attr->local != "name" ||
      !list.attr->ns.empty()) {
    return std::nullopt;
  }
  return ListRef{sel->xui, sel->document, list.attr_value};
}

Result<void> CheckServiceUris(store::Store& s, const std::string& xui, std::string_view body) {
  auto services = ParseRlsServices(body);
  if (!services.ok()) return services.error();
  if (services->empty()) return Ok();
  auto domains = s.ListDomains();
  auto groups = GroupUris(s);
  auto others = s.ListXcapDocuments(std::string(kRlsServicesAuid));
  if (!domains.ok() || !groups.ok() || !others.ok()) return Error(503, "store unavailable");
  UriSet taken;
  for (const auto& d : *others) {
    if (d.xui == xui) continue;
    auto theirs = ParseRlsServices(d.content);
    if (!theirs.ok()) continue;
    for (const auto& svc : *theirs) taken.insert(svc.uri);
  }
  for (const auto& svc : *services) {
    std::string_view domain = std::string_view(svc.uri).substr(svc.uri.find('@') + 1);
    if (std::none_of(domains->begin(), domains->end(), [&](const std::string& d) { return IEquals(d, domain); })) {
      return Error(409, "service " + svc.uri + " is not in one of our domains");
    }
    auto owner = AddressOwner(s, *groups, svc.uri);
    if (!owner.ok()) return Error(503, "store unavailable");
    if (*owner) return Error(409, "service " + svc.uri + " is " + *owner + " address");
    if (taken.count(svc.uri)) return Error(409, "service " + svc.uri + " is another user's");
    if (svc.list_ref.empty()) continue;
    auto ref = ParseListRef(svc.list_ref);
    if (!ref) return Error(409, "<resource-list> of " + svc.uri + std::string(kNoListRef));
    // A reference names one of the owner's own lists (never another user's).
    if (ref->xui != xui) {
      return Error(409, "service " + svc.uri + " refers to another user's resource-lists document");
    }
  }
  return Ok();
}

ServiceDirectory::ServiceDirectory(store::StoreExecutor& store, proxy::ShardRouter& router)
    : store_(store), snapshots_(router) {}

Result<std::shared_ptr<const ServiceMap>> ServiceDirectory::Read(store::Store& s) {
  auto docs = s.ListXcapDocuments(std::string(kRlsServicesAuid));
  if (!docs.ok()) return docs.error();
  auto groups = GroupUris(s);
  if (!groups.ok()) return groups.error();
  auto map = std::make_shared<ServiceMap>();
  ListCache cache;
  for (const auto& d : *docs) {
    auto services = ParseRlsServices(d.content);
    if (!services.ok()) {
      PLOG_WARN("rls_services_unreadable", {{"user", d.xui}, {"error", services.error().message}});
      continue;
    }
    for (auto& svc : *services) {
      if (!svc.presence) continue;
      // A user or group that took the URI after the service was written
      // keeps it: their SUBSCRIBEs are not a list's.
      auto owner = AddressOwner(s, *groups, svc.uri);
      if (!owner.ok()) return owner.error();
      if (*owner) {
        PLOG_WARN("rls_service_shadowed", {{"user", d.xui}, {"service", svc.uri}});
        continue;
      }
      if (!svc.list_ref.empty()) {
        // The list its reference names now (none, while the document or
        // list is missing; a reference the write constraint refuses: no service).
        auto ref = ParseListRef(svc.list_ref);
        if (!ref || ref->xui != d.xui) continue;
        auto lists = ListsOf(s, *ref, cache);
        if (!lists.ok()) return lists.error();
        for (const NamedList& l : **lists) {
          if (l.name == ref->list) svc.members = l.members;
        }
      }
      // The write constraint keeps URIs unique; a store edited by other
      // means keeps the first user's (documents come by user).
      map->try_emplace(std::move(svc.uri), ServiceEntry{d.xui, std::move(svc.members)});
    }
  }
  return std::shared_ptr<const ServiceMap>(std::move(map));
}

Result<size_t> ServiceDirectory::LoadFromStore() {
  std::promise<Result<std::shared_ptr<const ServiceMap>>> p;
  auto f = p.get_future();
  store_.Read([&](store::Store& s) { p.set_value(Read(s)); });
  auto map = f.get();
  if (!map.ok()) return map.error();
  snapshots_.SetAll(*map);
  return (*map)->size();
}

void ServiceDirectory::Reload() {
  store_.Read([this](store::Store& s) {
    auto map = Read(s);
    if (!map.ok()) {  // the next change tries again; until then the old snapshot serves
      PLOG_WARN("rls_services_unreadable", {{"error", map.error().message}});
      return;
    }
    snapshots_.Publish(*map);
  });
}

}  // namespace parley::presence
