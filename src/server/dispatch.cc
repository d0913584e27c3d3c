#include "server/dispatch.h"

#include "aaa/authenticator.h"
#include "common/strings.h"
#include "events/notifier.h"
#include "proxy/branch.h"
#include "sip/response.h"

namespace parley::server {

size_t ShardOf(const sip::Message& m, size_t shards, const registrar::GruuCodec* gruu) {
  if (shards <= 1) return 0;
  if (m.is_response()) {
    // Only the top Via matters, and only our own format: scan the raw value
    // instead of parsing every Via.
    std::string_view via = m.Value(sip::HeaderId::kVia);
    size_t b = via.find(proxy::kShardBranchPrefix);
    if (b != std::string_view::npos) {
      size_t i = b + proxy::kShardBranchPrefix.size();
      size_t shard = 0;
      int digits = 0;
      while (i < via.size() && IsHex(via[i]) && digits < 4) {
        shard = shard * 16 + static_cast<size_t>(HexValue(via[i]));
        ++i;
        ++digits;
      }
      if (digits > 0 && i < via.size() && via[i] == '-' && shard < shards) return shard;
    }
  }
  if (m.is_request()) {
    // The user the request is about, so that its state is on the receiving
    // loop: a REGISTER by its To AOR (credentials, failure counters,
    // bindings); a MESSAGE by its recipient (reception policy, location,
    // mailbox: three round trips to another loop otherwise, against at most
    // one to the sender's for its credentials, none when a copy of them or
    // the start-up snapshot is here: aaa::CredentialReplica); a SUBSCRIBE or PUBLISH by its
    // resource (subscriptions, publications: the answer and the first
    // NOTIFY go out from there), or, inside a subscription dialog, by the
    // shard its Contact names; anything else by its From AOR.
    // Retransmissions and the CANCEL/ACK of an INVITE carry the same
    // fields, so they meet their transaction on the same shard.
    sip::Method method = m.method();
    if (method == sip::Method::kMessage || method == sip::Method::kSubscribe || method == sip::Method::kPublish) {
      const sip::Uri* ruri = m.request_uri();
      if (ruri != nullptr && ruri->is_sip() && ruri->has_user) {
        if (method == sip::Method::kSubscribe) {
          auto token = events::Notifier::ParseContactUser(ruri->user);
          if (token && token->first < shards) return token->first;
        }
        if (gruu != nullptr && ruri->user.starts_with(registrar::GruuCodec::kUserPrefix)) {
          if (auto g = gruu->OpenUri(*ruri)) return ShardHash(g->aor) % shards;
        }
        return ShardHash(sip::AorKey(*ruri)) % shards;
      }
    }
    const sip::NameAddr* who = m.method() == sip::Method::kRegister ? m.to() : m.from();
    if (who != nullptr && who->uri.is_sip() && who->uri.has_user) return ShardHash(sip::AorKey(who->uri)) % shards;
  }
  return ShardHash(m.call_id()) % shards;
}

size_t HandlingShard(const sip::Message& m, size_t shards, size_t receiving, const registrar::GruuCodec* gruu) {
  if (receiving < shards && m.is_request()) {
    if (aaa::Authenticator::ChallengedAnywhere(m)) return receiving;
    // An OPTIONS to a server (no user part: ours is answered without a
    // transaction, from nobody's state) is no user's business either.
    if (m.method() == sip::Method::kOptions) {
      const sip::Uri* ruri = m.request_uri();
      if (ruri != nullptr && !ruri->has_user) return receiving;
    }
  }
  return ShardOf(m, shards, gruu);
}

std::string NewShardBranch(size_t shard) {
  std::string b(proxy::kShardBranchPrefix);
  AppendHex(b, shard);
  b.append("-").append(sip::RandomToken(8));
  return b;
}

}  // namespace parley::server
