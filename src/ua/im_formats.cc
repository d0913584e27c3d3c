#include "ua/im_formats.h"

#include <ctime>

#include "common/strings.h"
#include "ua/xml_util.h"

namespace parley::ua {

namespace {

pugi::xml_node NewDoc(pugi::xml_document& doc, const char* root, const char* ns) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  auto r = doc.append_child(root);
  r.append_attribute("xmlns") = ns;
  return r;
}

// Splits a header block ("Name: value" lines, CRLF or LF) into pairs;
// continuation lines are folded. Returns false on a line without ':'.
bool ParseHeaderBlock(std::string_view block, std::vector<std::pair<std::string, std::string>>& out) {
  size_t i = 0;
  while (i < block.size()) {
    size_t e = block.find('\n', i);
    if (e == std::string_view::npos) e = block.size();
    std::string_view line = block.substr(i, e - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    i = e + 1;
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
      out.back().second += " " + std::string(TrimLws(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    out.emplace_back(std::string(TrimLws(line.substr(0, colon))), std::string(TrimLws(line.substr(colon + 1))));
  }
  return true;
}

// Finds the end of a header block: returns {block length, offset after the blank line}.
std::pair<size_t, size_t> SplitAtBlankLine(std::string_view s) {
  size_t crlf = s.find("\r\n\r\n");
  size_t lf = s.find("\n\n");
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) return {crlf, crlf + 4};
  if (lf != std::string_view::npos) return {lf, lf + 2};
  return {s.size(), s.size()};
}

}  // namespace

std::string CpimMessage::Header(std::string_view name) const {
  if (IEquals(name, "From")) return from;
  if (IEquals(name, "To")) return to;
  if (IEquals(name, "DateTime")) return datetime;
  for (const auto& [n, v] : headers) {
    if (IEquals(n, name)) return v;
  }
  return {};
}

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string BuildCpim(const CpimMessage& m) {
  std::string out;
  if (!m.from.empty()) out += "From: " + m.from + "\r\n";
  if (!m.to.empty()) out += "To: " + m.to + "\r\n";
  if (!m.datetime.empty()) out += "DateTime: " + m.datetime + "\r\n";
  for (const auto& [n, v] : m.headers) out += n + ": " + v + "\r\n";
  out += "\r\n";
  out += "Content-Type: " + (m.content_type.empty() ? std::string("text/plain;charset=utf-8") : m.content_type) + "\r\n";
  for (const auto& [n, v] : m.content_headers) out += n + ": " + v + "\r\n";
  out += "\r\n";
  out += m.body;
  return out;
}

Result<CpimMessage> ParseCpim(std::string_view body) {
  CpimMessage m;
  auto [hlen, hnext] = SplitAtBlankLine(body);
  if (hnext >= body.size() && hlen == body.size()) return Error(400, "CPIM: no end of message headers");
  std::vector<std::pair<std::string, std::string>> headers;
  if (!ParseHeaderBlock(body.substr(0, hlen), headers)) return Error(400, "CPIM: malformed message header");
  for (auto& [n, v] : headers) {
    if (IEquals(n, "From")) m.from = v;
    else if (IEquals(n, "To")) m.to = v;
    else if (IEquals(n, "DateTime")) m.datetime = v;
    else m.headers.emplace_back(std::move(n), std::move(v));
  }
  std::string_view rest = body.substr(hnext);
  auto [clen, cnext] = SplitAtBlankLine(rest);
  std::vector<std::pair<std::string, std::string>> content;
  if (!ParseHeaderBlock(rest.substr(0, clen), content)) return Error(400, "CPIM: malformed content header");
  for (auto& [n, v] : content) {
    if (IEquals(n, "Content-Type")) m.content_type = v;
    else m.content_headers.emplace_back(std::move(n), std::move(v));
  }
  if (m.content_type.empty()) return Error(400, "CPIM: no Content-Type");
  m.body = std::string(rest.substr(std::min(cnext, rest.size())));
  return m;
}

std::string BuildImdn(const Imdn& n) {
  pugi::xml_document doc;
  auto root = NewDoc(doc, "imdn", "urn:ietf:params:xml:ns:imdn");
  root.append_child("message-id").text() = n.message_id.c_str();
  root.append_child("datetime").text() = (n.datetime.empty() ? NowRfc3339() : n.datetime).c_str();
  if (!n.recipient.empty()) root.append_child("recipient-uri").text() = n.recipient.c_str();
  if (!n.original_recipient.empty()) root.append_child("original-recipient-uri").text() = n.original_recipient.c_str();
  std::string kind = n.kind.empty() ? "delivery-notification" : n.kind;
  root.append_child(kind.c_str()).append_child("status").append_child(n.status.c_str());
  return xml::ToString(doc);
}

Result<Imdn> ParseImdn(std::string_view text) {
  pugi::xml_document doc;
  if (!xml::Load(doc, text)) return Error(400, "IMDN: not XML");
  auto root = doc.document_element();
  if (xml::LocalName(root.name()) != "imdn") return Error(400, "IMDN: root is not <imdn>");
  Imdn n;
  n.message_id = xml::ChildText(root, "message-id");
  n.datetime = xml::ChildText(root, "datetime");
  n.recipient = xml::ChildText(root, "recipient-uri");
  n.original_recipient = xml::ChildText(root, "original-recipient-uri");
  for (const char* kind : {"delivery-notification", "display-notification", "processing-notification"}) {
    auto k = xml::Child(root, kind);
    if (!k) continue;
    n.kind = kind;
    auto status = xml::Child(k, "status");
    for (auto c = status.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element) {
        n.status = std::string(xml::LocalName(c.name()));
        break;
      }
    }
  }
  if (n.message_id.empty() || n.kind.empty() || n.status.empty()) return Error(400, "IMDN: incomplete notification");
  return n;
}

std::string BuildComposing(const Composing& c) {
  pugi::xml_document doc;
  auto root = NewDoc(doc, "isComposing", "urn:ietf:params:xml:ns:im-iscomposing");
  root.append_child("state").text() = c.active ? "active" : "idle";
  if (!c.last_active.empty()) root.append_child("lastactive").text() = c.last_active.c_str();
  root.append_child("contenttype").text() = (c.content_type.empty() ? "text/plain" : c.content_type.c_str());
  if (c.active && c.refresh > 0) root.append_child("refresh").text() = c.refresh;
  return xml::ToString(doc);
}

Result<Composing> ParseComposing(std::string_view text) {
  pugi::xml_document doc;
  if (!xml::Load(doc, text)) return Error(400, "isComposing: not XML");
  auto root = doc.document_element();
  if (xml::LocalName(root.name()) != "isComposing") return Error(400, "isComposing: wrong root element");
  Composing c;
  std::string state = xml::ChildText(root, "state");
  if (state == "active") c.active = true;
  else if (state != "idle") return Error(400, "isComposing: state must be active or idle");
  c.content_type = xml::ChildText(root, "contenttype");
  c.last_active = xml::ChildText(root, "lastactive");
  if (auto r = ParseUint(xml::ChildText(root, "refresh"), UINT32_MAX)) c.refresh = static_cast<uint32_t>(*r);
  return c;
}

}  // namespace parley::ua
