#include <gtest/gtest.h>

#include <thread>

#include "http_client.h"

#include "common/metrics.h"
#include "server/http_server.h"

namespace parley::server {
namespace {

namespace asio = boost::asio;

using testing::HttpRaw;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(io_, *transport::SocketAddress::Parse("127.0.0.1", 0));
    server_->Route("GET", "/healthz", [](const HttpRequest&, HttpReply reply) {
      reply(HttpResponse::Text(200, "ok\n"));
    });
    server_->Route("GET", "/echo/", [](const HttpRequest& req, HttpReply reply) {
      // Reply from another thread, as handlers that post to a shard do.
      std::thread([req, reply] { reply(HttpResponse::Json(200, "{\"q\":\"" + req.QueryParam("q") + "\"}")); })
          .detach();
    });
    ASSERT_TRUE(server_->Start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); });
    io_.stop();
    thread_.join();
  }
  asio::io_context io_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(HttpServerTest, HealthzAndAsyncReply) {
  auto r = HttpRaw(server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK")) << r;
  EXPECT_NE(r.find("\r\n\r\nok\n"), std::string::npos);
  auto e = HttpRaw(server_->port(), "GET /echo/x?q=a%20b+c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(e.find("application/json"), std::string::npos);
  EXPECT_NE(e.find("{\"q\":\"a b c\"}"), std::string::npos) << e;
}

TEST_F(HttpServerTest, NotFoundMethodNotAllowedAndGarbage) {
  EXPECT_TRUE(HttpRaw(server_->port(), "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(HttpRaw(server_->port(), "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                  .starts_with("HTTP/1.1 405"));
  EXPECT_TRUE(HttpRaw(server_->port(), "BLAH\r\n\r\n").starts_with("HTTP/1.1 400"));
}

TEST(Metrics, CountersAndGaugesRender) {
  metrics::Registry reg;
  auto& c = reg.GetCounter("parley_test_total", "A test counter", "kind=\"a\"");
  c.Add(2);
  metrics::SetCurrentShard(3);
  c.Add(5);
  metrics::SetCurrentShard(0);
  reg.GetCounter("parley_test_total", "A test counter", "kind=\"b\"").Add();
  reg.AddGauge("parley_gauge", "A gauge", [] { return 1.5; });
  std::string text = reg.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE parley_test_total counter\nparley_test_total{kind=\"a\"} 7\nparley_test_total{kind=\"b\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parley_gauge 1.5"), std::string::npos);
  EXPECT_EQ(&reg.GetCounter("parley_test_total", "", "kind=\"a\""), &c);
}

}  // namespace
}  // namespace parley::server
