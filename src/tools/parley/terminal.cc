#include "tools/parley/terminal.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>

namespace parley::cli {

namespace {
termios g_saved{};
}  // namespace

RawMode::RawMode() {
  if (!::isatty(STDIN_FILENO) || ::tcgetattr(STDIN_FILENO, &g_saved) != 0) return;
  termios raw = g_saved;
  raw.c_iflag &= ~static_cast<tcflag_t>(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
  raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  raw.c_cflag |= CS8;
  raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ICANON | IEXTEN | ISIG);
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) return;
  std::fputs("\x1b[?1049h\x1b[H\x1b[2J", stdout);
  std::fflush(stdout);
  ok_ = true;
}

RawMode::~RawMode() {
  if (!ok_) return;
  std::fputs("\x1b[?1049l", stdout);
  std::fflush(stdout);
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved);
}

WindowSize GetWindowSize() {
  winsize ws{};
  WindowSize out;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    out.rows = ws.ws_row;
    out.cols = ws.ws_col;
  }
  return out;
}

size_t Columns(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::vector<Key> DecodeKeys(std::string& pending, std::string_view bytes) {
  pending.append(bytes);
  std::vector<Key> keys;
  size_t i = 0;
  auto simple = [&](Key::Kind k) { keys.push_back(Key{k, {}}); };
  while (i < pending.size()) {
    unsigned char c = static_cast<unsigned char>(pending[i]);
    if (c == 0x1b) {
      if (i + 1 >= pending.size()) break;  // maybe the start of a sequence
      char n = pending[i + 1];
      if (n != '[' && n != 'O') {  // Alt-key or a lone ESC: ignore the ESC
        ++i;
        continue;
      }
      size_t j = i + 2;
      while (j < pending.size() && !(pending[j] >= 0x40 && pending[j] <= 0x7e)) ++j;
      if (j >= pending.size()) break;  // incomplete
      std::string_view seq(pending.data() + i + 2, j - i - 2);
      char fin = pending[j];
      i = j + 1;
      switch (fin) {
        case 'A': simple(Key::kUp); break;
        case 'B': simple(Key::kDown); break;
        case 'C': simple(Key::kRight); break;
        case 'D': simple(Key::kLeft); break;
        case 'H': simple(Key::kHome); break;
        case 'F': simple(Key::kEnd); break;
        case '~':
          if (seq == "1" || seq == "7") simple(Key::kHome);
          else if (seq == "4" || seq == "8") simple(Key::kEnd);
          else if (seq == "3") simple(Key::kDelete);
          else if (seq == "5") simple(Key::kPageUp);
          else if (seq == "6") simple(Key::kPageDown);
          break;
        default: break;
      }
      continue;
    }
    if (c == '\r' || c == '\n') {
      simple(Key::kEnter);
      ++i;
      if (c == '\r' && i < pending.size() && pending[i] == '\n') ++i;
      continue;
    }
    if (c == 0x7f || c == 0x08) { simple(Key::kBackspace); ++i; continue; }
    if (c == 0x03) { simple(Key::kQuit); ++i; continue; }
    if (c == 0x04) { simple(Key::kEof); ++i; continue; }
    if (c == 0x01) { simple(Key::kHome); ++i; continue; }
    if (c == 0x05) { simple(Key::kEnd); ++i; continue; }
    if (c == 0x02) { simple(Key::kLeft); ++i; continue; }
    if (c == 0x06) { simple(Key::kRight); ++i; continue; }
    if (c == 0x15) { simple(Key::kClearLine); ++i; continue; }
    if (c == 0x17) { simple(Key::kDeleteWord); ++i; continue; }
    if (c == 0x0c) { simple(Key::kRedraw); ++i; continue; }
    if (c < 0x20) { ++i; continue; }
    // A UTF-8 character.
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
    if (i + len > pending.size()) break;
    if (!keys.empty() && keys.back().kind == Key::kText) {
      keys.back().text.append(pending, i, len);
    } else {
      keys.push_back(Key{Key::kText, pending.substr(i, len)});
    }
    i += len;
  }
  pending.erase(0, i);
  return keys;
}

}  // namespace parley::cli
