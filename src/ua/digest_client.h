#pragma once
// The client side of SIP digest authentication (RFC 3261 §22, RFC 7616
// MD5 / SHA-256, qop=auth or none): remembers the challenges of 401/407
// responses per realm and answers them, proactively on later requests too
// (with an increasing nonce count). The hashing is auth/digest.h's.

#include <cstdint>
#include <string>
#include <vector>

#include "auth/digest.h"
#include "sip/message.h"

namespace parley::ua {

class DigestClient {
 public:
  DigestClient(std::string user, std::string password) : user_(std::move(user)), password_(std::move(password)) {}

  enum class Outcome {
    kRetry,        // new challenge learned: resend the request with credentials
    kRejected,     // our credentials for a fresh challenge were refused: wrong user or password
    kUnsupported,  // no challenge we can answer (scheme, algorithm, qop)
  };

  // Learns the WWW-Authenticate / Proxy-Authenticate challenges of a 401 or
  // 407 to `request` (as it was sent). A challenge repeating the nonce our
  // credentials answered, without stale=true, means the password is wrong.
  Outcome OnChallenge(const sip::Message& request, const sip::Message& response);

  // Adds Authorization / Proxy-Authorization for every realm we hold a
  // challenge for (replacing any already there). The digest-uri is the
  // Request-URI.
  void Authorize(sip::Message& request);

  bool empty() const { return realms_.empty(); }
  void Forget() { realms_.clear(); }

 private:
  struct Realm {
    bool proxy = false;  // 407 / Proxy-Authenticate
    std::string realm, nonce, opaque;
    auth::Algorithm algorithm = auth::Algorithm::kMd5;
    bool qop_auth = false;
    uint32_t nc = 0;
  };

  std::string user_, password_;
  std::vector<Realm> realms_;
};

}  // namespace parley::ua
