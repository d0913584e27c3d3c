// The store's text checks: UTF-8 validation and the case folding of the
// history search. Invariants: folding succeeds exactly on UTF-8, keeps the
// number of code points, yields UTF-8, and is idempotent; CheckText accepts
// exactly UTF-8 without NUL.

#include <cstddef>
#include <cstdint>
#include <string>

#include "store/text.h"

using namespace parley::store;

namespace {

size_t CodePoints(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  bool utf8 = IsUtf8(s);
  auto folded = FoldForSearch(s);
  if (folded.has_value() != utf8) __builtin_trap();
  if (folded) {
    if (!IsUtf8(*folded)) __builtin_trap();
    if (CodePoints(*folded) != CodePoints(s)) __builtin_trap();
    auto again = FoldForSearch(*folded);
    if (!again || *again != *folded) __builtin_trap();
  }
  bool text_ok = CheckText("f", s).ok();
  if (text_ok != (utf8 && s.find('\0') == std::string::npos)) __builtin_trap();
  return 0;
}
