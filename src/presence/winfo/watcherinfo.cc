#include "presence/winfo/watcherinfo.h"

#include <algorithm>
#include <cstdio>

#include "presence/doc/xml.h"

namespace parley::presence {

namespace {

void Attr(std::string& out, std::string_view name, std::string_view value) {
  out.append(" ").append(name).append("=\"");
  AppendXmlAttr(out, value);
  out.push_back('"');
}

bool ListLess(const WatcherList* a, const WatcherList* b) {
  return a->resource != b->resource ? a->resource < b->resource : a->package < b->package;
}

const WatcherEntry* Find(std::span<const WatcherList> lists, const WatcherList& list, const std::string& id) {
  for (const auto& l : lists) {
    if (l.resource != list.resource || l.package != list.package) continue;
    for (const auto& w : l.watchers) {
      if (w.id == id) return &w;
    }
  }
  return nullptr;
}

}  // namespace

std::string_view WatcherStatusName(WatcherStatus s) {
  switch (s) {
    case WatcherStatus::kPending: return "pending";
    case WatcherStatus::kActive: return "active";
    case WatcherStatus::kWaiting: return "waiting";
    case WatcherStatus::kTerminated: return "terminated";
  }
  return "pending";
}

std::string_view WatcherEventName(WatcherEvent e) {
  switch (e) {
    case WatcherEvent::kSubscribe: return "subscribe";
    case WatcherEvent::kApproved: return "approved";
    case WatcherEvent::kDeactivated: return "deactivated";
    case WatcherEvent::kProbation: return "probation";
    case WatcherEvent::kRejected: return "rejected";
    case WatcherEvent::kTimeout: return "timeout";
    case WatcherEvent::kGiveup: return "giveup";
    case WatcherEvent::kNoresource: return "noresource";
  }
  return "subscribe";
}

std::string WatcherinfoDocument(uint64_t version, WinfoState state, std::span<const WatcherList> lists) {
  std::vector<const WatcherList*> order;
  for (const auto& l : lists) order.push_back(&l);
  std::stable_sort(order.begin(), order.end(), ListLess);

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<watcherinfo xmlns=\"";
  out.append(kNsWatcherinfo).append("\"");
  Attr(out, "version", std::to_string(version));
  Attr(out, "state", state == WinfoState::kFull ? "full" : "partial");
  out.append(">\n");
  for (const WatcherList* l : order) {
    if (state == WinfoState::kPartial && l->watchers.empty()) continue;
    out.append("  <watcher-list");
    Attr(out, "resource", l->resource);
    Attr(out, "package", l->package);
    if (l->watchers.empty()) {
      out.append("/>\n");
      continue;
    }
    out.append(">\n");
    std::vector<const WatcherEntry*> watchers;
    for (const auto& w : l->watchers) watchers.push_back(&w);
    std::stable_sort(watchers.begin(), watchers.end(),
                     [](const WatcherEntry* a, const WatcherEntry* b) { return a->id < b->id; });
    for (const WatcherEntry* w : watchers) {
      out.append("    <watcher");
      Attr(out, "id", w->id);
      Attr(out, "status", WatcherStatusName(w->status));
      Attr(out, "event", WatcherEventName(w->event));
      if (!w->display_name.empty()) Attr(out, "display-name", w->display_name);
      if (w->expiration) Attr(out, "expiration", std::to_string(*w->expiration));
      Attr(out, "duration-subscribed", std::to_string(w->duration_subscribed));
      out.push_back('>');
      AppendXmlText(out, w->uri);
      out.append("</watcher>\n");
    }
    out.append("  </watcher-list>\n");
  }
  out.append("</watcherinfo>\n");
  return out;
}

std::string WatcherId(std::string_view watcher_uri, std::string_view call_id, std::string_view from_tag) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a 64: stable across runs and builds
  auto mix = [&](std::string_view s) {
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h = (h ^ 0xffu) * 1099511628211ull;  // separator: ("ab","c") differs from ("a","bc")
  };
  mix(watcher_uri);
  mix(call_id);
  mix(from_tag);
  char buf[24];
  std::snprintf(buf, sizeof buf, "w%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<WatcherList> ChangedWatchers(std::span<const WatcherList> before, std::span<const WatcherList> now) {
  std::vector<WatcherList> out;
  for (const auto& list : now) {
    WatcherList changed{list.resource, list.package, {}};
    for (const auto& w : list.watchers) {
      const WatcherEntry* old = Find(before, list, w.id);
      if (!old || old->status != w.status || old->event != w.event || old->uri != w.uri ||
          old->display_name != w.display_name) {
        changed.watchers.push_back(w);
      }
    }
    if (!changed.watchers.empty()) out.push_back(std::move(changed));
  }
  return out;
}

}  // namespace parley::presence
