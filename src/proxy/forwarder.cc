#include "proxy/forwarder.h"

#include <algorithm>

#include "common/log.h"
#include "common/strings.h"
#include "proxy/branch.h"
#include "sip/fields.h"
#include "sip/response.h"

namespace parley::proxy {

namespace {

std::string ViaValue(const transport::Destination& d, const std::string& sent_by, const std::string& branch) {
  std::string v = "SIP/2.0/";
  v.append(transport::ProtocolName(d.protocol)).append(" ").append(sent_by).append(";branch=").append(branch);
  v.append(";rport");
  return v;
}

// Rank for §16.7 step 6 (lower is better).
int Rank(int status) {
  int cls = status / 100;
  if (cls == 6) return 0;
  int base = cls == 3 ? 100 : cls == 4 ? 200 : 300;
  if (status == 401 || status == 407) return base + 1;
  if (status == 415 || status == 420 || status == 484) return base + 2;
  if (status == 408) return base + 9;  // a timeout is the least informative
  if (status == 487) return base + 8;  // usually our own CANCEL's doing
  return base + 5;
}

// The Incoming Max-Breadth (RFC 5393 §5.3): the request's, held to `max`;
// `max` when it has none. nullopt when it is not one run of digits, or
// when the request has more than one.
std::optional<uint32_t> IncomingBreadth(const sip::Message& m, uint32_t max) {
  std::optional<uint32_t> value;
  for (const sip::HeaderField& h : m.headers()) {
    if (h.id != sip::HeaderId::kUnknown || !IEquals(h.name, "Max-Breadth")) continue;
    std::string_view v = TrimLws(h.value);
    if (value || v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    value = static_cast<uint32_t>(ParseUint(v, max).value_or(max));  // more digits than fit: more than max
  }
  return value ? std::min(*value, max) : max;
}

}  // namespace

size_t ChooseBest(const std::vector<int>& statuses) {
  size_t best = 0;
  for (size_t i = 1; i < statuses.size(); ++i) {
    if (Rank(statuses[i]) < Rank(statuses[best])) best = i;
  }
  return best;
}

Forwarder::Forwarder(ProcessorHost& host, size_t shard) : host_(host), shard_(shard) {}

Forwarder::~Forwarder() {
  for (auto& [id, f] : forks_) host_.timers().Cancel(f->timer_c);
}

sip::MessagePtr Forwarder::BuildBranchRequest(const sip::Message& in, const Target& t, uint32_t breadth,
                                              const ForwardOptions& opts, const std::string& loop_tag,
                                              bool* too_big) {
  sip::MessagePtr m = in.Clone();
  m->SetRequestUri(t.uri);
  auto mf = in.max_forwards();
  m->SetHeader(sip::HeaderId::kMaxForwards, std::to_string(mf ? (*mf > 0 ? *mf - 1 : 0) : 70));
  const std::vector<sip::HeaderField>& fields = m->headers();
  auto mb = std::find_if(fields.begin(), fields.end(), [](const sip::HeaderField& h) {
    return h.id == sip::HeaderId::kUnknown && IEquals(h.name, "Max-Breadth");
  });
  if (mb == fields.end()) {
    m->AddHeader("Max-Breadth", std::to_string(breadth));
  } else {
    m->SetHeaderValue(static_cast<size_t>(mb - fields.begin()), std::to_string(breadth));
  }
  for (auto it = t.route.rbegin(); it != t.route.rend(); ++it) m->InsertBeforeFirst(sip::HeaderId::kRoute, *it);
  std::string sent_by = host_.sender().ViaSentBy(t.destination);
  if (opts.record_route) {
    std::string rr = "<sip:" + sent_by;
    if (t.destination.protocol != transport::Protocol::kUdp) {
      rr.append(";transport=").append(ToLower(transport::ProtocolName(t.destination.protocol)));
    }
    rr.append(";lr");
    if (std::string token = host_.local().RouteToken(in.call_id()); !token.empty()) {
      rr.append(";").append(kRouteTokenParam).append("=").append(token);
    }
    rr.append(">");
    m->InsertBeforeFirst(sip::HeaderId::kRecordRoute, rr);
  }
  m->AddHeaderFront(sip::HeaderId::kVia, ViaValue(t.destination, sent_by, NewBranch(shard_, loop_tag)));
  *too_big = t.destination.protocol == transport::Protocol::kUdp && m->Serialize().size() > opts.udp_max_request;
  return m;
}

void Forwarder::Fork(RequestContextPtr ctx, std::vector<Target> targets, const ForwardOptions& opts) {
  std::string loop_tag = LoopTag(*ctx->request);
  if (IsLoop(*ctx->request, loop_tag, host_.local())) {
    host_.Respond(*ctx, 482, "Loop Detected");  // §16.3 step 4
    return;
  }
  std::optional<uint32_t> breadth = IncomingBreadth(*ctx->request, opts.max_breadth);
  if (!breadth) {
    host_.Respond(*ctx, 400, "Malformed Max-Breadth");
    return;
  }
  if (*breadth == 0) {
    host_.Respond(*ctx, 440);  // no branch can have a Max-Breadth of 1
    return;
  }
  auto f = std::make_unique<ForkState>();
  f->id = next_id_++;
  f->breadth = *breadth;
  f->invite = ctx->request->method() == sip::Method::kInvite;
  f->timer_c_length = opts.timer_c;
  f->resume_when_unreachable = opts.resume_when_unreachable;
  f->on_final = opts.on_final;
  f->opts = opts;
  f->opts.on_final = nullptr;
  f->loop_tag = loop_tag;
  uint64_t id = f->id;
  ForkState& fork = *f;
  fork.ctx = std::move(ctx);
  forks_.emplace(id, std::move(f));
  std::vector<int> failed;
  fork.waiting = std::move(targets);
  StartWaiting(fork, failed);
  if (fork.branches.empty()) {
    if (ResumeUnreachable(fork, failed)) return;
    int status = failed.empty() ? 480 : failed[ChooseBest(failed)];
    host_.Respond(*fork.ctx, status == 503 ? 500 : status, status == 513 ? "Message Too Large For UDP" : "");
    Done(id);
    return;
  }
  if (fork.invite) {
    ArmTimerC(fork);
    if (fork.ctx->txn.valid()) host_.OnCancelled(fork.ctx->txn, [this, id] {
      auto it = forks_.find(id);
      if (it == forks_.end()) return;
      it->second->cancelled = true;
      StopSearch(*it->second);
      CancelPending(*it->second);
    });
  }
}

bool Forwarder::StartBranch(ForkState& f, const Target& t, uint32_t breadth, std::vector<int>& failed) {
  bool too_big = false;
  sip::MessagePtr req = BuildBranchRequest(*f.ctx->request, t, breadth, f.opts, f.loop_tag, &too_big);
  if (too_big) {
    failed.push_back(513);
    return false;
  }
  size_t index = f.branches.size();
  uint64_t id = f.id;
  f.branches.push_back(Branch{{}, 0, breadth, nullptr, t.instance});
  auto txn = host_.layer().SendRequest(std::move(req), t.destination, [this, id, index](sip::MessagePtr r) {
    OnResponse(id, index, std::move(r));
  });
  if (!txn.ok()) {
    f.branches.pop_back();
    failed.push_back(503);
    return false;
  }
  f.branches[index].txn = *txn;
  return true;
}

bool Forwarder::StartSpare(ForkState& f, const std::string& instance, uint32_t breadth) {
  std::vector<int> failed;
  for (auto it = f.spares.begin(); it != f.spares.end();) {
    if (!IEquals(it->instance, instance)) {
      ++it;
      continue;
    }
    Target t = std::move(*it);
    it = f.spares.erase(it);
    if (StartBranch(f, t, breadth, failed)) return true;
  }
  return false;
}

void Forwarder::StartWaiting(ForkState& f, std::vector<int>& failed) {
  while (!f.waiting.empty()) {
    uint32_t held = 0;
    for (const Branch& b : f.branches) {
      if (b.status < 200) held += b.breadth;
    }
    if (held >= f.breadth) return;  // §5.3.3: the rest waits for a branch to end
    Target t = std::move(f.waiting.front());
    f.waiting.erase(f.waiting.begin());
    if (!t.instance.empty() && std::any_of(f.branches.begin(), f.branches.end(), [&t](const Branch& b) {
          return IEquals(b.instance, t.instance);
        })) {
      f.spares.push_back(std::move(t));
      continue;
    }
    // What is left is shared among the targets still to start (spares
    // among them count, so a share may come out smaller than it could);
    // when they outnumber it, each gets 1 and the last ones wait.
    const uint32_t left = f.breadth - held;
    const size_t to_start = f.waiting.size() + 1;
    const uint32_t share = to_start >= left ? 1 : left / static_cast<uint32_t>(to_start);
    // One that could not be sent leaves its instance to the next flow.
    StartBranch(f, t, share, failed);
  }
}

void Forwarder::StopSearch(ForkState& f) {
  f.waiting.clear();
  f.spares.clear();
}

void Forwarder::ArmTimerC(ForkState& f) {
  host_.timers().Cancel(f.timer_c);
  uint64_t id = f.id;
  f.timer_c = host_.timers().Schedule(f.timer_c_length, [this, id] {
    auto it = forks_.find(id);
    if (it == forks_.end()) return;
    it->second->timer_c = 0;
    // §16.8: a branch that only ever sent provisionals is cancelled; its
    // transaction then ends with 487 (or 408).
    CancelPending(*it->second);
  });
}

void Forwarder::CancelPending(ForkState& f) {
  if (!f.invite) return;
  for (Branch& b : f.branches) {
    if (b.status < 200 && b.txn.valid()) (void)host_.layer().Cancel(b.txn);
  }
}

void Forwarder::OnResponse(uint64_t fork_id, size_t index, sip::MessagePtr r) {
  int status = r->status();
  auto it = forks_.find(fork_id);
  if (it == forks_.end()) {
    // A late 2xx of a forked INVITE: still goes upstream (§16.7 step 5).
    if (status >= 200 && status < 300) ForwardStrayResponse(std::move(r));
    return;
  }
  ForkState& f = *it->second;
  Branch& b = f.branches[index];
  if (status > 100 && f.opts.on_response) f.opts.on_response(*f.ctx, *r);
  if (status < 200) {
    if (status == 100) return;
    b.status = std::max(b.status, status);
    if (f.invite) ArmTimerC(f);  // §16.8: a provisional restarts Timer C
    if (!f.answered) SendUpstream(f, std::move(r));
    return;
  }
  if (b.status >= 200) {
    // Another 2xx on the same branch (forked downstream): forward it too.
    if (status < 300 && f.invite) SendUpstream(f, std::move(r));
    return;
  }
  b.status = status;
  if (status < 300) {
    if (!f.answered || f.invite) SendUpstream(f, std::move(r));
    f.answered = true;
    StopSearch(f);
    CancelPending(f);
  } else {
    b.final_response = std::move(r);
    if (status >= 600) {
      StopSearch(f);
      CancelPending(f);
    }
    // RFC 5626 §7: that flow of the instance failed (or timed out): its
    // next one, if it has one, with the Max-Breadth it held. Any other
    // answer is the device's own.
    bool flow_failed = status == 408 || status == 430 || status == 503;
    if (flow_failed && !b.instance.empty() && !f.answered && !f.cancelled) {
      std::string instance = b.instance;  // `b` moves when a branch is added
      StartSpare(f, instance, b.breadth);
    }
    // §5.3.1: what the branch held goes to targets still waiting.
    size_t before = f.branches.size();
    std::vector<int> failed;
    StartWaiting(f, failed);
    if (f.invite && f.branches.size() > before) ArmTimerC(f);
  }
  MaybeFinish(f);
}

void Forwarder::MaybeFinish(ForkState& f) {
  bool all_final = std::all_of(f.branches.begin(), f.branches.end(), [](const Branch& b) { return b.status >= 200; });
  if (!all_final) return;
  if (!f.answered) {
    std::vector<int> statuses;
    std::vector<Branch*> finals;
    for (Branch& b : f.branches) {
      if (b.final_response) {
        statuses.push_back(b.status);
        finals.push_back(&b);
      }
    }
    if (ResumeUnreachable(f, statuses)) return;
    if (finals.empty()) {
      host_.Respond(*f.ctx, 500, "No Final Response");
    } else {
      Branch& best = *finals[ChooseBest(statuses)];
      sip::MessagePtr resp = std::move(best.final_response);
      int s = resp->status();
      if (s == 401 || s == 407) {
        // §16.7 step 7: collect every branch's challenges.
        for (Branch* other : finals) {
          if (other == &best || !other->final_response) continue;
          for (const auto& h : other->final_response->headers()) {
            if (h.id == sip::HeaderId::kWwwAuthenticate || h.id == sip::HeaderId::kProxyAuthenticate) {
              resp->AddHeader(h.id, h.value);
            }
          }
        }
      }
      if (s == 503) resp->SetStatus(500, "Server Internal Error");  // §16.7 step 6
      // RFC 5626 §11.5: a flow failure is for this hop; upstream the device is unavailable.
      if (s == 430) resp->SetStatus(480, "Temporarily Unavailable");
      SendUpstream(f, std::move(resp));
    }
    f.answered = true;
  }
  Done(f.id);
}

bool Forwarder::ResumeUnreachable(ForkState& f, const std::vector<int>& statuses) {
  if (!f.resume_when_unreachable || f.answered || statuses.empty()) return false;
  for (int s : statuses) {
    if (s != 408 && s != 430 && s != 480 && s != 503) return false;
  }
  RequestContextPtr ctx = std::move(f.ctx);
  if (ctx->txn.valid()) host_.ClearCancelled(ctx->txn);
  Done(f.id);
  ctx->target_offline = true;
  host_.Resume(std::move(ctx));
  return true;
}

void Forwarder::SendUpstream(ForkState& f, sip::MessagePtr response) {
  response->RemoveFirstValue(sip::HeaderId::kVia);  // ours
  int status = response->status();
  if (status >= 200 && f.on_final) {
    auto fn = std::move(f.on_final);
    f.on_final = nullptr;
    fn(*f.ctx, status);
  }
  if (!f.ctx->txn.valid()) return;
  auto r = host_.layer().Respond(f.ctx->txn, std::move(response));
  if (!r.ok()) PLOG_DEBUG("forward_response_failed", {{"status", status}, {"error", r.error().message}});
}

void Forwarder::Done(uint64_t fork_id) {
  auto it = forks_.find(fork_id);
  if (it == forks_.end()) return;
  host_.timers().Cancel(it->second->timer_c);
  if (it->second->ctx && it->second->ctx->txn.valid()) host_.ClearCancelled(it->second->ctx->txn);
  for (Branch& b : it->second->branches) {
    if (b.txn.valid()) host_.layer().Detach(b.txn);
  }
  forks_.erase(it);
}

void Forwarder::ForwardStrayResponse(sip::MessagePtr r) {
  const auto& vias = r->vias();
  if (vias.size() < 2) return;
  {
    const sip::Via& top = vias[0];
    sip::Uri u;
    u.scheme = sip::Scheme::kSip;
    u.host = top.host;
    u.has_port = top.has_port;
    u.port = top.port;
    if (!host_.local().IsLocal(u)) return;  // not ours: drop (§16.7 step 2)
  }
  const sip::Via& next = vias[1];
  auto proto = transport::ParseProtocol(next.transport);
  std::string_view ip = next.received().value_or(next.host);
  uint16_t port = next.has_port ? next.port : 5060;
  if (auto rp = next.rport(); rp && !rp->empty()) {
    if (auto n = ParseUint(*rp, 65535)) port = static_cast<uint16_t>(*n);
  }
  auto addr = transport::SocketAddress::Parse(ip, port);
  if (!proto || !addr) return;
  transport::Destination d;
  d.protocol = *proto;
  d.address = *addr;
  r->RemoveFirstValue(sip::HeaderId::kVia);
  host_.sender().Send(d, r->Serialize());
}

void Forwarder::ForwardAck(sip::MessagePtr ack, const Target& t) {
  auto mf = ack->max_forwards();
  if (mf && *mf == 0) return;
  ack->SetHeader(sip::HeaderId::kMaxForwards, std::to_string(mf ? *mf - 1 : 70));
  std::string sent_by = host_.sender().ViaSentBy(t.destination);
  ack->AddHeaderFront(sip::HeaderId::kVia, ViaValue(t.destination, sent_by, NewBranch(shard_, LoopTag(*ack))));
  host_.sender().Send(t.destination, ack->Serialize());
}

}  // namespace parley::proxy
