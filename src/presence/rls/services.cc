#include "presence/rls/services.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "sip/uri.h"
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

// What `r` names among `owner`'s lists (a list, or an entry of one); the
// reason, as a predicate, when it names nothing of theirs.
Result<ListRef> OwnListRef(const ListReference& r, const std::string& owner) {
  auto ref = r.entry ? ParseEntryRef(r.uri) : ParseListRef(r.uri);
  if (!ref) {
    return Error(409, r.entry ? "is no entry of a list of a resource-lists document here"
                              : "is no list of a resource-lists document here "
                                "(.../resource-lists/users/<xui>/<document>/~~/resource-lists/list[@name=\"...\"])");
  }
  if (ref->xui != owner) return Error(409, "refers to another user's resource-lists document");
  return *std::move(ref);
}

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

// Resolves one service's resources for its owner (services.h).
class ListResolver {
 public:
  ListResolver(store::Store& s, const std::string& owner, const std::string& service, ListCache& cache)
      : store_(s), owner_(owner), service_(service), cache_(cache) {}

  void AddMembers(const std::vector<std::string>& members) {
    for (const std::string& aor : members) {
      if (seen_.count(aor)) continue;
      if (out_.size() >= RlsServicesLimits{}.max_resources) {
        truncated_ = true;
        return;
      }
      seen_.insert(aor);
      out_.push_back(aor);
    }
  }

  Result<void> AddRefs(const std::vector<ListReference>& refs, int depth) {
    for (const ListReference& r : refs) {
      auto ref = OwnListRef(r, owner_);
      if (!ref.ok()) {
        Skip(r.uri, ref.error().message);
        continue;
      }
      if (auto added = ref->entry.empty() ? AddList(*ref, depth) : AddEntry(*ref, r.uri); !added.ok()) return added;
    }
    return Ok();
  }

  // A list: its entries, then its references (depth first).
  Result<void> AddList(const ListRef& ref, int depth) {
    if (depth > kMaxDepth) {
      Skip(ref.list, "references nested too deep");
      return Ok();
    }
    if (!expanded_.insert({ref.document, ref.list}).second) return Ok();  // once (a cycle ends here)
    auto list = Find(ref);
    if (!list.ok()) return list.error();
    if (*list == nullptr) return Ok();  // none, while the document or list is missing
    AddMembers((*list)->members);
    return AddRefs((*list)->refs, depth + 1);
  }

  std::vector<std::string> Take() {
    if (truncated_) PLOG_WARN("rls_service_truncated", {{"user", owner_}, {"service", service_}});
    return std::move(out_);
  }

 private:
  static constexpr int kMaxDepth = 8;

  Result<const NamedList*> Find(const ListRef& ref) {
    auto lists = ListsOf(store_, ref, cache_);
    if (!lists.ok()) return lists.error();
    for (const NamedList& l : **lists) {
      if (l.name == ref.list) return &l;
    }
    return static_cast<const NamedList*>(nullptr);
  }

  Result<void> AddEntry(const ListRef& ref, const std::string& uri) {
    auto list = Find(ref);
    if (!list.ok()) return list.error();
    const NamedList* l = *list;
    if (l == nullptr || std::find(l->members.begin(), l->members.end(), ref.entry) == l->members.end()) {
      Skip(uri, "no such entry");
      return Ok();
    }
    AddMembers({ref.entry});
    return Ok();
  }

  void Skip(const std::string& what, const std::string& why) const {
    PLOG_WARN("rls_reference_skipped", {{"user", owner_}, {"service", service_}, {"reference", what}, {"why", why}});
  }

  store::Store& store_;
  const std::string& owner_;
  const std::string& service_;
  ListCache& cache_;
  UriSet seen_;
  std::vector<std::string> out_;
  std::set<std::pair<std::string, std::string>> expanded_;  // (document, list)
  bool truncated_ = false;
};

// `uri` as a selector of a list, top-level or nested in named ones
// (`entry`: of an entry of one), of a user's resource-lists document,
// absolute or relative to the XCAP root.
std::optional<ListRef> ParseSelector(std::string_view uri, bool entry) {
  const std::string auid = "/" + std::string(kResourceListsAuid) + "/";
  std::string path;
  if (uri.substr(0, auid.size() - 1) == std::string_view(auid).substr(1)) {
    path = "/" + std::string(uri);  // relative to the root (an <entry-ref>)
  } else {
    // After the XCAP root, whatever it is: ".../resource-lists/users/...".
    size_t at = uri.find(auid);
    if (at == std::string_view::npos) return std::nullopt;
    path = std::string(uri.substr(at));
  }
  auto sel = xcap::ParseDocumentSelector(path);
  if (!sel.ok() || sel->xui == "global" || !sel->node_selector) return std::nullopt;
  auto node = xcap::ParseNodeSelector(sel->node, {}, kNsResourceLists);
  if (!node.ok() || node->selects_attribute() || node->steps.size() < (entry ? 3u : 2u)) return std::nullopt;
  auto is = [](const xcap::Step& step, std::string_view local, std::string_view attr) {
    const bool attr_ok = attr.empty() ? !step.attr : (step.attr && step.attr->local == attr && step.attr->ns.empty());
    return !step.any && step.name.ns == kNsResourceLists && step.name.local == local && step.position == 0 && attr_ok;
  };
  const std::vector<xcap::Step>& steps = node->steps;
  if (!is(steps[0], "resource-lists", "")) return std::nullopt;
  const size_t lists_end = entry ? steps.size() - 1 : steps.size();
  ListRef ref{sel->xui, sel->document, "", ""};
  for (size_t i = 1; i < lists_end; ++i) {  // the list's path
    if (!is(steps[i], "list", "name")) return std::nullopt;
    if (i > 1) ref.list.push_back(kListPathSeparator);
    ref.list.append(steps[i].attr_value);
  }
  if (entry) {
    if (!is(steps.back(), "entry", "uri")) return std::nullopt;
    auto target = sip::ParseUri(steps.back().attr_value);
    if (!target.ok() || !target->is_sip() || !target->has_user) return std::nullopt;
    ref.entry = sip::AorKey(*target);
  }
  return ref;
}

}  // namespace

std::optional<ListRef> ParseListRef(std::string_view uri) { return ParseSelector(uri, false); }
std::optional<ListRef> ParseEntryRef(std::string_view uri) { return ParseSelector(uri, true); }

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
    // A reference names one of the owner's own lists (never another user's).
    if (!svc.list_ref.empty()) {
      if (auto ref = OwnListRef({false, svc.list_ref}, xui); !ref.ok()) {
        return Error(409, "<resource-list> of " + svc.uri + " " + ref.error().message);
      }
    }
    for (const ListReference& r : svc.refs) {
      if (auto ref = OwnListRef(r, xui); !ref.ok()) {
        return Error(409, (r.entry ? "<entry-ref> " : "<external> ") + r.uri + " in service " + svc.uri + " " +
                              ref.error().message);
      }
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
      // A user or group that took the URI after the service was written
      // keeps it: their SUBSCRIBEs are not a list's.
      auto owner = AddressOwner(s, *groups, svc.uri);
      if (!owner.ok()) return owner.error();
      if (*owner) {
        PLOG_WARN("rls_service_shadowed", {{"user", d.xui}, {"service", svc.uri}});
        continue;
      }
      ListResolver resolver(s, d.xui, svc.uri, cache);
      if (!svc.list_ref.empty()) {
        // The list its reference names now (none, while the document or
        // list is missing; a reference the write constraint refuses: no service).
        auto ref = OwnListRef({false, svc.list_ref}, d.xui);
        if (!ref.ok()) continue;
        if (auto r = resolver.AddList(*ref, 1); !r.ok()) return r.error();
      } else {
        resolver.AddMembers(svc.members);
        if (auto r = resolver.AddRefs(svc.refs, 1); !r.ok()) return r.error();
      }
      svc.members = resolver.Take();
      // The write constraint keeps URIs unique; a store edited by other
      // means keeps the first user's (documents come by user).
      map->try_emplace(std::move(svc.uri), ServiceEntry{d.xui, std::move(svc.members), std::move(svc.packages)});
    }
  }
  return std::shared_ptr<const ServiceMap>(std::move(map));
}

Result<size_t> ServiceDirectory::LoadFromStore() {
  auto map = store_.ReadNow<std::shared_ptr<const ServiceMap>>([this](store::Store& s) { return Read(s); });
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
