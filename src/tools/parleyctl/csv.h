#pragma once
// The `parleyctl user import` file: one "aor,password" record per line
// (RFC 4180 fields: a field may be double-quoted, "" inside quotes is a
// quote; records cannot span lines). A first line that is not an AOR
// ("aor,password") is a header and skipped; blank lines are skipped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley::ctl {

struct CsvUser {
  size_t line = 0;
  std::string aor;  // normalized
  std::string password;
};

struct CsvBadLine {
  size_t line = 0;
  std::string reason;
};

struct CsvUsers {
  std::vector<CsvUser> users;
  std::vector<CsvBadLine> bad;
};

CsvUsers ParseUserCsv(std::string_view text);

}  // namespace parley::ctl
