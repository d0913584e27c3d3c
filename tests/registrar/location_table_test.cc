#include <gtest/gtest.h>

#include "common/manual_timers.h"
#include "registrar/location_table.h"

namespace parley::registrar {
namespace {

ContactUpdate C(std::string uri, uint32_t expires, double q = -1, std::string instance = "") {
  ContactUpdate u;
  u.uri = std::move(uri);
  u.expires = expires;
  u.q = q;
  u.instance = std::move(instance);
  return u;
}

RegisterOp Op(std::string call_id, uint32_t cseq, std::vector<ContactUpdate> contacts, int64_t now = 1000) {
  RegisterOp op;
  op.aor = "alice@example.com";
  op.call_id = std::move(call_id);
  op.cseq = cseq;
  op.contacts = std::move(contacts);
  op.now = now;
  op.source = "udp:127.0.0.1:5062";
  return op;
}

class LocationTableTest : public ::testing::Test {
 protected:
  testing::ManualTimers timers_;
  std::vector<BindingChange> expired_;
  LocationTable table_{timers_, [this](const BindingChange& c) { expired_.push_back(c); }};
};

TEST_F(LocationTableTest, SeveralContactsOrderedByQ) {
  auto r = table_.Apply(Op("c1", 1, {C("sip:a@h1", 3600, 0.5), C("sip:a@h2", 3600, 0.9), C("sip:a@h3", 3600)}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->changes.size(), 3u);
  EXPECT_EQ(r->changes[0].kind, ChangeKind::kCreated);
  auto l = table_.Lookup("alice@example.com");
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0]->record.contact_uri, "sip:a@h3");  // no q = 1.0
  EXPECT_EQ(l[1]->record.contact_uri, "sip:a@h2");
  EXPECT_EQ(l[2]->record.contact_uri, "sip:a@h1");
  EXPECT_EQ(r->current.size(), 3u);
}

TEST_F(LocationTableTest, RefreshShortenRemove) {
  ASSERT_TRUE(table_.Apply(Op("c1", 1, {C("sip:a@h1", 3600)})).ok());
  auto refresh = table_.Apply(Op("c1", 2, {C("sip:a@h1", 3600)}, 1100));
  ASSERT_TRUE(refresh.ok());
  EXPECT_EQ(refresh->changes[0].kind, ChangeKind::kRefreshed);
  auto shorter = table_.Apply(Op("c1", 3, {C("sip:a@h1", 60)}, 1200));
  EXPECT_EQ(shorter->changes[0].kind, ChangeKind::kShortened);
  auto removed = table_.Apply(Op("c1", 4, {C("sip:a@h1", 0)}, 1300));
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->changes[0].kind, ChangeKind::kRemoved);
  EXPECT_TRUE(table_.Lookup("alice@example.com").empty());
  EXPECT_EQ(table_.aor_count(), 0u);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(LocationTableTest, OutOfOrderCSeqRefusesTheWholeUpdate) {
  ASSERT_TRUE(table_.Apply(Op("c1", 5, {C("sip:a@h1", 3600)})).ok());
  auto r = table_.Apply(Op("c1", 5, {C("sip:a@h1", 0), C("sip:a@h2", 3600)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(table_.Lookup("alice@example.com").size(), 1u);
  // Another Call-ID may update regardless of CSeq (§10.3 step 7).
  auto other = table_.Apply(Op("c2", 1, {C("sip:a@h1", 0)}));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(table_.Lookup("alice@example.com").empty());
  // A refused first REGISTER leaves nothing behind.
  EXPECT_EQ(table_.aor_count(), 0u);
}

TEST_F(LocationTableTest, WildcardRemovesEverything) {
  ASSERT_TRUE(table_.Apply(Op("c1", 1, {C("sip:a@h1", 3600), C("sip:a@h2", 3600)})).ok());
  RegisterOp star = Op("c1", 2, {});
  star.remove_all = true;
  auto r = table_.Apply(star);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->changes.size(), 2u);
  EXPECT_TRUE(r->current.empty());
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(LocationTableTest, ExpiryFiresOnTimeAndReports) {
  ASSERT_TRUE(table_.Apply(Op("c1", 1, {C("sip:a@h1", 60), C("sip:a@h2", 120)})).ok());
  timers_.Advance(std::chrono::seconds(59));
  EXPECT_TRUE(expired_.empty());
  timers_.Advance(std::chrono::seconds(1));
  ASSERT_EQ(expired_.size(), 1u);
  EXPECT_EQ(expired_[0].kind, ChangeKind::kExpired);
  EXPECT_EQ(expired_[0].binding.contact_uri, "sip:a@h1");
  timers_.Advance(std::chrono::seconds(60));
  EXPECT_EQ(expired_.size(), 2u);
  EXPECT_EQ(table_.aor_count(), 0u);
}

// Each binding's timer follows it: a refresh moves it, a removal (one
// contact or "*") cancels it, a binding added again under the same key gets
// its own, and an instance whose Contact URI changed expires as itself.
TEST_F(LocationTableTest, ExpiryFollowsTheBindingThroughRefreshRemovalAndReAdd) {
  ASSERT_TRUE(table_.Apply(Op("c1", 1, {C("sip:a@h1", 60), C("sip:a@h2", 60)})).ok());
  ASSERT_TRUE(table_.Apply(Op("c1", 2, {C("sip:a@h1", 300)})).ok());  // refreshed
  ASSERT_TRUE(table_.Apply(Op("c1", 3, {C("sip:a@h2", 0)})).ok());    // removed
  ASSERT_TRUE(table_.Apply(Op("c1", 4, {C("sip:a@h2", 120)})).ok());  // back, with a timer of its own
  RegisterOp instance = Op("c9", 1, {C("sip:a@10.0.0.1", 90, -1, "urn:uuid:1")});
  instance.aor = "bob@example.com";
  ASSERT_TRUE(table_.Apply(instance).ok());
  instance.cseq = 2;
  instance.contacts = {C("sip:a@10.0.0.2", 90, -1, "urn:uuid:1")};
  ASSERT_TRUE(table_.Apply(instance).ok());

  timers_.Advance(std::chrono::seconds(60));  // the first h2 timer is gone
  EXPECT_TRUE(expired_.empty());
  timers_.Advance(std::chrono::seconds(30));
  ASSERT_EQ(expired_.size(), 1u);
  EXPECT_EQ(expired_[0].binding.aor, "bob@example.com");
  EXPECT_EQ(expired_[0].binding.contact_uri, "sip:a@10.0.0.2");
  timers_.Advance(std::chrono::seconds(29));
  EXPECT_EQ(expired_.size(), 1u);
  timers_.Advance(std::chrono::seconds(1));
  ASSERT_EQ(expired_.size(), 2u);
  EXPECT_EQ(expired_[1].binding.contact_uri, "sip:a@h2");
  EXPECT_EQ(expired_[1].binding.cseq, 4u);
  ASSERT_EQ(table_.Lookup("alice@example.com").size(), 1u);

  // "*" cancels what is left; a binding registered after it expires alone.
  RegisterOp all = Op("c1", 5, {});
  all.remove_all = true;
  ASSERT_TRUE(table_.Apply(all).ok());
  ASSERT_TRUE(table_.Apply(Op("c1", 6, {C("sip:a@h3", 400)})).ok());  // due 400 s from now: at 520
  timers_.Advance(std::chrono::seconds(190));  // past h1's 300
  EXPECT_EQ(expired_.size(), 2u);
  timers_.Advance(std::chrono::seconds(210));
  ASSERT_EQ(expired_.size(), 3u);
  EXPECT_EQ(expired_[2].binding.contact_uri, "sip:a@h3");
  EXPECT_EQ(table_.aor_count(), 0u);
}

// The first CSeq of a binding's Call-ID (RFC 5628 first-cseq): kept while
// the UA refreshes with that Call-ID, restarted by a new one.
TEST_F(LocationTableTest, FirstCSeqOfTheCallIdIsKept) {
  ASSERT_TRUE(table_.Apply(Op("c1", 5, {C("sip:a@10.0.0.1", 3600, -1, "urn:uuid:1")})).ok());
  ASSERT_TRUE(table_.Apply(Op("c1", 6, {C("sip:a@10.0.0.1", 3600, -1, "urn:uuid:1")}, 1100)).ok());
  ASSERT_TRUE(table_.Apply(Op("c1", 9, {C("sip:a@10.0.0.3", 3600, -1, "urn:uuid:1")}, 1200)).ok());
  auto l = table_.Lookup("alice@example.com");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->record.cseq, 9u);
  EXPECT_EQ(l[0]->record.first_cseq, 5u);
  ASSERT_TRUE(table_.Apply(Op("c2", 2, {C("sip:a@10.0.0.3", 3600, -1, "urn:uuid:1")}, 1300)).ok());
  l = table_.Lookup("alice@example.com");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->record.first_cseq, 2u);
  // A binding restored from before first_cseq was stored (0) takes the
  // CSeq of its next refresh.
  store::Binding old = l[0]->record;
  old.aor = "carol@example.com";
  old.first_cseq = 0;
  table_.Restore(old, 1300, {});
  RegisterOp refresh = Op("c2", 3, {C("sip:a@10.0.0.3", 3600, -1, "urn:uuid:1")}, 1400);
  refresh.aor = "carol@example.com";
  ASSERT_TRUE(table_.Apply(refresh).ok());
  EXPECT_EQ(table_.Lookup("carol@example.com")[0]->record.first_cseq, 3u);
}

// A limit on bindings per AOR refuses only growth past it, atomically:
// refreshes, removals and a swap within the limit pass.
TEST_F(LocationTableTest, MaxContactsRefusesGrowthOnly) {
  auto limited = [](RegisterOp op) {
    op.max_contacts = 2;
    return op;
  };
  ASSERT_TRUE(table_.Apply(limited(Op("c1", 1, {C("sip:a@h1", 3600), C("sip:a@h2", 3600)}))).ok());
  auto third = table_.Apply(limited(Op("c1", 2, {C("sip:a@h1", 3600), C("sip:a@h3", 3600)})));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, 403);
  EXPECT_EQ(table_.Lookup("alice@example.com").size(), 2u);  // nothing changed, h1 not refreshed either
  EXPECT_EQ(table_.Lookup("alice@example.com")[0]->record.cseq, 1u);
  // Refreshing both, naming one twice: still two.
  ASSERT_TRUE(table_.Apply(limited(Op("c1", 3, {C("sip:a@h1", 3600), C("sip:a@h1", 3600), C("sip:a@h2", 60)}))).ok());
  // A swap: h2 removed, h3 added.
  auto swap = table_.Apply(limited(Op("c1", 4, {C("sip:a@h2", 0), C("sip:a@h3", 3600)})));
  ASSERT_TRUE(swap.ok());
  EXPECT_EQ(swap->current.size(), 2u);
  // Another Call-ID (another device) cannot add a third either; without a limit it can.
  EXPECT_FALSE(table_.Apply(limited(Op("c2", 1, {C("sip:a@h4", 3600)}))).ok());
  ASSERT_TRUE(table_.Apply(Op("c2", 1, {C("sip:a@h4", 3600)})).ok());
  EXPECT_EQ(table_.Lookup("alice@example.com").size(), 3u);
}

TEST_F(LocationTableTest, InstanceReplacesContactUri) {
  // RFC 5626: the same instance re-registering from a new address is the
  // same binding.
  ASSERT_TRUE(table_.Apply(Op("c1", 1, {C("sip:a@10.0.0.1", 3600, -1, "urn:uuid:1")})).ok());
  ASSERT_TRUE(table_.Apply(Op("c2", 1, {C("sip:a@10.0.0.2", 3600, -1, "urn:uuid:1")})).ok());
  auto l = table_.Lookup("alice@example.com");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->record.contact_uri, "sip:a@10.0.0.2");
}

TEST_F(LocationTableTest, RestoreSkipsExpiredAndArmsTimers) {
  store::Binding live;
  live.aor = "bob@example.com";
  live.contact_uri = "sip:b@h";
  live.expires_at = 2000;
  store::Binding dead = live;
  dead.contact_uri = "sip:b@old";
  dead.expires_at = 900;
  table_.Restore(live, 1000, *DestinationFromSource("tcp:127.0.0.1:5070"));
  table_.Restore(dead, 1000, *DestinationFromSource("udp:127.0.0.1:5070"));
  auto l = table_.Lookup("bob@example.com");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->destination.protocol, transport::Protocol::kTcp);
  timers_.Advance(std::chrono::seconds(1000));
  EXPECT_EQ(expired_.size(), 1u);
}

TEST(BindingDestination, ContactFlowOrNat) {
  auto src = [](const char* s) { return *DestinationFromSource(s); };
  // UDP, Contact is a public address: the Contact (third-party registration).
  auto d = BindingDestination("sip:u@192.0.2.7:16000", src("udp:192.0.2.5:5062"), false);
  EXPECT_EQ(d.address.ToString(), "192.0.2.7:16000");
  // UDP behind a NAT: private Contact, other source: the source.
  d = BindingDestination("sip:u@192.168.1.20:5060", src("udp:198.51.100.9:40000"), false);
  EXPECT_EQ(d.address.ToString(), "198.51.100.9:40000");
  // TCP: the Contact is the connection: the flow.
  transport::Destination tcp = src("tcp:192.0.2.5:50000");
  tcp.flow = 42;
  d = BindingDestination("sip:u@192.0.2.5:50000;transport=tcp", tcp, false);
  EXPECT_EQ(d.flow, 42u);
  EXPECT_FALSE(d.flow_only);  // gone: a new connection to where the UA listens
  // TCP, listening port in the Contact: a new connection to it, unless the
  // UA asked for its flow (RFC 5626) — then that flow only.
  d = BindingDestination("sip:u@192.0.2.5:5060;transport=tcp", tcp, false);
  EXPECT_EQ(d.flow, 0u);
  EXPECT_EQ(d.address.port(), 5060);
  d = BindingDestination("sip:u@192.0.2.5:5060;transport=tcp;ob", tcp, true);
  EXPECT_EQ(d.flow, 42u);
  EXPECT_TRUE(d.flow_only);
  // A name we cannot resolve: the source.
  d = BindingDestination("sip:u@phone.example.com", src("udp:192.0.2.5:5062"), false);
  EXPECT_EQ(d.address.ToString(), "192.0.2.5:5062");
  // Over UDP, requests leave from the listen point the UA registered to,
  // whether they go to its Contact or its source.
  transport::Destination via_5080 = src("udp:192.0.2.5:5062");
  via_5080.local = *transport::SocketAddress::Parse("192.0.2.1", 5080);
  EXPECT_EQ(BindingDestination("sip:u@192.0.2.7:16000", via_5080, false).local, via_5080.local);
  EXPECT_EQ(BindingDestination("sip:u@192.168.1.20:5060", via_5080, false).local, via_5080.local);
}

// RFC 3327 §5.4: with a Path, the first Path URI is the next hop, whatever
// the Contact or the flow the UA asked for.
TEST(BindingDestination, PathLeadsToItsFirstUri) {
  auto src = [](const char* s) { return *DestinationFromSource(s); };
  // Its own address: another proxy than the one the REGISTER came from.
  auto d = BindingDestination("sip:u@192.0.2.7:16000", "<sip:198.51.100.4:5070;lr>, <sip:203.0.113.9;lr>",
                              src("udp:192.0.2.5:5062"), false);
  EXPECT_EQ(d.protocol, transport::Protocol::kUdp);
  EXPECT_EQ(d.address.ToString(), "198.51.100.4:5070");
  d = BindingDestination("sip:u@192.0.2.7", "<sips:198.51.100.4;lr>", src("udp:192.0.2.5:5062"), false);
  EXPECT_EQ(d.protocol, transport::Protocol::kTls);
  EXPECT_EQ(d.address.ToString(), "198.51.100.4:5061");
  // The edge the REGISTER came from over TCP: its connection, also when
  // the UA asked for its flow (that flow is the edge's, RFC 5626 §5.3).
  transport::Destination tcp = src("tcp:192.0.2.5:50000");
  tcp.flow = 42;
  d = BindingDestination("sip:u@10.0.0.3:5060;transport=tcp;ob", "<sip:192.0.2.5:50000;transport=tcp;lr;ob>", tcp,
                         true);
  EXPECT_EQ(d.flow, 42u);
  EXPECT_FALSE(d.flow_only);
  // A name: the proxy that sent the REGISTER.
  d = BindingDestination("sip:u@192.0.2.7:16000", "<sip:edge.example.com;lr>", src("udp:192.0.2.5:5062"), false);
  EXPECT_EQ(d.address.ToString(), "192.0.2.5:5062");
  // No Path: as without one.
  d = BindingDestination("sip:u@192.0.2.7:16000", "", src("udp:192.0.2.5:5062"), false);
  EXPECT_EQ(d.address.ToString(), "192.0.2.7:16000");
}

TEST(Source, RoundTrip) {
  transport::Source s;
  s.protocol = transport::Protocol::kTls;
  s.remote = *transport::SocketAddress::Parse("::1", 5061);
  EXPECT_EQ(SourceString(s), "tls:[::1]:5061");
  auto d = DestinationFromSource(SourceString(s));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->protocol, transport::Protocol::kTls);
  EXPECT_EQ(d->address, s.remote);
  EXPECT_FALSE(DestinationFromSource("nonsense"));
}

}  // namespace
}  // namespace parley::registrar
