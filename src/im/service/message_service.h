#pragma once
// The IM application's message store (seed 003 §7.2.3–7.2.5, §7.4, §17.2,
// §17.4): pager-mode MESSAGE for a user who cannot be reached is stored
// and answered 202 only once the store committed it; the user's devices
// get it, in order and wrapped in message/cpim with the original sender
// and DateTime, when they register; it is deleted only after a device
// answered 2xx, retried with backoff otherwise, and never given twice to
// the same device. Users read what waits for them and their history over
// the HTTP API.
//
// Mailboxes are sharded by recipient AOR like registrations, so the
// delivery of a user's messages runs on the loop that owns the user's
// bindings. Nothing here touches a socket: requests go out through the
// shard's transaction layer.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "im/format/cpim.h"
#include "im/format/imdn.h"
#include "im/service/groups.h"
#include "proxy/processor.h"
#include "proxy/router.h"
#include "proxy/shards.h"
#include "registrar/registrar.h"
#include "store/executor.h"

namespace parley::im {

struct MessageServiceConfig {
  store::MessageQuota quota{1000, 16 * 1024 * 1024};  // per recipient
  int64_t max_age_s = 30 * 24 * 3600;                 // older undelivered messages are dropped
  uint32_t retry_first_s = 30;                        // backoff after a failed delivery: doubles …
  uint32_t retry_max_s = 3600;                        // … up to this
  std::string server_uri = "sip:localhost";           // From of the server's own notifications
};

struct MessageServiceStats {
  uint64_t stored = 0;
  uint64_t duplicates = 0;
  uint64_t refused_quota = 0;
  uint64_t delivered = 0;
  uint64_t delivery_failures = 0;
  uint64_t notifications = 0;  // IMDN the server sent itself
  uint64_t group_messages = 0;  // MESSAGEs to a group, expanded
  uint64_t group_copies = 0;    // the members' copies stored
  uint64_t retries_on_presence = 0;  // waiting deliveries run early: the user published "open"
};

class MessageService : public proxy::RelayObserver {
 public:
  // `hosts[i]` is shard i's core (its transaction layer sends deliveries).
  MessageService(const MessageServiceConfig& config, store::StoreExecutor& store, proxy::ShardRouter& router,
                 proxy::LocationService& location, std::vector<proxy::ProcessorHost*> hosts);
  ~MessageService() override;

  // Store-and-forward: after the router, for MESSAGEs it found no
  // reachable device for.
  std::unique_ptr<proxy::Processor> MakeProcessor();
  // Group messages (group_processor.cc): before the router, for MESSAGEs
  // to a group's URI; each member's copy is queued like a stored message.
  std::unique_ptr<proxy::Processor> MakeGroupProcessor(GroupDirectory& groups);

  // Reads which users have messages waiting and schedules their delivery.
  // Call before the loops run.
  Result<size_t> LoadFromStore();

  // The registrar's listener: a device (re)registered — deliver.
  void OnRegistration(const std::string& aor, const std::vector<registrar::BindingChange>& changes);
  // The user published an open presence (seed 003 §7.2.4): a device may be
  // reachable again, so a delivery waiting for its retry time runs now. On
  // the AOR's shard.
  void OnAvailable(const std::string& aor);
  // The history setting of `aor` changed (change feed); on any loop.
  void OnHistoryChanged(const std::string& aor);
  void OnAllHistoryChanged();  // every user's setting is read again
  // proxy::RelayObserver: history of relayed messages.
  void OnRelayed(const proxy::RequestContext& ctx, int status) override;

  // Queues `m` for its recipient and delivers it when possible; `done`
  // (may be empty) gets the store's answer on `reply_shard`.
  void Submit(store::StoredMessage m, size_t reply_shard,
              std::function<void(const Result<store::EnqueueResult>&)> done);

  // Drops messages older than max_age (a timer on shard 0 calls it). A
  // sender who asked for negative delivery notification gets IMDN
  // "failed" (RFC 5438 §7.2.1.1), queued in the same transaction.
  void Expire();

  const MessageServiceConfig& config() const { return config_; }
  // Shard-local counters (read on that shard).
  const MessageServiceStats& StatsOf(size_t shard) const { return shards_[shard]->stats; }

 private:
  class Processor;
  class GroupProcessor;
  struct Mailbox {
    bool pending = false;     // the store may hold messages for this user
    bool delivering = false;  // a delivery is under way
    bool again = false;       // something changed meanwhile: look again when done
    uint32_t backoff_s = 0;
    TimerId retry = 0;
  };
  struct Shard {
    std::unordered_map<std::string, Mailbox> mailboxes;
    std::unordered_map<std::string, bool> history;  // AOR -> history enabled (cache)
    MessageServiceStats stats;
  };

  struct Run;      // one delivery run through a mailbox, page by page
  struct Attempt;  // one message of a run, to every device that lacks it

  // On the recipient's shard.
  void Deliver(const std::string& aor);
  void StartPage(std::shared_ptr<Run> run);
  void DeliverNext(std::shared_ptr<Run> run);
  // The current message of `run` to run->targets[target], in CPIM or
  // (`plain`) as its content alone.
  void SendCopy(const std::shared_ptr<Run>& run, const std::shared_ptr<Attempt>& attempt, size_t target, bool plain);
  void PageDone(std::shared_ptr<Run> run);
  void NextPage(std::shared_ptr<Run> run);
  void Delivered(const std::string& aor, const store::StoredMessage& m, const std::string& device);
  void Failed(const std::string& aor);
  void Finish(const std::string& aor);
  // A notification from the server about `original` for `to` (an AOR),
  // ready to queue; nullopt (logged) when it cannot be built. With
  // `member`, a group's report about that member's copy (sent unasked).
  std::optional<store::StoredMessage> Notice(const CpimView& original, ImdnKind kind, ImdnStatus status,
                                             const std::string& to, const std::string& member = "") const;
  // The group report for a member's copy `m` (kImdnGroupReport), to its sender.
  std::optional<store::StoredMessage> GroupReport(const store::StoredMessage& m, ImdnStatus status) const;
  // Queues what Submit would have, after a commit: wakes `aor`'s mailbox.
  void Wake(const std::string& aor);
  // Appends to the archives of `owner` (if enabled) on the calling shard;
  // `known_on`: the caller knows `owner` keeps one (nothing to look up).
  void Archive(const std::string& owner, store::HistoryEntry e, bool known_on = false);
  // The authenticated sender's setting came with the credentials.
  static bool SenderKeepsHistory(const proxy::RequestContext& ctx) {
    return !ctx.authenticated.empty() && ctx.authenticated_history;
  }
  // True when the calling shard knows `owner` keeps no history (no entry
  // needs to be built for it); false when it does or is not known yet.
  bool HistoryOff(const std::string& owner) const;

  const MessageServiceConfig& config_;
  store::StoreExecutor& store_;
  proxy::ShardRouter& router_;
  proxy::LocationService& location_;
  std::vector<proxy::ProcessorHost*> hosts_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// The delivery of a stored message: the SIP MESSAGE a device gets (its
// Request-URI, Via and Route are the sender's business).
// message/cpim bodies are passed on unchanged; anything else is wrapped in
// CPIM with the original sender, recipient, DateTime and imdn.Message-ID.
std::string DeliveryBody(const store::StoredMessage& m, std::string* content_type);
// The same for a device that refused message/cpim: a CPIM message's
// content with its own type, anything else as it came.
std::string PlainBody(const store::StoredMessage& m, std::string* content_type);

// A message id for a MESSAGE that carries none (no CPIM imdn.Message-ID):
// stable for its retransmissions and retries (Call-ID, CSeq, From tag).
std::string DerivedMessageId(const sip::Message& request);

}  // namespace parley::im
