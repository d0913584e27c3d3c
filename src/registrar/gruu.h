#pragma once
// GRUUs (RFC 5627): URIs that reach one device (instance) of a user.
//
// * public GRUU: the AOR with the instance in a "gr" parameter,
//   sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6
// * temporary GRUU: sip:tgruu.<token>@example.com;gr, where the token is the
//   AOR, the instance and a hash of the registration's Call-ID sealed with
//   AES-256-GCM under a key every node derives from the store's shared
//   secret. Nothing is stored per GRUU: a token stays valid while the
//   instance keeps a binding registered with that Call-ID (§3.2), and no
//   one without the key can tell whose it is or make one.
//
// Pure: no clock, no I/O (the IV comes from the caller's randomness).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/uri.h"

namespace parley::registrar {

// What a temporary GRUU stands for.
struct TempGruu {
  std::string aor;       // "user@host", as sip::AorKey
  std::string instance;  // the +sip.instance value, "<urn:…>"
  std::array<uint8_t, 8> call_id_hash{};
};

// 8 bytes of SHA-256 of a Call-ID: what a temporary GRUU binds to.
std::array<uint8_t, 8> CallIdHash(std::string_view call_id);

// Whether a +sip.instance value ("<urn:…>") can name a GRUU: a URN whose
// characters may stand in a URI parameter unescaped, at most 256 bytes.
bool GruuInstance(std::string_view instance);

// "sip:<aor>;gr=<instance without the angle brackets>".
std::string PublicGruu(std::string_view aor, std::string_view instance);

class GruuCodec {
 public:
  static constexpr std::string_view kUserPrefix = "tgruu.";

  // `secret`: any length; the key is derived from it.
  explicit GruuCodec(std::string_view secret);

  // "sip:tgruu.<token>@<domain>;gr" for the binding (`iv`: 12 fresh random
  // bytes). Empty when the AOR or instance is too long to carry (> 256 bytes).
  std::string Mint(std::string_view aor, std::string_view instance, std::string_view call_id,
                   const std::array<uint8_t, 12>& iv) const;

  // The binding a temporary GRUU's user part stands for; nullopt unless it
  // is one this key sealed (any change to it is refused).
  std::optional<TempGruu> Open(std::string_view user) const;

  // Open, for a Request-URI: a SIP URI in the domain of the GRUU, with a
  // bare "gr" parameter or none (not a public GRUU's "gr=…").
  std::optional<TempGruu> OpenUri(const sip::Uri& uri) const;

 private:
  std::array<uint8_t, 32> key_{};
};

}  // namespace parley::registrar
