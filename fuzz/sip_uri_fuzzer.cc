// URI and address parsing, equivalence and AOR keys.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/fields.h"
#include "sip/params.h"
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
  // The one-pass shortcut never accepts what the general functions refuse
  // and finds the same values.
  static constexpr std::array<std::string_view, 3> kNames = {"tag", "branch", "expires"};
  std::array<std::optional<std::string_view>, 3> fast, general;
  if (ScanPlainHeaderParams(s, kNames, fast)) {
    if (!ValidParamsGeneral(s, ParamSyntax::kHeader)) __builtin_trap();
    Params(s).GetAll(kNames, general);
    if (fast != general) __builtin_trap();
  }
  auto v = ParseVia(s);
  if (v.ok()) (void)v->SentBy();
  (void)ParseCSeq(s);
  (void)ParseMediaType(s);
  (void)ParseSipDate(s);
  return 0;
}
