// XcapServer node operations (RFC 4825 node selectors) against a real
// SQLite store through the StoreExecutor.

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "store/executor.h"
#include "xcap/xcap.h"

namespace parley::xcap {
namespace server_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDocPath = "/pres-rules/users/sip:alice@example.com/index";
constexpr const char* kRulesType = "application/auth-policy+xml";
constexpr const char* kElType = "application/xcap-el+xml";
constexpr const char* kAttType = "application/xcap-att+xml";
constexpr const char* kPrBinding = "xmlns(pr=urn:ietf:params:xml:ns:pres-rules)";

// Common policy is the default namespace here.
constexpr const char* kServerDoc = R"(<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <rule id="a"><conditions><identity><one id="sip:bob@example.com"/></identity></conditions><actions><pr:sub-handling>allow</pr:sub-handling></actions></rule>
  <rule id="b"><actions><pr:sub-handling>block</pr:sub-handling></actions></rule>
</ruleset>)";

std::string Rule(const std::string& id, const std::string& handling = "allow") {
  return "<rule id=\"" + id + "\"><actions><pr:sub-handling>" + handling + "</pr:sub-handling></actions></rule>";
}

class XcapNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xcap_nodes_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    executor_ = std::make_unique<store::StoreExecutor>(store::StoreConfig{"sqlite:" + (dir_ / "x.db").string(), false});
    ASSERT_TRUE(executor_->Start().ok());
    server_ = std::make_unique<XcapServer>(*executor_);
    server_->AddUsage(PresRulesUsage());
  }
  void TearDown() override {
    server_.reset();
    if (executor_) executor_->Stop();
    executor_.reset();
    fs::remove_all(dir_);
  }

  struct Call {
    std::string method{};
    std::string selector{};
    std::string body{};
    std::string content_type{};
    std::string if_match{};
    std::string if_none_match{};
    std::string query{};
    std::string user = "alice@example.com";
    std::string path = kDocPath;
  };

  std::future<XcapResponse> Start(const Call& c) {
    XcapRequest req;
    req.method = c.method;
    req.path = c.path + (c.selector.empty() ? "" : "/~~/" + c.selector);
    req.query = c.query;
    req.user = c.user;
    req.content_type = c.content_type;
    req.if_match = c.if_match;
    req.if_none_match = c.if_none_match;
    req.body = c.body;
    auto promise = std::make_shared<std::promise<XcapResponse>>();
    auto f = promise->get_future();
    server_->Handle(std::move(req), [promise](XcapResponse r) { promise->set_value(std::move(r)); });
    return f;
  }
  XcapResponse Do(const Call& c) { return Start(c).get(); }

  // Puts kServerDoc; returns its ETag.
  std::string Seed() {
    auto r = Do({.method = "PUT", .body = kServerDoc, .content_type = kRulesType});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.etag;
  }
  std::string Document() { return Do({.method = "GET"}).body; }

  fs::path dir_;
  std::unique_ptr<store::StoreExecutor> executor_;
  std::unique_ptr<XcapServer> server_;
};

TEST_F(XcapNodes, GetElementAndAttribute) {
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset/rule%5B1%5D"}).status, 404);  // no document yet
  std::string etag = Seed();
  auto el = Do({.method = "GET", .selector = "ruleset/rule%5B%40id=%22b%22%5D"});
  ASSERT_EQ(el.status, 200) << el.body;
  EXPECT_EQ(el.content_type, kElType);
  EXPECT_EQ(el.body, Rule("b", "block"));
  EXPECT_EQ(el.etag, etag);  // the document's entity tag
  auto att = Do({.method = "GET", .selector = "ruleset/rule[1]/conditions/identity/one/%40id"});
  ASSERT_EQ(att.status, 200);
  EXPECT_EQ(att.content_type, kAttType);
  EXPECT_EQ(att.body, "sip:bob@example.com");
  auto sh = Do({.method = "GET", .selector = "ruleset/rule[2]/actions/pr:sub-handling", .query = kPrBinding});
  ASSERT_EQ(sh.status, 200) << sh.body;
  EXPECT_EQ(sh.body, "<pr:sub-handling>block</pr:sub-handling>");

  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset/rule"}).status, 404);  // two
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset/rule[3]"}).status, 404);
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset/rule[2]/actions/pr:sub-handling"}).status, 400);  // unbound
  auto bad = Do({.method = "GET", .selector = "ruleset/rule[0]"});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("positions start at 1"), std::string::npos) << bad.body;
  EXPECT_EQ(Do({.method = "GET", .selector = std::string(2000, 'a')}).status, 414);
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset", .query = "bogus(x)"}).status, 400);
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset/namespace::*"}).status, 501);
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset", .if_none_match = etag}).status, 304);
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset", .if_match = "\"stale\""}).status, 412);
  EXPECT_EQ(Do({.method = "GET", .selector = "ruleset", .user = "bob@example.com"}).status, 403);
}

TEST_F(XcapNodes, PutCreatesAndReplaces) {
  std::string etag = Seed();
  auto created = Do({.method = "PUT", .selector = "ruleset/rule%5B%40id=%22c%22%5D", .body = Rule("c"),
                     .content_type = kElType, .if_match = etag});
  ASSERT_EQ(created.status, 201) << created.body;
  ASSERT_FALSE(created.etag.empty());
  EXPECT_NE(created.etag, etag);
  auto doc = Do({.method = "GET"});
  EXPECT_EQ(doc.etag, created.etag);
  EXPECT_NE(doc.body.find(Rule("c")), std::string::npos) << doc.body;

  auto replaced = Do({.method = "PUT", .selector = "ruleset/rule[@id='c']/actions/pr:sub-handling",
                      .body = "<pr:sub-handling>confirm</pr:sub-handling>", .content_type = kElType,
                      .query = "xmlns(pr=urn:ietf:params:xml:ns:pres-rules)"});
  ASSERT_EQ(replaced.status, 200) << replaced.body;
  EXPECT_NE(Document().find(Rule("c", "confirm")), std::string::npos);

  auto att = Do({.method = "PUT", .selector = "ruleset/rule[@id='c']/@id", .body = "c", .content_type = kAttType});
  EXPECT_EQ(att.status, 200) << att.body;
  auto new_att = Do({.method = "PUT", .selector = "ruleset/rule[@id='c']/conditions", .body = "<conditions/>",
                     .content_type = kElType});
  EXPECT_EQ(new_att.status, 201) << new_att.body;
}

TEST_F(XcapNodes, PutErrors) {
  auto conflict = [](const XcapResponse& r, const std::string& element) {
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.content_type, "application/xcap-error+xml");
    EXPECT_NE(r.body.find("<" + element), std::string::npos) << r.body;
  };
  // No document: nowhere to put the element.
  conflict(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = Rule("c"), .content_type = kElType}),
           "no-parent");
  std::string etag = Seed();
  EXPECT_EQ(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = Rule("c"), .content_type = kRulesType})
                .status,
            415);
  EXPECT_EQ(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']/@id", .body = "c", .content_type = kElType})
                .status,
            415);
  conflict(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = Rule("d"), .content_type = kElType}),
           "cannot-insert");
  conflict(Do({.method = "PUT", .selector = "ruleset/nope/rule", .body = Rule("d"), .content_type = kElType}),
           "no-parent");
  conflict(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = "<rule", .content_type = kElType}),
           "not-xml-frag");
  conflict(Do({.method = "PUT", .selector = "ruleset/rule[1]/@id", .body = "<", .content_type = kAttType}),
           "not-xml-att-value");
  // Valid fragments that make an invalid document.
  conflict(Do({.method = "PUT", .selector = "ruleset/foo", .body = "<foo/>", .content_type = kElType}),
           "schema-validation-error");
  conflict(Do({.method = "PUT", .selector = "ruleset/rule[2]/@id", .body = "a", .content_type = kAttType}),
           "schema-validation-error");  // duplicate rule id
  EXPECT_EQ(Do({.method = "GET"}).etag, etag);  // nothing was written

  EXPECT_EQ(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = Rule("c"), .content_type = kElType,
                .if_match = "\"stale\""})
                .status,
            412);
  EXPECT_EQ(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = Rule("c"), .content_type = kElType,
                .if_none_match = "*"})
                .status,
            412);
  EXPECT_EQ(Do({.method = "PUT", .selector = "ruleset/rule[@id='c']", .body = Rule("c"), .content_type = kElType,
                .user = "bob@example.com"})
                .status,
            403);
  EXPECT_EQ(Do({.method = "POST", .selector = "ruleset"}).status, 405);
}

TEST_F(XcapNodes, Delete) {
  EXPECT_EQ(Do({.method = "DELETE", .selector = "ruleset/rule[1]"}).status, 404);  // no document
  std::string etag = Seed();
  EXPECT_EQ(Do({.method = "DELETE", .selector = "ruleset/rule[3]"}).status, 404);
  auto cannot = Do({.method = "DELETE", .selector = "ruleset/rule[1]"});
  EXPECT_EQ(cannot.status, 409);
  EXPECT_NE(cannot.body.find("<cannot-delete"), std::string::npos) << cannot.body;
  EXPECT_EQ(Do({.method = "DELETE", .selector = "ruleset/rule[@id='b']", .if_match = "\"stale\""}).status, 412);
  auto gone = Do({.method = "DELETE", .selector = "ruleset/rule[@id='b']", .if_match = etag});
  ASSERT_EQ(gone.status, 200) << gone.body;
  EXPECT_NE(gone.etag, etag);
  EXPECT_EQ(Document().find("id=\"b\""), std::string::npos);
  auto att = Do({.method = "DELETE", .selector = "ruleset/rule[1]/conditions/identity/one/@id"});
  EXPECT_EQ(att.status, 409) << att.body;  // <one> needs its id
  EXPECT_NE(att.body.find("<schema-validation-error"), std::string::npos) << att.body;
  EXPECT_EQ(Do({.method = "DELETE", .selector = "ruleset/rule[1]/conditions"}).status, 200);
  EXPECT_EQ(Do({.method = "DELETE", .selector = "ruleset/rule[1]/conditions"}).status, 404);
}

TEST_F(XcapNodes, ConcurrentNodeWritesLoseNothing) {
  Seed();
  std::vector<std::future<XcapResponse>> pending;
  for (int i = 0; i < 10; ++i) {
    std::string id = "r" + std::to_string(i);
    pending.push_back(Start({.method = "PUT", .selector = "ruleset/rule[@id='" + id + "']", .body = Rule(id),
                             .content_type = kElType}));
  }
  for (auto& f : pending) EXPECT_EQ(f.get().status, 201);
  std::string doc = Document();
  for (int i = 0; i < 10; ++i) EXPECT_NE(doc.find("id=\"r" + std::to_string(i) + "\""), std::string::npos) << doc;
}

}  // namespace
}  // namespace server_test
}  // namespace parley::xcap
