#pragma once

#include <cstdio>
#include <string>

#include "store/store.h"

namespace parley::testing {

// A user with fake (but well-formed) HA1s derived from `n`.
inline store::UserRecord TestUser(const std::string& aor, unsigned long long n = 1) {
  char md5[40], sha[72];
  std::snprintf(md5, sizeof(md5), "%032llx", n);
  std::snprintf(sha, sizeof(sha), "%064llx", n);
  store::UserRecord u;
  u.aor = aor;
  u.ha1_md5 = md5;
  u.ha1_sha256 = sha;
  return u;
}

inline store::Binding TestBinding(const std::string& aor, const std::string& contact, int64_t expires_at) {
  store::Binding b;
  b.aor = aor;
  b.contact_uri = contact;
  b.contact_params = ";expires=3600";
  b.expires_at = expires_at;
  b.call_id = "call-" + contact;
  b.cseq = 1;
  b.source = "udp:127.0.0.1:5060";
  b.updated_at = expires_at - 3600;
  return b;
}

}  // namespace parley::testing
