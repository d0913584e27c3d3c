#include "sip/multipart.h"

#include <string>

#include "sip/lex.h"

namespace parley::sip {

std::string_view BodyPart::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (IEquals(n, name)) return v;
  }
  return {};
}

Result<std::vector<BodyPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                             size_t max_parts) {
  if (boundary.empty() || boundary.size() > 70) return Error(400, "invalid multipart boundary");
  std::string delim = "--";
  delim.append(boundary);
  // The first delimiter may open the body or follow a preamble line.
  size_t pos;
  if (body.substr(0, delim.size()) == delim) {
    pos = 0;
  } else {
    pos = body.find("\r\n" + delim);
    if (pos == std::string_view::npos) return Error(400, "multipart delimiter not found");
    pos += 2;
  }
  std::vector<BodyPart> parts;
  std::string next = "\r\n" + delim;
  while (true) {
    size_t after = pos + delim.size();
    if (body.substr(after, 2) == "--") return parts;  // close delimiter
    // transport-padding then CRLF
    size_t eol = body.find("\r\n", after);
    if (eol == std::string_view::npos) return Error(400, "truncated multipart delimiter line");
    size_t part_start = eol + 2;
    size_t part_end = body.find(next, part_start);
    if (part_end == std::string_view::npos) return Error(400, "multipart close delimiter not found");
    if (parts.size() >= max_parts) return Error(413, "too many body parts");
    std::string_view part = body.substr(part_start, part_end - part_start);
    BodyPart bp;
    size_t hend = part.find("\r\n\r\n");
    std::string_view hdrs;
    if (part.substr(0, 2) == "\r\n") {
      bp.body = part.substr(2);
    } else if (hend == std::string_view::npos) {
      return Error(400, "multipart part without header terminator");
    } else {
      hdrs = part.substr(0, hend + 2);
      bp.body = part.substr(hend + 4);
    }
    size_t i = 0;
    while (i < hdrs.size()) {
      size_t e = hdrs.find("\r\n", i);
      // unfold: continuation lines start with whitespace
      while (e != std::string_view::npos && e + 2 < hdrs.size() && (hdrs[e + 2] == ' ' || hdrs[e + 2] == '\t')) {
        e = hdrs.find("\r\n", e + 2);
      }
      if (e == std::string_view::npos) e = hdrs.size();
      std::string_view line = hdrs.substr(i, e - i);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || !IsToken(TrimLws(line.substr(0, colon)))) {
        return Error(400, "malformed body part header");
      }
      bp.headers.emplace_back(TrimLws(line.substr(0, colon)), TrimLws(line.substr(colon + 1)));
      i = e + 2;
    }
    parts.push_back(std::move(bp));
    pos = part_end + 2;
  }
}

}  // namespace parley::sip
