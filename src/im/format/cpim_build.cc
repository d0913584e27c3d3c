#include "common/strings.h"
#include "im/format/cpim.h"
#include "im/format/cpim_syntax.h"
#include "im/format/rfc3339.h"

namespace parley::im {

using cpim::IsLanguageTag;
using cpim::IsMediaType;
using cpim::KindOf;
using cpim::Shown;
using cpim::TrimBlanks;

namespace {
Error BadCpim(std::string reason) { return Error(400, "CPIM: " + std::move(reason)); }
}  // namespace

// ---- Escapes and builder ----

Result<std::string> DecodeCpimEscapes(std::string_view raw) {
  std::string out;
  if (const char* why = cpim::Unescape(raw, &out)) return BadCpim(std::string("bad escape: ") + why);
  return out;
}

std::string EncodeCpimEscapes(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '\\': out += "\\\\"; continue;
      case '\b': out += "\\b"; continue;
      case '\t': out += "\\t"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '"':
        out += quote ? "\\\"" : "\"";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

namespace {

// A header value: escaped, with blanks at either end as \u0020 so that the
// parser's trimming gives them back.
std::string EncodeValue(std::string_view text) {
  std::string e = EncodeCpimEscapes(text);
  size_t lead = 0;
  while (lead < e.size() && e[lead] == ' ') ++lead;
  if (lead == e.size()) {
    std::string out;
    for (size_t i = 0; i < lead; ++i) out += "\\u0020";
    return out;
  }
  size_t trail = 0;
  while (e[e.size() - 1 - trail] == ' ') ++trail;
  std::string out;
  for (size_t i = 0; i < lead; ++i) out += "\\u0020";
  out.append(e, lead, e.size() - lead - trail);
  for (size_t i = 0; i < trail; ++i) out += "\\u0020";
  return out;
}

bool IsTokenRun(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  while (true) {
    size_t sp = s.find(' ', i);
    if (!cpim::IsCpimToken(s.substr(i, sp == std::string_view::npos ? s.npos : sp - i))) return false;
    if (sp == std::string_view::npos) return true;
    i = sp + 1;
  }
}

std::optional<Error> AppendAddress(std::string& out, std::string_view header, const CpimAddress& a) {
  if (!cpim::IsUri(a.uri)) return BadCpim(std::string(header) + " URI is not valid");
  if (!cpim::IsUtf8(a.display_name)) return BadCpim(std::string(header) + " formal name is not UTF-8");
  out.append(header).append(": ");
  if (IsTokenRun(a.display_name)) {
    out.append(a.display_name).append(" ");
  } else if (!a.display_name.empty()) {
    out.append("\"").append(EncodeCpimEscapes(a.display_name, true)).append("\" ");
  }
  out.append("<").append(a.uri).append(">\r\n");
  return std::nullopt;
}

}  // namespace

Result<std::string> BuildCpim(const CpimMessage& m) {
  std::string out;
  out.reserve(256 + m.content.size());
  if (m.from) {
    if (auto e = AppendAddress(out, "From", *m.from)) return std::move(*e);
  }
  for (const auto& a : m.to) {
    if (auto e = AppendAddress(out, "To", a)) return std::move(*e);
  }
  for (const auto& a : m.cc) {
    if (auto e = AppendAddress(out, "cc", a)) return std::move(*e);
  }
  if (!m.datetime.empty()) {
    auto t = ParseRfc3339(m.datetime);
    if (!t.ok()) return BadCpim("DateTime is " + t.error().message);
    out.append("DateTime: ").append(m.datetime).append("\r\n");
  }
  for (const auto& s : m.subjects) {
    if (!s.lang.empty() && !IsLanguageTag(s.lang)) return BadCpim("Subject lang is not a language tag");
    if (!cpim::IsUtf8(s.text)) return BadCpim("Subject is not UTF-8");
    out.append("Subject:");
    if (!s.lang.empty()) out.append(";lang=").append(s.lang);
    out.append(" ").append(EncodeValue(s.text)).append("\r\n");
  }
  for (size_t i = 0; i < m.namespaces.size(); ++i) {
    const auto& n = m.namespaces[i];
    if (!n.prefix.empty() && !cpim::IsName(n.prefix)) return BadCpim("bad name prefix '" + Shown(n.prefix) + "'");
    if (!cpim::IsUri(n.urn)) return BadCpim("NS URN is not valid");
    for (size_t j = 0; j < i; ++j) {
      if (m.namespaces[j].prefix == n.prefix && m.namespaces[j].urn != n.urn) {
        return BadCpim("name prefix '" + Shown(n.prefix) + "' declared twice");
      }
    }
    out.append("NS: ");
    if (!n.prefix.empty()) out.append(n.prefix).append(" ");
    out.append("<").append(n.urn).append(">\r\n");
  }
  if (!m.require.empty()) {
    out.append("Require: ");
    for (size_t i = 0; i < m.require.size(); ++i) {
      if (!cpim::IsHeaderName(m.require[i])) return BadCpim("Require names a bad header name");
      if (i) out.append(", ");
      out.append(m.require[i]);
    }
    out.append("\r\n");
  }
  for (const auto& x : m.extensions) {
    if (!cpim::IsName(x.name) || (!x.prefix.empty() && !cpim::IsName(x.prefix))) {
      return BadCpim("bad header name '" + Shown(x.prefix) + "." + Shown(x.name) + "'");
    }
    if (x.prefix.empty() && KindOf(x.name) != CpimHeaderKind::kOther) {
      return BadCpim("extension header '" + x.name + "' has the name of a core header");
    }
    if (!x.prefix.empty()) {
      bool declared = false;
      for (const auto& n : m.namespaces) declared = declared || n.prefix == x.prefix;
      if (!declared) return BadCpim("name prefix '" + Shown(x.prefix) + "' is not declared by NS");
    }
    if (cpim::ScanParams(x.params) != x.params.size()) return BadCpim("bad parameter in " + Shown(x.name));
    if (!cpim::IsUtf8(x.value)) return BadCpim(Shown(x.name) + " value is not UTF-8");
    if (!x.prefix.empty()) out.append(x.prefix).append(".");
    out.append(x.name).append(":").append(x.params).append(" ").append(EncodeValue(x.value)).append("\r\n");
  }
  out.append("\r\n");
  size_t types = 0;
  for (const auto& h : m.content_headers) {
    if (!cpim::IsFieldName(h.name)) return BadCpim("bad content header name '" + Shown(h.name) + "'");
    for (char ch : h.value) {
      auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) return BadCpim("control character in content header " + Shown(h.name));
    }
    if (IEquals(h.name, "Content-Type")) {
      ++types;
      if (!IsMediaType(h.value)) return BadCpim("Content-Type is not a media type");
    }
    out.append(h.name).append(": ").append(TrimBlanks(h.value)).append("\r\n");
  }
  if (types != 1) return BadCpim(types ? "more than one Content-Type" : "no Content-Type in the content headers");
  out.append("\r\n");
  out.append(m.content);
  return out;
}

}  // namespace parley::im
