// GRUUs: arbitrary bytes as the user part of a Request-URI that may be one
// of our temporary GRUUs, and as a URI with a "gr" parameter. Nothing may
// crash; a forged user part opens to nothing (the AEAD tag), what does open
// is bounded; and a GRUU minted from any parts that fit opens to exactly them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "registrar/gruu.h"
#include "sip/uri.h"

using namespace parley::registrar;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const GruuCodec codec("fuzz key");
  std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto g = codec.Open(in)) {
    // Only this key's own tokens open; the fuzzer cannot forge one.
    if (g->aor.size() > 256 || g->instance.size() > 256) __builtin_trap();
  }
  const std::string text = "sip:" + std::string(in);  // the URI's views point into it
  auto uri = parley::sip::ParseUri(text);
  if (uri.ok()) (void)codec.OpenUri(*uri);

  // Round trip: the input split in three at its first two NULs.
  size_t a = in.find('\0');
  size_t b = a == std::string_view::npos ? a : in.find('\0', a + 1);
  if (b == std::string_view::npos) return 0;
  std::string aor(in.substr(0, a)), instance(in.substr(a + 1, b - a - 1));
  std::string_view call_id = in.substr(b + 1);
  std::array<uint8_t, 12> iv{};
  for (size_t i = 0; i < iv.size() && i < size; ++i) iv[i] = data[size - 1 - i];
  std::string minted = codec.Mint(aor, instance, call_id, iv);
  if (minted.empty()) return 0;
  size_t at = minted.find('@');
  if (!minted.starts_with("sip:tgruu.") || at == std::string::npos) __builtin_trap();
  auto back = codec.Open(std::string_view(minted).substr(4, at - 4));
  if (!back || back->aor != aor || back->instance != instance || back->call_id_hash != CallIdHash(call_id)) {
    __builtin_trap();
  }
  return 0;
}
