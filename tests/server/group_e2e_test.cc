// Group messages end to end (seed 003 §7.2.1; RFC 5438 for the
// per-recipient acknowledgments, RFC 7044 History-Info against loops):
// expansion to online and offline members, both acknowledgment modes,
// who may post, members' reception policies, nested groups and loops,
// and groups edited while the server runs.

#include <gtest/gtest.h>

#include "common/timer.h"
#include "server_fixture.h"

namespace parley::server {
namespace {

class Groups : public ServerFixture {
 protected:
  void Configure(ServerConfig& c) override { c.message_retry_s = 1; }

  // team@example.com = alice, bob, carol; the server restarted to load it.
  void MakeTeam(store::GroupAck ack, store::GroupPosting posting = store::GroupPosting::kMembers) {
    ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com", .ack = ack, .posting = posting, .members = {}}).ok());
    for (const char* m : {"alice", "bob", "carol"}) {
      ASSERT_TRUE(store_->AddGroupMember("team@example.com", std::string(m) + "@example.com").ok());
    }
    Restart();
  }

  sip::MessagePtr Send(SipClient& c, const std::string& user, const std::string& to, const std::string& body,
                       const std::string& extra = "", const std::string& type = "text/plain") {
    std::string uri = "sip:" + to + "@example.com";
    auto ch = SendAuthed(c, "MESSAGE", uri, user, uri, "grp-" + sip::RandomToken(6), 1,
                         "Content-Type: " + type + "\n" + extra, body);
    if (!ch || ch->status() != 407) return ch;
    return c.Receive();
  }

  static int Status(const sip::MessagePtr& r) { return r ? r->status() : 0; }

  static sip::MessagePtr Take(SipClient& c, int status = 200) {
    auto m = c.Receive();
    if (m && m->method() == sip::Method::kMessage) c.Reply(sip::MakeResponse(*m, status, "X", "uas")->Serialize());
    return m;
  }

  size_t Queued(const std::string& user) {
    auto q = store_->CountPending(user + "@example.com");
    return q.ok() ? static_cast<size_t>(q->count) : 999;
  }

  static std::vector<std::string> HistoryInfo(const sip::Message& m) {
    std::vector<std::string> out;
    m.ForEachValue(sip::HeaderId::kHistoryInfo, [&](std::string_view v) {
      out.emplace_back(v);
      return true;
    });
    return out;
  }
};

TEST_F(Groups, OneAcceptedThenACopyForEveryOtherMember) {
  MakeTeam(store::GroupAck::kSingle);
  SipClient alice(false, udp_), bob(false, udp_);
  ASSERT_EQ(Register(alice, "alice", "alice-pw")->status(), 200);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto r = Send(alice, "alice", "team", "standup in 5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 202);
  EXPECT_EQ(Queued("carol"), 1u);  // offline: committed before the 202

  auto m = Take(bob);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->from()->uri_text, "sip:alice@example.com");
  EXPECT_EQ(m->content_type()->Essence(), "message/cpim");
  std::string body(m->body());
  EXPECT_NE(body.find("From: <sip:alice@example.com>"), std::string::npos) << body;
  EXPECT_NE(body.find("To: <sip:team@example.com>"), std::string::npos) << body;
  EXPECT_TRUE(body.ends_with("\r\n\r\nstandup in 5")) << body;
  EXPECT_EQ(HistoryInfo(*m), (std::vector<std::string>{"<sip:team@example.com>;index=1",
                                                        "<sip:bob@example.com>;index=1.1;mp=1"}));
  EXPECT_FALSE(alice.Receive());  // the sender gets no copy, and no notification

  SipClient carol(false, udp_);
  ASSERT_EQ(Register(carol, "carol", "carol-pw")->status(), 200);
  auto later = Take(carol);
  ASSERT_TRUE(later);
  EXPECT_NE(std::string(later->body()).find("standup in 5"), std::string::npos);
  for (int i = 0; i < 50 && Queued("carol") + Queued("bob") != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Queued("carol") + Queued("bob"), 0u);
}

// Seed 003 §17.4 for group messages: the sender's archive shows the message
// to the group, each member who keeps history has it from the sender, and
// members who keep none get nothing archived.
TEST_F(Groups, TheArchivesOfTheSenderAndOfMembersWhoKeepHistory) {
  ASSERT_TRUE(store_->SetHistoryEnabled("alice@example.com", true).ok());
  ASSERT_TRUE(store_->SetHistoryEnabled("carol@example.com", true).ok());
  MakeTeam(store::GroupAck::kSingle);
  SipClient alice(false, udp_);
  ASSERT_EQ(Status(Send(alice, "alice", "team", "minutes attached")), 202);
  auto history = [this](const std::string& owner) {
    store::HistoryQuery q;
    q.owner = owner + "@example.com";
    auto r = store_->QueryHistory(q);
    return r.ok() ? *r : std::vector<store::HistoryEntry>{};
  };
  // Archived after the 202, in the store's next group of writes.
  for (int i = 0; i < 100 && (history("alice").empty() || history("carol").empty()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto sent = history("alice");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].direction, store::HistoryDirection::kOut);
  EXPECT_EQ(sent[0].peer, "team@example.com");  // stored as an AOR
  EXPECT_EQ(sent[0].body, "minutes attached");
  auto got = history("carol");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].direction, store::HistoryDirection::kIn);
  EXPECT_EQ(got[0].peer, "alice@example.com");
  EXPECT_EQ(got[0].body, "minutes attached");
  EXPECT_TRUE(history("bob").empty());  // history off
}

TEST_F(Groups, PerRecipientModeReportsEachMemberToTheSender) {
  MakeTeam(store::GroupAck::kPerRecipient);
  // carol refuses alice: her report says forbidden, and she gets nothing.
  ASSERT_TRUE(store_->SetPolicyEntry("carol@example.com", {"alice@example.com", store::PolicyAction::kBlock}).ok());
  SipClient alice(false, udp_), bob(false, udp_);
  ASSERT_EQ(Register(alice, "alice", "alice-pw")->status(), 200);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  ASSERT_EQ(Status(Send(alice, "alice", "team", "who is in?")), 202);
  EXPECT_EQ(Queued("carol"), 0u);

  std::vector<std::string> reports;
  auto m = Take(bob);
  ASSERT_TRUE(m);
  for (int i = 0; i < 2; ++i) {
    auto n = Take(alice);
    ASSERT_TRUE(n) << "report " << i;
    reports.emplace_back(n->body());
  }
  std::sort(reports.begin(), reports.end(), [](const std::string& a, const std::string& b) {
    return a.find("<delivered/>") != std::string::npos && b.find("<delivered/>") == std::string::npos;
  });
  const std::string& delivered = reports[0];
  EXPECT_NE(delivered.find("From: <sip:example.com>"), std::string::npos) << delivered;
  EXPECT_NE(delivered.find("<delivered/>"), std::string::npos) << delivered;
  EXPECT_NE(delivered.find("<recipient-uri>sip:bob@example.com</recipient-uri>"), std::string::npos) << delivered;
  EXPECT_NE(delivered.find("<original-recipient-uri>sip:team@example.com</original-recipient-uri>"),
            std::string::npos)
      << delivered;
  const std::string& forbidden = reports[1];
  EXPECT_NE(forbidden.find("<forbidden/>"), std::string::npos) << forbidden;
  EXPECT_NE(forbidden.find("<recipient-uri>sip:carol@example.com</recipient-uri>"), std::string::npos) << forbidden;
  EXPECT_FALSE(alice.Receive());
}

TEST_F(Groups, WhoMayPost) {
  MakeTeam(store::GroupAck::kSingle);
  ASSERT_TRUE(store_->RemoveGroupMember("team@example.com", "carol@example.com").value_or(false));
  Restart();
  SipClient carol(false, udp_);
  auto r = Send(carol, "carol", "team", "let me in");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status(), 403);
  EXPECT_EQ(r->reason(), "Not a Member of the Group");
  // Unauthenticated (no credentials at all, From a foreign domain).
  SipClient stranger(false, udp_);
  stranger.SendRaw(Request(stranger, "MESSAGE", "sip:team@example.com", "x", "sip:team@example.com", "grp-anon", 1,
                           "Content-Type: text/plain\n", "hi"));
  auto anon = stranger.Receive();
  ASSERT_TRUE(anon);
  EXPECT_TRUE(anon->status() == 407 || anon->status() == 403) << anon->status();

  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com", .ack = store::GroupAck::kSingle,
                                 .posting = store::GroupPosting::kUsers, .members = {}})
                  .ok());
  Restart();  // a new port: a new client
  SipClient carol2(false, udp_);
  EXPECT_EQ(Status(Send(carol2, "carol", "team", "any user may post")), 202);
  EXPECT_EQ(Queued("alice"), 1u);
  EXPECT_EQ(Queued("bob"), 1u);
  // isComposing never goes to a group.
  auto typing = Send(carol2, "carol", "team", "<isComposing/>", "", "application/im-iscomposing+xml");
  ASSERT_TRUE(typing);
  EXPECT_EQ(typing->status(), 415);
}

TEST_F(Groups, NestedGroupsExpandOnceAndLoopsAreRefused) {
  ASSERT_TRUE(store_->SaveGroup({.aor = "all@example.com", .ack = store::GroupAck::kSingle,
                                 .posting = store::GroupPosting::kUsers, .members = {}})
                  .ok());
  ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com", .ack = store::GroupAck::kSingle,
                                 .posting = store::GroupPosting::kUsers, .members = {}})
                  .ok());
  ASSERT_TRUE(store_->AddGroupMember("all@example.com", "team@example.com").ok());
  ASSERT_TRUE(store_->AddGroupMember("all@example.com", "bob@example.com").ok());
  ASSERT_TRUE(store_->AddGroupMember("team@example.com", "all@example.com").ok());  // a cycle
  ASSERT_TRUE(store_->AddGroupMember("team@example.com", "bob@example.com").ok());
  ASSERT_TRUE(store_->AddGroupMember("team@example.com", "carol@example.com").ok());
  Restart();
  SipClient alice(false, udp_);
  ASSERT_EQ(Status(Send(alice, "alice", "all", "to everyone")), 202);
  EXPECT_EQ(Queued("bob"), 1u);  // in both groups: once
  EXPECT_EQ(Queued("carol"), 1u);

  // A member's forwarder sends a copy back to the group: its History-Info
  // says where it has been.
  auto loop = Send(alice, "alice", "all", "echo", "History-Info: <sip:all@example.com>;index=1\n");
  ASSERT_TRUE(loop);
  EXPECT_EQ(loop->status(), 482);
  EXPECT_EQ(Queued("bob"), 1u);
}

TEST_F(Groups, EditsTakeEffectWhileRunning) {
  SipClient alice(false, udp_);
  auto before = Send(alice, "alice", "crew", "anyone?");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status(), 404);  // no such user, no such group yet
  ASSERT_TRUE(store_->SaveGroup({.aor = "crew@example.com", .ack = store::GroupAck::kSingle,
                                 .posting = store::GroupPosting::kUsers, .members = {}})
                  .ok());
  ASSERT_TRUE(store_->AddGroupMember("crew@example.com", "carol@example.com").ok());
  int status = 0;
  for (int i = 0; i < 100 && status != 202; ++i) {  // the change feed is polled every 50 ms
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = Status(Send(alice, "alice", "crew", "now?"));
  }
  EXPECT_EQ(status, 202);
  EXPECT_EQ(Queued("carol"), 1u);
  ASSERT_TRUE(store_->DeleteGroup("crew@example.com").value_or(false));
  for (int i = 0; i < 100 && status != 404; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = Status(Send(alice, "alice", "crew", "gone?"));
  }
  EXPECT_EQ(status, 404);
}

}  // namespace
}  // namespace parley::server
