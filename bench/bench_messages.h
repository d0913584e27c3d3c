#pragma once
// Loads a benchmark message from bench/messages/ (stored with LF line ends)
// as wire bytes: CRLF line ends and a Content-Length that fits the body.

#include <fstream>
#include <sstream>
#include <string>

namespace parley::bench {

inline std::string LoadMessage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str(), out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  size_t body = out.find("\r\n\r\n") + 4;
  size_t cl = out.find("Content-Length: ");
  out.replace(cl, out.find("\r\n", cl) - cl, "Content-Length: " + std::to_string(out.size() - body));
  return out;
}

}  // namespace parley::bench
