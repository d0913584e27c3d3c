#include "ua/pres_rules.h"

#include "presence/rules/edit.h"

namespace parley::ua {

bool ValidSubHandling(std::string_view a) { return presence::rules::ParseSubHandling(a).has_value(); }

Result<std::string> SetPresRule(std::string_view document, const std::string& watcher, const std::string& action) {
  auto handling = presence::rules::ParseSubHandling(action);
  if (!handling) return Error(2, "unknown action " + action);
  return presence::rules::SetWatcherRule(document, watcher, *handling);
}

std::string XcapUserDocumentUri(std::string_view xcap_root, std::string_view auid, std::string_view aor_uri) {
  std::string out(xcap_root);
  while (!out.empty() && out.back() == '/') out.pop_back();
  out.append("/").append(auid).append("/users/");
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : aor_uri) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '.' || c == '_' || c == '~' || c == ':' || c == '@';
    if (plain) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "/index";
}

}  // namespace parley::ua
