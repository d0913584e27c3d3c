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

}  // namespace
}  // namespace parley
