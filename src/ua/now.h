#pragma once
// The wall clock for the client's message bodies: the IM format library is
// pure and takes the time as a parameter.

#include <chrono>
#include <cstdint>
#include <string>

#include "im/format/rfc3339.h"

namespace parley::ua {

inline int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// RFC 3339 UTC in whole seconds ("2024-05-01T10:11:12Z").
inline std::string NowRfc3339() { return im::FormatRfc3339(NowUnixMs() / 1000 * 1000); }

}  // namespace parley::ua
