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

}  // namespace parley::sip
