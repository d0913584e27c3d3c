#pragma once
// Credentials whose HA1s are one character repeated (for tests of the
// structures that hold them; no digest is computed over these).

#include <string>

#include "aaa/user_directory.h"

namespace parley::aaa {

inline UserCredentials FilledCredentials(char fill, bool enabled = true) {
  store::UserRecord r;
  r.aor = "x@example.com";
  r.ha1_md5 = std::string(32, fill);
  r.ha1_sha256 = std::string(64, fill);
  r.enabled = enabled;
  return UserCredentials(r);
}

}  // namespace parley::aaa
