#include "sip/content_coding.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::sip {
namespace {

// zlib.compress / a raw compressobj(wbits=-15) of kText, made by Python's zlib.
constexpr std::string_view kText = "<?xml version=\"1.0\"?><resource-lists>hello hello hello hello</resource-lists>";
constexpr std::string_view kZlibHex =
    "789cb3b1afc8cd51284b2d2acecccfb35532d43350b2b7b3294a2dce2f2d4a4ed5cdc92c2e29b6cb48cdc9c957c0206df4d1d401001dea"
    "1bdb";
constexpr std::string_view kRawHex =
    "b3b1afc8cd51284b2d2acecccfb35532d43350b2b7b3294a2dce2f2d4a4ed5cdc92c2e29b6cb48cdc9c957c0206df4d1d40100";

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST(ContentCoding, IdentityAndNoneKeepTheBody) {
  EXPECT_EQ(*DecodeBody("", "abc", 10), "abc");
  EXPECT_EQ(*DecodeBody("identity", "abc", 10), "abc");
  EXPECT_TRUE(IsKnownCoding(" Deflate "));
  EXPECT_FALSE(IsKnownCoding("gzip"));
}

TEST(ContentCoding, DeflateInTheZlibFormatAndRaw) {
  auto z = DecodeBody("deflate", FromHex(kZlibHex), 4096);
  ASSERT_TRUE(z.ok()) << z.error().message;
  EXPECT_EQ(*z, kText);
  auto raw = DecodeBody("DEFLATE", FromHex(kRawHex), 4096);
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  EXPECT_EQ(*raw, kText);
}

TEST(ContentCoding, BadStreamsAreRefusedPrecisely) {
  std::string z = FromHex(kZlibHex);
  EXPECT_EQ(DecodeBody("gzip", z, 4096).error().code, 415);
  // Over the limit once decoded, though small on the wire.
  EXPECT_EQ(DecodeBody("deflate", z, 20).error().code, 413);
  std::string bad_sum = z;
  bad_sum.back() ^= 1;
  EXPECT_EQ(DecodeBody("deflate", bad_sum, 4096).error().code, 400);
  EXPECT_EQ(DecodeBody("deflate", z.substr(0, z.size() / 2), 4096).error().code, 400);
  EXPECT_EQ(DecodeBody("deflate", "plain text, not deflated", 4096).error().code, 400);
  EXPECT_EQ(DecodeBody("deflate", "", 4096).error().code, 400);
}

TEST(ContentCoding, DeflateIsTheZlibFormatAndUndoneAgain) {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "<tuple id=\"t" + std::to_string(i) + "\"><basic>open</basic></tuple>\n";
  std::string z = Deflate(text);
  ASSERT_GE(z.size(), 6u);
  EXPECT_EQ(static_cast<unsigned char>(z[0]), 0x78);
  EXPECT_LT(z.size(), text.size() / 4);
  auto back = DecodeBody("deflate", z, 1 << 20);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, text);
  // Python's zlib made kZlibHex from kText; ours decodes to the same.
  EXPECT_EQ(*DecodeBody("deflate", Deflate(kText), 4096), kText);
  EXPECT_EQ(*DecodeBody("deflate", Deflate(""), 16), "");
}

}  // namespace
}  // namespace parley::sip
