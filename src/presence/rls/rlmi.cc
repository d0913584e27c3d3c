#include "presence/rls/rlmi.h"

#include <pugixml.hpp>

#include <charconv>

#include "common/strings.h"
#include "presence/doc/xml.h"
#include "sip/fields.h"
#include "sip/multipart.h"

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
      rlmi.append("<instance id=\"").append(InstanceId(r.uri)).append("\" state=\"").append(InstanceStateName(r.state));
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

std::string_view InstanceStateName(InstanceState s) {
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

namespace {

constexpr std::string_view kNsRlmi = "urn:ietf:params:xml:ns:rlmi";

std::string_view Unbracketed(std::string_view cid) {
  cid = TrimLws(cid);
  if (cid.size() >= 2 && cid.front() == '<' && cid.back() == '>') cid = cid.substr(1, cid.size() - 2);
  return cid;
}

InstanceState StateOf(std::string_view s) {
  for (InstanceState st : {InstanceState::kActive, InstanceState::kPending, InstanceState::kTerminated}) {
    if (s == InstanceStateName(st)) return st;
  }
  return InstanceState::kNone;
}

}  // namespace

Result<RlmiList> ParseListBody(std::string_view content_type, std::string_view body, size_t max_resources) {
  auto type = sip::ParseMediaType(content_type);
  if (!type.ok() || !type->Is("multipart", "related")) return Error(400, "not a multipart/related body");
  auto boundary = type->params.GetUnquoted("boundary");
  if (!boundary || boundary->empty()) return Error(400, "multipart/related without a boundary");
  auto parts = sip::ParseMultipart(body, *boundary, max_resources + 1);
  if (!parts.ok()) return Error(parts.error().code == 413 ? 413 : 400, "list body: " + parts.error().message);
  const sip::BodyPart* root = nullptr;
  for (const sip::BodyPart& p : *parts) {
    auto pt = sip::ParseMediaType(p.Header("Content-Type"));
    if (pt.ok() && pt->Is("application", "rlmi+xml")) {
      root = &p;
      break;
    }
  }
  if (!root) return Error(400, "no application/rlmi+xml part");
  pugi::xml_document doc;
  if (!doc.load_buffer(root->body.data(), root->body.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return Error(400, "RLMI document is not well-formed");
  }
  pugi::xml_node list = doc.document_element();
  auto name = xml::ElementName(list);
  if (!name.ok() || !name->Is(kNsRlmi, "list")) return Error(400, "RLMI root is not <list>");
  RlmiList out;
  out.uri = std::string(xml::Attr(list, "uri").value_or(""));
  std::string_view version = xml::Attr(list, "version").value_or("");
  if (std::from_chars(version.data(), version.data() + version.size(), out.version).ec != std::errc() ||
      version.empty()) {
    return Error(400, "RLMI <list> without a version");
  }
  std::string_view full = xml::Attr(list, "fullState").value_or("");
  if (full != "true" && full != "false" && full != "1" && full != "0") return Error(400, "RLMI <list> without fullState");
  out.full_state = full == "true" || full == "1";
  for (pugi::xml_node r = list.first_child(); r; r = r.next_sibling()) {
    if (r.type() != pugi::node_element) continue;
    auto rn = xml::ElementName(r);
    if (!rn.ok() || !rn->Is(kNsRlmi, "resource")) continue;
    if (out.resources.size() >= max_resources) return Error(413, "more than " + std::to_string(max_resources) + " resources");
    RlmiResource& res = out.resources.emplace_back();
    res.uri = std::string(xml::Attr(r, "uri").value_or(""));
    if (res.uri.empty()) return Error(400, "RLMI <resource> without a uri");
    for (pugi::xml_node i = r.first_child(); i; i = i.next_sibling()) {
      if (i.type() != pugi::node_element) continue;
      auto in = xml::ElementName(i);
      if (!in.ok() || !in->Is(kNsRlmi, "instance")) continue;
      res.state = StateOf(xml::Attr(i, "state").value_or(""));
      res.reason = std::string(xml::Attr(i, "reason").value_or(""));
      std::string_view cid = xml::Attr(i, "cid").value_or("");
      if (res.state == InstanceState::kActive && !cid.empty()) {
        for (const sip::BodyPart& p : *parts) {
          if (&p == root || Unbracketed(p.Header("Content-ID")) != cid) continue;
          res.body = std::string(p.body);
          res.body_type = std::string(TrimLws(p.Header("Content-Type")));
          break;
        }
      }
      break;  // the first instance
    }
  }
  return out;
}

}  // namespace parley::presence
