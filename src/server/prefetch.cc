#include "server/prefetch.h"

#include "sip/message.h"

namespace parley::server {

proxy::Verdict Prefetcher::Process(proxy::RequestContextPtr& p, proxy::ProcessorHost&) {
  const proxy::RequestContext& ctx = *p;
  const sip::Message& m = *ctx.request;
  sip::Method method = m.method();
  if (method != sip::Method::kMessage && method != sip::Method::kSubscribe && method != sip::Method::kPublish &&
      method != sip::Method::kInvite) {
    return proxy::Verdict::kContinue;
  }
  if (!ctx.local_domain || ctx.to_self || (m.to() && m.to()->has_tag())) return proxy::Verdict::kContinue;
  if (!m.Find(sip::HeaderId::kAuthorization) && !m.Find(sip::HeaderId::kProxyAuthorization)) {
    return proxy::Verdict::kContinue;
  }
  const sip::Uri& ruri = *m.request_uri();
  if (!ruri.has_user) return proxy::Verdict::kContinue;
  std::string target = sip::AorKey(ruri);
  // These requests are dispatched to their target's shard: all of this
  // runs inline.
  policies_.RunOn(policies_.router().ShardOf(target), [target](proxy::PolicyCache& c) { c.Warm(target); });
  if (method == sip::Method::kSubscribe) {
    size_t shard = policies_.router().ShardOf(target);
    if (policies_.router().current() == shard) {
      rules_.Warm(target);
    } else {
      policies_.router().Post(shard, [this, target] { rules_.Warm(target); });
    }
  } else if (method == sip::Method::kMessage) {
    users_.RunOn(users_.router().ShardOf(target), [target](aaa::AaaShard& s) { s.users.Warm(target); });
  }
  return proxy::Verdict::kContinue;
}

}  // namespace parley::server
