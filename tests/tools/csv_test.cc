#include "tools/parleyctl/csv.h"

#include <gtest/gtest.h>

namespace parley::ctl {
namespace {

TEST(UserCsv, ParsesRecordsHeaderQuotesAndBlankLines) {
  auto r = ParseUserCsv(
      "\xEF\xBB\xBF"
      "aor,password\r\n"
      "alice@Example.com,s3cret\r\n"
      "\n"
      "  \n"
      "\"bob@example.com\",\"pa,ss \"\"word\"\" \"\n"
      "sip:carol@example.org,x\n"
      "dave@example.org,p@ss,word\n");
  ASSERT_EQ(r.users.size(), 3u);
  EXPECT_EQ(r.users[0].aor, "alice@example.com");
  EXPECT_EQ(r.users[0].password, "s3cret");
  EXPECT_EQ(r.users[0].line, 2u);
  EXPECT_EQ(r.users[1].aor, "bob@example.com");
  EXPECT_EQ(r.users[1].password, "pa,ss \"word\" ");
  EXPECT_EQ(r.users[1].line, 5u);
  EXPECT_EQ(r.users[2].aor, "carol@example.org");
  ASSERT_EQ(r.bad.size(), 1u);
  EXPECT_EQ(r.bad[0].line, 7u);
  EXPECT_NE(r.bad[0].reason.find("found 3"), std::string::npos);
}

TEST(UserCsv, FirstLineIsDataWhenItIsAnAor) {
  auto r = ParseUserCsv("alice@example.com,pw\nbob@example.com,pw2");  // no final newline
  ASSERT_EQ(r.users.size(), 2u);
  EXPECT_TRUE(r.bad.empty());
}

TEST(UserCsv, ReportsEveryBadLine) {
  auto r = ParseUserCsv(
      "alice@example.com,pw\n"
      "no-at-sign,pw\n"           // 2: a header only on the first line
      "bob@example.com,\n"        // 3: empty password
      "carol@example.com\n"       // 4: one field
      "\"dave@example.com,pw\n"   // 5: unterminated quote
      "erin@example.com, pw\n"    // 6: blank before an unquoted password
      "alice@EXAMPLE.com,other\n" // 7: duplicate of line 1
      "fr\"ed@example.com,pw\n"   // 8: stray quote
      "\"gus@example.com\"x,pw\n" // 9: text after a closing quote
      "hal@example.com,ok\n");
  ASSERT_EQ(r.users.size(), 2u);
  std::vector<size_t> lines;
  for (const auto& b : r.bad) lines.push_back(b.line);
  EXPECT_EQ(lines, (std::vector<size_t>{2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_NE(r.bad[5].reason.find("line 1"), std::string::npos) << r.bad[5].reason;
}

TEST(UserCsv, EmptyInput) {
  EXPECT_TRUE(ParseUserCsv("").users.empty());
  EXPECT_TRUE(ParseUserCsv("aor,password\n").users.empty());
  EXPECT_TRUE(ParseUserCsv("aor,password\n").bad.empty());
}

}  // namespace
}  // namespace parley::ctl
