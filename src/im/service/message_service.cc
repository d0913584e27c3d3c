#include "im/service/message_service.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "common/timer.h"
#include "im/format/cpim.h"
#include "im/format/imdn.h"
#include "im/format/rfc3339.h"
#include "im/service/content.h"
#include "proxy/branch.h"
#include "sip/response.h"

namespace parley::im {

namespace {

constexpr size_t kPage = 100;  // messages read per look into a mailbox

// The header lines a stored message carries ("Name: value\r\n" each).
void AddStoredHeaders(sip::Message& req, std::string_view lines) {
  while (!lines.empty()) {
    size_t end = lines.find("\r\n");
    std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    req.AddHeader(TrimLws(line.substr(0, colon)), TrimLws(line.substr(colon + 1)));
  }
}

// One device per registration: its instance if it has one, else its URI.
std::string DeviceKey(const proxy::Target& t) { return t.instance.empty() ? t.uri : t.instance; }

}  // namespace

std::string DeliveryBody(const store::StoredMessage& m, std::string* content_type) {
  if (IsCpimType(m.content_type)) {
    *content_type = m.content_type;
    return m.body;
  }
  auto built = WrapInCpim(m.sender, "sip:" + m.recipient,
                          m.datetime.empty() ? FormatRfc3339(m.received_at_ms) : m.datetime, m.message_id,
                          m.content_type.empty() ? "text/plain" : m.content_type, m.body);
  if (!built.ok()) {  // a sender URI CPIM cannot carry: deliver the body as it came
    *content_type = m.content_type;
    return m.body;
  }
  *content_type = std::string(kCpimType);
  return *built;
}

std::string PlainBody(const store::StoredMessage& m, std::string* content_type) {
  *content_type = m.content_type;
  if (!IsCpimType(m.content_type)) return m.body;
  auto cpim = ParseCpim(m.body);
  if (!cpim.ok() || cpim->content_type.empty()) return m.body;
  *content_type = std::string(cpim->content_type);
  return std::string(cpim->content);
}

std::string DerivedMessageId(const sip::Message& request) {
  std::string key = std::string(request.call_id()) + "|" + std::to_string(request.cseq()->number) + "|" +
                    std::string(request.from()->tag());
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ull;
  }
  std::string out = "sip-";
  for (int i = 15; i >= 0; --i) out.push_back(kHex[(h >> (4 * i)) & 15]);
  return out;
}

MessageService::MessageService(const MessageServiceConfig& config, store::StoreExecutor& store,
                               proxy::ShardRouter& router, proxy::LocationService& location,
                               std::vector<proxy::ProcessorHost*> hosts)
    : config_(config), store_(store), router_(router), location_(location), hosts_(std::move(hosts)) {
  for (size_t i = 0; i < router.count(); ++i) shards_.push_back(std::make_unique<Shard>());
}

MessageService::~MessageService() {
  for (size_t i = 0; i < shards_.size(); ++i) {
    for (auto& [aor, mb] : shards_[i]->mailboxes) hosts_[i]->timers().Cancel(mb.retry);
  }
}

Result<size_t> MessageService::LoadFromStore() {
  std::vector<std::string> all;
  std::string after;
  while (true) {
    auto page = store_.ReadNow<std::vector<std::string>>(
        [&](store::Store& s) { return s.RecipientsWithPending(after, 1000); });
    if (!page.ok()) return page.error();
    if (page->empty()) break;
    after = page->back();
    all.insert(all.end(), page->begin(), page->end());
  }
  for (const auto& aor : all) {
    size_t shard = router_.ShardOf(aor);
    shards_[shard]->mailboxes[aor].pending = true;
    router_.Post(shard, [this, aor] { Deliver(aor); });  // runs once the loops do
  }
  return all.size();
}

// ---- submission --------------------------------------------------------------

void MessageService::Submit(store::StoredMessage m, size_t reply_shard,
                            std::function<void(const Result<store::EnqueueResult>&)> done) {
  // The write may run again (StoreExecutor retries a busy store): it keeps
  // its captures; `done` (which may hold much) is shared, not copied.
  auto reply = std::make_shared<std::function<void(const Result<store::EnqueueResult>&)>>(std::move(done));
  store_.Write([this, m = std::move(m), reply_shard, reply](store::Store& s) -> store::StoreExecutor::Completion {
    Result<store::EnqueueResult> r = s.EnqueueMessage(m, config_.quota);
    return [this, r = std::move(r), reply_shard, reply, aor = m.recipient](const Result<void>& committed) mutable {
      Result<store::EnqueueResult> out = committed.ok() ? std::move(r) : Result<store::EnqueueResult>(committed.error());
      bool fresh = out.ok() && !out->duplicate;
      if (*reply) router_.Post(reply_shard, [reply, out = std::move(out)] { (*reply)(out); });
      if (fresh) Wake(aor);
    };
  });
}

void MessageService::Wake(const std::string& aor) {
  size_t shard = router_.ShardOf(aor);
  router_.Post(shard, [this, shard, aor] {
    shards_[shard]->mailboxes[aor].pending = true;
    Deliver(aor);
  });
}

std::optional<store::StoredMessage> MessageService::Notice(const CpimView& original, ImdnKind kind,
                                                           ImdnStatus status, const std::string& to,
                                                           const std::string& member) const {
  auto reply = BuildImdnReply(original, {kind, status, sip::RandomToken(10), UnixNowMs(),
                                         CpimAddress{"", config_.server_uri}, member, !member.empty()});
  auto body = reply.ok() ? BuildCpim(*reply) : Result<std::string>(reply.error());
  if (!body.ok()) {
    PLOG_DEBUG("imdn_reply_failed", {{"error", body.error().message}});
    return std::nullopt;
  }
  store::StoredMessage n;
  n.recipient = to;
  n.sender = config_.server_uri;
  n.message_id = reply->Extension(kImdnPrefix, "Message-ID");
  n.received_at_ms = UnixNowMs();
  n.datetime = reply->datetime;
  n.content_type = std::string(kCpimType);
  n.body = std::move(*body);
  return n;
}

std::optional<store::StoredMessage> MessageService::GroupReport(const store::StoredMessage& m,
                                                                ImdnStatus status) const {
  if ((m.imdn & store::kImdnGroupReport) == 0 || m.sender == config_.server_uri) return std::nullopt;
  auto cpim = ParseCpim(m.body);
  if (!cpim.ok()) return std::nullopt;
  std::string sender = m.sender.starts_with("sip:") ? m.sender.substr(4) : m.sender;
  return Notice(*cpim, ImdnKind::kDelivery, status, sender, "sip:" + m.recipient);
}

// ---- delivery ------------------------------------------------------------------

void MessageService::OnRegistration(const std::string& aor, const std::vector<registrar::BindingChange>& changes) {
  size_t shard = router_.ShardOf(aor);
  auto it = shards_[shard]->mailboxes.find(aor);
  if (it == shards_[shard]->mailboxes.end() || !it->second.pending) return;
  bool reachable = false, new_device = false;
  for (const auto& c : changes) {
    reachable |= c.kind == registrar::ChangeKind::kCreated || c.kind == registrar::ChangeKind::kRefreshed ||
                 c.kind == registrar::ChangeKind::kShortened;
    new_device |= c.kind == registrar::ChangeKind::kCreated;
  }
  if (!reachable) return;
  Mailbox& mb = it->second;
  if (new_device && mb.retry != 0) {  // a new device is worth trying at once
    hosts_[shard]->timers().Cancel(mb.retry);
    mb.retry = 0;
    mb.backoff_s = 0;
  }
  if (mb.retry == 0) Deliver(aor);
}

void MessageService::OnAvailable(const std::string& aor) {
  size_t shard = router_.ShardOf(aor);
  auto it = shards_[shard]->mailboxes.find(aor);
  if (it == shards_[shard]->mailboxes.end() || !it->second.pending) return;
  Mailbox& mb = it->second;
  if (mb.retry == 0) return;  // no delivery is waiting: one is under way or nobody is registered
  ++shards_[shard]->stats.retries_on_presence;
  hosts_[shard]->timers().Cancel(mb.retry);
  mb.retry = 0;
  mb.backoff_s = 0;
  Deliver(aor);
}

// One delivery run through a mailbox: its pages in id order, one message
// at a time (below), to the devices the location service gave for the page.
struct MessageService::Run {
  std::string aor;
  size_t shard = 0;
  std::vector<store::StoredMessage> page;
  size_t index = 0;  // the message being delivered
  std::vector<proxy::Target> targets;
  bool reading_ahead = false;  // the next page is being read
  bool waiting = false;        // this page is done: go on once it is read
  std::optional<Result<std::vector<store::StoredMessage>>> next;
  std::set<std::string> plain;  // devices that refused message/cpim (415): sent the content alone
};

struct MessageService::Attempt {
  size_t outstanding = 0;
  bool done = false;
};

void MessageService::Deliver(const std::string& aor) {
  size_t shard = router_.ShardOf(aor);
  Mailbox& mb = shards_[shard]->mailboxes[aor];
  if (!mb.pending) return;
  if (mb.delivering) {
    mb.again = true;
    return;
  }
  mb.delivering = true;
  mb.again = false;
  location_.Lookup(aor, shard, [this, aor, shard](proxy::LookupResult r) {
    if (r.status != proxy::LookupResult::Status::kFound) {
      Finish(aor);  // nobody to deliver to: wait for a registration
      return;
    }
    // The first page is an ordered read: it sees every delivery record and
    // delete submitted before it (by an earlier run).
    store_.Read([this, aor, shard, targets = std::move(r.targets)](store::Store& s) mutable {
      auto page = s.PendingMessages(aor, 0, kPage);
      router_.Post(shard, [this, aor, shard, page = std::move(page), targets = std::move(targets)]() mutable {
        if (!page.ok()) {
          PLOG_WARN("mailbox_unreadable", {{"aor", aor}, {"error", page.error().message}});
          Failed(aor);
          return;
        }
        if (page->empty()) {
          Mailbox& box = shards_[shard]->mailboxes[aor];
          if (!box.again) box.pending = false;  // (see PageDone)
          Finish(aor);
          return;
        }
        auto run = std::make_shared<Run>();
        run->aor = aor;
        run->shard = shard;
        run->page = std::move(*page);
        run->targets = std::move(targets);
        StartPage(std::move(run));
      });
    });
  });
}

void MessageService::StartPage(std::shared_ptr<Run> run) {
  run->index = 0;
  if (run->page.size() == kPage) {
    // Read the next page while this one is delivered, beside the writer:
    // ids above this page are untouched by its delivery records and
    // deletes, so they need not be committed first. (An ordered read would
    // wait for their COMMIT: an fsync per page, most of the time a large
    // backlog took.)
    run->reading_ahead = true;
    store_.ReadCommitted([this, run, aor = run->aor, shard = run->shard, after = run->page.back().id](store::Store& s) {
      auto next = s.PendingMessages(aor, after, kPage);
      router_.Post(shard, [this, run, next = std::move(next)]() mutable {
        run->next = std::move(next);
        run->reading_ahead = false;
        if (run->waiting) {
          run->waiting = false;
          NextPage(run);
        }
      });
    });
  }
  DeliverNext(std::move(run));
}

void MessageService::PageDone(std::shared_ptr<Run> run) {
  Mailbox& mb = shards_[run->shard]->mailboxes[run->aor];
  mb.backoff_s = 0;
  if (run->page.size() < kPage) {
    // That was all, unless a message was stored meanwhile (`again`): it may
    // have committed after the page was read, and Deliver looks only into
    // pending mailboxes.
    if (!mb.again) mb.pending = false;
    Finish(run->aor);
    return;
  }
  if (run->reading_ahead) {
    run->waiting = true;
    return;
  }
  NextPage(std::move(run));
}

void MessageService::NextPage(std::shared_ptr<Run> run) {
  Result<std::vector<store::StoredMessage>> next = std::move(*run->next);
  run->next.reset();
  Mailbox& mb = shards_[run->shard]->mailboxes[run->aor];
  if (!next.ok()) {  // start over, with an ordered read
    PLOG_WARN("mailbox_unreadable", {{"aor", run->aor}, {"error", next.error().message}});
    mb.again = true;
    Finish(run->aor);
    return;
  }
  if (next->empty()) {
    if (!mb.again) mb.pending = false;
    Finish(run->aor);
    return;
  }
  // The devices may have changed meanwhile.
  location_.Lookup(run->aor, run->shard, [this, run, page = std::move(*next)](proxy::LookupResult r) mutable {
    if (r.status != proxy::LookupResult::Status::kFound) {
      Finish(run->aor);  // wait for a registration
      return;
    }
    run->page = std::move(page);
    run->targets = std::move(r.targets);
    StartPage(std::move(run));
  });
}

void MessageService::DeliverNext(std::shared_ptr<Run> run) {
  if (run->index == run->page.size()) return PageDone(std::move(run));
  const std::string& aor = run->aor;
  const store::StoredMessage& m = run->page[run->index];
  std::vector<size_t> eligible;
  for (size_t i = 0; i < run->targets.size(); ++i) {
    const std::string device = DeviceKey(run->targets[i]);
    if (std::find(m.delivered_to.begin(), m.delivered_to.end(), device) == m.delivered_to.end()) {
      eligible.push_back(i);
    }
  }
  if (eligible.empty()) {
    // Every device has it already (the delete did not commit before a
    // restart): it is delivered, not to be sent again.
    store_.Write([aor, id = m.id](store::Store& s) -> store::StoreExecutor::Completion {
      (void)s.DeleteMessage(aor, id);
      return {};
    });
    ++run->index;
    return DeliverNext(std::move(run));
  }
  // Every eligible device in parallel; the first 2xx delivers it. The next
  // message goes out only then: a UA takes pager-mode MESSAGEs (separate
  // transactions) in the order they arrive, and over UDP a message sent
  // behind one that is lost and retransmitted would overtake it.
  auto attempt = std::make_shared<Attempt>();
  for (size_t t : eligible) SendCopy(run, attempt, t, run->plain.count(DeviceKey(run->targets[t])) != 0);
  if (attempt->outstanding == 0 && !attempt->done) {
    attempt->done = true;
    Failed(aor);
  }
}

void MessageService::SendCopy(const std::shared_ptr<Run>& run, const std::shared_ptr<Attempt>& attempt,
                              size_t target, bool plain) {
  const proxy::Target& t = run->targets[target];
  const store::StoredMessage& m = run->page[run->index];
  proxy::ProcessorHost& host = *hosts_[run->shard];
  std::string content_type;
  std::string body = plain ? PlainBody(m, &content_type) : DeliveryBody(m, &content_type);
  auto req = sip::Message::NewRequest("MESSAGE", t.uri);
  req->AddHeader(sip::HeaderId::kVia, "SIP/2.0/" + std::string(transport::ProtocolName(t.destination.protocol)) + " " +
                                          host.sender().ViaSentBy(t.destination) +
                                          ";branch=" + proxy::NewBranch(run->shard, "00000000") + ";rport");
  req->AddHeader(sip::HeaderId::kMaxForwards, "70");
  for (const auto& r : t.route) req->AddHeader(sip::HeaderId::kRoute, r);
  req->AddHeader(sip::HeaderId::kFrom, "<" + m.sender + ">;tag=" + sip::RandomToken(6));
  req->AddHeader(sip::HeaderId::kTo, "<sip:" + run->aor + ">");
  req->AddHeader(sip::HeaderId::kCallId, sip::RandomToken(12) + "@parley");
  req->AddHeader(sip::HeaderId::kCSeq, "1 MESSAGE");
  if (plain) {
    // Without CPIM the original date travels in the Date header (RFC 3261 §20.17).
    auto when = ParseRfc3339(m.datetime);
    req->AddHeader(sip::HeaderId::kDate, FormatSipDate(when.ok() ? *when : m.received_at_ms));
  }
  AddStoredHeaders(*req, m.headers);
  req->SetBody(content_type, body);
  std::string device = DeviceKey(t);
  ++attempt->outstanding;
  auto txn = host.layer().SendRequest(std::move(req), t.destination,
                                      [this, attempt, run, device, target, plain](sip::MessagePtr r) {
    if (r->status() < 200) return;
    --attempt->outstanding;
    if (attempt->done) return;
    if (r->status() < 300) {
      attempt->done = true;
      Delivered(run->aor, run->page[run->index], device);
      ++run->index;
      DeliverNext(run);
      return;
    }
    // A UA that takes no message/cpim (baresip answers 415 with Accept:
    // text/plain) gets this and later messages of the run unwrapped.
    if (r->status() == 415 && !plain && !run->plain.count(device)) {
      run->plain.insert(device);
      SendCopy(run, attempt, target, true);
      if (attempt->outstanding != 0 || attempt->done) return;
    }
    if (attempt->outstanding == 0) {
      attempt->done = true;
      Failed(run->aor);
    }
  });
  if (!txn.ok()) --attempt->outstanding;
}

void MessageService::Delivered(const std::string& aor, const store::StoredMessage& m, const std::string& device) {
  auto& stats = shards_[router_.ShardOf(aor)]->stats;
  ++stats.delivered;
  // A group that acknowledges per recipient tells the sender: queued with
  // the delete, so the copy is never gone without its report.
  std::optional<store::StoredMessage> report = GroupReport(m, ImdnStatus::kDelivered);
  if (report) ++stats.notifications;
  // The delivery record first, then the delete, in one transaction: a
  // device that got it is never given it again.
  store_.Write([this, aor, id = m.id, message_id = m.message_id, device,
                report = std::move(report)](store::Store& s) -> store::StoreExecutor::Completion {
    (void)s.MarkDelivered(aor, message_id, device, UnixNowMs());
    if (!s.DeleteMessage(aor, id).value_or(false) || !report) return {};
    if (!s.EnqueueMessage(*report, {}).ok()) return {};
    return [this, to = report->recipient](const Result<void>& committed) {
      if (committed.ok()) Wake(to);
    };
  });
}

void MessageService::Failed(const std::string& aor) {
  size_t shard = router_.ShardOf(aor);
  Mailbox& mb = shards_[shard]->mailboxes[aor];
  ++shards_[shard]->stats.delivery_failures;
  mb.backoff_s = mb.backoff_s == 0 ? config_.retry_first_s : std::min(mb.backoff_s * 2, config_.retry_max_s);
  hosts_[shard]->timers().Cancel(mb.retry);
  mb.retry = hosts_[shard]->timers().Schedule(std::chrono::seconds(mb.backoff_s), [this, shard, aor] {
    auto it = shards_[shard]->mailboxes.find(aor);
    if (it == shards_[shard]->mailboxes.end()) return;
    it->second.retry = 0;
    Deliver(aor);
  });
  mb.again = false;
  Finish(aor);
}

void MessageService::Finish(const std::string& aor) {
  Mailbox& mb = shards_[router_.ShardOf(aor)]->mailboxes[aor];
  mb.delivering = false;
  if (mb.again && mb.retry == 0) Deliver(aor);
}

void MessageService::Expire() {
  int64_t cutoff = UnixNowMs() - config_.max_age_s * 1000;
  store_.Write([this, cutoff](store::Store& s) -> store::StoreExecutor::Completion {
    // The notifications and the deletion commit together: a message is
    // never dropped without the failure notice its sender asked for.
    std::vector<std::string> woken;
    size_t notices = 0;
    constexpr size_t kExpiryPage = 500;
    for (bool more = true; more;) {
      auto page = s.ExpiredWithNotifications(cutoff, kExpiryPage);
      if (!page.ok()) break;  // the deletion below fails the same way
      more = page->size() == kExpiryPage;
      for (const auto& m : *page) {
        std::optional<store::StoredMessage> notice = GroupReport(m, ImdnStatus::kFailed);
        if (!notice && (m.imdn & store::kImdnNegativeDelivery) != 0 && m.sender != config_.server_uri) {
          std::string sender = m.sender.starts_with("sip:") ? m.sender.substr(4) : m.sender;
          auto cpim = ParseCpim(m.body);
          if (cpim.ok()) notice = Notice(*cpim, ImdnKind::kDelivery, ImdnStatus::kFailed, sender);
        }
        if (notice && s.EnqueueMessage(*notice, {}).ok()) {
          ++notices;
          woken.push_back(notice->recipient);
        }
        // Gone now, so that the next page starts after it.
        if (!s.DeleteMessage(m.recipient, m.id).ok()) more = false;
      }
    }
    auto n = s.DeleteExpiredMessages(cutoff);
    if (n.ok() && *n > 0) PLOG_INFO("messages_expired", {{"count", *n}, {"notified", notices}});
    return [this, woken = std::move(woken)](const Result<void>& committed) {
      if (!committed.ok()) return;
      for (const auto& aor : woken) Wake(aor);
    };
  });
}

// ---- history ---------------------------------------------------------------------

void MessageService::Archive(const std::string& owner, store::HistoryEntry e, bool known_on) {
  size_t shard = router_.current();
  auto& cache = shards_[shard]->history;
  auto write = [this](store::HistoryEntry entry) {
    store_.Write([entry = std::move(entry)](store::Store& s) -> store::StoreExecutor::Completion {
      (void)s.AppendHistory(entry);
      return {};
    });
  };
  e.owner = owner;
  if (known_on) return write(std::move(e));
  if (auto it = cache.find(owner); it != cache.end()) {
    if (it->second) write(std::move(e));
    return;
  }
  // Beside the writer: the setting is written by other processes only
  // (parleyctl), and an ordered Read would split the group of writes before
  // it (a COMMIT per cold user while messages are being stored).
  store_.ReadCommitted([this, shard, owner, e = std::move(e), write](store::Store& s) mutable {
    auto on = s.HistoryEnabled(owner);
    bool enabled = on.ok() && *on;
    // The entry first, then the cache: what the loop archives once it sees
    // the cached setting is queued after this entry.
    if (enabled) write(std::move(e));
    router_.Post(shard, [this, shard, owner, enabled, cacheable = on.ok()] {
      if (cacheable) shards_[shard]->history[owner] = enabled;
    });
  });
}

bool MessageService::HistoryOff(const std::string& owner) const {
  const auto& cache = shards_[router_.current()]->history;
  auto it = cache.find(owner);
  return it != cache.end() && !it->second;
}

void MessageService::OnHistoryChanged(const std::string& aor) {
  for (size_t i = 0; i < shards_.size(); ++i) router_.Post(i, [this, i, aor] { shards_[i]->history.erase(aor); });
}

void MessageService::OnAllHistoryChanged() {
  for (size_t i = 0; i < shards_.size(); ++i) router_.Post(i, [this, i] { shards_[i]->history.clear(); });
}

void MessageService::OnRelayed(const proxy::RequestContext& ctx, int status) {
  if (status < 200 || status >= 300) return;
  const sip::Message& m = *ctx.request;
  auto ct = m.content_type();
  if (ct && IEquals(ct->subtype, "im-iscomposing+xml")) return;  // never kept
  std::string recipient = sip::AorKey(*m.request_uri());
  // Most users keep no history: known from the cache, nothing is built.
  bool sender_on = SenderKeepsHistory(ctx);
  if (HistoryOff(recipient) && !sender_on) return;
  std::string sender = !ctx.authenticated.empty() ? "sip:" + ctx.authenticated : std::string(m.from()->uri_text);
  store::HistoryEntry e;
  e.message_id = DerivedMessageId(m);
  e.time_ms = UnixNowMs();
  e.content_type = ct ? std::string(m.Value(sip::HeaderId::kContentType)) : "text/plain";
  e.body = std::string(m.body());
  if (sender_on) {
    store::HistoryEntry out = e;
    out.peer = "sip:" + recipient;
    out.direction = store::HistoryDirection::kOut;
    Archive(ctx.authenticated, std::move(out), /*known_on=*/true);
  }
  e.peer = sender;
  e.direction = store::HistoryDirection::kIn;
  Archive(recipient, std::move(e));
}

}  // namespace parley::im
