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
};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }
int LatestSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

}  // namespace parley::store
