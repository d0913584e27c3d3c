#include "store/text.h"

#include <gtest/gtest.h>

#include "store/errors.h"

namespace parley::store {
namespace {

TEST(StoreText, Utf8) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("plain ascii"));
  EXPECT_TRUE(IsUtf8("ünïcödé — 日本語 😀"));
  EXPECT_TRUE(IsUtf8(std::string("nul\0inside", 10)));  // NUL is UTF-8; CheckText refuses it
  EXPECT_FALSE(IsUtf8("\xff"));
  EXPECT_FALSE(IsUtf8("\xc3\x28"));              // bad continuation
  EXPECT_FALSE(IsUtf8("\xc0\xaf"));              // overlong "/"
  EXPECT_FALSE(IsUtf8("\xe0\x80\xaf"));          // overlong, 3 bytes
  EXPECT_FALSE(IsUtf8("\xed\xa0\x80"));          // surrogate U+D800
  EXPECT_FALSE(IsUtf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(IsUtf8("\xe2\x82"));              // truncated
  EXPECT_FALSE(IsUtf8("\x80"));                  // lone continuation
  EXPECT_TRUE(IsUtf8("\xf4\x8f\xbf\xbf"));       // U+10FFFF
}

TEST(StoreText, CheckText) {
  EXPECT_TRUE(CheckText("f", "ok ü").ok());
  auto nul = CheckText("sender", std::string("a\0b", 3));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().code, kErrInvalid);
  EXPECT_EQ(nul.error().message, "sender contains a NUL byte");
  auto bad = CheckText("headers", "\xfe");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "headers is not UTF-8");
}

TEST(StoreText, FoldForSearch) {
  EXPECT_EQ(FoldForSearch("Hello WORLD 123 !%_"), "hello world 123 !%_");
  EXPECT_EQ(FoldForSearch("ÄÖÜ ÀÞ × ß ÿ"), "äöü àþ × ß ÿ");
  EXPECT_EQ(FoldForSearch("ŁÓDŹ ŠČŘ Ÿ"), "łódź ščř ÿ");
  EXPECT_EQ(FoldForSearch("ΑΒΓ ΣΩ"), "αβγ σω");
  EXPECT_EQ(FoldForSearch("ПРИВЕТ ЁЖ Ѐ"), "привет ёж ѐ");
  EXPECT_EQ(FoldForSearch("日本語 😀"), "日本語 😀");
  EXPECT_FALSE(FoldForSearch("bad \xff").has_value());
}

}  // namespace
}  // namespace parley::store
