#pragma once
// A Store decorator for tests: forwards everything to `inner`; override
// what a test needs to count or break.

#include <memory>

#include "store/store.h"

namespace parley::testing {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  Result<void> Migrate() override { return inner_->Migrate(); }
  using Store::Begin;
  Result<void> Begin(store::Durability d) override { return inner_->Begin(d); }
  Result<void> Commit() override { return inner_->Commit(); }
  Result<void> Rollback() override { return inner_->Rollback(); }
  Result<void> AddDomain(const std::string& d) override { return inner_->AddDomain(d); }
  Result<void> RemoveDomain(const std::string& d) override { return inner_->RemoveDomain(d); }
  Result<std::vector<std::string>> ListDomains() override { return inner_->ListDomains(); }
  Result<void> AddUser(const store::UserRecord& u) override { return inner_->AddUser(u); }
  Result<bool> DeleteUser(const std::string& aor) override { return inner_->DeleteUser(aor); }
  Result<std::optional<store::UserRecord>> GetUser(const std::string& aor) override { return inner_->GetUser(aor); }
  Result<std::vector<store::UserRecord>> ListUsers(const std::string& d) override { return inner_->ListUsers(d); }
  Result<size_t> ImportUsers(const std::vector<store::UserRecord>& u) override { return inner_->ImportUsers(u); }
  Result<size_t> CountUsers() override { return inner_->CountUsers(); }
  Result<std::vector<store::UserRecord>> UsersAfter(const std::string& after, size_t limit) override {
    return inner_->UsersAfter(after, limit);
  }
  Result<int64_t> LatestChange() override { return inner_->LatestChange(); }
  Result<std::vector<store::Change>> ChangesSince(int64_t seq, size_t limit) override {
    return inner_->ChangesSince(seq, limit);
  }
  Result<size_t> PruneChanges(int64_t now_ms, int64_t retention_ms, size_t limit) override {
    return inner_->PruneChanges(now_ms, retention_ms, limit);
  }
  Result<int64_t> ChangesPrunedThrough() override { return inner_->ChangesPrunedThrough(); }
  Result<void> UpsertBinding(const store::Binding& b) override { return inner_->UpsertBinding(b); }
  Result<void> DeleteBinding(const std::string& aor, const std::string& c) override {
    return inner_->DeleteBinding(aor, c);
  }
  Result<size_t> EvictBindings(const std::string& aor, const std::string& c) override {
    return inner_->EvictBindings(aor, c);
  }
  Result<std::vector<store::Binding>> LoadBindings() override { return inner_->LoadBindings(); }
  Result<std::vector<store::Binding>> LoadBindingsOf(const std::string& aor) override {
    return inner_->LoadBindingsOf(aor);
  }
  Result<size_t> DeleteExpiredBindings(int64_t now) override { return inner_->DeleteExpiredBindings(now); }
  Result<store::UserPolicy> GetPolicy(const std::string& aor) override { return inner_->GetPolicy(aor); }
  Result<void> SetPolicyMode(const std::string& aor, store::BlockMode m) override {
    return inner_->SetPolicyMode(aor, m);
  }
  Result<void> SetPolicyEntry(const std::string& aor, const store::PolicyEntry& e) override {
    return inner_->SetPolicyEntry(aor, e);
  }
  Result<bool> RemovePolicyEntry(const std::string& aor, const std::string& p) override {
    return inner_->RemovePolicyEntry(aor, p);
  }
  Result<std::vector<std::string>> AorsWithPolicyEntries() override { return inner_->AorsWithPolicyEntries(); }
  Result<void> UpsertPublication(const store::Publication& p) override { return inner_->UpsertPublication(p); }
  Result<bool> DeletePublication(const std::string& e) override { return inner_->DeletePublication(e); }
  Result<std::vector<store::Publication>> LoadPublications() override { return inner_->LoadPublications(); }
  Result<size_t> DeleteExpiredPublications(int64_t now) override { return inner_->DeleteExpiredPublications(now); }
  Result<void> SaveCallDialog(const store::CallDialog& d) override { return inner_->SaveCallDialog(d); }
  Result<bool> DeleteCallDialog(const std::string& aor, const std::string& call_id, const std::string& local_tag,
                                const std::string& remote_tag) override {
    return inner_->DeleteCallDialog(aor, call_id, local_tag, remote_tag);
  }
  Result<std::vector<store::CallDialog>> LoadCallDialogs() override { return inner_->LoadCallDialogs(); }
  Result<size_t> DeleteCallDialogsBefore(int64_t t) override { return inner_->DeleteCallDialogsBefore(t); }
  Result<void> UpsertSubscription(const store::SubscriptionRecord& s) override {
    return inner_->UpsertSubscription(s);
  }
  Result<bool> DeleteSubscription(int64_t id) override { return inner_->DeleteSubscription(id); }
  Result<std::vector<store::SubscriptionRecord>> LoadSubscriptions() override { return inner_->LoadSubscriptions(); }
  Result<size_t> DeleteExpiredSubscriptions(int64_t now) override { return inner_->DeleteExpiredSubscriptions(now); }
  Result<std::optional<store::XcapDocument>> GetXcapDocument(const std::string& a, const std::string& x,
                                                             const std::string& n) override {
    return inner_->GetXcapDocument(a, x, n);
  }
  Result<std::vector<store::XcapDocument>> ListXcapDocuments(const std::string& a) override {
    return inner_->ListXcapDocuments(a);
  }
  Result<store::XcapOutcome> PutXcapDocument(const store::XcapDocument& d, const std::string& m, bool nm) override {
    return inner_->PutXcapDocument(d, m, nm);
  }
  Result<store::XcapOutcome> DeleteXcapDocument(const std::string& a, const std::string& x, const std::string& n,
                                                const std::string& m) override {
    return inner_->DeleteXcapDocument(a, x, n, m);
  }
  Result<void> SetOption(const store::OptionEntry& o) override { return inner_->SetOption(o); }
  Result<std::vector<store::OptionEntry>> GetOptions(const std::string& s) override { return inner_->GetOptions(s); }
  Result<std::optional<std::string>> GetMeta(const std::string& k) override { return inner_->GetMeta(k); }
  Result<void> SetMeta(const std::string& k, const std::string& v) override { return inner_->SetMeta(k, v); }
  Result<store::EnqueueResult> EnqueueMessage(const store::StoredMessage& m, const store::MessageQuota& q) override {
    return inner_->EnqueueMessage(m, q);
  }
  Result<std::vector<store::StoredMessage>> PendingMessages(const std::string& to, int64_t after,
                                                            size_t limit) override {
    return inner_->PendingMessages(to, after, limit);
  }
  Result<std::vector<store::StoredMessage>> ExpiredWithNotifications(int64_t older_than_ms, size_t limit) override {
    return inner_->ExpiredWithNotifications(older_than_ms, limit);
  }
  Result<std::vector<std::string>> RecipientsWithPending(const std::string& after, size_t limit) override {
    return inner_->RecipientsWithPending(after, limit);
  }
  Result<store::QueueUsage> CountPending(const std::string& to) override { return inner_->CountPending(to); }
  Result<bool> RecordAttempt(int64_t id, int64_t next) override { return inner_->RecordAttempt(id, next); }
  Result<bool> DeleteMessage(const std::string& to, int64_t id) override { return inner_->DeleteMessage(to, id); }
  Result<void> MarkDelivered(const std::string& to, const std::string& mid, const std::string& dev,
                             int64_t now_ms) override {
    return inner_->MarkDelivered(to, mid, dev, now_ms);
  }
  Result<bool> WasDelivered(const std::string& to, const std::string& mid, const std::string& dev) override {
    return inner_->WasDelivered(to, mid, dev);
  }
  Result<size_t> DeleteExpiredMessages(int64_t older_than_ms) override {
    return inner_->DeleteExpiredMessages(older_than_ms);
  }
  Result<void> SetHistoryEnabled(const std::string& aor, bool on) override { return inner_->SetHistoryEnabled(aor, on); }
  Result<bool> HistoryEnabled(const std::string& aor) override { return inner_->HistoryEnabled(aor); }
  Result<int64_t> AppendHistory(const store::HistoryEntry& e) override { return inner_->AppendHistory(e); }
  Result<std::vector<store::HistoryEntry>> QueryHistory(const store::HistoryQuery& q) override {
    return inner_->QueryHistory(q);
  }
  Result<size_t> DeleteHistoryBefore(const std::string& owner, int64_t before_ms) override {
    return inner_->DeleteHistoryBefore(owner, before_ms);
  }
  Result<void> SaveGroup(const store::Group& g) override { return inner_->SaveGroup(g); }
  Result<bool> DeleteGroup(const std::string& aor) override { return inner_->DeleteGroup(aor); }
  Result<void> AddGroupMember(const std::string& group, const std::string& member) override {
    return inner_->AddGroupMember(group, member);
  }
  Result<bool> RemoveGroupMember(const std::string& group, const std::string& member) override {
    return inner_->RemoveGroupMember(group, member);
  }
  Result<std::vector<store::Group>> ListGroups() override { return inner_->ListGroups(); }
  Result<store::NewApiToken> CreateToken(const std::string& aor, const std::string& label, int64_t expires_at_ms,
                                         int64_t now_ms) override {
    return inner_->CreateToken(aor, label, expires_at_ms, now_ms);
  }
  Result<std::optional<store::ApiToken>> LookupToken(const std::string& secret, int64_t now_ms) override {
    return inner_->LookupToken(secret, now_ms);
  }
  Result<std::vector<store::ApiToken>> ListTokens(const std::string& aor) override { return inner_->ListTokens(aor); }
  Result<bool> RevokeToken(const std::string& aor, int64_t id) override { return inner_->RevokeToken(aor, id); }

 protected:
  std::unique_ptr<store::Store> inner_;
};

}  // namespace parley::testing
