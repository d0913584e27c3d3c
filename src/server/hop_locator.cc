#include "server/hop_locator.h"

#include "runtime/loop.h"

namespace parley::server {

std::unique_ptr<DnsHopLocator> DnsHopLocator::Create(runtime::Loop& loop, const dns::ResolverConfig& config,
                                                     std::string* error) {
  auto r = dns::Resolver::Create(loop, config);
  if (!r.ok()) {
    if (error) *error = r.error().message;
    return nullptr;
  }
  return std::unique_ptr<DnsHopLocator>(new DnsHopLocator(loop, std::move(*r)));
}

DnsHopLocator::DnsHopLocator(runtime::Loop& loop, std::unique_ptr<dns::Resolver> resolver)
    : loop_(loop), resolver_(std::move(resolver)), locator_(*resolver_) {}

DnsHopLocator::~DnsHopLocator() = default;

void DnsHopLocator::Locate(std::string_view uri, std::function<void(Result<std::vector<proxy::Target>>)> done) {
  // Always answered later, on the loop (the locator answers a malformed
  // URI inside the call).
  auto post = [this, done = std::move(done)](Result<std::vector<proxy::Target>> r) mutable {
    loop_.Post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  std::string text(uri);
  auto u = sip::ParseUri(text);
  if (!u.ok()) return post(Error(502, "Next Hop Not Resolvable"));
  // One "device" to the forwarder: the next place replaces a failed one.
  std::string instance = "<dns:" + text + ">";
  locator_.Locate(*u, [post = std::move(post), instance](Result<std::vector<transport::Destination>> r) mutable {
    if (!r.ok()) {
      const int code = r.error().code;
      if (code == dns::kUnavailable || code == dns::kFailed) return post(Error(504, "Next Hop Lookup Failed"));
      return post(Error(502, "Next Hop Not Resolvable"));
    }
    std::vector<proxy::Target> targets;
    for (auto& d : *r) {
      proxy::Target t;
      t.destination = std::move(d);
      t.instance = instance;
      targets.push_back(std::move(t));
    }
    post(std::move(targets));
  });
}

}  // namespace parley::server
