#include "store/schema.h"

namespace parley::store {
namespace {

// Never edit a released migration: append a new one.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE domains (
  domain TEXT PRIMARY KEY
);
CREATE TABLE users (
  aor TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  domain TEXT NOT NULL REFERENCES domains (domain),
  ha1_md5 TEXT NOT NULL,
  ha1_sha256 TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_by_domain ON users (domain, aor);
CREATE TABLE bindings (
  aor TEXT NOT NULL,
  contact_uri TEXT NOT NULL,
  contact_params TEXT NOT NULL,
  instance TEXT NOT NULL,
  reg_id TEXT NOT NULL,
  q DOUBLE PRECISION NOT NULL,
  expires_at BIGINT NOT NULL,
  call_id TEXT NOT NULL,
  cseq BIGINT NOT NULL,
  path TEXT NOT NULL,
  source TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (aor, contact_uri)
);
CREATE INDEX bindings_by_expiry ON bindings (expires_at);
CREATE TABLE policy_modes (
  aor TEXT PRIMARY KEY REFERENCES users (aor) ON DELETE CASCADE,
  mode TEXT NOT NULL CHECK (mode IN ('reject', 'discard'))
);
CREATE TABLE policy_entries (
  aor TEXT NOT NULL REFERENCES users (aor) ON DELETE CASCADE,
  pattern TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('allow', 'block')),
  PRIMARY KEY (aor, pattern)
);
CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE changes (
  seq {SERIAL},
  kind TEXT NOT NULL,
  subject TEXT NOT NULL
);
)sql"},
    {2, R"sql(
CREATE TABLE publications (
  etag TEXT PRIMARY KEY,
  aor TEXT NOT NULL,
  event TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,
  published_at_ms BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX publications_by_aor ON publications (aor);
CREATE INDEX publications_by_expiry ON publications (expires_at);
CREATE TABLE subscriptions (
  id BIGINT PRIMARY KEY,
  package TEXT NOT NULL,
  event_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  subscriber TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'pending')),
  expires_at BIGINT NOT NULL,
  call_id TEXT NOT NULL,
  local_tag TEXT NOT NULL,
  remote_tag TEXT NOT NULL,
  local_uri TEXT NOT NULL,
  remote_party TEXT NOT NULL,
  remote_target TEXT NOT NULL,
  route TEXT NOT NULL,
  local_cseq BIGINT NOT NULL,
  remote_cseq BIGINT NOT NULL,
  destination TEXT NOT NULL,
  version BIGINT NOT NULL,
  options TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_by_resource ON subscriptions (resource);
CREATE INDEX subscriptions_by_expiry ON subscriptions (expires_at);
CREATE TABLE xcap_documents (
  auid TEXT NOT NULL,
  xui TEXT NOT NULL,
  name TEXT NOT NULL,
  etag TEXT NOT NULL,
  content TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (auid, xui, name)
);
CREATE INDEX xcap_documents_by_xui ON xcap_documents (xui);
CREATE TABLE options (
  scope TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (scope, name)
);
)sql"},
    // Messages: the deferred delivery queue, per-device delivery records,
    // the history archive and its per-user setting, API tokens. Everything
    // of a user goes with it (ON DELETE CASCADE).
    {3, R"sql(
CREATE TABLE message_queue (
  id {SERIAL},
  recipient TEXT NOT NULL REFERENCES users (aor) ON DELETE CASCADE,
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  cpim_datetime TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body {BLOB} NOT NULL,
  headers TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  imdn INTEGER NOT NULL,
  UNIQUE (recipient, message_id)
);
CREATE INDEX message_queue_by_recipient ON message_queue (recipient, id, bytes);
CREATE INDEX message_queue_by_age ON message_queue (received_at);
CREATE TABLE message_deliveries (
  recipient TEXT NOT NULL REFERENCES users (aor) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  device TEXT NOT NULL,
  delivered_at BIGINT NOT NULL,
  PRIMARY KEY (recipient, message_id, device)
);
CREATE INDEX message_deliveries_by_age ON message_deliveries (delivered_at);
CREATE TABLE history_settings (
  aor TEXT PRIMARY KEY REFERENCES users (aor) ON DELETE CASCADE,
  enabled INTEGER NOT NULL
);
CREATE TABLE history (
  id {SERIAL},
  owner TEXT NOT NULL REFERENCES users (aor) ON DELETE CASCADE,
  peer TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  message_id TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  body {BLOB} NOT NULL,
  search_text TEXT
);
CREATE INDEX history_by_owner ON history (owner, id);
CREATE INDEX history_by_peer ON history (owner, peer, id);
CREATE INDEX history_by_time ON history (time_ms);
CREATE TABLE api_tokens (
  id {SERIAL},
  aor TEXT NOT NULL REFERENCES users (aor) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  label TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX api_tokens_by_aor ON api_tokens (aor, id);
)sql"},
    // Groups (seed 003 §7.2.1): a member is a user's or another group's AOR
    // (no foreign key: the store takes a deleted one out of every group).
    {4, R"sql(
CREATE TABLE groups (
  aor TEXT PRIMARY KEY,
  domain TEXT NOT NULL REFERENCES domains (domain),
  ack TEXT NOT NULL CHECK (ack IN ('single', 'per-recipient')),
  posting TEXT NOT NULL CHECK (posting IN ('members', 'users'))
);
CREATE TABLE group_members (
  group_aor TEXT NOT NULL REFERENCES groups (aor) ON DELETE CASCADE,
  member TEXT NOT NULL,
  PRIMARY KEY (group_aor, member)
);
CREATE INDEX group_members_by_member ON group_members (member);
)sql"},
    // Presence rows are written on the request path (a 2xx waits for the
    // commit) and read back whole only at start-up or when a user is
    // deleted: every secondary index was one more page per commit. The
    // subscription id becomes the table's own key ({INT64_KEY}: SQLite's
    // rowid) instead of a second b-tree. (On PostgreSQL the rebuilt table's
    // key index keeps the name subscriptions_v5_pkey.)
    {5, R"sql(
DROP INDEX publications_by_aor;
DROP INDEX publications_by_expiry;
CREATE TABLE subscriptions_v5 (
  id {INT64_KEY},
  package TEXT NOT NULL,
  event_id TEXT NOT NULL,
  resource TEXT NOT NULL,
  subscriber TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'pending')),
  expires_at BIGINT NOT NULL,
  call_id TEXT NOT NULL,
  local_tag TEXT NOT NULL,
  remote_tag TEXT NOT NULL,
  local_uri TEXT NOT NULL,
  remote_party TEXT NOT NULL,
  remote_target TEXT NOT NULL,
  route TEXT NOT NULL,
  local_cseq BIGINT NOT NULL,
  remote_cseq BIGINT NOT NULL,
  destination TEXT NOT NULL,
  version BIGINT NOT NULL,
  options TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
INSERT INTO subscriptions_v5 (id, package, event_id, resource, subscriber, state, expires_at, call_id, local_tag,
    remote_tag, local_uri, remote_party, remote_target, route, local_cseq, remote_cseq, destination, version,
    options, updated_at)
  SELECT id, package, event_id, resource, subscriber, state, expires_at, call_id, local_tag, remote_tag, local_uri,
    remote_party, remote_target, route, local_cseq, remote_cseq, destination, version, options, updated_at
  FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_v5 RENAME TO subscriptions;
)sql"},
    // The first CSeq of a binding's Call-ID, for the reg event's temporary
    // GRUUs (RFC 5628). Rows from before it read 0: "unknown".
    {6, R"sql(
ALTER TABLE bindings ADD COLUMN first_cseq BIGINT NOT NULL DEFAULT 0;
)sql"},
    // An expired binding is deleted by key as it expires, and one that
    // expired while the server was down by one scan at start: the index
    // on the expiry only cost every REGISTER and refresh a b-tree to write
    // (publications and subscriptions lost theirs in migration 5).
    {7, R"sql(
DROP INDEX IF EXISTS bindings_by_expiry;
)sql"},
    // Bindings are written and deleted by their key alone: kept in the
    // key's b-tree, a REGISTER writes one b-tree instead of two.
    {8, R"sql(
CREATE TABLE bindings_v8 (
  aor TEXT NOT NULL,
  contact_uri TEXT NOT NULL,
  contact_params TEXT NOT NULL,
  instance TEXT NOT NULL,
  reg_id TEXT NOT NULL,
  q DOUBLE PRECISION NOT NULL,
  expires_at BIGINT NOT NULL,
  call_id TEXT NOT NULL,
  cseq BIGINT NOT NULL,
  path TEXT NOT NULL,
  source TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  first_cseq BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (aor, contact_uri)
){KEYED};
INSERT INTO bindings_v8 (aor, contact_uri, contact_params, instance, reg_id, q, expires_at, call_id, cseq, path,
    source, user_agent, updated_at, first_cseq)
  SELECT aor, contact_uri, contact_params, instance, reg_id, q, expires_at, call_id, cseq, path, source,
    user_agent, updated_at, first_cseq
  FROM bindings;
DROP TABLE bindings;
ALTER TABLE bindings_v8 RENAME TO bindings;
)sql"},
    // A subscription's package may keep state with it: the resources a
    // list SUBSCRIBE carried (RFC 5367), so that it survives a restart.
    {9, R"sql(
ALTER TABLE subscriptions ADD COLUMN package_state TEXT NOT NULL DEFAULT '';
)sql"},
    // Answered calls of our users, for the dialog event package (RFC 4235)
    // over a restart.
    {10, R"sql(
CREATE TABLE call_dialogs (
  aor TEXT NOT NULL,
  call_id TEXT NOT NULL,
  local_tag TEXT NOT NULL,
  remote_tag TEXT NOT NULL,
  initiator INTEGER NOT NULL,
  from_trying INTEGER NOT NULL,
  local_identity TEXT NOT NULL,
  local_display TEXT NOT NULL,
  remote_identity TEXT NOT NULL,
  remote_display TEXT NOT NULL,
  remote_hidden INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (aor, call_id, local_tag, remote_tag)
);
CREATE INDEX call_dialogs_by_age ON call_dialogs (created_at);
)sql"},
    // The version of a partial publication (RFC 5264), so that the first
    // pidf-diff after a restart is checked against the last one applied.
    {11, R"sql(
ALTER TABLE publications ADD COLUMN partial_version BIGINT NOT NULL DEFAULT -1;
)sql"},
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }
int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace parley::store
