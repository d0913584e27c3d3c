#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sip/fields.h"
#include "sip/lex.h"

namespace parley::sip {
namespace {

// FindTopLevel as a plain byte loop: what the vectorized scan must agree with.
size_t ReferenceFindTopLevel(std::string_view s, size_t i, char delim, bool angle) {
  bool in_angle = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      const size_t end = ScanQuotedString(s, i);
      if (end == std::string_view::npos) return end;
      i = end - 1;  // the closing quote; the loop steps past it
    } else {
      if (angle && (c == '<' || c == '>')) {
        if ((c == '<') == in_angle) return std::string_view::npos;  // nested '<' or a stray '>'
        in_angle = !in_angle;
      }
      if (c == delim && !in_angle) return i;
    }
  }
  return in_angle ? std::string_view::npos : s.size();
}

TEST(UnquoteString, RemovesQuotesAndResolvesQuotedPairs) {
  EXPECT_EQ(UnquoteString("\"plain value\""), "plain value");
  EXPECT_EQ(UnquoteString("\"a\\\"b\\\\c\""), "a\"b\\c");
  EXPECT_EQ(UnquoteString("\"\""), "");
  EXPECT_EQ(UnquoteString("\"ends in \\\""), "ends in \\");  // a lone backslash before the quote stays
  EXPECT_EQ(UnquoteString("token"), "token");                   // not quoted: as is
  EXPECT_EQ(UnquoteString("\"open"), "\"open");
}

TEST(FindTopLevel, SkipsQuotedStringsAndBrackets) {
  EXPECT_EQ(FindTopLevel("\"a,b\" <sip:x;y,z>, next", 0, ','), 17u);
  EXPECT_EQ(FindTopLevel("a;b=\"x;y\";c", 2, ';', false), 9u);
  EXPECT_EQ(FindTopLevel("no delimiter here at all, really none", 0, ';'), 37u);
  EXPECT_EQ(FindTopLevel("\"unterminated, quote", 0, ','), std::string_view::npos);
  EXPECT_EQ(FindTopLevel("<sip:a@b", 0, ','), std::string_view::npos);
  EXPECT_EQ(FindTopLevel("a > b", 0, ','), std::string_view::npos);
  EXPECT_EQ(FindTopLevel("a > b, c", 0, ',', false), 5u);
}

// Random values of every length around the 16-byte steps, dense in the bytes
// that matter, against the byte loop.
TEST(FindTopLevel, AgreesWithTheByteLoopOnRandomValues) {
  std::mt19937 rng(7);
  const char alphabet[] = "\"<>,;?=\\ aaaaaaaaaaaaa";
  const char delims[] = {',', ';', '<', '?', '='};
  for (int n = 0; n < 100000; ++n) {
    std::string s;
    size_t len = rng() % 70;
    for (size_t k = 0; k < len; ++k) s.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    size_t start = len == 0 ? 0 : rng() % (len + 1);
    char delim = delims[rng() % sizeof(delims)];
    bool angle = rng() % 2 == 0;
    ASSERT_EQ(FindTopLevel(s, start, delim, angle), ReferenceFindTopLevel(s, start, delim, angle))
        << s << " from " << start << " delim " << delim << " angle " << angle;
  }
}

TEST(Via, KnownParametersAreFoundOnceAsGetWouldFindThem) {
  auto v = ParseVia("SIP/2.0/UDP 192.0.2.1:5060;RPort;branch=z9hG4bK1;received=192.0.2.9;branch=z9hG4bK2");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->branch(), "z9hG4bK1");
  EXPECT_EQ(v->branch(), v->params.Get("branch"));
  EXPECT_EQ(v->received(), "192.0.2.9");
  ASSERT_TRUE(v->rport().has_value());
  EXPECT_EQ(*v->rport(), "");
  EXPECT_FALSE(v->maddr().has_value());
  auto plain = ParseVia("SIP/2.0/TCP host.example.com");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->branch(), "");
  EXPECT_FALSE(plain->rport().has_value());
}

TEST(IsHostname, NamesAndIpv4AddressesButNoOtherDottedNumbers) {
  for (std::string_view h : {"127.0.0.1", "192.0.2.255", "example.com", "a-b.example", "1abc.example", "x_y", "3com",
                             "123.example.com"}) {
    EXPECT_TRUE(IsHostname(h)) << h;
  }
  for (std::string_view h : {"", "256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "1.2.3.4.", "-a.com", "a-.com", "a..b",
                             ".a", "a b", "1.2.3.4:5"}) {
    EXPECT_FALSE(IsHostname(h)) << h;
  }
}

}  // namespace
}  // namespace parley::sip
