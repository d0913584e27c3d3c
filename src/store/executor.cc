#include "store/executor.h"

#include <exception>

#include "common/log.h"
#include "store/errors.h"

namespace parley::store {
namespace {

// Most writes a single transaction takes; more wait for the next one.
constexpr size_t kMaxGroup = 1024;

// What the executor hands to read and write functions. It refuses
// transaction control (the executor owns it). In a group it remembers the
// first failed call and fails every later call without touching the
// database, so one bad write aborts its group whatever the backend does.
// Refusals (kErrQuota: nothing written) are not failures.
class ExecutorStore final : public Store {
 public:
  ExecutorStore(Store* inner, bool group) : inner_(inner), group_(group) {}

  void Fail(Error e) {
    if (!error_) error_ = std::move(e);
  }
  const std::optional<Error>& error() const { return error_; }

  Result<void> Migrate() override { return Refuse(); }
  Result<void> Begin() override { return Refuse(); }
  Result<void> Commit() override { return Refuse(); }
  Result<void> Rollback() override { return Refuse(); }

  Result<void> AddDomain(const std::string& d) override {
    return Do<void>([&] { return inner_->AddDomain(d); });
  }
  Result<void> RemoveDomain(const std::string& d) override {
    return Do<void>([&] { return inner_->RemoveDomain(d); });
  }
  Result<std::vector<std::string>> ListDomains() override {
    return Do<std::vector<std::string>>([&] { return inner_->ListDomains(); });
  }
  Result<void> AddUser(const UserRecord& u) override {
    return Do<void>([&] { return inner_->AddUser(u); });
  }
  Result<bool> DeleteUser(const std::string& aor) override {
    return Do<bool>([&] { return inner_->DeleteUser(aor); });
  }
  Result<std::optional<UserRecord>> GetUser(const std::string& aor) override {
    return Do<std::optional<UserRecord>>([&] { return inner_->GetUser(aor); });
  }
  Result<std::vector<UserRecord>> ListUsers(const std::string& domain) override {
    return Do<std::vector<UserRecord>>([&] { return inner_->ListUsers(domain); });
  }
  Result<size_t> ImportUsers(const std::vector<UserRecord>& users) override {
    return Do<size_t>([&] { return inner_->ImportUsers(users); });
  }
  Result<int64_t> LatestChange() override {
    return Do<int64_t>([&] { return inner_->LatestChange(); });
  }
  Result<std::vector<Change>> ChangesSince(int64_t seq, size_t limit) override {
    return Do<std::vector<Change>>([&] { return inner_->ChangesSince(seq, limit); });
  }
  Result<void> UpsertBinding(const Binding& b) override {
    return Do<void>([&] { return inner_->UpsertBinding(b); });
  }
  Result<void> DeleteBinding(const std::string& aor, const std::string& contact) override {
    return Do<void>([&] { return inner_->DeleteBinding(aor, contact); });
  }
  Result<void> DeleteBindings(const std::string& aor) override {
    return Do<void>([&] { return inner_->DeleteBindings(aor); });
  }
  Result<std::vector<Binding>> LoadBindings() override {
    return Do<std::vector<Binding>>([&] { return inner_->LoadBindings(); });
  }
  Result<size_t> DeleteExpiredBindings(int64_t now) override {
    return Do<size_t>([&] { return inner_->DeleteExpiredBindings(now); });
  }
  Result<UserPolicy> GetPolicy(const std::string& aor) override {
    return Do<UserPolicy>([&] { return inner_->GetPolicy(aor); });
  }
  Result<void> SetPolicyMode(const std::string& aor, BlockMode mode) override {
    return Do<void>([&] { return inner_->SetPolicyMode(aor, mode); });
  }
  Result<void> SetPolicyEntry(const std::string& aor, const PolicyEntry& e) override {
    return Do<void>([&] { return inner_->SetPolicyEntry(aor, e); });
  }
  Result<bool> RemovePolicyEntry(const std::string& aor, const std::string& pattern) override {
    return Do<bool>([&] { return inner_->RemovePolicyEntry(aor, pattern); });
  }
  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    return Do<std::optional<std::string>>([&] { return inner_->GetMeta(key); });
  }
  Result<void> SetMeta(const std::string& key, const std::string& value) override {
    return Do<void>([&] { return inner_->SetMeta(key, value); });
  }
  Result<EnqueueResult> EnqueueMessage(const StoredMessage& m, const MessageQuota& q) override {
    return Do<EnqueueResult>([&] { return inner_->EnqueueMessage(m, q); });
  }
  Result<std::vector<StoredMessage>> PendingMessages(const std::string& to, int64_t after, size_t limit) override {
    return Do<std::vector<StoredMessage>>([&] { return inner_->PendingMessages(to, after, limit); });
  }
  Result<std::vector<std::string>> RecipientsWithPending(const std::string& after, size_t limit) override {
    return Do<std::vector<std::string>>([&] { return inner_->RecipientsWithPending(after, limit); });
  }
  Result<QueueUsage> CountPending(const std::string& to) override {
    return Do<QueueUsage>([&] { return inner_->CountPending(to); });
  }
  Result<bool> RecordAttempt(int64_t id, int64_t next) override {
    return Do<bool>([&] { return inner_->RecordAttempt(id, next); });
  }
  Result<bool> DeleteMessage(const std::string& to, int64_t id) override {
    return Do<bool>([&] { return inner_->DeleteMessage(to, id); });
  }
  Result<void> MarkDelivered(const std::string& to, const std::string& message_id, const std::string& device,
                             int64_t now_ms) override {
    return Do<void>([&] { return inner_->MarkDelivered(to, message_id, device, now_ms); });
  }
  Result<bool> WasDelivered(const std::string& to, const std::string& message_id, const std::string& device) override {
    return Do<bool>([&] { return inner_->WasDelivered(to, message_id, device); });
  }
  Result<size_t> DeleteExpiredMessages(int64_t older_than_ms) override {
    return Do<size_t>([&] { return inner_->DeleteExpiredMessages(older_than_ms); });
  }
  Result<void> SetHistoryEnabled(const std::string& aor, bool enabled) override {
    return Do<void>([&] { return inner_->SetHistoryEnabled(aor, enabled); });
  }
  Result<bool> HistoryEnabled(const std::string& aor) override {
    return Do<bool>([&] { return inner_->HistoryEnabled(aor); });
  }
  Result<int64_t> AppendHistory(const HistoryEntry& e) override {
    return Do<int64_t>([&] { return inner_->AppendHistory(e); });
  }
  Result<std::vector<HistoryEntry>> QueryHistory(const HistoryQuery& q) override {
    return Do<std::vector<HistoryEntry>>([&] { return inner_->QueryHistory(q); });
  }
  Result<size_t> DeleteHistoryBefore(const std::string& owner, int64_t before_ms) override {
    return Do<size_t>([&] { return inner_->DeleteHistoryBefore(owner, before_ms); });
  }
  Result<NewApiToken> CreateToken(const std::string& aor, const std::string& label, int64_t expires_at_ms,
                                  int64_t now_ms) override {
    return Do<NewApiToken>([&] { return inner_->CreateToken(aor, label, expires_at_ms, now_ms); });
  }
  Result<std::optional<ApiToken>> LookupToken(const std::string& secret, int64_t now_ms) override {
    return Do<std::optional<ApiToken>>([&] { return inner_->LookupToken(secret, now_ms); });
  }
  Result<std::vector<ApiToken>> ListTokens(const std::string& aor) override {
    return Do<std::vector<ApiToken>>([&] { return inner_->ListTokens(aor); });
  }
  Result<bool> RevokeToken(const std::string& aor, int64_t id) override {
    return Do<bool>([&] { return inner_->RevokeToken(aor, id); });
  }

 private:
  template <typename T, typename F>
  Result<T> Do(F&& call) {
    if (error_) return *error_;
    Result<T> r = call();
    if (group_ && !r.ok() && AbortsTransaction(r.error())) Fail(r.error());
    return r;
  }
  Result<void> Refuse() {
    Error e(kErrState, "transactions are managed by the store executor");
    if (group_) Fail(e);
    return e;
  }

  Store* inner_;  // null when every call must fail
  bool group_;
  std::optional<Error> error_;
};

Error NotRunning() { return Error(kErrUnavailable, "store executor is not running"); }

}  // namespace

StoreExecutor::StoreExecutor(Opener open) : open_(std::move(open)) {}

StoreExecutor::StoreExecutor(StoreConfig config)
    : open_([config = std::move(config)] { return OpenStore(config); }) {}

StoreExecutor::~StoreExecutor() { Stop(); }

Result<void> StoreExecutor::Start() {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kIdle) return Error(kErrState, "store executor already started");
    state_ = State::kStarting;
  }
  std::promise<Result<void>> started;
  auto result = started.get_future();
  // The thread owns the promise: set_value may still be running when
  // get() returns here.
  thread_ = std::thread([this, started = std::move(started)]() mutable { Run(started); });
  Result<void> r = result.get();
  if (!r.ok()) thread_.join();
  return r;
}

void StoreExecutor::Run(std::promise<Result<void>>& started) {
  Result<void> r = Ok();
  try {
    auto store = open_();
    if (store.ok()) {
      store_ = std::move(*store);
      r = store_->Migrate();
    } else {
      r = store.error();
    }
  } catch (const std::exception& e) {
    r = Error(kErrUnavailable, std::string("store open threw: ") + e.what());
  }
  {
    std::lock_guard lock(mu_);
    state_ = r.ok() ? State::kRunning : State::kStopped;
  }
  if (!r.ok()) store_.reset();
  started.set_value(r);
  if (!r.ok()) return;
  Loop();
  store_.reset();  // closed on the thread that used it
}

void StoreExecutor::Loop() {
  std::deque<Item> batch;
  std::vector<WriteFn> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || state_ == State::kStopping; });
      if (queue_.empty()) {  // stopping, and drained
        state_ = State::kStopped;
        return;
      }
      batch.swap(queue_);
    }
    // Everything queued meanwhile (while the previous COMMIT ran) is one
    // batch: runs of consecutive writes in it become groups.
    for (Item& item : batch) {
      if (item.write) {
        group.push_back(std::move(item.write));
        if (group.size() >= kMaxGroup) RunGroup(group);
      } else {
        RunGroup(group);
        RunRead(item.read);
      }
    }
    RunGroup(group);
    batch.clear();
  }
}

void StoreExecutor::RunGroup(std::vector<WriteFn>& group) {
  if (group.empty()) return;
  ExecutorStore view(store_.get(), /*group=*/true);
  Result<void> result = store_->Begin();
  if (!result.ok()) view.Fail(result.error());  // the writes still run, against a failing store
  std::vector<Completion> completions;
  completions.reserve(group.size());
  for (WriteFn& fn : group) {
    try {
      completions.push_back(fn(view));
    } catch (const std::exception& e) {
      view.Fail(Error(kErrIo, std::string("store write threw: ") + e.what()));
      completions.emplace_back();
    }
  }
  if (result.ok()) {
    if (view.error()) {
      (void)store_->Rollback();
      result = *view.error();
    } else {
      result = store_->Commit();
      if (!result.ok()) (void)store_->Rollback();
    }
  }
  if (!result.ok()) {
    PLOG_WARN("store_group_failed", {{"writes", group.size()}, {"error", result.error().message}});
  }
  // Only now, after COMMIT returned: the writes are durable (or gone).
  for (Completion& done : completions) {
    if (!done) continue;
    try {
      done(result);
    } catch (const std::exception& e) {
      PLOG_ERROR("store_completion_threw", {{"error", e.what()}});
    }
  }
  pending_writes_.fetch_sub(group.size(), std::memory_order_relaxed);
  group.clear();
}

void StoreExecutor::RunRead(ReadFn& fn) {
  ExecutorStore view(store_.get(), /*group=*/false);
  try {
    fn(view);
  } catch (const std::exception& e) {
    PLOG_ERROR("store_read_threw", {{"error", e.what()}});
  }
}

bool StoreExecutor::Enqueue(Item& item) {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kRunning && state_ != State::kStopping) return false;
    if (item.write) pending_writes_.fetch_add(1, std::memory_order_relaxed);
    queue_.push_back(std::move(item));
  }
  cv_.notify_one();
  return true;
}

void StoreExecutor::Read(ReadFn fn) {
  Item item{std::move(fn), nullptr};
  if (Enqueue(item)) return;  // moved from only when queued
  fn = std::move(item.read);
  ExecutorStore failing(nullptr, /*group=*/true);
  failing.Fail(NotRunning());
  fn(failing);
}

void StoreExecutor::Write(WriteFn fn) {
  Item item{nullptr, std::move(fn)};
  if (Enqueue(item)) return;
  fn = std::move(item.write);
  ExecutorStore failing(nullptr, /*group=*/true);
  failing.Fail(NotRunning());
  Completion done = fn(failing);
  if (done) done(NotRunning());
}

void StoreExecutor::Stop() {
  {
    std::lock_guard lock(mu_);
    if (state_ == State::kRunning) state_ = State::kStopping;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    PLOG_ERROR("store_executor_stop_on_own_thread", {});
    return;
  }
  thread_.join();
}

size_t StoreExecutor::pending() const { return pending_writes_.load(std::memory_order_relaxed); }

}  // namespace parley::store
