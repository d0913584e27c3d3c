#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <random>
#include <string>

#include "common/strings.h"

namespace parley {
namespace {

TEST(Base64, Rfc4648TestVectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, coded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), coded);
    EXPECT_EQ(Base64Decode(coded), plain);
  }
  std::string binary("\0\xff\x10 ok", 6);
  EXPECT_EQ(Base64Decode(Base64Encode(binary)), binary);
}

TEST(Base64, DecodingRefusesWhatIsNotBase64) {
  EXPECT_FALSE(Base64Decode("Zg="));    // length not a multiple of 4
  EXPECT_FALSE(Base64Decode("Z==g"));   // padding inside
  EXPECT_FALSE(Base64Decode("Zm9v!A==")); // outside the alphabet
  EXPECT_FALSE(Base64Decode("Zg==Zg=="));
  EXPECT_EQ(Base64Decode("YWxpY2U6cHc="), "alice:pw");
}

TEST(Ipv4, DottedDecimalOnly) {
  uint8_t b[4] = {};
  ASSERT_TRUE(ParseIpv4("192.0.2.255", b));
  EXPECT_EQ(b[0], 192);
  EXPECT_EQ(b[1], 0);
  EXPECT_EQ(b[2], 2);
  EXPECT_EQ(b[3], 255);
  EXPECT_TRUE(ParseIpv4("0.0.0.0", b));
  for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4", "1..3.4",
                               ".1.2.3", "1.2.3.", "1.2.3.4 ", "0x7f.0.0.1", "1.2.3.-4", "1234.1.1.1"}) {
    EXPECT_FALSE(ParseIpv4(bad, b)) << bad;
  }
  EXPECT_FALSE(ParseIpv4(std::string_view("1.2.3.4\0", 8), b));
}

// The parser replaced inet_pton(AF_INET) on the message path: both agree on random
// strings over the alphabet that matters.
TEST(Ipv4, AgreesWithInetPton) {
  std::mt19937 rng(4);
  const char alphabet[] = "0123456789.....x";
  int accepted = 0;
  for (int n = 0; n < 200000; ++n) {
    std::string s;
    size_t len = 1 + rng() % 15;
    for (size_t i = 0; i < len; ++i) s.push_back(alphabet[rng() % (sizeof(alphabet) - 1)]);
    in_addr want{};
    uint8_t got[4] = {};
    bool ok = ParseIpv4(s, got);
    ASSERT_EQ(ok, inet_pton(AF_INET, s.c_str(), &want) == 1) << s;
    if (ok) {
      ++accepted;
      ASSERT_EQ(std::memcmp(got, &want, 4), 0) << s;
    }
  }
  EXPECT_GT(accepted, 100);
}

TEST(StorableText, Utf8WithoutNul) {
  EXPECT_TRUE(IsStorableText(""));
  EXPECT_TRUE(IsStorableText("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsStorableText(std::string("a\0b", 3)));
  EXPECT_FALSE(IsStorableText("caf\xe9"));
  EXPECT_FALSE(IsStorableText("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsStorableText("\xc0\xaf"));      // overlong
}

TEST(StorableText, EachBadByteBecomesOneReplacementCharacter) {
  EXPECT_EQ(ToStorableText("ok \xc3\xa9"), "ok \xc3\xa9");
  EXPECT_EQ(ToStorableText("caf\xe9!"), "caf\xef\xbf\xbd!");
  EXPECT_EQ(ToStorableText(std::string("a\0b", 3)), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(ToStorableText("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");  // truncated: two bytes, two
  EXPECT_EQ(ToStorableText("\xf0\x9f\x98\x80\xff"), "\xf0\x9f\x98\x80\xef\xbf\xbd");
  EXPECT_TRUE(IsStorableText(ToStorableText("\x80\xc3(\xed\xa0\x80")));
}

TEST(Strings, IContainsIgnoresAsciiCase) {
  static_assert(IContains("Linphonec/5.1.65", "linphone"));
  EXPECT_TRUE(IContains("LinphoneAndroid/5.2 (belle-sip/5.2)", "LINPHONE"));
  EXPECT_TRUE(IContains("abc", ""));
  EXPECT_FALSE(IContains("baresip 2.0", "linphone"));
  EXPECT_FALSE(IContains("lin", "linphone"));
}

}  // namespace
}  // namespace parley
