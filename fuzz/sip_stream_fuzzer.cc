// Stream framing: the same bytes fed in one piece and split at a
// data-derived point must produce the same messages.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sip/parser.h"

using namespace parley::sip;

namespace {
std::vector<std::string> Frame(std::string_view data, size_t cut) {
  ParserLimits limits;
  limits.max_header_bytes = 4096;
  limits.max_body_bytes = 4096;
  MessageParser p(limits);
  std::vector<std::string> out;
  for (std::string_view chunk : {data.substr(0, cut), data.substr(cut)}) {
    while (!chunk.empty()) {
      auto step = p.Feed(chunk);
      chunk.remove_prefix(step.consumed);
      if (step.status == MessageParser::Status::kMessage) out.push_back(p.TakeMessage()->Serialize());
      if (step.status == MessageParser::Status::kKeepAlive) out.push_back("<ping>");
      if (step.status == MessageParser::Status::kError) {
        out.push_back("<error>");
        return out;
      }
      if (step.consumed == 0 && step.status == MessageParser::Status::kNeedMore) break;
    }
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = size ? data[0] % (size + 1) : 0;
  auto whole = Frame(in, size);
  auto split = Frame(in, cut);
  if (whole != split) __builtin_trap();
  return 0;
}
