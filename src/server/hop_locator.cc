#include "server/hop_locator.h"

namespace parley::server {

std::unique_ptr<DnsHopLocator> DnsHopLocator::Create(runtime::Loop& loop, const dns::ResolverConfig& config,
                                                     std::string* error) {
  auto r = dns::Resolver::Create(loop, config);
  if (!r.ok()) {
    if (error) *error = r.error().message;
    return nullptr;
  }
  return std::unique_ptr<DnsHopLocator>(new DnsHopLocator(std::move(*r)));
}

DnsHopLocator::DnsHopLocator(std::unique_ptr<dns::Resolver> resolver)
    : resolver_(std::move(resolver)), locator_(*resolver_) {}

DnsHopLocator::~DnsHopLocator() = default;

void DnsHopLocator::Locate(std::string_view uri, std::function<void(Result<std::vector<proxy::Target>>)> done) {
  std::string text(uri);
  auto u = sip::ParseUri(text);
  if (!u.ok()) {
    resolver_->Post([done = std::move(done)] { done(Error(502, "Next Hop Not Resolvable")); });
    return;
  }
  // One "device" to the forwarder: the next place replaces a failed one.
  std::string instance = "<dns:" + text + ">";
  locator_.Locate(*u, [done = std::move(done), instance](Result<std::vector<transport::Destination>> r) {
    if (!r.ok()) {
      const int code = r.error().code;
      if (code == dns::kUnavailable || code == dns::kFailed) return done(Error(504, "Next Hop Lookup Failed"));
      return done(Error(502, "Next Hop Not Resolvable"));
    }
    std::vector<proxy::Target> targets;
    for (auto& d : *r) {
      proxy::Target t;
      t.destination = std::move(d);
      t.instance = instance;
      targets.push_back(std::move(t));
    }
    done(std::move(targets));
  });
}

}  // namespace parley::server
