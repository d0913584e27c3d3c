#pragma once
// StoreExecutor's view of the store, handed to read and write functions
// (internal to executor.cc).

#include <optional>
#include <string>
#include <vector>

#include "store/errors.h"
#include "store/store.h"

namespace parley::store {

// What the executor hands to read and write functions. It refuses
// transaction control (the executor owns it). In a group it remembers the
// first failed call and fails every later call without touching the
// database, so one bad write aborts its attempt whatever the backend does
// (the executor then runs the others of its group without it).
// Refusals (kErrQuota: nothing written) are not failures. For reads on the
// reader connection it refuses every write.
class ExecutorStore final : public Store {
 public:
  enum class Kind : uint8_t {
    kGroup,     // a write group: the first failure sticks
    kRead,      // an ordered read (Read), on the writer's connection
    kReadOnly,  // a concurrent read (ReadCommitted), on the reader's connection
  };
  ExecutorStore(Store* inner, Kind kind) : inner_(inner), kind_(kind) {}

  void Fail(Error e) {
    if (!error_) error_ = std::move(e);
  }
  const std::optional<Error>& error() const { return error_; }

  Result<void> Migrate() override { return Refuse(); }
  using Store::Begin;
  Result<void> Begin(Durability) override { return Refuse(); }
  Result<void> Commit() override { return Refuse(); }
  Result<void> Rollback() override { return Refuse(); }

  Result<void> AddDomain(const std::string& d) override {
    return DoWrite<void>([&] { return inner_->AddDomain(d); });
  }
  Result<void> RemoveDomain(const std::string& d) override {
    return DoWrite<void>([&] { return inner_->RemoveDomain(d); });
  }
  Result<std::vector<std::string>> ListDomains() override {
    return Do<std::vector<std::string>>([&] { return inner_->ListDomains(); });
  }
  Result<void> AddUser(const UserRecord& u) override {
    return DoWrite<void>([&] { return inner_->AddUser(u); });
  }
  Result<bool> DeleteUser(const std::string& aor) override {
    return DoWrite<bool>([&] { return inner_->DeleteUser(aor); });
  }
  Result<std::optional<UserRecord>> GetUser(const std::string& aor) override {
    return Do<std::optional<UserRecord>>([&] { return inner_->GetUser(aor); });
  }
  Result<std::vector<UserRecord>> ListUsers(const std::string& domain) override {
    return Do<std::vector<UserRecord>>([&] { return inner_->ListUsers(domain); });
  }
  Result<size_t> ImportUsers(const std::vector<UserRecord>& users) override {
    return DoWrite<size_t>([&] { return inner_->ImportUsers(users); });
  }
  Result<size_t> CountUsers() override {
    return Do<size_t>([&] { return inner_->CountUsers(); });
  }
  Result<std::vector<UserRecord>> UsersAfter(const std::string& after, size_t limit) override {
    return Do<std::vector<UserRecord>>([&] { return inner_->UsersAfter(after, limit); });
  }
  Result<int64_t> LatestChange() override {
    return Do<int64_t>([&] { return inner_->LatestChange(); });
  }
  Result<std::vector<Change>> ChangesSince(int64_t seq, size_t limit) override {
    return Do<std::vector<Change>>([&] { return inner_->ChangesSince(seq, limit); });
  }
  Result<size_t> PruneChanges(int64_t now_ms, int64_t retention_ms, size_t limit) override {
    return DoWrite<size_t>([&] { return inner_->PruneChanges(now_ms, retention_ms, limit); });
  }
  Result<int64_t> ChangesPrunedThrough() override {
    return Do<int64_t>([&] { return inner_->ChangesPrunedThrough(); });
  }
  Result<void> UpsertBinding(const Binding& b) override {
    return DoWrite<void>([&] { return inner_->UpsertBinding(b); });
  }
  Result<void> DeleteBinding(const std::string& aor, const std::string& contact) override {
    return DoWrite<void>([&] { return inner_->DeleteBinding(aor, contact); });
  }
  Result<size_t> EvictBindings(const std::string& aor, const std::string& contact) override {
    return DoWrite<size_t>([&] { return inner_->EvictBindings(aor, contact); });
  }
  Result<std::vector<Binding>> LoadBindings() override {
    return Do<std::vector<Binding>>([&] { return inner_->LoadBindings(); });
  }
  Result<std::vector<Binding>> LoadBindingsOf(const std::string& aor) override {
    return Do<std::vector<Binding>>([&] { return inner_->LoadBindingsOf(aor); });
  }
  Result<size_t> DeleteExpiredBindings(int64_t now) override {
    return DoWrite<size_t>([&] { return inner_->DeleteExpiredBindings(now); });
  }
  Result<UserPolicy> GetPolicy(const std::string& aor) override {
    return Do<UserPolicy>([&] { return inner_->GetPolicy(aor); });
  }
  Result<void> SetPolicyMode(const std::string& aor, BlockMode mode) override {
    return DoWrite<void>([&] { return inner_->SetPolicyMode(aor, mode); });
  }
  Result<void> SetPolicyEntry(const std::string& aor, const PolicyEntry& e) override {
    return DoWrite<void>([&] { return inner_->SetPolicyEntry(aor, e); });
  }
  Result<bool> RemovePolicyEntry(const std::string& aor, const std::string& pattern) override {
    return DoWrite<bool>([&] { return inner_->RemovePolicyEntry(aor, pattern); });
  }
  Result<std::vector<std::string>> AorsWithPolicyEntries() override {
    return Do<std::vector<std::string>>([&] { return inner_->AorsWithPolicyEntries(); });
  }
  Result<void> UpsertPublication(const Publication& p) override {
    return Do<void>([&] { return inner_->UpsertPublication(p); });
  }
  Result<bool> DeletePublication(const std::string& etag) override {
    return Do<bool>([&] { return inner_->DeletePublication(etag); });
  }
  Result<std::vector<Publication>> LoadPublications() override {
    return Do<std::vector<Publication>>([&] { return inner_->LoadPublications(); });
  }
  Result<size_t> DeleteExpiredPublications(int64_t now) override {
    return Do<size_t>([&] { return inner_->DeleteExpiredPublications(now); });
  }
  Result<void> SaveCallDialog(const CallDialog& d) override {
    return Do<void>([&] { return inner_->SaveCallDialog(d); });
  }
  Result<bool> DeleteCallDialog(const std::string& aor, const std::string& call_id, const std::string& local_tag,
                                const std::string& remote_tag) override {
    return Do<bool>([&] { return inner_->DeleteCallDialog(aor, call_id, local_tag, remote_tag); });
  }
  Result<std::vector<CallDialog>> LoadCallDialogs() override {
    return Do<std::vector<CallDialog>>([&] { return inner_->LoadCallDialogs(); });
  }
  Result<size_t> DeleteCallDialogsBefore(int64_t created_before) override {
    return Do<size_t>([&] { return inner_->DeleteCallDialogsBefore(created_before); });
  }
  Result<void> UpsertSubscription(const SubscriptionRecord& s) override {
    return Do<void>([&] { return inner_->UpsertSubscription(s); });
  }
  Result<bool> DeleteSubscription(int64_t id) override {
    return Do<bool>([&] { return inner_->DeleteSubscription(id); });
  }
  Result<std::vector<SubscriptionRecord>> LoadSubscriptions() override {
    return Do<std::vector<SubscriptionRecord>>([&] { return inner_->LoadSubscriptions(); });
  }
  Result<size_t> DeleteExpiredSubscriptions(int64_t now) override {
    return Do<size_t>([&] { return inner_->DeleteExpiredSubscriptions(now); });
  }
  Result<std::optional<XcapDocument>> GetXcapDocument(const std::string& auid, const std::string& xui,
                                                      const std::string& name) override {
    return Do<std::optional<XcapDocument>>([&] { return inner_->GetXcapDocument(auid, xui, name); });
  }
  Result<std::vector<XcapDocument>> ListXcapDocuments(const std::string& auid) override {
    return Do<std::vector<XcapDocument>>([&] { return inner_->ListXcapDocuments(auid); });
  }
  Result<XcapOutcome> PutXcapDocument(const XcapDocument& doc, const std::string& if_match,
                                      bool if_none_match) override {
    return Do<XcapOutcome>([&] { return inner_->PutXcapDocument(doc, if_match, if_none_match); });
  }
  Result<XcapOutcome> DeleteXcapDocument(const std::string& auid, const std::string& xui, const std::string& name,
                                         const std::string& if_match) override {
    return Do<XcapOutcome>([&] { return inner_->DeleteXcapDocument(auid, xui, name, if_match); });
  }
  Result<void> SetOption(const OptionEntry& o) override {
    return Do<void>([&] { return inner_->SetOption(o); });
  }
  Result<std::vector<OptionEntry>> GetOptions(const std::string& scope) override {
    return Do<std::vector<OptionEntry>>([&] { return inner_->GetOptions(scope); });
  }
  Result<std::optional<std::string>> GetMeta(const std::string& key) override {
    return Do<std::optional<std::string>>([&] { return inner_->GetMeta(key); });
  }
  Result<void> SetMeta(const std::string& key, const std::string& value) override {
    return DoWrite<void>([&] { return inner_->SetMeta(key, value); });
  }
  Result<EnqueueResult> EnqueueMessage(const StoredMessage& m, const MessageQuota& q) override {
    return DoWrite<EnqueueResult>([&] { return inner_->EnqueueMessage(m, q); });
  }
  Result<std::vector<StoredMessage>> PendingMessages(const std::string& to, int64_t after, size_t limit) override {
    return Do<std::vector<StoredMessage>>([&] { return inner_->PendingMessages(to, after, limit); });
  }
  Result<std::vector<StoredMessage>> ExpiredWithNotifications(int64_t older_than_ms, size_t limit) override {
    return Do<std::vector<StoredMessage>>([&] { return inner_->ExpiredWithNotifications(older_than_ms, limit); });
  }
  Result<std::vector<std::string>> RecipientsWithPending(const std::string& after, size_t limit) override {
    return Do<std::vector<std::string>>([&] { return inner_->RecipientsWithPending(after, limit); });
  }
  Result<QueueUsage> CountPending(const std::string& to) override {
    return Do<QueueUsage>([&] { return inner_->CountPending(to); });
  }
  Result<bool> RecordAttempt(int64_t id, int64_t next) override {
    return DoWrite<bool>([&] { return inner_->RecordAttempt(id, next); });
  }
  Result<bool> DeleteMessage(const std::string& to, int64_t id) override {
    return DoWrite<bool>([&] { return inner_->DeleteMessage(to, id); });
  }
  Result<void> MarkDelivered(const std::string& to, const std::string& message_id, const std::string& device,
                             int64_t now_ms) override {
    return DoWrite<void>([&] { return inner_->MarkDelivered(to, message_id, device, now_ms); });
  }
  Result<bool> WasDelivered(const std::string& to, const std::string& message_id, const std::string& device) override {
    return Do<bool>([&] { return inner_->WasDelivered(to, message_id, device); });
  }
  Result<size_t> DeleteExpiredMessages(int64_t older_than_ms) override {
    return DoWrite<size_t>([&] { return inner_->DeleteExpiredMessages(older_than_ms); });
  }
  Result<void> SetHistoryEnabled(const std::string& aor, bool enabled) override {
    return DoWrite<void>([&] { return inner_->SetHistoryEnabled(aor, enabled); });
  }
  Result<bool> HistoryEnabled(const std::string& aor) override {
    return Do<bool>([&] { return inner_->HistoryEnabled(aor); });
  }
  Result<int64_t> AppendHistory(const HistoryEntry& e) override {
    return DoWrite<int64_t>([&] { return inner_->AppendHistory(e); });
  }
  Result<std::vector<HistoryEntry>> QueryHistory(const HistoryQuery& q) override {
    return Do<std::vector<HistoryEntry>>([&] { return inner_->QueryHistory(q); });
  }
  Result<size_t> DeleteHistoryBefore(const std::string& owner, int64_t before_ms) override {
    return DoWrite<size_t>([&] { return inner_->DeleteHistoryBefore(owner, before_ms); });
  }
  Result<void> SaveGroup(const Group& g) override {
    return DoWrite<void>([&] { return inner_->SaveGroup(g); });
  }
  Result<bool> DeleteGroup(const std::string& aor) override {
    return DoWrite<bool>([&] { return inner_->DeleteGroup(aor); });
  }
  Result<void> AddGroupMember(const std::string& group, const std::string& member) override {
    return DoWrite<void>([&] { return inner_->AddGroupMember(group, member); });
  }
  Result<bool> RemoveGroupMember(const std::string& group, const std::string& member) override {
    return DoWrite<bool>([&] { return inner_->RemoveGroupMember(group, member); });
  }
  Result<std::vector<Group>> ListGroups() override {
    return Do<std::vector<Group>>([&] { return inner_->ListGroups(); });
  }
  Result<NewApiToken> CreateToken(const std::string& aor, const std::string& label, int64_t expires_at_ms,
                                  int64_t now_ms) override {
    return DoWrite<NewApiToken>([&] { return inner_->CreateToken(aor, label, expires_at_ms, now_ms); });
  }
  Result<std::optional<ApiToken>> LookupToken(const std::string& secret, int64_t now_ms) override {
    return Do<std::optional<ApiToken>>([&] { return inner_->LookupToken(secret, now_ms); });
  }
  Result<std::vector<ApiToken>> ListTokens(const std::string& aor) override {
    return Do<std::vector<ApiToken>>([&] { return inner_->ListTokens(aor); });
  }
  Result<bool> RevokeToken(const std::string& aor, int64_t id) override {
    return DoWrite<bool>([&] { return inner_->RevokeToken(aor, id); });
  }

 private:
  template <typename T, typename F>
  Result<T> Do(F&& call) {
    if (error_) return *error_;
    Result<T> r = call();
    if (kind_ == Kind::kGroup && !r.ok() && AbortsTransaction(r.error())) Fail(r.error());
    return r;
  }
  template <typename T, typename F>
  Result<T> DoWrite(F&& call) {
    if (kind_ == Kind::kReadOnly && !error_) {
      return Error(kErrState, "a concurrent read cannot write: use StoreExecutor::Write");
    }
    return Do<T>(std::forward<F>(call));
  }
  Result<void> Refuse() {
    Error e(kErrState, "transactions are managed by the store executor");
    if (kind_ == Kind::kGroup) Fail(e);
    return e;
  }

  Store* inner_;  // null when every call must fail
  Kind kind_;
  std::optional<Error> error_;
};

}  // namespace parley::store
