#pragma once
// SUBSCRIBE handling on a request's shard (RFC 6665 §4.2.1): picks the
// event package (489 with Allow-Events for unknown ones), checks Accept
// (406) and Expires (423 with Min-Expires, capped), and hands the
// subscription to the notifier on the resource's shard. In-dialog
// refreshes find their subscription through the Contact we gave
// ("ev-<shard>-<id>@…"); an unknown dialog gets 481.

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

  // Resource lists (RFC 4662): a SUBSCRIBE for `list`'s package whose
  // resource `is_list` says is a list (on the request's shard) goes to
  // `list`; without `Supported: eventlist` it gets 421.
  using IsListFn = std::function<bool(size_t shard, const std::string& resource)>;
  void SetListPackage(EventPackage* list, IsListFn is_list) {
    list_ = list;
    is_list_ = std::move(is_list);
  }

 private:
  EventPackage* Find(std::string_view name) const;
  // The SUBSCRIBE's final response: an error, or the 2xx then `a.answered`.
  void Answer(proxy::RequestContext& ctx, proxy::ProcessorHost& host, const SubscribeAnswer& a);

  const EventConfig& config_;
  proxy::Sharded<Notifier>& notifiers_;
  std::vector<EventPackage*> packages_;
  EventPackage* list_ = nullptr;
  IsListFn is_list_;
};

}  // namespace parley::events
