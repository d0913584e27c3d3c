#include "sip/params.h"

namespace parley::sip {

std::optional<std::string_view> Params::Get(std::string_view name) const {
  std::optional<std::string_view> found;
  ForEach([&](std::string_view n, std::string_view v, bool) {
    if (IEquals(n, name)) {
      found = v;
      return false;
    }
    return true;
  });
  return found;
}

std::optional<std::string> Params::GetUnquoted(std::string_view name) const {
  auto v = Get(name);
  if (!v) return std::nullopt;
  if (!v->empty() && v->front() == '"') return UnquoteString(*v);
  return std::string(*v);
}

namespace {

// paramchar = param-unreserved / unreserved / escaped
// param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$"
bool IsUriParamText(std::string_view s) { return !s.empty() && IsEscapedSet(s, "[]/:&+$"); }

bool IsHeaderParamValue(std::string_view v) {
  if (v.empty()) return false;
  if (v.front() == '"') return ScanQuotedString(v, 0) == v.size();
  if (v.front() == '[') return v.back() == ']' && IsIpv6(v.substr(1, v.size() - 2));
  if (IsToken(v)) return true;
  // host = hostname / IPv4address / IPv6reference; a bare IPv6 address also
  // appears in Via received (RFC 5118 §4.5).
  return IsIpv6(v);
}

}  // namespace

bool ValidParams(std::string_view text, ParamSyntax syntax) {
  if (syntax == ParamSyntax::kHeader) {
    std::array<std::optional<std::string_view>, 0> none;
    if (ScanPlainHeaderParams<0>(text, {}, none)) return true;
  }
  return ValidParamsGeneral(text, syntax);
}

bool ValidParamsGeneral(std::string_view text, ParamSyntax syntax) {
  if (text.empty()) return true;
  size_t i = 0;
  if (syntax == ParamSyntax::kHeader) i = SkipLws(text, 0);
  if (i >= text.size() || text[i] != ';') return false;
  ++i;
  while (true) {
    size_t e = FindTopLevel(text, i, ';', false);
    if (e == std::string_view::npos) return false;
    std::string_view piece = text.substr(i, e - i);
    if (syntax == ParamSyntax::kHeader) piece = TrimLws(piece);
    if (piece.empty()) return false;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    if (syntax == ParamSyntax::kUri) {
      if (!IsUriParamText(name)) return false;
      if (eq != std::string_view::npos && !IsUriParamText(piece.substr(eq + 1))) return false;
    } else {
      name = TrimLws(name);
      if (!IsToken(name)) return false;
      if (eq != std::string_view::npos && !IsHeaderParamValue(TrimLws(piece.substr(eq + 1)))) {
        return false;
      }
    }
    if (e >= text.size()) return true;
    i = e + 1;
  }
}

}  // namespace parley::sip
