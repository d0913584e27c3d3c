// RFC 3339 date-time: parsing to Unix milliseconds, formatting back.

#include "im/format/rfc3339.h"

#include <gtest/gtest.h>

namespace parley::im {
namespace {

TEST(Rfc3339, ParsesOffsetsFractionsAndLowerCase) {
  EXPECT_EQ(*ParseRfc3339("2000-12-13T13:40:00-08:00"), 976743600000);  // RFC 3862 §5.1
  EXPECT_EQ(*ParseRfc3339("2000-12-13T21:40:00Z"), 976743600000);
  EXPECT_EQ(*ParseRfc3339("2000-12-14T03:10:00+05:30"), 976743600000);
  EXPECT_EQ(*ParseRfc3339("2008-04-04T12:16:49-05:00"), 1207329409000);  // RFC 5438 §7.2.1.1
  EXPECT_EQ(*ParseRfc3339("2008-04-04T12:16:49.1-05:00"), 1207329409100);
  EXPECT_EQ(*ParseRfc3339("2008-04-04T12:16:49.123456789-05:00"), 1207329409123);
  EXPECT_EQ(*ParseRfc3339("2003-01-27t10:43:00z"), 1043664180000);
  EXPECT_EQ(*ParseRfc3339("2016-12-31T23:59:60Z"), 1483228799000);  // leap second counts as :59
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(*ParseRfc3339("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(Rfc3339, ErrorsNameTheFault) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not RFC 3339: too short"},
      {"2000-12-13 13:40:00Z", "not RFC 3339: no 'T' between date and time"},
      {"2000/12/13T13:40:00Z", "not RFC 3339: full-date is not YYYY-MM-DD"},
      {"2000-12-13T13-40-00Z", "not RFC 3339: partial-time is not hh:mm:ss"},
      {"2023-02-29T00:00:00Z", "not RFC 3339: no such date"},
      {"0000-01-01T00:00:00Z", "not RFC 3339: no such date"},
      {"2000-13-01T00:00:00Z", "not RFC 3339: no such date"},
      {"2000-12-13T24:00:00Z", "not RFC 3339: no such time"},
      {"2000-12-13T13:40:61Z", "not RFC 3339: no such time"},
      {"2000-12-13T13:40:00.Z", "not RFC 3339: empty fraction"},
      {"2000-12-13T13:40:00.5", "not RFC 3339: no time offset"},
      {"2000-12-13T13:40:00+0800", "not RFC 3339: time offset is not +hh:mm or -hh:mm"},
      {"2000-12-13T13:40:00+24:00", "not RFC 3339: time offset is not +hh:mm or -hh:mm"},
      {"2000-12-13T13:40:00 ", "not RFC 3339: time offset is not Z, +hh:mm or -hh:mm"},
      {"2000-12-13T13:40:00Zx", "not RFC 3339: text after the time offset"},
  };
  for (const auto& [text, reason] : cases) {
    auto r = ParseRfc3339(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().message, reason) << text;
  }
}

TEST(Rfc3339, FormatsUtcWithMillisecondsOnlyWhenThereAreSome) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(976743600000), "2000-12-13T21:40:00Z");
  EXPECT_EQ(FormatRfc3339(1207329409123), "2008-04-04T17:16:49.123Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339(INT64_MIN), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(INT64_MAX), "9999-12-31T23:59:59.999Z");
}

TEST(Rfc3339, ParseOfFormatIsTheIdentityInRange) {
  for (int64_t t : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{999}, int64_t{1700000000007},
                    int64_t{-62135596800000}, int64_t{253402300799999}, int64_t{951782400000}}) {
    auto back = ParseRfc3339(FormatRfc3339(t));
    ASSERT_TRUE(back.ok()) << t;
    EXPECT_EQ(*back, t);
  }
}

TEST(SipDate, Rfc1123InGmt) {
  EXPECT_EQ(FormatSipDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatSipDate(1714558272345), "Wed, 01 May 2024 10:11:12 GMT");
  EXPECT_EQ(FormatSipDate(*ParseRfc3339("2010-11-13T23:29:00Z")), "Sat, 13 Nov 2010 23:29:00 GMT");  // §20.17
  EXPECT_EQ(FormatSipDate(*ParseRfc3339("1969-12-31T23:59:59Z")), "Wed, 31 Dec 1969 23:59:59 GMT");
}

}  // namespace
}  // namespace parley::im