#include "transport/tls_context.h"

#include <openssl/ssl.h>

#include <cerrno>
#include <string>

namespace parley::transport::internal {

namespace {

namespace ssl = boost::asio::ssl;

Result<std::unique_ptr<ssl::context>> NewContext(ssl::context::method method) {
  try {  // the constructor throws if OpenSSL cannot allocate a context
    auto ctx = std::make_unique<ssl::context>(method);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                     ec);
    if (ec) return Error(EINVAL, "TLS options: " + ec.message());
    return ctx;
  } catch (const boost::system::system_error& e) {
    return Error(ENOMEM, std::string("TLS context: ") + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<ssl::context>> MakeServerTlsContext(const TransportConfig& config) {
  if (config.tls_cert_file.empty() || config.tls_key_file.empty()) {
    return Error(EINVAL, "TLS listen point without tls_cert_file/tls_key_file");
  }
  auto ctx = NewContext(ssl::context::tls_server);
  if (!ctx.ok()) return ctx;
  boost::system::error_code ec;
  (*ctx)->use_certificate_chain_file(config.tls_cert_file, ec);
  if (ec) return Error(EINVAL, "TLS certificate " + config.tls_cert_file + ": " + ec.message());
  (*ctx)->use_private_key_file(config.tls_key_file, ssl::context::pem, ec);
  if (ec) return Error(EINVAL, "TLS key " + config.tls_key_file + ": " + ec.message());
  if (SSL_CTX_check_private_key((*ctx)->native_handle()) != 1) {
    return Error(EINVAL, "TLS key " + config.tls_key_file + " does not match " + config.tls_cert_file);
  }
  return ctx;
}

Result<std::unique_ptr<ssl::context>> MakeClientTlsContext(const TransportConfig& config) {
  auto ctx = NewContext(ssl::context::tls_client);
  if (!ctx.ok()) return ctx;
  boost::system::error_code ec;
  switch (config.tls_verify) {
    case TlsVerify::kNone:
      (*ctx)->set_verify_mode(ssl::verify_none, ec);
      break;
    case TlsVerify::kSystemCas:
      (*ctx)->set_default_verify_paths(ec);
      if (ec) return Error(EINVAL, "TLS system trust store: " + ec.message());
      (*ctx)->set_verify_mode(ssl::verify_peer, ec);
      break;
    case TlsVerify::kCaFile:
      (*ctx)->load_verify_file(config.tls_ca_file, ec);
      if (ec) return Error(EINVAL, "TLS CA file " + config.tls_ca_file + ": " + ec.message());
      (*ctx)->set_verify_mode(ssl::verify_peer, ec);
      break;
  }
  if (ec) return Error(EINVAL, "TLS verify mode: " + ec.message());
  return ctx;
}

}  // namespace parley::transport::internal
