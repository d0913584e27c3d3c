// Key decoding of the chat line editor: the bytes xterm and tmux send.

#include <gtest/gtest.h>

#include "tools/parley/terminal.h"

namespace parley::cli {
namespace {

TEST(TerminalTest, DecodesTextControlAndEscapeSequences) {
  std::string pending;
  auto keys = DecodeKeys(pending, "hé\x7f\x1b[D\x1b[5~\x15\r");
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_EQ(keys[0].kind, Key::kText);
  EXPECT_EQ(keys[0].text, "hé");
  EXPECT_EQ(keys[1].kind, Key::kBackspace);
  EXPECT_EQ(keys[2].kind, Key::kLeft);
  EXPECT_EQ(keys[3].kind, Key::kPageUp);
  EXPECT_EQ(keys[4].kind, Key::kClearLine);
  EXPECT_EQ(keys[5].kind, Key::kEnter);
  EXPECT_TRUE(pending.empty());
}

TEST(TerminalTest, KeepsIncompleteSequencesForLater) {
  std::string pending;
  EXPECT_TRUE(DecodeKeys(pending, "\x1b[").empty());
  EXPECT_TRUE(DecodeKeys(pending, "3").empty());
  auto keys = DecodeKeys(pending, "~\xe2\x82");
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].kind, Key::kDelete);
  keys = DecodeKeys(pending, "\xac");  // the rest of "€"
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].text, "\xe2\x82\xac");
  EXPECT_EQ(Columns("a€b"), 3u);
}

}  // namespace
}  // namespace parley::cli
