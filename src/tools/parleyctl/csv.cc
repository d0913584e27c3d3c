#include "tools/parleyctl/csv.h"

#include <unordered_map>

#include "common/strings.h"
#include "store/names.h"

namespace parley::ctl {
namespace {

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

struct Field {
  std::string text;
  bool quoted = false;
};

// Splits one record; false (with `why`) on a malformed quote.
bool SplitFields(std::string_view line, std::vector<Field>* fields, std::string* why) {
  fields->clear();
  size_t i = 0;
  for (;;) {
    Field field;
    std::string& text = field.text;
    size_t start = i;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] == '"') {
      field.quoted = true;
      ++i;
      for (;;) {
        if (i >= line.size()) {
          *why = "unterminated quote";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            text.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        text.push_back(line[i++]);
      }
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i < line.size() && line[i] != ',') {
        *why = "text after a closing quote";
        return false;
      }
    } else {
      i = start;
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') {
          *why = "quote inside an unquoted field";
          return false;
        }
        text.push_back(line[i++]);
      }
    }
    fields->push_back(std::move(field));
    if (i >= line.size()) return true;
    ++i;  // the comma
  }
}

}  // namespace

CsvUsers ParseUserCsv(std::string_view text) {
  CsvUsers out;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM
  std::unordered_map<std::string, size_t> first_line_of;
  std::vector<Field> fields;
  std::string why;
  bool first_record = true;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (IsBlank(line)) continue;
    bool header_candidate = first_record;
    first_record = false;
    auto bad = [&](std::string reason) { out.bad.push_back({line_no, std::move(reason)}); };
    if (!SplitFields(line, &fields, &why)) {
      bad(why);
      continue;
    }
    std::string_view aor_field = Trim(fields[0].text);
    if (header_candidate && aor_field.find('@') == std::string_view::npos) continue;  // header
    if (fields.size() != 2) {
      bad("expected 2 fields (aor,password), found " + std::to_string(fields.size()));
      continue;
    }
    auto aor = store::NormalizeAor(aor_field);
    if (!aor.ok()) {
      bad(aor.error().message);
      continue;
    }
    const std::string& password = fields[1].text;
    if (password.empty()) {
      bad("empty password");
      continue;
    }
    if (!fields[1].quoted && Trim(password).size() != password.size()) {
      bad("password has leading or trailing blanks (quote it to keep them)");
      continue;
    }
    auto [it, inserted] = first_line_of.try_emplace(*aor, line_no);
    if (!inserted) {
      bad("duplicate of line " + std::to_string(it->second) + " (" + *aor + ")");
      continue;
    }
    out.users.push_back({line_no, std::move(*aor), password});
  }
  return out;
}

}  // namespace parley::ctl
