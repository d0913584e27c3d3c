#include "presence/rls/rlmi.h"

#include "presence/doc/xml.h"

namespace parley::presence {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kContentIdHeader = "Content-ID: <";
constexpr std::string_view kBareContentIdHeader = "Content-Id: ";

std::string_view HostOf(std::string_view uri) {
  size_t at = uri.rfind('@');
  std::string_view host = at == std::string_view::npos ? uri.substr(uri.find(':') + 1) : uri.substr(at + 1);
  size_t end = host.find_first_of(";?>");
  return end == std::string_view::npos ? host : host.substr(0, end);
}

std::string_view StateName(InstanceState s) {
  switch (s) {
    case InstanceState::kActive:
      return "active";
    case InstanceState::kPending:
      return "pending";
    case InstanceState::kTerminated:
      return "terminated";
    case InstanceState::kNone:
      break;
  }
  return "";
}

void AppendPart(std::string& out, std::string_view boundary, std::string_view cid, bool bare, std::string_view type,
                std::string_view body) {
  out.append("--").append(boundary).append(kCrlf);
  out.append("Content-Transfer-Encoding: binary").append(kCrlf);
  if (bare) {
    out.append(kBareContentIdHeader).append(cid).append(kCrlf);
  } else {
    out.append(kContentIdHeader).append(cid).append(">").append(kCrlf);
  }
  out.append("Content-Type: ").append(type).append(kCrlf).append(kCrlf);
  out.append(body).append(kCrlf);
}

}  // namespace

std::string InstanceId(std::string_view resource_uri) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : resource_uri) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id;
  for (int i = 0; i < 12; ++i, h >>= 5) id.push_back(kAlphabet[h & 31]);
  return id;
}

std::string BuildListBody(const RlmiList& list) {
  const std::string_view host = HostOf(list.uri);
  auto cid_of = [&](std::string_view uri) { return InstanceId(uri).append("@").append(host); };
  std::string rlmi = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<list xmlns=\"urn:ietf:params:xml:ns:rlmi\" uri=\"";
  AppendXmlAttr(rlmi, list.uri);
  rlmi.append("\" version=\"").append(std::to_string(list.version)).append("\" fullState=\"");
  rlmi.append(list.full_state ? "true" : "false").append("\">\r\n");
  for (const RlmiResource& r : list.resources) {
    rlmi.append("<resource uri=\"");
    AppendXmlAttr(rlmi, r.uri);
    rlmi.append("\">");
    if (r.state != InstanceState::kNone) {
      rlmi.append("<instance id=\"").append(InstanceId(r.uri)).append("\" state=\"").append(StateName(r.state));
      rlmi.append("\"");
      if (r.state == InstanceState::kTerminated && !r.reason.empty()) {
        rlmi.append(" reason=\"");
        AppendXmlAttr(rlmi, r.reason);
        rlmi.append("\"");
      }
      if (r.state == InstanceState::kActive && !r.body.empty()) {
        rlmi.append(" cid=\"");
        AppendXmlAttr(rlmi, cid_of(r.uri));
        rlmi.append("\"");
      }
      rlmi.append("/>");
    }
    rlmi.append("</resource>\r\n");
  }
  rlmi.append("</list>");

  // A boundary no part contains (RFC 2046 §5.1.1); our documents escape CR,
  // so the first one fits unless a body was made elsewhere.
  std::string boundary = "parley-rls-b";
  for (int n = 0;; ++n) {
    bool clash = rlmi.find(boundary) != std::string::npos;
    for (const RlmiResource& r : list.resources) clash |= r.body.find(boundary) != std::string::npos;
    if (!clash) break;
    boundary = "parley-rls-b" + std::to_string(n) + "-" + InstanceId(std::to_string(n) + list.uri);
  }
  std::string out;
  AppendPart(out, boundary, "list." + cid_of(list.uri), list.bare_content_ids, "application/rlmi+xml;charset=\"UTF-8\"",
             rlmi);
  for (const RlmiResource& r : list.resources) {
    if (r.state != InstanceState::kActive || r.body.empty()) continue;
    AppendPart(out, boundary, cid_of(r.uri), list.bare_content_ids, r.body_type, r.body);
  }
  out.append("--").append(boundary).append("--").append(kCrlf);
  return out;
}

std::string ListContentType(std::string_view body) {
  if (!body.starts_with("--")) return {};
  size_t eol = body.find(kCrlf);
  if (eol == std::string_view::npos) return {};
  std::string_view boundary = body.substr(2, eol - 2);
  size_t headers_end = body.find("\r\n\r\n", eol);
  size_t cid = body.find(kContentIdHeader, eol);
  char end = '>';
  if (cid == std::string_view::npos || cid > headers_end) {
    cid = body.find(kBareContentIdHeader, eol);
    if (cid == std::string_view::npos || cid > headers_end) return {};
    cid += kBareContentIdHeader.size();
    end = '\r';
  } else {
    cid += kContentIdHeader.size();
  }
  size_t close = body.find(end, cid);
  if (close == std::string_view::npos || close > headers_end) return {};
  // Our boundaries are tokens, so unquoted: belle-sip (Linphone) would
  // take quotes for part of the boundary and find no part.
  std::string t = "multipart/related;type=\"application/rlmi+xml\";start=\"<";
  t.append(body.substr(cid, close - cid)).append(">\";boundary=").append(boundary);
  return t;
}

}  // namespace parley::presence
