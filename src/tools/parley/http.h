#pragma once
// A small blocking HTTP/1.1 client (plain http:// and https://) for the
// server's JSON API and XCAP. Runs on the calling thread — never on an
// event loop. One request per connection.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace parley::cli {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string etag;
};

struct HttpCall {
  std::string method = "GET";
  std::string url;  // http://host[:port]/path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};
  std::string ca_file;  // https: trust these instead of the system store
  bool insecure = false;
};

// Errors: code 5 = unreachable (resolve/connect/timeout), 6 = TLS, 2 = bad URL.
Result<HttpReply> Fetch(const HttpCall& call);

std::string UrlEncode(std::string_view in);

}  // namespace parley::cli
