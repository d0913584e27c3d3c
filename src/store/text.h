#pragma once
// Text checks and the search folding of the message tables. Both backends
// must store the same text: PostgreSQL refuses NUL and invalid UTF-8 in
// `text` columns, so the store refuses them everywhere, before the SQL.

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/strings.h"

namespace parley::store {

using parley::IsUtf8;  // common/strings.h

// Ok when `value` is UTF-8 without NUL; else kErrInvalid naming `field`.
Result<void> CheckText(std::string_view field, std::string_view value);

// Lower-cases `utf8` for case-insensitive substring search: ASCII, Latin-1,
// Latin Extended-A, Greek and Cyrillic capitals map to their small letters
// (Unicode simple case mapping); everything else is kept. Nothing if `utf8`
// is not UTF-8.
std::optional<std::string> FoldForSearch(std::string_view utf8);

}  // namespace parley::store
