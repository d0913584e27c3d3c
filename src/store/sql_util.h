#pragma once
// Small helpers shared by the SqlStore implementation files.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

namespace parley::store {

// A cell of SqlRows as an integer ("" — NULL — reads 0).
inline int64_t ToInt(const std::string& s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// A caller's row limit as a statement parameter.
inline int64_t LimitParam(size_t limit) {
  return static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max()));
}

}  // namespace parley::store
