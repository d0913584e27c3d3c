#include "server/prefetch.h"

#include "sip/message.h"

namespace parley::server {

proxy::Verdict Prefetcher::Process(proxy::RequestContextPtr& p, proxy::ProcessorHost&) {
  const proxy::RequestContext& ctx = *p;
  const sip::Message& m = *ctx.request;
  sip::Method method = m.method();
  // Those dispatched to their target's shard (server::ShardOf): what is
  // warmed is on this loop. (For others a post to another loop would cost
  // about what it saves.)
  if (method != sip::Method::kMessage && method != sip::Method::kSubscribe && method != sip::Method::kPublish) {
    return proxy::Verdict::kContinue;
  }
  if (!ctx.local_domain || ctx.to_self || (m.to() && m.to()->has_tag())) return proxy::Verdict::kContinue;
  // With credentials it runs on its target's shard; without (to be
  // challenged) on the loop that received it, which may own the target
  // too: then the reads overlap the client's answer to the challenge.
  const sip::Uri& ruri = *m.request_uri();
  if (!ruri.has_user) return proxy::Verdict::kContinue;
  std::string target = sip::AorKey(ruri);
  size_t shard = policies_.router().ShardOf(target);
  if (shard != policies_.router().current()) return proxy::Verdict::kContinue;
  policies_.At(shard).Warm(target);
  if (method == sip::Method::kSubscribe) {
    rules_.Warm(target);
  } else if (method == sip::Method::kMessage) {
    users_.At(shard).users.Warm(target);
  }
  return proxy::Verdict::kContinue;
}

}  // namespace parley::server
