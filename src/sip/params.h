#pragma once
// A ';'-separated parameter list exactly as written (URI parameters, or
// header parameters such as Via's branch or a Contact's expires). Lookups
// scan the text: lists are short and scanning avoids any allocation.

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "sip/lex.h"

namespace parley::sip {

class Params {
 public:
  Params() = default;
  // `text` starts at the first ';' (or is empty).
  explicit Params(std::string_view text) : text_(text) {}

  std::string_view text() const { return text_; }
  bool empty() const { return text_.empty(); }

  // The value of parameter `name` (case-insensitive) trimmed of LWS, quotes
  // kept; an empty view for a parameter without a value; nullopt if absent.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Several lookups in one scan: out[k] is what Get(names[k]) returns.
  template <size_t N>
  void GetAll(const std::array<std::string_view, N>& names, std::array<std::optional<std::string_view>, N>& out) const {
    ForEach([&](std::string_view n, std::string_view v, bool) {
      for (size_t k = 0; k < N; ++k) {
        if (!out[k] && IEquals(n, names[k])) out[k] = v;
      }
      return true;
    });
  }
  // Value with surrounding quotes and quoted-pairs removed.
  std::optional<std::string> GetUnquoted(std::string_view name) const;

  // Calls f(name, value, has_value) for each parameter in order; stops early
  // when f returns false.
  template <typename F>
  void ForEach(F&& f) const {
    size_t i = 0;
    while (i < text_.size()) {
      size_t e = FindTopLevel(text_, i, ';', false);
      if (e == std::string_view::npos) e = text_.size();
      std::string_view piece = TrimLws(text_.substr(i, e - i));
      if (!piece.empty()) {
        size_t eq = piece.find('=');
        if (eq == std::string_view::npos) {
          if (!f(piece, std::string_view(), false)) return;
        } else {
          if (!f(TrimLws(piece.substr(0, eq)), TrimLws(piece.substr(eq + 1)), true)) return;
        }
      }
      i = e + 1;
    }
  }

 private:
  std::string_view text_;
};

enum class ParamSyntax {
  kUri,     // uri-parameter: paramchar names and values, no LWS, no quotes
  kHeader,  // generic-param: token [ EQUAL ( token / host / quoted-string ) ]
};

// Validates a parameter list (starting at ';'). Empty parameters (";;") and
// characters outside the grammar are errors.
bool ValidParams(std::string_view text, ParamSyntax syntax);
// The same without the one-pass shortcut below (the fuzzer compares them).
bool ValidParamsGeneral(std::string_view text, ParamSyntax syntax);

// One pass over a header parameter list written plainly: ';'-separated
// tokens, each with an optional "=token" value, no LWS and no quotes (what
// almost every Via, From, To and Contact carries). true: the list is valid
// as ValidParams(text, kHeader) says and out[k] is what Params(text).Get(names[k])
// returns. false says nothing about validity: the list has something else
// (quotes, LWS, an IPv6 value, an empty parameter ...) and the general
// functions must look at it; `out` is then unspecified.
template <size_t N>
bool ScanPlainHeaderParams(std::string_view text, const std::array<std::string_view, N>& names,
                           std::array<std::optional<std::string_view>, N>& out) {
  const size_t n = text.size();
  if (n < 2 || text[0] != ';') return false;
  size_t i = 1;
  while (true) {
    const size_t name_begin = i;
    while (i < n && IsTokenChar(text[i])) ++i;
    if (i == name_begin) return false;
    const std::string_view name = text.substr(name_begin, i - name_begin);
    std::string_view value;
    if (i < n && text[i] == '=') {
      const size_t value_begin = ++i;
      while (i < n && IsTokenChar(text[i])) ++i;
      if (i == value_begin) return false;
      value = text.substr(value_begin, i - value_begin);
    }
    for (size_t k = 0; k < N; ++k) {
      if (!out[k] && name.size() == names[k].size() && IEquals(name, names[k])) out[k] = value;
    }
    if (i == n) return true;
    if (text[i] != ';') return false;
    ++i;
  }
}

}  // namespace parley::sip
