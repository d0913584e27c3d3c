#pragma once
// The terminal, without dependencies: raw mode (termios) for as long as a
// RawMode lives, the alternate screen, the window size, and decoding of the
// keys a line editor needs from the bytes of stdin (ANSI/VT sequences as
// xterm and tmux send them).

#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

class RawMode {
 public:
  RawMode();   // raw input, alternate screen, cursor visible
  ~RawMode();  // restores everything
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

struct WindowSize {
  int rows = 24;
  int cols = 80;
};
WindowSize GetWindowSize();

struct Key {
  enum Kind {
    kText,  // `text` holds printable UTF-8
    kEnter, kBackspace, kDelete, kLeft, kRight, kUp, kDown, kHome, kEnd, kPageUp, kPageDown,
    kClearLine,   // Ctrl-U
    kDeleteWord,  // Ctrl-W
    kQuit,        // Ctrl-C, Ctrl-D on an empty line is the caller's choice
    kEof,         // Ctrl-D
    kRedraw,      // Ctrl-L
  };
  Kind kind = kText;
  std::string text;
};

// Splits `bytes` (appended to `pending`) into keys; an incomplete escape
// sequence or UTF-8 character stays in `pending`.
std::vector<Key> DecodeKeys(std::string& pending, std::string_view bytes);

// Display width of UTF-8 text (one column per code point).
size_t Columns(std::string_view s);

}  // namespace parley::cli
