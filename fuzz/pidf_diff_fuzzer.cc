// RFC 5262/5261 partial PIDF: arbitrary bytes as a pidf-diff+xml body, read
// and applied to a fixed document. Failures are 400 or 413; a <pidf-full>
// read and every patched document must be well-formed XML the PIDF parser
// can judge (valid or not). A valid result is then the notifier's next
// state (RFC 5263): the diff it makes from the fixed document, applied as
// a watcher does, must give the same document.

#include <pugixml.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "presence/doc/pidf.h"
#include "presence/doc/pidf_diff.h"

using namespace parley::presence;

namespace {

constexpr const char* kBase =
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
    "xmlns:r=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"sip:alice@example.com\">\n"
    "  <tuple id=\"a\">\n    <status><basic>open</basic></status>\n    <note>one</note>\n  </tuple>\n"
    "  <!-- c -->\n  <tuple id=\"b\"><status><basic>closed</basic></status></tuple>\n"
    "  <dm:person id=\"p\"><r:activities><r:away/></r:activities></dm:person>\n</presence>";

bool WellFormed(const std::string& text) {
  pugi::xml_document doc;
  return static_cast<bool>(doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8));
}

bool Expected(int code) { return code == 400 || code == 413; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto head = ReadPidfDiff(body, "", {});
  if (!head.ok()) {
    if (!Expected(head.error().code)) __builtin_trap();
  } else if (head->full) {
    if (!WellFormed(head->pidf)) __builtin_trap();
    (void)ParsePidf(head->pidf, "");
  }
  auto patched = ApplyPidfDiff(kBase, body, {});
  if (!patched.ok()) {
    if (!Expected(patched.error().code)) __builtin_trap();
    return 0;
  }
  if (!WellFormed(*patched)) __builtin_trap();
  auto doc = ParsePidf(*patched, "");
  if (!doc.ok()) {
    if (!Expected(doc.error().code)) __builtin_trap();
    return 0;
  }
  static const std::string before = SerializePidf(*ParsePidf(kBase, ""));
  std::string after = SerializePidf(*doc);
  if (auto diff = MakePidfDiff(before, after, 1)) {
    Limits big;
    big.max_body_bytes = 1 << 22;
    big.max_tuples = big.max_devices = big.max_extensions = big.max_notes = 1024;
    big.max_elements = 1 << 16;
    auto rebuilt = ApplyPidfDiff(before, *diff, big);
    if (!rebuilt.ok()) __builtin_trap();
    auto again = ParsePidf(*rebuilt, "", big);
    if (!again.ok() || !(*again == *doc)) __builtin_trap();
  }
  return 0;
}
