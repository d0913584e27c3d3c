#pragma once
// Helpers shared by the presence document tests.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "presence/doc/pidf.h"

namespace parley::presence::testing {

// Parses, then checks that serialize -> parse gives the same document and
// that serializing is deterministic.
inline PresenceDoc ParseRoundTrip(std::string_view body, std::string_view entity = "") {
  auto doc = ParsePidf(body, entity);
  EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.error().message);
  if (!doc.ok()) return {};
  std::string out = SerializePidf(*doc);
  auto again = ParsePidf(out, entity);
  EXPECT_TRUE(again.ok()) << (again.ok() ? "" : again.error().message) << "\n" << out;
  if (!again.ok()) return *doc;
  EXPECT_TRUE(*again == *doc) << out;
  EXPECT_EQ(SerializePidf(*again), out);
  return *doc;
}

}  // namespace parley::presence::testing
