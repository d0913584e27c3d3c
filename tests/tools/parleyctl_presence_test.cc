// parleyctl end to end, presence: rules, defaults and invisibility, and
// what the store holds of a user's presence (presence show), groups.

#include <gtest/gtest.h>

#include "common/timer.h"
#include "parleyctl_fixture.h"
#include "store/store.h"

namespace parley::ctl {
namespace {

TEST_F(ParleyctlTest, PresenceRulesDefaultsAndInvisibility) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  auto set = Dd({"presence", "rule", "set", "alice@example.com", "bob@example.com", "allow"});
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out, "alice@example.com: allow sip:bob@example.com\n");
  ASSERT_EQ(Dd({"presence", "rule", "set", "alice@example.com", "sip:carol@example.org", "polite-block"}).code, 0);
  ASSERT_EQ(Dd({"presence", "rule", "set", "alice@example.com", "bob@example.com", "block"}).code, 0);  // replaces
  auto list = Dd({"presence", "rule", "list", "alice@example.com"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out, "block sip:bob@example.com (limited view)\npolite-block sip:carol@example.org (limited view)\n");
  // The document is the one clients edit over XCAP.
  auto doc = OpenStore()->GetXcapDocument("pres-rules", "alice@example.com", "index");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_NE((*doc)->content.find("urn:ietf:params:xml:ns:pres-rules"), std::string::npos);

  ASSERT_EQ(Dd({"presence", "rule", "remove", "alice@example.com", "bob@example.com"}).code, 0);
  EXPECT_EQ(Dd({"presence", "rule", "list", "alice@example.com"}).out,
            "polite-block sip:carol@example.org (limited view)\n");
  EXPECT_EQ(Dd({"presence", "rule", "remove", "alice@example.com", "bob@example.com"}).code, 1);
  EXPECT_EQ(Dd({"presence", "rule", "set", "alice@example.com", "bob@example.com", "maybe"}).code, 2);
  EXPECT_EQ(Dd({"presence", "rule", "set", "nobody@example.com", "bob@example.com", "allow"}).code, 1);

  ASSERT_EQ(Dd({"presence", "default", "example.com", "allow"}).code, 0);
  auto opts = OpenStore()->GetOptions("example.com");
  ASSERT_TRUE(opts.ok());
  ASSERT_EQ(opts->size(), 1u);
  EXPECT_EQ((*opts)[0].value, "allow");
  ASSERT_EQ(Dd({"presence", "default", "example.com", "server"}).code, 0);
  EXPECT_TRUE(OpenStore()->GetOptions("example.com")->empty());
  EXPECT_EQ(Dd({"presence", "default", "example.com", "sometimes"}).code, 2);

  ASSERT_EQ(Dd({"presence", "invisible", "alice@example.com", "on"}).code, 0);
  EXPECT_EQ(OpenStore()->GetOptions("alice@example.com")->size(), 1u);
  ASSERT_EQ(Dd({"presence", "invisible", "alice@example.com", "off"}).code, 0);
  EXPECT_TRUE(OpenStore()->GetOptions("alice@example.com")->empty());
  EXPECT_EQ(Dd({"presence", "invisible", "alice@example.com", "maybe"}).code, 2);
}

// presence show: what the store holds of a user's presence.
TEST_F(ParleyctlTest, PresenceShowListsPublicationsSubscriptionsAndHardState) {
  ASSERT_EQ(Dd({"user", "add", "alice@example.com", "--password", "pw"}).code, 0);
  CtlRun r = Dd({"presence", "show", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "alice@example.com: 0 publication(s), 0 subscription(s) to it, 0 of its own\n");
  const int64_t now = parley::UnixNow();
  {
    auto s = OpenStore();
    const std::string pidf =
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@example.com\"><tuple id=\"t\"><status>"
        "<basic>open</basic></status><note>at\twork</note></tuple></presence>";
    ASSERT_TRUE(s->UpsertPublication({"etag1", "alice@example.com", "presence", "application/pidf+xml", pidf, 1, now + 600})
                    .ok());
    ASSERT_TRUE(s->UpsertPublication({"etag0", "alice@example.com", "presence", "application/pidf+xml", pidf, 1, 10})
                    .ok());  // expired: not shown
    store::SubscriptionRecord watcher;
    watcher.id = 1;
    watcher.package = "presence";
    watcher.resource = "alice@example.com";
    watcher.subscriber = "bob@example.com";
    watcher.state = "active";
    watcher.expires_at = now + 300;
    watcher.call_id = "c1";
    ASSERT_TRUE(s->UpsertSubscription(watcher).ok());
    store::SubscriptionRecord own = watcher;
    own.id = 2;
    own.resource = "carol@example.com";
    own.subscriber = "alice@example.com";
    own.state = "pending";
    own.call_id = "c2";
    ASSERT_TRUE(s->UpsertSubscription(own).ok());
    store::XcapDocument hard{"pidf-manipulation", "alice@example.com", "index", "e",
                             "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
                             "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" entity=\"sip:alice@example.com\">"
                             "<dm:person id=\"p\"><dm:note>on vacation</dm:note></dm:person></presence>",
                             now};
    ASSERT_TRUE(s->PutXcapDocument(hard, "", true).ok());
  }
  ASSERT_EQ(Dd({"presence", "invisible", "alice@example.com", "on"}).code, 0);
  r = Dd({"presence", "show", "alice@example.com"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("alice@example.com: 1 publication(s), 1 subscription(s) to it, 1 of its own, a hard "
                                "state, invisible\n"))
      << r.out;
  EXPECT_NE(r.out.find("publication etag1\texpires in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" s\topen \"at?work\"\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("etag0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hard state\tno tuple \"on vacation\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("watched by bob@example.com\tpresence\tactive\texpires in "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("watches carol@example.com\tpresence\tpending\texpires in "), std::string::npos) << r.out;
  EXPECT_EQ(Dd({"presence", "show", "nobody@example.com"}).code, 1);
}

TEST_F(ParleyctlTest, Groups) {
  for (const char* u : {"alice@example.com", "bob@example.com"}) {
    ASSERT_EQ(Dd({"user", "add", u, "--password", "pw"}).code, 0);
  }
  auto create = Dd({"group", "create", "team@example.com", "--ack", "per-recipient"});
  ASSERT_EQ(create.code, 0) << create.err;
  EXPECT_EQ(create.out, "team@example.com: group (ack per-recipient, posting members)\n");
  ASSERT_EQ(Dd({"group", "create", "all@example.com", "--posting", "users"}).code, 0);
  auto add = Dd({"group", "add", "team@example.com", "alice@example.com", "bob@example.com"});
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_EQ(add.out, "team@example.com: added 2 member(s)\n");
  ASSERT_EQ(Dd({"group", "add", "all@example.com", "team@example.com"}).code, 0);
  // All or none: one unknown member adds nobody.
  auto bad = Dd({"group", "add", "all@example.com", "alice@example.com", "nobody@example.com"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err, "parleyctl: no such user or group nobody@example.com\n");
  EXPECT_EQ(Dd({"group", "show", "all@example.com"}).out,
            "all@example.com ack=single posting=users\n  team@example.com (group)\n");
  EXPECT_EQ(Dd({"group", "list"}).out,
            "all@example.com ack=single posting=users members=1\n"
            "team@example.com ack=per-recipient posting=members members=2\n");
  EXPECT_EQ(Dd({"group", "create", "alice@example.com"}).code, 1);  // a user's AOR
  EXPECT_EQ(Dd({"group", "create", "x@example.com", "--ack", "sometimes"}).code, 2);
  EXPECT_EQ(Dd({"group", "remove", "team@example.com", "bob@example.com"}).out, "team@example.com: removed 1 member(s)\n");
  EXPECT_EQ(Dd({"group", "remove", "team@example.com", "bob@example.com"}).code, 1);
  ASSERT_EQ(Dd({"group", "delete", "team@example.com"}).code, 0);
  EXPECT_EQ(Dd({"group", "delete", "team@example.com"}).code, 1);
  EXPECT_EQ(Dd({"group", "show", "all@example.com"}).out, "all@example.com ack=single posting=users\n");
}

}  // namespace
}  // namespace parley::ctl
