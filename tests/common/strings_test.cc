#include <gtest/gtest.h>

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

}  // namespace
}  // namespace parley
