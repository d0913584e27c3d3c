#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sip/response.h"
#include "test_util.h"
#include "transport/certificate.h"

namespace parley::transport::testing {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "parley-tls-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string path() const { return path_; }
  std::string file(const char* name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(CertificateTest, CreatesAPairOnceAndRefusesHalfAPair) {
  TempDir dir;
  std::string sub = dir.file("certs");  // created on demand
  ASSERT_TRUE(EnsureSelfSignedCertificate(sub, {"localhost", "127.0.0.1", "::1"}).ok());
  std::string cert = ReadAll(sub + "/cert.pem");
  std::string key = ReadAll(sub + "/key.pem");
  EXPECT_EQ(cert.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(key.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  struct stat st;
  ASSERT_EQ(::stat((sub + "/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_TRUE(EnsureSelfSignedCertificate(sub, {"other"}).ok());
  EXPECT_EQ(ReadAll(sub + "/cert.pem"), cert) << "an existing pair is kept";

  fs::remove(sub + "/key.pem");
  EXPECT_FALSE(EnsureSelfSignedCertificate(sub, {"localhost"}).ok());
  EXPECT_FALSE(EnsureSelfSignedCertificate(dir.file("empty"), {}).ok());
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(EnsureSelfSignedCertificate(dir_.path(), {"localhost", "127.0.0.1"}).ok());
  }

  TransportConfig ServerConfig() {
    TransportConfig c;
    c.listen = {Listen(Protocol::kTls, "127.0.0.1")};
    c.tls_cert_file = dir_.file("cert.pem");
    c.tls_key_file = dir_.file("key.pem");
    c.tls_verify = TlsVerify::kNone;
    return c;
  }

  TransportConfig ClientConfig() {
    TransportConfig c;
    c.tls_verify = TlsVerify::kCaFile;
    c.tls_ca_file = dir_.file("cert.pem");  // trust the self-signed certificate
    return c;
  }

  TempDir dir_;
};

TEST_F(TlsTest, HandshakeAndRoundTripBothWays) {
  Node server(ServerConfig());
  ASSERT_TRUE(server.Start().ok());
  Node client(ClientConfig());
  ASSERT_TRUE(client.Start().ok());
  SocketAddress address = server.bound(Protocol::kTls);

  std::string request = Request(1, "TLS", "client.invalid", "over tls");
  EXPECT_FALSE(client.Send({Protocol::kTls, address, 0, "localhost", {}}, request));
  auto in = server.inbox.Pop();
  ASSERT_TRUE(in);
  EXPECT_EQ(in->source.protocol, Protocol::kTls);
  EXPECT_NE(in->source.flow, 0u);
  EXPECT_EQ(in->message->body(), "over tls");
  EXPECT_EQ(in->message->top_via()->received(), "127.0.0.1");

  auto to = ResponseDestination(*in->message->top_via(), in->source);
  ASSERT_TRUE(to);
  EXPECT_EQ(to->protocol, Protocol::kTls);
  EXPECT_FALSE(server.Send(*to, sip::MakeResponse(*in->message, 200)->Serialize()));
  auto response = client.inbox.Pop();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->message->status(), 200);
  EXPECT_EQ(response->source.protocol, Protocol::kTls);
  EXPECT_EQ(response->source.remote, address);

  // Verification by IP address (in the subjectAltName) works too.
  EXPECT_FALSE(client.Send({Protocol::kTls, address, 0, "", {}}, Request(2, "TLS")));
  ASSERT_TRUE(server.inbox.Pop());

  auto server_stats = server.transport().Stats()[Protocol::kTls];
  EXPECT_EQ(server_stats.connections_accepted, 2u);
  EXPECT_EQ(server_stats.messages_in, 2u);
  EXPECT_EQ(server_stats.messages_out, 1u);
  EXPECT_EQ(client.transport().Stats()[Protocol::kTls].connections_connected, 2u);
  EXPECT_EQ(client.transport().Stats()[Protocol::kTcp].connections_connected, 0u);
}

TEST_F(TlsTest, WrongServerNameFailsVerification) {
  Node server(ServerConfig());
  ASSERT_TRUE(server.Start().ok());
  Node client(ClientConfig());
  ASSERT_TRUE(client.Start().ok());
  auto ec = client.Send({Protocol::kTls, server.bound(Protocol::kTls), 0, "wrong.example", {}}, Request(1, "TLS"));
  EXPECT_TRUE(ec);
  EXPECT_EQ(client.transport().Stats()[Protocol::kTls].connections_failed, 1u);
  EXPECT_EQ(server.inbox.size(), 0u);
}

TEST_F(TlsTest, KeepAliveOverTls) {
  Node server(ServerConfig());
  ASSERT_TRUE(server.Start().ok());
  Node client(ClientConfig());
  ASSERT_TRUE(client.Start().ok());
  Destination to{Protocol::kTls, server.bound(Protocol::kTls), 0, "localhost", {}};
  EXPECT_FALSE(client.Send(to, "\r\n\r\n"));
  ASSERT_TRUE(WaitFor([&] { return server.transport().Stats()[Protocol::kTls].keepalive_pings == 1; }));
  ASSERT_TRUE(WaitFor([&] { return server.transport().Stats()[Protocol::kTls].bytes_out == 2; }));
}

TEST_F(TlsTest, StartFailsWithABadCertificatePath) {
  TransportConfig config = ServerConfig();
  config.tls_cert_file = dir_.file("missing.pem");
  Node server(std::move(config));
  auto r = server.Start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("TLS 127.0.0.1:0"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("missing.pem"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace parley::transport::testing
