#pragma once
// RFC 5262 partial presence documents (application/pidf-diff+xml), as RFC
// 5264 partial publications carry them: a <pidf-full> (full state, the
// content of a PIDF <presence> under another root) or a <pidf-diff> (RFC
// 5261 patch operations against the document the publisher sent last).
// Both carry the presentity's `entity` and a `version` the publisher raises
// by one per document. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "presence/doc/pidf.h"

namespace parley::presence {

inline constexpr std::string_view kNsPidfDiff = "urn:ietf:params:xml:ns:pidf-diff";
inline constexpr size_t kMaxPatchOperations = 64;

struct PidfDiffHead {
  bool full = false;     // <pidf-full>
  uint32_t version = 0;
  std::string pidf;      // full: the same state as an application/pidf+xml document
};

// Reads a pidf-diff+xml body's root, version and entity (which must be
// `expected_entity`'s presentity, unless that is empty). Errors: 413 over
// `limits`' body size, element count or depth; 400 naming the fault.
Result<PidfDiffHead> ReadPidfDiff(std::string_view body, std::string_view expected_entity, const Limits& limits);

// Applies the operations of the <pidf-diff> `diff`, in order, to the PIDF
// document `base`, and returns the new document's text (to be validated
// with ParsePidf). Errors: 400 "pidf-diff: <RFC 5261 error element>: ...",
// or ReadPidfDiff's.
Result<std::string> ApplyPidfDiff(std::string_view base, std::string_view diff, const Limits& limits);

// RFC 5263 partial notification, the notifier's side. The PIDF document
// `pidf` (our own serialization) as a <pidf-full> of this version.
std::string PidfFullOf(std::string_view pidf, uint32_t version);

// A <pidf-diff> of this version that turns `old_pidf` into `new_pidf`
// (both our own serializations): the tuples, persons and devices that
// changed are replaced, the new ones added in document order, the gone
// ones removed, each selected by its id. nullopt when a diff cannot say it
// (the root's attributes or declarations changed, an element without id
// changed, an id is not unique or a new element would land out of schema
// order): the caller sends full state.
std::optional<std::string> MakePidfDiff(std::string_view old_pidf, std::string_view new_pidf, uint32_t version);

}  // namespace parley::presence
