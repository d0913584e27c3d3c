// Presence authorization end to end: pres-rules documents over XCAP
// (RFC 4825, RFC 5025), watcher information (RFC 3857/3858), pending
// watchers approved or rejected by the user, and transformations.

#include <gtest/gtest.h>

#include "presence/rules/edit.h"
#include "presence_fixture.h"

namespace parley::server {
namespace {

constexpr const char* kRulesPath = "/xcap/pres-rules/users/sip:alice@example.com/index";
constexpr const char* kRulesType = "application/auth-policy+xml";

class PresenceRules : public Presence {
 protected:
  void SetUp() override {
    default_rule_ = "confirm";
    Presence::SetUp();
  }

  // alice's pres-rules with `watcher` set to `handling` (through XCAP).
  void SetRule(const std::string& watcher, presence::rules::SubHandling handling) {
    SetRuleOf("alice", watcher, handling);
  }
};

TEST_F(PresenceRules, XcapDocumentLifecycleAndErrors) {
  EXPECT_EQ(Http("GET", kRulesPath, "").status, 401);
  EXPECT_NE(Http("GET", kRulesPath, "").headers.find("www-authenticate: basic realm=\"example.com\""),
            std::string::npos);
  EXPECT_EQ(Http("GET", kRulesPath, "alice").status, 404);
  EXPECT_EQ(Http("GET", kRulesPath, "bob").status, 403);  // not bob's document

  auto doc = presence::rules::SetWatcherRule("", "sip:bob@example.com", presence::rules::SubHandling::kAllow);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(Http("PUT", kRulesPath, "alice", *doc, "text/plain").status, 415);
  auto broken = Http("PUT", kRulesPath, "alice", "<ruleset", kRulesType);
  EXPECT_EQ(broken.status, 409);
  EXPECT_NE(broken.body.find("<not-well-formed"), std::string::npos) << broken.body;
  auto invalid = Http("PUT", kRulesPath, "alice", "<root/>", kRulesType);
  EXPECT_EQ(invalid.status, 409);
  EXPECT_NE(invalid.body.find("<schema-validation-error"), std::string::npos) << invalid.body;

  auto created = Http("PUT", kRulesPath, "alice", *doc, kRulesType, "If-None-Match: *\r\n");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string etag = created.Header("etag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(Http("PUT", kRulesPath, "alice", *doc, kRulesType, "If-None-Match: *\r\n").status, 412);
  auto got = Http("GET", kRulesPath, "alice");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body, *doc);
  EXPECT_EQ(got.Header("content-type"), kRulesType);
  EXPECT_EQ(got.Header("etag"), etag);
  EXPECT_EQ(Http("GET", kRulesPath, "alice", "", "", "If-None-Match: " + etag + "\r\n").status, 304);
  EXPECT_EQ(Http("PUT", kRulesPath, "alice", *doc, kRulesType, "If-Match: \"stale\"\r\n").status, 412);
  auto replaced = Http("PUT", kRulesPath, "alice", *doc, kRulesType, "If-Match: " + etag + "\r\n");
  EXPECT_EQ(replaced.status, 200);
  EXPECT_NE(replaced.Header("etag"), etag);
  // Node selectors (RFC 4825 §6.3), URL-encoded: an attribute GET, an
  // element PUT conditional on the document's entity tag, an element GET
  // with an xmlns() binding (§6.4).
  auto id = Http("GET", kRulesPath + std::string("/~~/ruleset/rule%5B1%5D/%40id"), "alice");
  ASSERT_EQ(id.status, 200) << id.body;
  EXPECT_EQ(id.Header("content-type"), "application/xcap-att+xml");
  EXPECT_FALSE(id.body.empty());
  EXPECT_EQ(id.Header("etag"), replaced.Header("etag"));
  const std::string carol = kRulesPath + std::string("/~~/ruleset/rule%5B%40id=%22carol%22%5D");
  const std::string carol_rule = R"(<rule xmlns="urn:ietf:params:xml:ns:common-policy" id="carol"><conditions>)"
                                 R"(<identity><one id="sip:carol@example.com"/></identity></conditions><actions>)"
                                 R"(<sub-handling xmlns="urn:ietf:params:xml:ns:pres-rules">block</sub-handling>)"
                                 R"(</actions></rule>)";
  EXPECT_EQ(Http("PUT", carol, "alice", carol_rule, kRulesType).status, 415);
  EXPECT_EQ(Http("PUT", carol, "alice", carol_rule, "application/xcap-el+xml", "If-Match: \"stale\"\r\n").status, 412);
  auto node_put = Http("PUT", carol, "alice", carol_rule, "application/xcap-el+xml",
                       "If-Match: " + replaced.Header("etag") + "\r\n");
  ASSERT_EQ(node_put.status, 201) << node_put.body;
  EXPECT_NE(node_put.Header("etag"), replaced.Header("etag"));
  auto handling = Http("GET", carol + "/actions/pr:sub-handling?xmlns(pr=urn:ietf:params:xml:ns:pres-rules)", "alice");
  ASSERT_EQ(handling.status, 200) << handling.body;
  EXPECT_EQ(handling.Header("content-type"), "application/xcap-el+xml");
  EXPECT_EQ(handling.body, R"(<sub-handling xmlns="urn:ietf:params:xml:ns:pres-rules">block</sub-handling>)");
  EXPECT_EQ(handling.Header("etag"), node_put.Header("etag"));
  EXPECT_EQ(Http("GET", kRulesPath + std::string("/~~/ruleset/rule%5B9%5D"), "alice").status, 404);
  EXPECT_EQ(Http("GET", "/xcap/no-such-auid/users/sip:alice@example.com/index", "alice").status, 404);
  auto caps = Http("GET", "/xcap/xcap-caps/global/index", "alice");
  ASSERT_EQ(caps.status, 200);
  EXPECT_NE(caps.body.find("<auid>pres-rules</auid>"), std::string::npos);
  EXPECT_EQ(Http("DELETE", kRulesPath, "alice").status, 200);
  EXPECT_EQ(Http("DELETE", kRulesPath, "alice").status, 404);
}

TEST_F(PresenceRules, PendingWatcherIsApprovedThroughWatcherInfo) {
  SipClient alice_winfo(false, udp_);
  auto [wok, wfull] = Subscribe(alice_winfo, "alice", "alice", "winfo-1", 600, "", "presence.winfo");
  ASSERT_TRUE(wok && wok->status() == 200);
  ASSERT_TRUE(wfull);
  EXPECT_EQ(wfull->content_type()->Essence(), "application/watcherinfo+xml");
  EXPECT_TRUE(Has(wfull, "state=\"full\""));
  EXPECT_FALSE(Has(wfull, "<watcher "));  // nobody watches yet

  SipClient bob(false, udp_);
  auto [bok, pending] = Subscribe(bob, "bob", "alice", "watch-1");
  ASSERT_TRUE(bok && bok->status() == 202);
  EXPECT_TRUE(pending->Value(sip::HeaderId::kSubscriptionState).starts_with("pending"));
  auto arrived = NextNotify(alice_winfo);
  ASSERT_TRUE(arrived);
  EXPECT_TRUE(Has(arrived, "state=\"partial\""));
  EXPECT_TRUE(Has(arrived, "status=\"pending\""));
  EXPECT_TRUE(Has(arrived, "event=\"subscribe\""));
  EXPECT_TRUE(Has(arrived, ">sip:bob@example.com</watcher>"));

  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "hello bob"))->status(), 200);
  EXPECT_FALSE(Quiet(bob));  // still pending: nothing about alice
  SetRule("bob", presence::rules::SubHandling::kAllow);
  auto active = NextNotify(bob);
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->Value(sip::HeaderId::kSubscriptionState).starts_with("active"));
  EXPECT_TRUE(Has(active, "hello bob"));
  auto approved = NextNotify(alice_winfo);
  ASSERT_TRUE(approved);
  EXPECT_TRUE(Has(approved, "status=\"active\""));
  EXPECT_TRUE(Has(approved, "event=\"approved\""));
}

TEST_F(PresenceRules, BlockingEndsAWaitingSubscription) {
  SipClient carol(false, udp_);
  auto [r, pending] = Subscribe(carol, "carol", "alice", "watch-2");
  ASSERT_TRUE(r && r->status() == 202);
  SetRule("carol", presence::rules::SubHandling::kBlock);
  auto ended = NextNotify(carol);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->Value(sip::HeaderId::kSubscriptionState), "terminated;reason=rejected");
  EXPECT_TRUE(ended->body().empty());
  // A new attempt is refused outright.
  SipClient again(false, udp_);
  auto [r2, n2] = Subscribe(again, "carol", "alice", "watch-3");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status(), 403);
}

TEST_F(PresenceRules, PoliteBlockedWatcherSeesOffline) {
  SetRule("bob", presence::rules::SubHandling::kPoliteBlock);
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "private"))->status(), 200);
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "watch-4");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 200);  // indistinguishable from an allowed watcher
  EXPECT_TRUE(Has(n, "<basic>closed</basic>"));
  EXPECT_FALSE(Has(n, "private"));
}

TEST_F(PresenceRules, TransformationsLimitWhatAWatcherSees) {
  // bob may see alice's services but not her notes.
  std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<cr:ruleset xmlns:cr=\"urn:ietf:params:xml:ns:common-policy\" xmlns:pr=\"urn:ietf:params:xml:ns:pres-rules\">"
      "<cr:rule id=\"bob\"><cr:conditions><cr:identity><cr:one id=\"sip:bob@example.com\"/></cr:identity>"
      "</cr:conditions><cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>"
      "<cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services></cr:transformations>"
      "</cr:rule></cr:ruleset>";
  ASSERT_EQ(Http("PUT", kRulesPath, "alice", doc, kRulesType).status, 201);
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "my secret note"))->status(), 200);
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "watch-5");
  ASSERT_TRUE(r && r->status() == 200);
  EXPECT_TRUE(Has(n, "<basic>open</basic>"));
  EXPECT_FALSE(Has(n, "my secret note"));
}

TEST_F(PresenceRules, OnlyThePresentityWatchesItsWatchers) {
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "winfo-x", 600, "", "presence.winfo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 403);
}

TEST_F(PresenceRules, UsersTurnInvisibleThemselves) {
  SetRule("bob", presence::rules::SubHandling::kAllow);
  SipClient alice(false, udp_);
  ASSERT_EQ(Publish(alice, "alice", "", 600, Pidf("alice", "open", "at my desk"))->status(), 200);
  SipClient bob(false, udp_);
  auto [r, n] = Subscribe(bob, "bob", "alice", "inv-api");
  ASSERT_TRUE(r && r->status() == 200);
  EXPECT_TRUE(Has(n, "at my desk"));

  EXPECT_EQ(Http("PUT", "/v1/presence/invisible", "", R"({"invisible":true})", "application/json").status, 401);
  EXPECT_EQ(Http("PUT", "/v1/presence/invisible", "alice", "yes please", "application/json").status, 400);
  auto on = Http("PUT", "/v1/presence/invisible", "alice", R"({"invisible":true})", "application/json");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(on.body, R"({"invisible":true})");
  auto hidden = NextNotify(bob);
  ASSERT_TRUE(hidden);
  EXPECT_TRUE(Has(hidden, "<basic>closed</basic>")) << hidden->body();
  EXPECT_FALSE(Has(hidden, "at my desk"));
  EXPECT_EQ(Http("GET", "/v1/presence/invisible", "alice").body, R"({"invisible":true})");
  EXPECT_EQ(Http("GET", "/v1/presence/invisible", "bob").body, R"({"invisible":false})");

  ASSERT_EQ(Http("PUT", "/v1/presence/invisible", "alice", R"({"invisible":false})", "application/json").status, 200);
  auto back = NextNotify(bob);
  ASSERT_TRUE(back);
  EXPECT_TRUE(Has(back, "at my desk"));
}

}  // namespace
}  // namespace parley::server
