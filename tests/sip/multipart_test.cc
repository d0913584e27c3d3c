#include <gtest/gtest.h>

#include "sip/multipart.h"

namespace parley::sip {
namespace {

TEST(Multipart, TwoPartsWithPreamble) {
  std::string body =
      "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pidf+xml\r\n"
      "Content-ID: <x@y>\r\n\r\n<presence/>\r\n--b1--\r\n";
  auto parts = ParseMultipart(body, "b1");
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].body, "hello");
  EXPECT_EQ((*parts)[1].Header("content-id"), "<x@y>");
  EXPECT_EQ((*parts)[1].body, "<presence/>");
}

TEST(Multipart, PartWithoutHeaders) {
  auto parts = ParseMultipart("--b\r\n\r\nraw\r\n--b--", "b");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ((*parts)[0].body, "raw");
  EXPECT_TRUE((*parts)[0].headers.empty());
}

TEST(Multipart, Errors) {
  EXPECT_FALSE(ParseMultipart("no delimiter", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nContent-Type: x\r\n\r\nunterminated", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\nbad header line\r\n\r\nx\r\n--b--", "b").ok());
  EXPECT_FALSE(ParseMultipart("--b\r\n\r\nx\r\n--b--", "").ok());
  std::string many;
  for (int i = 0; i < 100; ++i) many += "--b\r\n\r\nx\r\n";
  many += "--b--";
  EXPECT_EQ(ParseMultipart(many, "b").error().code, 413);
}

}  // namespace
}  // namespace parley::sip
