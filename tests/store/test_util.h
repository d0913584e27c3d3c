#pragma once

#include <gtest/gtest.h>

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

// Every field of a binding read back equals the one written.
inline void ExpectSameBinding(const store::Binding& got, const store::Binding& want) {
  EXPECT_EQ(got.aor, want.aor);
  EXPECT_EQ(got.contact_uri, want.contact_uri);
  EXPECT_EQ(got.contact_params, want.contact_params);
  EXPECT_EQ(got.instance, want.instance);
  EXPECT_EQ(got.reg_id, want.reg_id);
  EXPECT_EQ(got.q, want.q);
  EXPECT_EQ(got.expires_at, want.expires_at);
  EXPECT_EQ(got.call_id, want.call_id);
  EXPECT_EQ(got.cseq, want.cseq);
  EXPECT_EQ(got.first_cseq, want.first_cseq);
  EXPECT_EQ(got.path, want.path);
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.user_agent, want.user_agent);
  EXPECT_EQ(got.updated_at, want.updated_at);
}

}  // namespace parley::testing
