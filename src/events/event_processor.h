#pragma once
// SUBSCRIBE handling on a request's shard (RFC 6665 §4.2.1): picks the
// event package (489 with Allow-Events for unknown ones), checks Accept
// (406) and Expires (423 with Min-Expires, capped), and hands the
// subscription to the notifier on the resource's shard. In-dialog
// refreshes find their subscription through the Contact we gave
// ("ev-<shard>-<id>@…"); an unknown dialog gets 481. A new SUBSCRIBE
// requiring an extension we do not serve gets 420.

#include <functional>
#include <string>
#include <vector>

#include "events/notifier.h"
#include "proxy/processor.h"
#include "proxy/shards.h"

namespace parley::events {

struct EventConfig {
  uint32_t min_expires = 60;
  uint32_t max_expires = 3600;
};

class EventProcessor : public proxy::Processor {
 public:
  EventProcessor(const EventConfig& config, proxy::Sharded<Notifier>& notifiers, std::vector<EventPackage*> packages);
  std::string_view name() const override { return "events"; }
  proxy::Verdict Process(proxy::RequestContextPtr& ctx, proxy::ProcessorHost& host) override;

  std::string AllowEvents() const;

  // Lists in the request (RFC 5367): a new SUBSCRIBE for a list
  // package to a resource `accepts` names (the list server's URI) carries
  // the resources to watch; `take` reads them for the authenticated
  // subscriber. Such a SUBSCRIBE may require "recipient-list-subscribe".
  struct RequestList {
    int status = 0;  // 0: taken, else the refusal and its extra header fields
    std::string reason;
    proxy::ExtraHeaders extra;
    std::string resource;          // the subscription's resource: the list's own URI
    std::function<void()> define;  // on that resource's shard, before the subscription is made
  };
  struct RequestLists {
    std::function<bool(const std::string& resource)> accepts;
    std::function<RequestList(const sip::Message& m, const std::string& subscriber)> take;
  };

  // Resource lists (RFC 4662): a SUBSCRIBE for `list`'s package whose
  // resource `is_list` says is a list (on the request's shard), or one
  // carrying its list (`request_lists`, may be empty), goes to `list`;
  // without `Supported: eventlist` it gets 421. One list package per
  // event package.
  using IsListFn = std::function<bool(size_t shard, const std::string& resource)>;
  void AddListPackage(EventPackage* list, IsListFn is_list, RequestLists request_lists = {}) {
    lists_.push_back({list, std::move(is_list), std::move(request_lists)});
  }

 private:
  EventPackage* Find(std::string_view name) const;
  // The SUBSCRIBE's final response: an error, or the 2xx then `a.answered`.
  void Answer(proxy::RequestContext& ctx, proxy::ProcessorHost& host, const SubscribeAnswer& a);

  const EventConfig& config_;
  proxy::Sharded<Notifier>& notifiers_;
  std::vector<EventPackage*> packages_;
  struct ListPackage {
    EventPackage* package;
    IsListFn is_list;
    RequestLists request_lists;
  };
  std::vector<ListPackage> lists_;
};

}  // namespace parley::events
