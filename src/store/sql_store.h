#pragma once
// The one Store implementation, on top of a SqlConnection. Semantics shared
// by both backends:
//  * Outside Begin/Commit every call is atomic on its own.
//  * Inside a transaction, the first error (including a validation error)
//    aborts it: later calls fail at once and Commit rolls back and returns
//    that error. (PostgreSQL behaves so natively; SQLite is made to.)
//  * Lookups of malformed keys find nothing; writes of them fail kErrInvalid.

#include <memory>
#include <optional>

#include "store/errors.h"
#include "store/sql.h"
#include "store/store.h"

namespace parley::store {

class SqlStore final : public Store {
 public:
  explicit SqlStore(std::unique_ptr<SqlConnection> conn);

  Result<void> Migrate() override;
  using Store::Begin;
  Result<void> Begin(Durability d) override;
  Result<void> Commit() override;
  Result<void> Rollback() override;

  Result<void> AddDomain(const std::string& domain) override;
  Result<void> RemoveDomain(const std::string& domain) override;
  Result<std::vector<std::string>> ListDomains() override;

  Result<void> AddUser(const UserRecord& user) override;
  Result<bool> DeleteUser(const std::string& aor) override;
  Result<std::optional<UserRecord>> GetUser(const std::string& aor) override;
  Result<std::vector<UserRecord>> ListUsers(const std::string& domain) override;
  Result<size_t> ImportUsers(const std::vector<UserRecord>& users) override;
  Result<size_t> CountUsers() override;
  Result<std::vector<UserRecord>> UsersAfter(const std::string& after, size_t limit) override;

  Result<int64_t> LatestChange() override;
  Result<std::vector<Change>> ChangesSince(int64_t seq, size_t limit) override;
  Result<size_t> PruneChanges(int64_t now_ms, int64_t retention_ms, size_t limit) override;
  Result<int64_t> ChangesPrunedThrough() override;

  Result<void> UpsertBinding(const Binding& b) override;
  Result<void> DeleteBinding(const std::string& aor, const std::string& contact_uri) override;
  Result<size_t> EvictBindings(const std::string& aor, const std::string& contact_uri) override;
  Result<std::vector<Binding>> LoadBindings() override;
  Result<std::vector<Binding>> LoadBindingsOf(const std::string& aor) override;
  Result<size_t> DeleteExpiredBindings(int64_t now) override;

  Result<UserPolicy> GetPolicy(const std::string& aor) override;
  Result<void> SetPolicyMode(const std::string& aor, BlockMode mode) override;
  Result<void> SetPolicyEntry(const std::string& aor, const PolicyEntry& e) override;
  Result<bool> RemovePolicyEntry(const std::string& aor, const std::string& pattern) override;
  Result<std::vector<std::string>> AorsWithPolicyEntries() override;

  Result<void> UpsertPublication(const Publication& p) override;
  Result<bool> DeletePublication(const std::string& etag) override;
  Result<std::vector<Publication>> LoadPublications() override;
  Result<size_t> DeleteExpiredPublications(int64_t now) override;
  Result<void> SaveCallDialog(const CallDialog& d) override;
  Result<bool> DeleteCallDialog(const std::string& aor, const std::string& call_id, const std::string& local_tag,
                                const std::string& remote_tag) override;
  Result<std::vector<CallDialog>> LoadCallDialogs() override;
  Result<size_t> DeleteCallDialogsBefore(int64_t created_before) override;

  Result<void> UpsertSubscription(const SubscriptionRecord& s) override;
  Result<bool> DeleteSubscription(int64_t id) override;
  Result<std::vector<SubscriptionRecord>> LoadSubscriptions() override;
  Result<size_t> DeleteExpiredSubscriptions(int64_t now) override;

  Result<std::optional<XcapDocument>> GetXcapDocument(const std::string& auid, const std::string& xui,
                                                      const std::string& name) override;
  Result<XcapOutcome> PutXcapDocument(const XcapDocument& doc, const std::string& if_match,
                                      bool if_none_match) override;
  Result<std::vector<XcapDocument>> ListXcapDocuments(const std::string& auid) override;
  Result<XcapOutcome> DeleteXcapDocument(const std::string& auid, const std::string& xui, const std::string& name,
                                         const std::string& if_match) override;

  Result<void> SetOption(const OptionEntry& o) override;
  Result<std::vector<OptionEntry>> GetOptions(const std::string& scope) override;

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Result<void> SetMeta(const std::string& key, const std::string& value) override;

  // sql_store_messages.cc
  Result<EnqueueResult> EnqueueMessage(const StoredMessage& m, const MessageQuota& quota) override;
  Result<std::vector<StoredMessage>> PendingMessages(const std::string& recipient, int64_t after_id,
                                                     size_t limit) override;
  Result<std::vector<std::string>> RecipientsWithPending(const std::string& after, size_t limit) override;
  Result<QueueUsage> CountPending(const std::string& recipient) override;
  Result<bool> RecordAttempt(int64_t id, int64_t next_attempt_at_ms) override;
  Result<bool> DeleteMessage(const std::string& recipient, int64_t id) override;
  Result<void> MarkDelivered(const std::string& recipient, const std::string& message_id, const std::string& device,
                             int64_t now_ms) override;
  Result<bool> WasDelivered(const std::string& recipient, const std::string& message_id,
                            const std::string& device) override;
  Result<size_t> DeleteExpiredMessages(int64_t older_than_ms) override;
  Result<std::vector<StoredMessage>> ExpiredWithNotifications(int64_t older_than_ms, size_t limit) override;

  // sql_store_history.cc
  Result<void> SetHistoryEnabled(const std::string& aor, bool enabled) override;
  Result<bool> HistoryEnabled(const std::string& aor) override;
  Result<int64_t> AppendHistory(const HistoryEntry& e) override;
  Result<std::vector<HistoryEntry>> QueryHistory(const HistoryQuery& q) override;
  Result<size_t> DeleteHistoryBefore(const std::string& owner, int64_t before_ms) override;

  // sql_store_groups.cc
  Result<void> SaveGroup(const Group& g) override;
  Result<bool> DeleteGroup(const std::string& aor) override;
  Result<void> AddGroupMember(const std::string& group, const std::string& member) override;
  Result<bool> RemoveGroupMember(const std::string& group, const std::string& member) override;
  Result<std::vector<Group>> ListGroups() override;

  // sql_store_tokens.cc
  Result<NewApiToken> CreateToken(const std::string& aor, const std::string& label, int64_t expires_at_ms,
                                  int64_t now_ms) override;
  Result<std::optional<ApiToken>> LookupToken(const std::string& secret, int64_t now_ms) override;
  Result<std::vector<ApiToken>> ListTokens(const std::string& aor) override;
  Result<bool> RevokeToken(const std::string& aor, int64_t id) override;

 private:
  enum class Mode {
    kSingle,  // one statement (or a read): no transaction of its own
    kAtomic,  // several statements: their own transaction when the caller has none
    kFeed,    // kAtomic, appending to the change feed
  };
  // Runs `body` under the rules above.
  template <typename T, typename F>
  Result<T> Guarded(Mode mode, F&& body);
  void EndTransaction();

  Result<int64_t> Run(const std::string& sql, std::initializer_list<SqlParam> params, SqlRows* rows = nullptr);
  Result<int64_t> RunSpan(const std::string& sql, std::span<const SqlParam> params, SqlRows* rows = nullptr);
  // Runs an INSERT of at most one row (`insert`, or the same text with
  // " RETURNING id" as the dialect prefers) and returns the row's id, or 0
  // when it inserted nothing.
  Result<int64_t> InsertId(const std::string& insert, const std::string& insert_returning,
                           std::initializer_list<SqlParam> params);
  Result<std::vector<Binding>> SelectBindings(const std::string& sql, std::span<const SqlParam> params);
  Result<void> EnsureDomain(const std::string& domain);
  Result<void> RequireUser(const std::string& aor);
  Result<void> LockChanges();
  // An integer kept in meta (0 when absent), inside the caller's Guarded.
  Result<int64_t> MetaInt(const std::string& name);
  Result<void> SetMetaInt(const std::string& name, int64_t value);
  Result<void> AppendChange(std::string_view kind, std::string_view key);
  Result<void> UpsertUsers(std::span<const UserRecord> users);
  Result<void> AppendUserChanges(std::span<const UserRecord> users);
  // Takes `aor` (a deleted user or group) out of every group (sql_store_groups.cc).
  Result<void> LeaveGroups(const std::string& aor);
  // Presence state of a deleted user (sql_store_presence.cc).
  Result<void> DeletePresenceState(const std::string& aor);

  std::unique_ptr<SqlConnection> conn_;
  const std::string last_insert_id_;  // dialect().last_insert_id as a statement text
  bool in_txn_ = false;              // between Begin and Commit/Rollback
  std::optional<Error> txn_error_;   // the error that aborted it
  bool changes_locked_ = false;      // dialect().lock_changes taken in this transaction
};

// Defined here: the methods are spread over several files.
template <typename T, typename F>
Result<T> SqlStore::Guarded(Mode mode, F&& body) {
  if (in_txn_ && txn_error_) {
    return Error(txn_error_->code, "transaction aborted by an earlier error: " + txn_error_->message);
  }
  bool own = mode != Mode::kSingle && !in_txn_;
  if (own) {
    if (auto b = conn_->Begin(Durability::kDisk); !b.ok()) return b.error();
  }
  auto run = [&]() -> Result<T> {
    // Feed writers take the change lock before any row lock, so two of
    // them cannot deadlock over it.
    if (mode == Mode::kFeed) {
      if (auto l = LockChanges(); !l.ok()) return l.error();
    }
    return body();
  };
  Result<T> r = run();
  if (own) {
    Result<void> end = r.ok() ? conn_->Commit() : Result<void>(r.error());
    if (!end.ok()) (void)conn_->Rollback();
    changes_locked_ = false;
    if (!end.ok()) return end.error();
  } else if (in_txn_ && !r.ok() && AbortsTransaction(r.error())) {
    txn_error_ = r.error();
  }
  return r;
}

}  // namespace parley::store
