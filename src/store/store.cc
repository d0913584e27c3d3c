#include "store/store.h"

#include <string_view>

#include "store/errors.h"
#include "store/sql.h"
#include "store/sql_store.h"

namespace parley::store {

Result<std::unique_ptr<Store>> OpenStore(const StoreConfig& config) {
  std::string_view url = config.url;
  Result<std::unique_ptr<SqlConnection>> conn = Error(kErrInvalid, "");
  if (url.starts_with("sqlite:")) {
    url.remove_prefix(7);
    if (url.starts_with("//")) url.remove_prefix(2);  // "sqlite:///abs/path"
    conn = OpenSqlite(std::string(url), config.durable);
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    conn = OpenPostgres(std::string(url), config.durable);
  } else if (url.starts_with("postgresql:")) {  // "postgresql:host=/run/pg dbname=parley"
    url.remove_prefix(11);
    conn = OpenPostgres(std::string(url), config.durable);
  } else {
    // Never echo the URL: it may carry a password.
    return Error(kErrInvalid, "unsupported store URL: expected sqlite:PATH or postgresql://…");
  }
  if (!conn.ok()) return conn.take_error();
  return std::unique_ptr<Store>(std::make_unique<SqlStore>(std::move(*conn)));
}

std::string DefaultStoreUrl(const std::string& data_dir) { return "sqlite:" + data_dir + "/parley.db"; }

}  // namespace parley::store
