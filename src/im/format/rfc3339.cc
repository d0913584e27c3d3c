#include "im/format/rfc3339.h"

#include <algorithm>
#include <cstdio>

#include "presence/doc/timestamp.h"
#include "sip/fields.h"

namespace parley::im {

namespace {

constexpr int64_t kMinMs = -62135596800000;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxMs = 253402300799999;  // 9999-12-31T23:59:59.999Z

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool LeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

Error BadDate(std::string_view why) { return Error(400, "not RFC 3339: " + std::string(why)); }

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 19) return BadDate("too short");
  if (!Digits(s, 0, 4, year) || s[4] != '-' || !Digits(s, 5, 2, month) || s[7] != '-' || !Digits(s, 8, 2, day)) {
    return BadDate("full-date is not YYYY-MM-DD");
  }
  if (s[10] != 'T' && s[10] != 't') return BadDate("no 'T' between date and time");
  if (!Digits(s, 11, 2, hour) || s[13] != ':' || !Digits(s, 14, 2, minute) || s[16] != ':' ||
      !Digits(s, 17, 2, second)) {
    return BadDate("partial-time is not hh:mm:ss");
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year == 0 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && LeapYear(year) ? 1 : 0)) {
    return BadDate("no such date");
  }
  if (hour > 23 || minute > 59 || second > 60) return BadDate("no such time");
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t b = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - b < 3) ms = ms * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == b) return BadDate("empty fraction");
    for (size_t n = pos - b; n < 3; ++n) ms *= 10;
  }
  if (pos >= s.size()) return BadDate("no time offset");
  int64_t offset_min = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59) {
      return BadDate("time offset is not +hh:mm or -hh:mm");
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return BadDate("time offset is not Z, +hh:mm or -hh:mm");
  }
  if (pos != s.size()) return BadDate("text after the time offset");
  const int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59) - offset_min * 60;
  return secs * 1000 + ms;
}

std::string FormatRfc3339(int64_t unix_ms) {
  unix_ms = std::clamp(unix_ms, kMinMs, kMaxMs);
  int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  int ms = static_cast<int>(unix_ms - secs * 1000);
  std::string out = presence::FormatDateTime(secs);  // "...:ssZ"
  if (ms != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", ms);
    out.insert(out.size() - 1, frac);
  }
  return out;
}

std::string FormatSipDate(int64_t unix_ms) {
  int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  return sip::SipDate::FromUnix(secs).ToString();
}

}  // namespace parley::im
