#include "ua/digest_client.h"

#include <algorithm>
#include <cstdio>

#include "common/strings.h"
#include "sip/fields.h"
#include "sip/lex.h"

namespace parley::ua {

namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// True when a comma/space separated qop-options list offers "auth".
bool OffersAuth(std::string_view qop) {
  size_t i = 0;
  while (i < qop.size()) {
    size_t e = qop.find_first_of(", ", i);
    if (e == std::string_view::npos) e = qop.size();
    if (IEquals(qop.substr(i, e - i), "auth")) return true;
    i = e + 1;
  }
  return false;
}

struct Challenge {
  std::string realm, nonce, opaque;
  auth::Algorithm algorithm = auth::Algorithm::kMd5;
  bool qop_auth = false;
  bool stale = false;
};

// Parses one challenge; false when we cannot answer it.
bool ParseChallenge(std::string_view value, Challenge& out) {
  auto field = sip::ParseAuthField(value);
  if (!field.ok() || !IEquals(field->scheme, "Digest")) return false;
  auto realm = field->Param("realm");
  auto nonce = field->Param("nonce");
  if (!realm || !nonce) return false;
  auto alg = auth::ParseAlgorithm(field->Param("algorithm").value_or(""));
  if (!alg) return false;
  out.realm = *realm;
  out.nonce = *nonce;
  out.opaque = field->Param("opaque").value_or("");
  out.algorithm = *alg;
  if (auto qop = field->Param("qop")) {
    if (!OffersAuth(*qop)) return false;  // only auth-int offered
    out.qop_auth = true;
  }
  out.stale = IEquals(field->Param("stale").value_or(""), "true");
  return true;
}

// The nonce our credentials for `realm` carried in `request`, if any.
std::string NonceSent(const sip::Message& request, sip::HeaderId id, const std::string& realm) {
  for (const auto& h : request.headers()) {
    if (h.id != id) continue;
    auto c = auth::ParseCredentials(h.value);
    if (c.ok() && c->realm == realm) return c->nonce;
  }
  return {};
}

}  // namespace

DigestClient::Outcome DigestClient::OnChallenge(const sip::Message& request, const sip::Message& response) {
  bool learned = false;
  bool rejected = false;
  for (bool proxy : {false, true}) {
    sip::HeaderId challenge_id = proxy ? sip::HeaderId::kProxyAuthenticate : sip::HeaderId::kWwwAuthenticate;
    sip::HeaderId creds_id = proxy ? sip::HeaderId::kProxyAuthorization : sip::HeaderId::kAuthorization;
    // RFC 7616 §3.7: several challenges for one realm in order of preference;
    // take the strongest we support (SHA-256 over MD5).
    std::vector<Challenge> best;
    for (const auto& h : response.headers()) {
      if (h.id != challenge_id) continue;
      Challenge c;
      if (!ParseChallenge(h.value, c)) continue;
      auto it = std::find_if(best.begin(), best.end(), [&](const Challenge& b) { return b.realm == c.realm; });
      if (it == best.end()) {
        best.push_back(std::move(c));
      } else if (c.algorithm == auth::Algorithm::kSha256 && it->algorithm != auth::Algorithm::kSha256) {
        *it = std::move(c);
      }
    }
    for (auto& c : best) {
      std::string sent = NonceSent(request, creds_id, c.realm);
      if (!sent.empty() && sent == c.nonce && !c.stale) {
        rejected = true;
        continue;
      }
      auto it = std::find_if(realms_.begin(), realms_.end(),
                             [&](const Realm& r) { return r.proxy == proxy && r.realm == c.realm; });
      if (it == realms_.end()) it = realms_.insert(realms_.end(), Realm{});
      *it = Realm{proxy, c.realm, c.nonce, c.opaque, c.algorithm, c.qop_auth, 0};
      learned = true;
    }
  }
  if (rejected) return Outcome::kRejected;
  return learned ? Outcome::kRetry : Outcome::kUnsupported;
}

void DigestClient::Authorize(sip::Message& request) {
  request.RemoveAll(sip::HeaderId::kAuthorization);
  request.RemoveAll(sip::HeaderId::kProxyAuthorization);
  std::string uri(request.request_uri_text());
  for (auto& r : realms_) {
    auth::Credentials c;
    c.username = user_;
    c.realm = r.realm;
    c.nonce = r.nonce;
    c.uri = uri;
    c.algorithm = r.algorithm;
    c.opaque = r.opaque;
    if (r.qop_auth) {
      char nc[9];
      std::snprintf(nc, sizeof(nc), "%08x", ++r.nc);
      c.nc = nc;
      c.nonce_count = r.nc;
      c.qop = "auth";
      c.cnonce = Hex(auth::RandomBytes(8));
    }
    std::string ha1 = auth::ComputeHa1(r.algorithm, user_, r.realm, password_);
    std::string response = auth::ExpectedResponse(c, ha1, request.method_text());
    std::string v = "Digest username=\"" + user_ + "\", realm=\"" + r.realm + "\", nonce=\"" + r.nonce +
                    "\", uri=\"" + uri + "\", response=\"" + response + "\", algorithm=" +
                    std::string(auth::AlgorithmName(r.algorithm));
    if (r.qop_auth) v += ", cnonce=\"" + c.cnonce + "\", qop=auth, nc=" + c.nc;
    if (!r.opaque.empty()) v += ", opaque=\"" + r.opaque + "\"";
    request.AddHeader(r.proxy ? sip::HeaderId::kProxyAuthorization : sip::HeaderId::kAuthorization, v);
  }
}

}  // namespace parley::ua
