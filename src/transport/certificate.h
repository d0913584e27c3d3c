#pragma once
// A self-signed certificate for the server's embedded default TLS setup.

#include <string>
#include <vector>

#include "common/result.h"

namespace parley::transport {

// Creates `dir`/cert.pem and `dir`/key.pem (EC P-256, SHA-256, valid one
// year, CN = names[0], subjectAltName = every name: IP literals as IP
// entries, the rest as DNS entries) unless both exist already. Fails when
// only one of them exists (it will not overwrite half a pair), when `names`
// is empty, or on any file or OpenSSL error. The key file is mode 0600.
Result<void> EnsureSelfSignedCertificate(const std::string& dir, const std::vector<std::string>& names);

}  // namespace parley::transport
