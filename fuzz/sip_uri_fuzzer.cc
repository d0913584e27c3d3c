// URI and address parsing, equivalence and AOR keys.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/fields.h"
#include "sip/uri.h"

using namespace parley::sip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string s(reinterpret_cast<const char*>(data), size);
  auto u = ParseUri(s);
  if (u.ok()) {
    if (!UriEquivalent(*u, *u)) __builtin_trap();  // reflexive
    (void)AorKey(*u);
    (void)u->DecodedUser();
    (void)u->HostPort();
    u->params.ForEach([](std::string_view, std::string_view, bool) { return true; });
  }
  for (auto opts : {NameAddrOptions::kNone, NameAddrOptions::kAllowStar, NameAddrOptions::kRequireAngle}) {
    auto na = ParseNameAddr(s, opts);
    if (na.ok()) (void)na->DisplayName();
  }
  auto v = ParseVia(s);
  if (v.ok()) (void)v->SentBy();
  (void)ParseCSeq(s);
  (void)ParseMediaType(s);
  (void)ParseSipDate(s);
  return 0;
}
