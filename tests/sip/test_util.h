#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include "sip/parser.h"

namespace parley::sip::testing {

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Conformance(const std::string& rel) {
  return ReadFileBytes(std::string(PARLEY_CONFORMANCE_DIR) + "/" + rel);
}

inline MessagePtr Parse(std::string bytes) { return ParseDatagram(std::move(bytes), ParserLimits()); }

// Converts "\n" line ends of a test literal to CRLF.
inline std::string Crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace parley::sip::testing
