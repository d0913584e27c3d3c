#pragma once
// The router's HopLocator on one loop: RFC 3263 through that loop's DNS
// resolver.

#include <memory>

#include "dns/resolver.h"
#include "dns/sip_locator.h"
#include "proxy/router.h"

namespace parley::runtime {
class Loop;
}  // namespace parley::runtime

namespace parley::server {

class DnsHopLocator final : public proxy::HopLocator {
 public:
  // Owns a resolver on `loop`; null when c-ares cannot start (the reason in `error`).
  static std::unique_ptr<DnsHopLocator> Create(runtime::Loop& loop, const dns::ResolverConfig& config,
                                               std::string* error);
  ~DnsHopLocator() override;
  void Locate(std::string_view uri, std::function<void(Result<std::vector<proxy::Target>>)> done) override;
  const dns::Resolver& resolver() const { return *resolver_; }  // its loop only

 private:
  explicit DnsHopLocator(std::unique_ptr<dns::Resolver> resolver);
  std::unique_ptr<dns::Resolver> resolver_;
  dns::SipLocator locator_;
};

}  // namespace parley::server
