#pragma once
// The one storage model of Parley. `Store` is a synchronous interface with
// two implementations (SQLite in WAL mode, the embedded default; PostgreSQL
// for several nodes sharing one store) that behave the same. Servers never
// call it on an event loop: they go through StoreExecutor (executor.h),
// which runs it on its own thread and commits writes in groups.
// parleyctl calls it directly.

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/durability.h"

namespace parley::store {

// A user of one of our domains. Passwords are never stored: only the digest
// HA1 for each algorithm (RFC 7616): H(user ":" realm ":" password), realm =
// the domain.
struct UserRecord {
  std::string aor;     // "alice@example.com" (lower-case domain)
  std::string user;    // "alice"
  std::string domain;  // "example.com"
  std::string ha1_md5;
  std::string ha1_sha256;
  bool enabled = true;
  // Keeps a message history (SetHistoryEnabled): filled by GetUser, not
  // written by AddUser / ImportUsers.
  bool history = false;
};

// A registered contact (RFC 3261 §10, RFC 3327 Path, RFC 5626 instance).
struct Binding {
  std::string aor;
  std::string contact_uri;   // the Contact URI as registered
  std::string contact_params;  // header params as written (";expires=…;+sip.instance=…")
  std::string instance;      // +sip.instance value, or ""
  std::string reg_id;        // RFC 5626 reg-id, or ""
  double q = 1.0;            // -1 when absent
  int64_t expires_at = 0;    // unix seconds
  std::string call_id;
  uint32_t cseq = 0;
  // CSeq of the first REGISTER with this Call-ID: the temporary GRUUs
  // minted since then are valid (RFC 5628 first-cseq).
  uint32_t first_cseq = 0;
  std::string path;          // Path values, comma-joined, in order
  std::string source;        // where the REGISTER came from: "udp:1.2.3.4:5060"
  std::string user_agent;
  int64_t updated_at = 0;    // unix seconds
};

// Per-user reception policy (seed 003 §7.3.5): who may reach the user with
// MESSAGE, INVITE, SUBSCRIBE, whatever the method.
enum class PolicyAction : uint8_t { kAllow, kBlock };
enum class BlockMode : uint8_t {
  kReject,   // blocked senders get 403
  kDiscard,  // blocked senders get 200 and the request is dropped
};
struct PolicyEntry {
  std::string pattern;  // "bob@example.org" (an AOR) or "example.org" (a domain)
  PolicyAction action = PolicyAction::kBlock;
};
struct UserPolicy {
  BlockMode mode = BlockMode::kReject;
  std::vector<PolicyEntry> entries;
};

// An event state published with PUBLISH (RFC 3903), kept until it expires.
struct Publication {
  std::string etag;           // SIP-ETag, unique across the store
  std::string aor;            // the presentity (normalized AOR)
  std::string event;          // "presence"
  std::string content_type;
  std::string body;           // as published (text: PIDF is UTF-8 XML)
  int64_t published_at_ms = 0;  // when this body was published (composition order)
  int64_t expires_at = 0;       // unix seconds
  // RFC 5262: the version of the pidf-full/pidf-diff that made `body`
  // (partial publication, RFC 5264); -1 for a whole PIDF.
  int64_t partial_version = -1;
};

// An answered call of a user of ours, kept so that the dialog event package
// (RFC 4235) still shows it after a restart. Tags are the user's side's.
struct CallDialog {
  std::string aor;  // the user (normalized AOR)
  std::string call_id, local_tag, remote_tag;
  bool initiator = false;    // the user placed the call
  bool from_trying = false;  // its id was made without the remote tag
  std::string local_identity, local_display, remote_identity, remote_display;
  bool remote_hidden = false;  // the caller asked for privacy
  int64_t created_at = 0;      // unix seconds
};

// A subscription (RFC 6665) a notifier keeps across restarts: enough to
// send NOTIFYs in its dialog again.
struct SubscriptionRecord {
  int64_t id = 0;               // the notifier's id, unique across the store
  std::string package;          // "presence", "presence.winfo", "reg"
  std::string event_id;
  std::string resource;         // AOR watched
  std::string subscriber;       // authenticated AOR of the watcher
  std::string state;            // "active", "pending"
  int64_t expires_at = 0;       // unix seconds
  std::string call_id, local_tag, remote_tag;
  std::string local_uri, remote_party, remote_target;
  std::string route;            // Record-Route values, one per line
  int64_t local_cseq = 0, remote_cseq = 0;
  std::string destination;      // "udp:192.0.2.1:5060" (where NOTIFYs go)
  int64_t version = 0;          // next document version of the package
  std::string options;          // package/rate parameters, "name=value;…"
  int64_t updated_at = 0;
  std::string package_state;    // what the package keeps with it (the list of an RFC 5367 SUBSCRIBE)
};

// A document of the XCAP server (RFC 4825): application usage, user (XUI
// as a normalized AOR, or "global") and document name. Every change appends
// a Change{kind "xcap", key "<auid>/<xui>"}.
struct XcapDocument {
  std::string auid;     // "pres-rules"
  std::string xui;      // "alice@example.com"
  std::string name;     // "index"
  std::string etag;
  std::string content;
  int64_t updated_at = 0;
};

enum class XcapOutcome : uint8_t { kCreated, kReplaced, kDeleted, kMissing, kPreconditionFailed };

// Settings of a domain ("example.com") or a user ("alice@example.com"),
// e.g. the default presence rule of a domain or a user's invisibility.
// Every change appends a Change{kind "option", key = the scope}.
struct OptionEntry {
  std::string scope;
  std::string name;
  std::string value;
};

// A change other nodes and the running server must notice (users and
// policies edited by parleyctl): a monotonically increasing sequence.
struct Change {
  int64_t seq = 0;
  std::string kind;  // "user", "policy", "domain", "history", "token", "group", "binding", …
  std::string key;   // the AOR or domain concerned
};

// ---- Deferred delivery (pager-mode MESSAGE for users who are offline) ----

// IMDN (RFC 5438 §5) notifications the sender asked for, as bits.
enum ImdnFlag : uint32_t {
  kImdnPositiveDelivery = 1,
  kImdnNegativeDelivery = 2,
  kImdnDisplay = 4,
  // Not asked for by the sender: a copy of a group message whose group
  // acknowledges per recipient; the server reports its delivery or failure.
  kImdnGroupReport = 8,
};

// A queued message. Text fields are UTF-8 without NUL (kErrInvalid
// otherwise); only `body` is byte-exact.
struct StoredMessage {
  int64_t id = 0;                  // set by the store: delivery order per recipient
  std::string recipient;           // a user's AOR (normalized on the way in)
  std::string sender;              // the sender's URI
  std::string message_id;          // dedupe key: IMDN Message-ID, or one the server derived
  int64_t received_at_ms = 0;      // when the server accepted it (unix ms)
  std::string datetime;            // the original CPIM DateTime (RFC 3339 text), or ""
  std::string content_type;
  std::string body;                // any bytes: NUL and invalid UTF-8 included
  std::string headers;             // SIP header lines ("Name: value\r\n") the delivery carries, or ""
  int32_t attempts = 0;            // RecordAttempt calls so far
  int64_t next_attempt_at_ms = 0;  // earliest next delivery attempt
  uint32_t imdn = 0;               // ImdnFlag bits
  // Read only (PendingMessages): devices MarkDelivered recorded for it.
  std::vector<std::string> delivered_to;
};

// Per-recipient limits; 0 means no limit. Bytes are body + headers.
struct MessageQuota {
  int64_t max_count = 0;
  int64_t max_bytes = 0;
};

struct EnqueueResult {
  int64_t id = 0;          // the queued row (0: delivered and deleted before)
  bool duplicate = false;  // (recipient, message_id) was queued or delivered already: nothing stored
};

struct QueueUsage {
  int64_t count = 0;
  int64_t bytes = 0;
};

// ---- History (the per-user message archive, opt-in) ----

enum class HistoryDirection : uint8_t {
  kIn,   // the owner received it
  kOut,  // the owner sent it
};

struct HistoryEntry {
  int64_t id = 0;  // set by the store; grows with every append
  std::string owner;  // the user whose archive it is
  std::string peer;   // the other party: an AOR (normalized) or another URI as given
  HistoryDirection direction = HistoryDirection::kIn;
  std::string message_id;
  int64_t time_ms = 0;
  std::string content_type;
  std::string body;  // byte-exact
};

constexpr size_t kMaxHistoryPage = 1000;
constexpr size_t kMaxHistorySearch = 256;  // bytes of QueryHistory text

struct HistoryQuery {
  std::string owner{};
  std::string peer{};                                     // "" = every peer
  int64_t from_ms = 0;                                    // time_ms >= from_ms
  int64_t to_ms = std::numeric_limits<int64_t>::max();  // time_ms < to_ms
  // "" = everything; else a case-insensitive substring of text/* bodies.
  std::string text{};
  size_t limit = 100;     // capped at kMaxHistoryPage
  int64_t before_id = 0;  // 0 = from the newest; else the last id of the previous page
};

// ---- Groups (seed 003 §7.2.1, §7.3): a MESSAGE to a group's URI goes to its members ----

// How the sender of a group message is answered.
enum class GroupAck : uint8_t {
  kSingle,        // one 202, then a copy per member
  kPerRecipient,  // 202, then a delivery notification (IMDN) per member
};
// Who may send to the group.
enum class GroupPosting : uint8_t {
  kMembers,  // its members (nested groups flattened)
  kUsers,    // any authenticated user of our domains
};

struct Group {
  std::string aor;  // "team@example.com": a URI of one of our domains that is no user's
  GroupAck ack = GroupAck::kSingle;
  GroupPosting posting = GroupPosting::kMembers;
  std::vector<std::string> members{};  // users' or other groups' AORs, sorted (read only: ListGroups)
};

// ---- API tokens (bearer tokens for the HTTP API) ----

struct ApiToken {
  int64_t id = 0;
  std::string aor;
  std::string label;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;  // 0 = never
};

struct NewApiToken {
  ApiToken info;
  std::string secret;  // the bearer token: shown once, only its SHA-256 is stored
};

class Store {
 public:
  virtual ~Store() = default;

  // Creates or upgrades the schema; idempotent.
  virtual Result<void> Migrate() = 0;

  // Transactions: the executor groups writes between Begin and Commit.
  Result<void> Begin() { return Begin(Durability::kDisk); }
  virtual Result<void> Begin(Durability d) = 0;
  virtual Result<void> Commit() = 0;
  virtual Result<void> Rollback() = 0;

  // Domains.
  virtual Result<void> AddDomain(const std::string& domain) = 0;
  virtual Result<void> RemoveDomain(const std::string& domain) = 0;
  virtual Result<std::vector<std::string>> ListDomains() = 0;

  // Users. AddUser replaces an existing user's credentials; every user
  // change appends a Change{kind "user"}.
  virtual Result<void> AddUser(const UserRecord& user) = 0;
  virtual Result<bool> DeleteUser(const std::string& aor) = 0;  // false: no such user
  virtual Result<std::optional<UserRecord>> GetUser(const std::string& aor) = 0;
  virtual Result<std::vector<UserRecord>> ListUsers(const std::string& domain = "") = 0;
  // Many users in one transaction (parleyctl user import).
  virtual Result<size_t> ImportUsers(const std::vector<UserRecord>& users) = 0;
  virtual Result<size_t> CountUsers() = 0;
  // Up to `limit` users whose AOR sorts after `after`, in AOR order, with
  // their history setting (as GetUser): pages of the whole directory.
  virtual Result<std::vector<UserRecord>> UsersAfter(const std::string& after, size_t limit) = 0;

  // Change feed. LatestChange: the newest seq ever appended (pruned or not).
  virtual Result<int64_t> LatestChange() = 0;
  virtual Result<std::vector<Change>> ChangesSince(int64_t seq, size_t limit = 1000) = 0;
  // Removes up to `limit` changes that have been in the feed `retention_ms`
  // at least; returns how many. Each call that finds nothing left to prune
  // marks the newest seq with `now_ms`; a call retention_ms after that mark
  // removes up to it. So a change stays retention_ms or longer, whichever
  // node prunes.
  virtual Result<size_t> PruneChanges(int64_t now_ms, int64_t retention_ms, size_t limit = 10000) = 0;
  // The highest seq pruning removed (0: none yet). A reader whose position
  // is below it may have missed changes and must reload what it caches.
  virtual Result<int64_t> ChangesPrunedThrough() = 0;

  // Bindings (location service persistence).
  virtual Result<void> UpsertBinding(const Binding& b) = 0;  // key: aor + contact_uri
  virtual Result<void> DeleteBinding(const std::string& aor, const std::string& contact_uri) = 0;
  // An administrator's removal (`parleyctl user unregister`): `aor`'s
  // binding of `contact_uri`, or every one of its bindings when that is "".
  // When a row went, appends a `binding` change (key: the AOR, or "AOR
  // CONTACT") so that a running server drops them too. Returns the rows removed.
  virtual Result<size_t> EvictBindings(const std::string& aor, const std::string& contact_uri) = 0;
  virtual Result<std::vector<Binding>> LoadBindings() = 0;      // every stored binding
  virtual Result<std::vector<Binding>> LoadBindingsOf(const std::string& aor) = 0;  // one AOR's
  virtual Result<size_t> DeleteExpiredBindings(int64_t now) = 0;

  // Reception policy; every change appends a Change{kind "policy"}.
  virtual Result<UserPolicy> GetPolicy(const std::string& aor) = 0;
  virtual Result<void> SetPolicyMode(const std::string& aor, BlockMode mode) = 0;
  virtual Result<void> SetPolicyEntry(const std::string& aor, const PolicyEntry& e) = 0;  // replaces same pattern
  virtual Result<bool> RemovePolicyEntry(const std::string& aor, const std::string& pattern) = 0;
  // The AORs with at least one policy entry (a policy without entries
  // allows everyone, whatever its mode).
  virtual Result<std::vector<std::string>> AorsWithPolicyEntries() = 0;

  // Publications (RFC 3903), keyed by etag.
  virtual Result<void> UpsertPublication(const Publication& p) = 0;
  virtual Result<bool> DeletePublication(const std::string& etag) = 0;
  virtual Result<std::vector<Publication>> LoadPublications() = 0;
  virtual Result<size_t> DeleteExpiredPublications(int64_t now) = 0;

  // Answered calls (RFC 4235), keyed by AOR, Call-ID and tags.
  virtual Result<void> SaveCallDialog(const CallDialog& d) = 0;
  virtual Result<bool> DeleteCallDialog(const std::string& aor, const std::string& call_id,
                                        const std::string& local_tag, const std::string& remote_tag) = 0;
  virtual Result<std::vector<CallDialog>> LoadCallDialogs() = 0;
  virtual Result<size_t> DeleteCallDialogsBefore(int64_t created_before) = 0;

  // Subscriptions (RFC 6665), keyed by id.
  virtual Result<void> UpsertSubscription(const SubscriptionRecord& s) = 0;
  virtual Result<bool> DeleteSubscription(int64_t id) = 0;
  virtual Result<std::vector<SubscriptionRecord>> LoadSubscriptions() = 0;
  virtual Result<size_t> DeleteExpiredSubscriptions(int64_t now) = 0;

  // XCAP documents. PutXcapDocument writes `doc` (its etag is the new one)
  // unless a precondition fails: `if_match` non-empty requires the current
  // etag (or "*": any existing document), `if_none_match` requires that
  // none exists. A failed precondition is an outcome, not an error, so it
  // never aborts the transaction it is part of.
  virtual Result<std::optional<XcapDocument>> GetXcapDocument(const std::string& auid, const std::string& xui,
                                                              const std::string& name) = 0;
  virtual Result<XcapOutcome> PutXcapDocument(const XcapDocument& doc, const std::string& if_match,
                                              bool if_none_match) = 0;
  virtual Result<XcapOutcome> DeleteXcapDocument(const std::string& auid, const std::string& xui,
                                                 const std::string& name, const std::string& if_match) = 0;
  // Every document of application usage `auid`, by user and name.
  virtual Result<std::vector<XcapDocument>> ListXcapDocuments(const std::string& auid) = 0;

  // Options of a domain or user; an empty value removes the option.
  virtual Result<void> SetOption(const OptionEntry& o) = 0;
  virtual Result<std::vector<OptionEntry>> GetOptions(const std::string& scope) = 0;

  // Small server state (e.g. the digest nonce key shared by all nodes).
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Result<void> SetMeta(const std::string& key, const std::string& value) = 0;

  // Deferred delivery queue (README: "Message queue"). Enqueue refuses a
  // full queue with kErrQuota, which does not abort the transaction; an
  // unknown recipient is kErrNotFound.
  virtual Result<EnqueueResult> EnqueueMessage(const StoredMessage& m, const MessageQuota& quota) = 0;
  // In id order, ids above `after_id`, at most `limit`.
  virtual Result<std::vector<StoredMessage>> PendingMessages(const std::string& recipient, int64_t after_id,
                                                             size_t limit) = 0;
  // Recipients with queued messages, in order, above `after` ("" = first).
  virtual Result<std::vector<std::string>> RecipientsWithPending(const std::string& after, size_t limit) = 0;
  virtual Result<QueueUsage> CountPending(const std::string& recipient) = 0;
  // attempts += 1, next_attempt_at_ms = the given time; false: no such message.
  virtual Result<bool> RecordAttempt(int64_t id, int64_t next_attempt_at_ms) = 0;
  virtual Result<bool> DeleteMessage(const std::string& recipient, int64_t id) = 0;  // false: not queued
  // Per-device delivery records: once MarkDelivered committed, that device
  // is never given that message_id again (README: "Delivery guarantee").
  virtual Result<void> MarkDelivered(const std::string& recipient, const std::string& message_id,
                                     const std::string& device, int64_t now_ms) = 0;
  virtual Result<bool> WasDelivered(const std::string& recipient, const std::string& message_id,
                                    const std::string& device) = 0;
  // Drops messages received and delivery records made before `older_than_ms`;
  // returns the number of messages dropped.
  virtual Result<size_t> DeleteExpiredMessages(int64_t older_than_ms) = 0;
  // Messages received before `older_than_ms` that asked for a notification
  // (imdn != 0), oldest first, at most `limit`: what expiry must answer
  // before DeleteExpiredMessages drops them. `delivered_to` is not filled.
  virtual Result<std::vector<StoredMessage>> ExpiredWithNotifications(int64_t older_than_ms, size_t limit) = 0;

  // History. The setting is per user (off by default) and appends a
  // Change{kind "history"}; AppendHistory stores nothing (returns 0) for a
  // user without it, or no user at all.
  virtual Result<void> SetHistoryEnabled(const std::string& aor, bool enabled) = 0;
  virtual Result<bool> HistoryEnabled(const std::string& aor) = 0;
  virtual Result<int64_t> AppendHistory(const HistoryEntry& e) = 0;
  // Newest first (descending id).
  virtual Result<std::vector<HistoryEntry>> QueryHistory(const HistoryQuery& q) = 0;
  // Entries with time_ms < before_ms, of `owner` ("" = everybody).
  virtual Result<size_t> DeleteHistoryBefore(const std::string& owner, int64_t before_ms) = 0;

  // Groups; every change appends a Change{kind "group"}. SaveGroup creates
  // a group (its domain must exist, kErrNotFound; a user with that AOR is
  // kErrConstraint) or changes its settings, keeping its members. A member
  // is a user or another group (kErrNotFound otherwise); deleting a user
  // or a group takes it out of every group.
  virtual Result<void> SaveGroup(const Group& g) = 0;
  virtual Result<bool> DeleteGroup(const std::string& aor) = 0;  // false: no such group
  virtual Result<void> AddGroupMember(const std::string& group, const std::string& member) = 0;
  virtual Result<bool> RemoveGroupMember(const std::string& group, const std::string& member) = 0;
  // Every group with its members, by AOR.
  virtual Result<std::vector<Group>> ListGroups() = 0;

  // API tokens; creating and revoking append a Change{kind "token"}.
  virtual Result<NewApiToken> CreateToken(const std::string& aor, const std::string& label, int64_t expires_at_ms,
                                          int64_t now_ms) = 0;
  // The token's owner, unless unknown, expired, or the user is disabled.
  virtual Result<std::optional<ApiToken>> LookupToken(const std::string& secret, int64_t now_ms) = 0;
  virtual Result<std::vector<ApiToken>> ListTokens(const std::string& aor) = 0;
  virtual Result<bool> RevokeToken(const std::string& aor, int64_t id) = 0;  // false: no such token
};

struct StoreConfig {
  // "sqlite:/path/to/parley.db" or "postgresql://user@host/db" (libpq
  // connection URI or keyword string after "postgresql:").
  std::string url;
  // SQLite: PRAGMA synchronous=FULL when true (every commit reaches the
  // disk), NORMAL otherwise.
  bool durable = true;
};

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config);

// The default store URL for a data directory: "sqlite:<dir>/parley.db".
std::string DefaultStoreUrl(const std::string& data_dir);

}  // namespace parley::store
