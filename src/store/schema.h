#pragma once
// The schema, as numbered migrations shared by both dialects. "{SERIAL}"
// stands for the dialect's auto-increment key (SqlDialect::serial_key),
// "{BLOB}" for its binary column type (SqlDialect::blob_type), "{INT64_KEY}"
// for a 64-bit primary key the caller assigns (SqlDialect::int64_key).

#include <span>
#include <string_view>

namespace parley::store {

struct Migration {
  int version;
  std::string_view ddl;
};

std::span<const Migration> Migrations();
int LatestSchemaVersion();

}  // namespace parley::store
