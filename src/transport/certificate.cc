#include "transport/certificate.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "transport/address.h"

namespace parley::transport {

namespace {

namespace fs = std::filesystem;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

Error OpenSslError(std::string what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return Error(EIO, what + ": " + buf);
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// subjectAltName built entry by entry, so a name cannot inject config syntax.
bool AddSubjectAltNames(X509* cert, const std::vector<std::string>& names) {
  NamesPtr gens(GENERAL_NAMES_new());
  if (!gens) return false;
  for (const auto& name : names) {
    GENERAL_NAME* gen = nullptr;
    if (SocketAddress::Parse(name, 0)) {
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
      if (ip == nullptr) return false;
      gen = GENERAL_NAME_new();
      if (gen == nullptr) {
        ASN1_OCTET_STRING_free(ip);
        return false;
      }
      GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      if (dns == nullptr || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
        ASN1_IA5STRING_free(dns);
        return false;
      }
      gen = GENERAL_NAME_new();
      if (gen == nullptr) {
        ASN1_IA5STRING_free(dns);
        return false;
      }
      GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
    }
    if (sk_GENERAL_NAME_push(gens.get(), gen) == 0) {
      GENERAL_NAME_free(gen);
      return false;
    }
  }
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) == 1;
}

Result<X509Ptr> MakeCertificate(EVP_PKEY* key, const std::vector<std::string>& names) {
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("X509_new");
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return OpenSslError("serial number");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>(names.front().c_str());
  if (X509_set_version(cert.get(), 2) != 1 ||  // v3
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), subject) != 1) {
    return OpenSslError("certificate fields");
  }
  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddSubjectAltNames(cert.get(), names)) {
    return OpenSslError("certificate extensions");
  }
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return OpenSslError("X509_sign");
  return cert;
}

// Writes a PEM file through `write` into path.tmp (created with `mode`),
// then renames it into place.
template <typename F>
Result<void> WritePem(const fs::path& path, mode_t mode, F write) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error(errno, tmp.string() + ": " + std::strerror(errno));
  BioPtr bio(BIO_new_fd(fd, BIO_CLOSE));
  if (!bio) {
    ::close(fd);
    return OpenSslError("BIO_new_fd");
  }
  bool ok = write(bio.get()) == 1 && BIO_flush(bio.get()) == 1;
  bio.reset();
  if (!ok) {
    ::unlink(tmp.c_str());
    return OpenSslError("writing " + path.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Error(ec.value(), path.string() + ": " + ec.message());
  return Ok();
}

}  // namespace

Result<void> EnsureSelfSignedCertificate(const std::string& dir, const std::vector<std::string>& names) {
  const fs::path cert_path = fs::path(dir) / "cert.pem";
  const fs::path key_path = fs::path(dir) / "key.pem";
  std::error_code ec;
  const bool have_cert = fs::exists(cert_path, ec);
  const bool have_key = fs::exists(key_path, ec);
  if (have_cert && have_key) return Ok();
  if (have_cert || have_key) {
    return Error(EEXIST, "only one of " + cert_path.string() + " and " + key_path.string() + " exists");
  }
  if (names.empty()) return Error(EINVAL, "a self-signed certificate needs at least one name");
  fs::create_directories(dir, ec);
  if (ec) return Error(ec.value(), dir + ": " + ec.message());

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return OpenSslError("EC P-256 key generation");
  auto cert = MakeCertificate(key.get(), names);
  if (!cert.ok()) return cert.take_error();

  // The key first: a crash in between leaves a key without a certificate,
  // which the next call reports instead of pairing a new cert with it.
  auto r = WritePem(key_path, 0600, [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!r.ok()) return r;
  return WritePem(cert_path, 0644, [&](BIO* bio) { return PEM_write_bio_X509(bio, cert->get()); });
}

}  // namespace parley::transport
