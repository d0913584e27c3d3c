#pragma once
// RFC 3339 date-time (CPIM DateTime, IMDN <datetime>, isComposing
// <lastactive>): parsing to Unix milliseconds and formatting from them.
// Pure arithmetic: no clock, no time zone database.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::im {

// Milliseconds since the Unix epoch of an RFC 3339 `date-time`:
// YYYY-MM-DD "T" hh:mm:ss [.frac] ("Z" / ("+"/"-") hh:mm). "t" and "z" are
// accepted (RFC 3339 §5.6 NOTE); fractions past milliseconds are truncated; a
// leap second (:60) counts as :59. Years 0001-9999. Error 400 with a reason.
Result<int64_t> ParseRfc3339(std::string_view text);

// "2024-05-01T10:11:12Z", or "2024-05-01T10:11:12.345Z" when the time has
// milliseconds. Clamped to 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z,
// so ParseRfc3339(FormatRfc3339(t)) == t inside that range.
std::string FormatRfc3339(int64_t unix_ms);

// The SIP Date header (RFC 3261 §20.17, RFC 1123 in GMT):
// "Wed, 01 May 2024 10:11:12 GMT". Milliseconds are dropped; the range is
// clamped as FormatRfc3339's.
std::string FormatSipDate(int64_t unix_ms);

}  // namespace parley::im
