#pragma once
// Stateful forwarding (RFC 3261 §16.6–16.10) on one shard: a request is
// sent to every target in parallel (forking), provisional and 2xx
// responses go upstream at once, the best final response is chosen when
// all branches are done (§16.7), pending INVITE branches are cancelled on a
// 2xx or 6xx or when the caller CANCELs (§16.10), and Timer C bounds an
// INVITE branch that only ever sent provisionals (§16.8).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/location.h"
#include "proxy/processor.h"

namespace parley::proxy {

struct ForwardOptions {
  bool record_route = false;           // dialog-creating requests
  std::chrono::seconds timer_c{180};   // > 3 minutes per §16.8; configurable
  size_t udp_max_request = 1300;       // RFC 3261 §18.1.1: larger goes over a flow or gets 513
  // RFC 5393 §5: the most concurrent branches a request may fan out into
  // below us. A request without Max-Breadth gets this, one with more is
  // held to it; the branches pending at once share it (each at least 1),
  // and targets it leaves no room for wait for a pending branch to end.
  uint32_t max_breadth = 60;
  // When every branch failed because the target could not be reached
  // (408, 480, 503, transport errors), the request goes on down the
  // processor chain with `target_offline` set instead of being answered
  // (the message store takes pager-mode MESSAGE then).
  bool resume_when_unreachable = false;
  // Called with the request and the status of the final response sent
  // upstream.
  std::function<void(const RequestContext&, int)> on_final;
  // Called with the request and every response a branch receives (101 and
  // up), before it goes upstream or is kept: a proxy that watches dialogs
  // (RFC 4235) sees each early dialog, answer and failure of every branch.
  std::function<void(const RequestContext&, const sip::Message&)> on_response;
};

class Forwarder {
 public:
  Forwarder(ProcessorHost& host, size_t shard);
  ~Forwarder();

  // Forwards ctx's request to `targets` (each becomes a branch, but only
  // the first of those with one +sip.instance: RFC 5626 §7 — the others
  // wait, in order, to replace it if it fails with 408, 430 or 503).
  // Answers the request itself when no branch could be started.
  void Fork(RequestContextPtr ctx, std::vector<Target> targets, const ForwardOptions& opts);

  // Forwards statelessly, as §16.11 allows for what has no transaction of
  // ours: 2xx retransmissions (stray responses) and ACKs for 2xx.
  void ForwardStrayResponse(sip::MessagePtr response);
  void ForwardAck(sip::MessagePtr ack, const Target& target);

  size_t active() const { return forks_.size(); }

 private:
  struct Branch {
    transaction::ClientTxnId txn;
    int status = 0;  // highest seen; final when >= 200
    uint32_t breadth = 1;  // its Max-Breadth, taken from the fork's until it is final
    sip::MessagePtr final_response;
    std::string instance;  // the target's +sip.instance, if any
  };
  struct ForkState {
    uint64_t id = 0;
    RequestContextPtr ctx;
    bool invite = false;
    bool answered = false;  // a final response went upstream
    bool cancelled = false;
    std::vector<Branch> branches;
    TimerId timer_c = 0;
    std::chrono::seconds timer_c_length{180};
    bool resume_when_unreachable = false;
    std::function<void(const RequestContext&, int)> on_final;
    // Other flows of an instance a branch already goes to, best first.
    std::vector<Target> spares;
    // The Incoming Max-Breadth, and the targets still without a branch
    // because the pending ones hold all of it (RFC 5393 §5.3.1, §5.3.3).
    uint32_t breadth = 0;
    std::vector<Target> waiting;
    ForwardOptions opts;  // for the branches started later (no on_final)
    std::string loop_tag;
  };

  sip::MessagePtr BuildBranchRequest(const sip::Message& in, const Target& t, uint32_t breadth,
                                     const ForwardOptions& opts, const std::string& loop_tag, bool* too_big);
  // Starts a branch to `t` with Max-Breadth `breadth`; false (with the
  // status it stands for in `failed`) when it could not be sent.
  bool StartBranch(ForkState& f, const Target& t, uint32_t breadth, std::vector<int>& failed);
  // Starts branches to the waiting targets while the pending branches
  // leave Max-Breadth for them; a target whose instance has a branch
  // already becomes a spare of it.
  void StartWaiting(ForkState& f, std::vector<int>& failed);
  // Ends the search for new branches (a 2xx or 6xx came, or the caller
  // cancelled): waiting targets and spares are dropped.
  static void StopSearch(ForkState& f);
  // Replaces a failed branch to `instance` by its next spare flow; true if
  // one started.
  bool StartSpare(ForkState& f, const std::string& instance, uint32_t breadth);
  void OnResponse(uint64_t fork_id, size_t branch, sip::MessagePtr response);
  void SendUpstream(ForkState& f, sip::MessagePtr response);
  void CancelPending(ForkState& f);
  void MaybeFinish(ForkState& f);
  void Done(uint64_t fork_id);
  void ArmTimerC(ForkState& f);
  // Hands the request back to the chain as unreachable; true if it did.
  bool ResumeUnreachable(ForkState& f, const std::vector<int>& statuses);

  ProcessorHost& host_;
  size_t shard_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<ForkState>> forks_;
};

// §16.7 step 6: the best of the branches' final responses (6xx first, then
// the lowest class, preferring 401/407 among 4xx so challenges are merged
// in by the caller; 503 becomes 500).
size_t ChooseBest(const std::vector<int>& statuses);

}  // namespace parley::proxy
