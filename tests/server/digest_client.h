#pragma once
// Answers a digest challenge for tests: builds the Authorization /
// Proxy-Authorization value for a request from a 401/407.

#include <string>

#include "auth/digest.h"
#include "sip/message.h"

namespace parley::testing {

inline std::string AnswerChallenge(const sip::Message& challenge, std::string_view method, std::string_view uri,
                                   std::string_view user, std::string_view password, uint32_t nc = 1,
                                   std::string_view want_algorithm = "MD5") {
  sip::HeaderId id = challenge.status() == 401 ? sip::HeaderId::kWwwAuthenticate : sip::HeaderId::kProxyAuthenticate;
  for (const auto& h : challenge.headers()) {
    if (h.id != id) continue;
    auto f = sip::ParseAuthField(h.value);
    if (!f.ok()) continue;
    std::string alg = f->Param("algorithm").value_or("MD5");
    if (!IEquals(alg, want_algorithm)) continue;
    auth::Credentials c;
    c.username = std::string(user);
    c.realm = f->Param("realm").value_or("");
    c.nonce = f->Param("nonce").value_or("");
    c.uri = std::string(uri);
    c.qop = "auth";
    c.cnonce = "0a4f113b";
    char ncbuf[9];
    std::snprintf(ncbuf, sizeof(ncbuf), "%08x", nc);
    c.nc = ncbuf;
    c.algorithm = *auth::ParseAlgorithm(alg);
    std::string ha1 = auth::ComputeHa1(c.algorithm, c.username, c.realm, password);
    std::string resp = auth::ExpectedResponse(c, ha1, method);
    return "Digest username=\"" + c.username + "\", realm=\"" + c.realm + "\", nonce=\"" + c.nonce + "\", uri=\"" +
           c.uri + "\", response=\"" + resp + "\", algorithm=" + alg + ", qop=auth, nc=" + c.nc + ", cnonce=\"" +
           c.cnonce + "\"";
  }
  return {};
}

}  // namespace parley::testing
