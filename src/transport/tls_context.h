#pragma once
// OpenSSL contexts for the transport (internal).

#include <memory>

#include "common/result.h"
#include "runtime/asio.h"
#include "transport/config.h"

namespace parley::transport::internal {

// TLS 1.2+ server context with the configured certificate chain and key.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeServerTlsContext(const TransportConfig& config);
// TLS 1.2+ client context with the trust store tls_verify asks for. The name
// check itself is set per connection.
Result<std::unique_ptr<boost::asio::ssl::context>> MakeClientTlsContext(const TransportConfig& config);

}  // namespace parley::transport::internal
