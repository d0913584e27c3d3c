#include "im/format/cpim.h"

#include "common/strings.h"
#include "im/format/cpim_syntax.h"
#include "im/format/rfc3339.h"

namespace parley::im {

using cpim::IsLanguageTag;
using cpim::IsMediaType;
using cpim::KindOf;
using cpim::Shown;
using cpim::TrimBlanks;

namespace {

Error Bad(std::string reason) { return Error(400, "CPIM: " + std::move(reason)); }

// One line of a header block: [pos, end of line) without its CR LF.
struct Line {
  std::string_view text;
  size_t next = 0;         // offset after the line end
  bool terminated = false;  // ended by LF (not by the end of the body)
};

Line NextLine(std::string_view body, size_t pos) {
  Line l;
  size_t lf = body.find('\n', pos);
  if (lf == std::string_view::npos) {
    l.text = body.substr(pos);
    l.next = body.size();
  } else {
    l.text = body.substr(pos, lf - pos);
    l.next = lf + 1;
    l.terminated = true;
  }
  if (!l.text.empty() && l.text.back() == '\r') l.text.remove_suffix(1);
  return l;
}

// `Formal-name <URI>` / `<URI>`.
bool ParseAddress(std::string_view v, CpimAddressView& out) {
  if (v.size() < 2 || v.back() != '>') return false;
  size_t lt;
  if (v.front() == '"') {
    size_t i = 1;
    for (; i < v.size() && v[i] != '"'; ++i) {
      if (v[i] == '\\') ++i;
    }
    if (i >= v.size()) return false;
    out.formal_name = v.substr(0, i + 1);
    lt = i + 1;
    while (lt < v.size() && v[lt] == ' ') ++lt;
    if (lt >= v.size() || v[lt] != '<') return false;
  } else {
    lt = v.find('<');
    if (lt == std::string_view::npos) return false;
    out.formal_name = TrimBlanks(v.substr(0, lt));
    for (char c : out.formal_name) {
      if (c == '"' || c == '>' || c == '\\') return false;
    }
  }
  out.uri = v.substr(lt + 1, v.size() - lt - 2);
  return cpim::IsUri(out.uri);
}

bool ParseNs(std::string_view v, CpimAddressView& out) {
  size_t lt = v.find('<');
  if (lt == std::string_view::npos || v.back() != '>') return false;
  out.formal_name = TrimBlanks(v.substr(0, lt));
  out.uri = v.substr(lt + 1, v.size() - lt - 2);
  return (out.formal_name.empty() || cpim::IsName(out.formal_name)) && cpim::IsUri(out.uri);
}

template <typename F>
bool ForEachRequired(std::string_view v, F&& f) {
  size_t i = 0;
  while (true) {
    size_t comma = v.find(',', i);
    std::string_view name = TrimBlanks(v.substr(i, comma == std::string_view::npos ? v.npos : comma - i));
    if (!cpim::IsHeaderName(name)) return false;
    f(name);
    if (comma == std::string_view::npos) return true;
    i = comma + 1;
  }
}

std::string Unfold(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c != '\r' && c != '\n') out += c;
  }
  return std::string(TrimLws(out));
}

class Parser {
 public:
  Parser(std::string_view body, const CpimLimits& limits) : body_(body), limits_(limits) {}

  Result<CpimView> Run();

 private:
  std::optional<Error> MessageHeader(std::string_view line);
  std::optional<Error> ResolvePrefixes();
  std::optional<Error> ContentHeaders(size_t& pos);

  std::string_view body_;
  const CpimLimits& limits_;
  CpimView v_;
};

std::optional<Error> Parser::MessageHeader(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Bad("header line without ':' (" + Shown(line) + ")");
  std::string_view full = line.substr(0, colon);
  if (!cpim::IsHeaderName(full)) return Bad("bad header name '" + Shown(full) + "'");
  CpimHeaderView h;
  size_t dot = full.find('.');
  if (dot != std::string_view::npos) {
    h.prefix = full.substr(0, dot);
    h.name = full.substr(dot + 1);
  } else {
    h.name = full;
    h.kind = KindOf(full);
  }
  std::string_view rest = line.substr(colon + 1);
  size_t plen = cpim::ScanParams(rest);
  if (plen == std::string_view::npos) return Bad("bad parameter in " + Shown(full));
  h.params = rest.substr(0, plen);
  h.value = TrimBlanks(rest.substr(plen));
  if (const char* why = cpim::CheckValue(h.value)) return Bad(Shown(full) + " value has " + why);
  switch (h.kind) {
    case CpimHeaderKind::kFrom:
    case CpimHeaderKind::kTo:
    case CpimHeaderKind::kCc:
      if (!ParseAddress(h.value, h.address)) {
        const char* canonical = h.kind == CpimHeaderKind::kFrom ? "From"
                                : h.kind == CpimHeaderKind::kTo ? "To"
                                                                : "cc";
        return Bad(std::string(canonical) + " is not 'Formal-name <URI>' or '<URI>'");
      }
      if (h.kind == CpimHeaderKind::kFrom) {
        if (v_.from_index != CpimView::kNone) return Bad("more than one From");
        v_.from_index = v_.headers.size();
      }
      break;
    case CpimHeaderKind::kDateTime: {
      if (v_.datetime_index != CpimView::kNone) return Bad("more than one DateTime");
      auto t = ParseRfc3339(h.value);
      if (!t.ok()) return Bad("DateTime is " + t.error().message);
      v_.datetime_ms = *t;
      v_.datetime_index = v_.headers.size();
      break;
    }
    case CpimHeaderKind::kSubject: {
      std::string_view lang;
      if (cpim::FindParam(h.params, "lang", lang) && !IsLanguageTag(lang)) {
        return Bad("Subject lang is not a language tag");
      }
      break;
    }
    case CpimHeaderKind::kNs:
      if (!ParseNs(h.value, h.address)) return Bad("NS is not '[prefix] <URN>'");
      for (const auto& o : v_.headers) {
        if (o.kind == CpimHeaderKind::kNs && o.address.formal_name == h.address.formal_name &&
            o.address.uri != h.address.uri) {
          return Bad("name prefix '" + Shown(h.address.formal_name) + "' declared twice");
        }
      }
      break;
    case CpimHeaderKind::kRequire:
      if (!ForEachRequired(h.value, [](std::string_view) {})) return Bad("Require is not a list of header names");
      break;
    case CpimHeaderKind::kOther:
      break;
  }
  v_.headers.push_back(h);
  return std::nullopt;
}

std::optional<Error> Parser::ResolvePrefixes() {
  std::string_view default_ns = kCpimCoreNs;
  for (const auto& h : v_.headers) {
    if (h.kind == CpimHeaderKind::kNs && h.address.formal_name.empty()) default_ns = h.address.uri;
  }
  for (auto& h : v_.headers) {
    if (h.prefix.empty()) {
      h.ns = h.kind == CpimHeaderKind::kOther ? default_ns : kCpimCoreNs;
      continue;
    }
    for (const auto& d : v_.headers) {
      if (d.kind == CpimHeaderKind::kNs && d.address.formal_name == h.prefix) {
        h.ns = d.address.uri;
        break;
      }
    }
    if (h.ns.empty()) return Bad("name prefix '" + Shown(h.prefix) + "' is not declared by NS");
  }
  return std::nullopt;
}

std::optional<Error> Parser::ContentHeaders(size_t& pos) {
  while (pos < body_.size()) {
    Line l = NextLine(body_, pos);
    if (l.next > limits_.max_header_bytes) {
      return Error(413, "CPIM: headers larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    }
    if (l.text.empty() && l.terminated) {
      pos = l.next;
      return std::nullopt;
    }
    if (l.text.front() == ' ' || l.text.front() == '\t') {
      if (v_.content_headers.empty()) return Bad("content headers start with a folded line");
      auto& last = v_.content_headers.back();
      const char* value_start = last.value.empty() ? l.text.data() : last.value.data();
      size_t len = static_cast<size_t>(l.text.data() + l.text.size() - value_start);
      last.value = TrimBlanks(std::string_view(value_start, len));
      if (static_cast<size_t>(l.text.data() + l.text.size() - last.name.data()) > limits_.max_line_bytes) {
        return Error(413, "CPIM: header line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
      }
    } else {
      if (v_.content_headers.size() >= limits_.max_headers) {
        return Error(413, "CPIM: more than " + std::to_string(limits_.max_headers) + " content headers");
      }
      if (l.text.size() > limits_.max_line_bytes) {
        return Error(413, "CPIM: header line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
      }
      size_t colon = l.text.find(':');
      if (colon == std::string_view::npos) return Bad("content header line without ':' (" + Shown(l.text) + ")");
      std::string_view name = TrimBlanks(l.text.substr(0, colon));
      if (!cpim::IsFieldName(name)) return Bad("bad content header name '" + Shown(name) + "'");
      v_.content_headers.push_back({name, TrimBlanks(l.text.substr(colon + 1))});
    }
    for (char ch : l.text) {
      auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return Bad("control character in content header " + Shown(v_.content_headers.back().name));
      }
    }
    pos = l.next;
  }
  return std::nullopt;
}

Result<CpimView> Parser::Run() {
  size_t pos = 0;
  while (true) {
    if (pos >= body_.size()) return Bad("no blank line after the message headers");
    Line l = NextLine(body_, pos);
    if (l.next > limits_.max_header_bytes) {
      return Error(413, "CPIM: headers larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
    }
    if (!l.terminated) return Bad("no blank line after the message headers");
    pos = l.next;
    if (l.text.empty()) break;
    if (v_.headers.size() >= limits_.max_headers) {
      return Error(413, "CPIM: more than " + std::to_string(limits_.max_headers) + " message headers");
    }
    if (l.text.size() > limits_.max_line_bytes) {
      return Error(413, "CPIM: header line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
    }
    if (l.text.front() == ' ' || l.text.front() == '\t') return Bad("message headers cannot be folded");
    if (auto e = MessageHeader(l.text)) return std::move(*e);
  }
  if (auto e = ResolvePrefixes()) return std::move(*e);
  if (auto e = ContentHeaders(pos)) return std::move(*e);
  v_.content = body_.substr(std::min(pos, body_.size()));
  const MimeHeaderView* type = nullptr;
  for (const auto& h : v_.content_headers) {
    if (!IEquals(h.name, "Content-Type")) continue;
    if (type) return Bad("more than one Content-Type");
    type = &h;
  }
  if (!type) return Bad("no Content-Type in the content headers");
  v_.content_type = type->value;
  if (!IsMediaType(type->value)) return Bad("Content-Type is not a media type");
  return std::move(v_);
}

}  // namespace

// ---- Views ----

std::string CpimAddressView::DisplayName() const {
  if (formal_name.size() >= 2 && formal_name.front() == '"') {
    std::string out;
    if (cpim::Unescape(formal_name.substr(1, formal_name.size() - 2), &out)) return {};
    return out;
  }
  return std::string(formal_name);
}

std::optional<std::string_view> CpimHeaderView::Param(std::string_view n) const {
  std::string_view v;
  if (!cpim::FindParam(params, n, v)) return std::nullopt;
  return v;
}

std::string CpimHeaderView::Decoded() const {
  std::string out;
  if (cpim::Unescape(value, &out)) return std::string(value);
  return out;
}

std::string MimeHeaderView::Unfolded() const { return Unfold(value); }

std::vector<CpimAddressView> CpimView::Addresses(CpimHeaderKind kind) const {
  std::vector<CpimAddressView> out;
  for (const auto& h : headers) {
    if (h.kind == kind) out.push_back(h.address);
  }
  return out;
}

const CpimHeaderView* CpimView::Find(std::string_view ns, std::string_view name) const {
  for (const auto& h : headers) {
    if (h.ns == ns && h.name == name) return &h;
  }
  return nullptr;
}

const MimeHeaderView* CpimView::ContentHeader(std::string_view name) const {
  for (const auto& h : content_headers) {
    if (IEquals(h.name, name)) return &h;
  }
  return nullptr;
}

CpimMessage CpimView::ToOwned() const {
  CpimMessage m;
  for (const auto& h : headers) {
    switch (h.kind) {
      case CpimHeaderKind::kFrom:
        m.from = CpimAddress{h.address.DisplayName(), std::string(h.address.uri)};
        break;
      case CpimHeaderKind::kTo:
        m.to.push_back({h.address.DisplayName(), std::string(h.address.uri)});
        break;
      case CpimHeaderKind::kCc:
        m.cc.push_back({h.address.DisplayName(), std::string(h.address.uri)});
        break;
      case CpimHeaderKind::kDateTime:
        m.datetime = std::string(h.value);
        break;
      case CpimHeaderKind::kSubject:
        m.subjects.push_back({std::string(h.Param("lang").value_or("")), h.Decoded()});
        break;
      case CpimHeaderKind::kNs:
        m.DeclareNamespace(h.address.formal_name, h.address.uri);
        break;
      case CpimHeaderKind::kRequire:
        ForEachRequired(h.value, [&](std::string_view n) { m.require.emplace_back(n); });
        break;
      case CpimHeaderKind::kOther:
        m.extensions.push_back({std::string(h.prefix), std::string(h.name), h.Decoded(), std::string(h.params)});
        break;
    }
  }
  for (const auto& h : content_headers) m.content_headers.push_back({std::string(h.name), h.Unfolded()});
  m.content = std::string(content);
  return m;
}

Result<CpimView> ParseCpim(std::string_view body, const CpimLimits& limits) { return Parser(body, limits).Run(); }

// ---- Owning model ----

void CpimMessage::DeclareNamespace(std::string_view prefix, std::string_view urn) {
  for (const auto& n : namespaces) {
    if (n.prefix == prefix) return;
  }
  namespaces.push_back({std::string(prefix), std::string(urn)});
}

void CpimMessage::AddExtension(std::string_view prefix, std::string_view name, std::string_view value) {
  extensions.push_back({std::string(prefix), std::string(name), std::string(value), {}});
}

std::string CpimMessage::Extension(std::string_view prefix, std::string_view name) const {
  for (const auto& e : extensions) {
    if (e.prefix == prefix && e.name == name) return e.value;
  }
  return {};
}

void CpimMessage::SetContentHeader(std::string_view name, std::string_view value) {
  for (auto& h : content_headers) {
    if (IEquals(h.name, name)) {
      h.value = std::string(value);
      return;
    }
  }
  content_headers.push_back({std::string(name), std::string(value)});
}

std::string CpimMessage::ContentHeader(std::string_view name) const {
  for (const auto& h : content_headers) {
    if (IEquals(h.name, name)) return h.value;
  }
  return {};
}

}  // namespace parley::im
