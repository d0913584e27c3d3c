// PIDF: parse arbitrary bytes; a document that parses must serialize to a
// document that parses to the same model and serializes to the same bytes.
// Composition of it (as two publications) must also give valid PIDF.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "presence/doc/compose.h"
#include "presence/doc/pidf.h"

using namespace parley::presence;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto doc = ParsePidf(body, "");
  if (!doc.ok()) {
    if (doc.error().code != 400 && doc.error().code != 413) __builtin_trap();
    return 0;
  }
  (void)SamePresentity(doc->entity, "sip:alice@example.com");
  // Output may be larger than its input (declarations made explicit,
  // composition doubling the tuples): re-parse with room to spare.
  Limits big;
  big.max_body_bytes = 1 << 22;
  big.max_tuples = big.max_devices = big.max_extensions = big.max_notes = 1024;
  big.max_elements = 1 << 16;
  std::string out = SerializePidf(*doc);
  auto again = ParsePidf(out, "", big);
  if (!again.ok()) __builtin_trap();       // our own output must parse
  if (!(*again == *doc)) __builtin_trap();  // to the same document
  if (SerializePidf(*again) != out) __builtin_trap();

  std::vector<Publication> pubs = {{"a", 1, *doc}, {"b", 2, *doc}};
  std::vector<RegisteredContact> regs = {{"sip:alice@192.0.2.1", 500}};
  PresenceDoc composed = Compose(doc->entity, pubs, regs, 1700000000);
  auto back = ParsePidf(SerializePidf(composed), "", big);
  if (!back.ok()) __builtin_trap();
  return 0;
}
