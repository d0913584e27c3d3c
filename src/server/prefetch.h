#pragma once
// Starts the store reads a MESSAGE, SUBSCRIBE or PUBLISH will need on its
// target's shard (where it is handled) while its credentials are checked:
// the reception policy of the user it is addressed to, the presence rules
// of a SUBSCRIBE's resource, and the record of a MESSAGE's recipient (read
// when they are offline). The reads queue beside the credentials' user
// read, so one wake-up of the reader and one of the loop serve them all
// instead of one each, in turn.
// A request without credentials (the first of a digest exchange, answered
// on the loop that received it) warms them too when that loop owns its
// target: they are then read while the client answers the challenge.
// It answers nothing and always continues.

#include "aaa/authenticator.h"
#include "presence/agent/authorizer.h"
#include "proxy/policy.h"
#include "proxy/processor.h"

namespace parley::server {

class Prefetcher : public proxy::Processor {
 public:
  Prefetcher(proxy::Sharded<proxy::PolicyCache>& policies, presence::Authorizer& rules,
             proxy::Sharded<aaa::AaaShard>& users)
      : policies_(policies), rules_(rules), users_(users) {}
  std::string_view name() const override { return "prefetch"; }
  proxy::Verdict Process(proxy::RequestContextPtr& ctx, proxy::ProcessorHost& host) override;

 private:
  proxy::Sharded<proxy::PolicyCache>& policies_;
  presence::Authorizer& rules_;
  proxy::Sharded<aaa::AaaShard>& users_;
};

}  // namespace parley::server
