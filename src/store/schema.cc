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
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }
int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace parley::store
