// CPIM: parse arbitrary bytes; a body that parses must build (from its
// owning copy) to a body that parses to the same message and builds to the
// same bytes. The IMDN helpers run on it too: a notification they build
// must be valid CPIM carrying a valid IMDN document.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "im/format/cpim.h"
#include "im/format/imdn.h"

using namespace parley::im;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto view = ParseCpim(body);
  if (!view.ok()) {
    if (view.error().code != 400 && view.error().code != 413) __builtin_trap();
    return 0;
  }
  // Every view points into the input.
  for (const auto& h : view->headers) {
    if (h.value.data() < body.data() || h.value.data() + h.value.size() > body.data() + body.size()) {
      __builtin_trap();
    }
  }
  if (view->content.data() + view->content.size() != body.data() + body.size()) __builtin_trap();

  CpimMessage owned = view->ToOwned();
  auto built = BuildCpim(owned);
  if (!built.ok()) __builtin_trap();  // what parses can be written
  // Escaping and quoting may make the output larger than the input.
  CpimLimits big;
  big.max_headers = 1 << 12;
  big.max_line_bytes = 1 << 20;
  big.max_header_bytes = 1 << 22;
  auto again = ParseCpim(*built, big);
  if (!again.ok()) __builtin_trap();
  if (!(again->ToOwned() == owned)) __builtin_trap();
  if (*BuildCpim(again->ToOwned()) != *built) __builtin_trap();

  (void)ImdnMessageId(*view);
  (void)RequestedDispositions(*view);
  for (auto kind : {ImdnKind::kDelivery, ImdnKind::kProcessing}) {
    ImdnReply reply;
    reply.kind = kind;
    reply.status = kind == ImdnKind::kDelivery ? ImdnStatus::kDelivered : ImdnStatus::kStored;
    reply.message_id = "n1";
    reply.now_ms = 1700000000000;
    auto m = BuildImdnReply(*view, reply);
    if (!m.ok()) {
      if (m.error().code != 400 && m.error().code != 409) __builtin_trap();
      continue;
    }
    auto b = BuildCpim(*m);
    if (!b.ok()) __builtin_trap();
    auto v = ParseCpim(*b, big);
    if (!v.ok() || v->content_type != kImdnType) __builtin_trap();
    XmlLimits xl;
    xl.max_bytes = xl.max_text_bytes = 1 << 22;
    if (!ParseImdn(v->content, xl).ok()) __builtin_trap();
  }
  return 0;
}
