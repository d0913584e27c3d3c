// IMDN documents, isComposing documents and the Disposition-Notification
// header value: arbitrary bytes through each parser; what parses must build
// to a document that parses to the same value and builds to the same bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "im/format/imdn.h"
#include "im/format/iscomposing.h"

using namespace parley::im;

namespace {

XmlLimits Big() {
  XmlLimits l;
  l.max_bytes = l.max_text_bytes = 1 << 22;
  l.max_elements = 1 << 16;
  return l;
}

void CheckCode(const parley::Error& e) {
  if (e.code != 400 && e.code != 413) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);

  if (auto n = ParseImdn(body); n.ok()) {
    auto xml = BuildImdn(*n);
    if (!xml.ok()) __builtin_trap();
    auto again = ParseImdn(*xml, Big());
    if (!again.ok() || !(*again == *n)) __builtin_trap();
    if (*BuildImdn(*again) != *xml) __builtin_trap();
  } else {
    CheckCode(n.error());
  }

  if (auto c = ParseIsComposing(body); c.ok()) {
    auto xml = BuildIsComposing(*c);
    if (!xml.ok()) __builtin_trap();
    auto again = ParseIsComposing(*xml, Big());
    if (!again.ok() || !(*again == *c)) __builtin_trap();
    if (*BuildIsComposing(*again) != *xml) __builtin_trap();
  } else {
    CheckCode(c.error());
  }

  if (size <= 4096) {
    if (auto d = ParseDispositionNotification(body); d.ok()) {
      std::string text = FormatDispositionNotification(*d);
      if (d->Any()) {
        auto again = ParseDispositionNotification(text);
        if (!again.ok() || !(*again == *d)) __builtin_trap();
      }
    } else {
      CheckCode(d.error());
    }
  }
  return 0;
}
