// The reception policy a user edits over HTTP (GET/PUT /v1/policy): the same
// policy `parleyctl policy` edits, applied at once to what reaches the user.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.h"
#include "sip_client.h"

namespace parley::server {
namespace {

using testing::SipClient;

class PolicyApi : public ServerFixture {};

TEST_F(PolicyApi, UsersScreenTheirOwnSenders) {
  SipClient bob(false, udp_);
  ASSERT_EQ(Register(bob, "bob", "bob-pw")->status(), 200);
  auto empty = Http("GET", "/v1/policy", "bob");
  ASSERT_EQ(empty.status, 200);
  EXPECT_EQ(nlohmann::json::parse(empty.body), nlohmann::json::parse(R"({"mode":"reject","entries":[]})"));
  EXPECT_EQ(Http("GET", "/v1/policy", "").status, 401);

  // Faults are named.
  for (const char* bad : {"[]", R"({"mode":"ignore"})", R"({"entries":[{"pattern":"alice@example.com"}]})",
                          R"({"entries":[{"pattern":"alice@example.com","action":"mute"}]})",
                          R"({"entries":[{"pattern":"not a pattern@","action":"block"}]})"}) {
    auto r = Http("PUT", "/v1/policy", "bob", bad, "application/json");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  }

  // bob blocks alice: her next MESSAGE gets 403.
  auto put = Http("PUT", "/v1/policy", "bob",
                  R"({"mode":"reject","entries":[{"pattern":"alice@Example.COM","action":"block"}]})",
                  "application/json");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(nlohmann::json::parse(put.body)["entries"][0]["pattern"], "alice@example.com");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the owner shard drops its copy
  SipClient alice(false, udp_);
  auto blocked = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "spam");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status(), 403);

  // A PUT replaces the whole policy: alice passes again, example.org is dropped quietly.
  put = Http("PUT", "/v1/policy", "bob", R"({"mode":"discard","entries":[{"pattern":"example.org","action":"block"}]})",
             "application/json");
  ASSERT_EQ(put.status, 200) << put.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto passes = SendMessage(alice, "alice", "alice-pw", "sip:bob@example.com", "hello again", &bob);
  ASSERT_TRUE(passes);
  EXPECT_EQ(passes->status(), 200);
  EXPECT_EQ(received_, "hello again");
  auto stored = store_->GetPolicy("bob@example.com");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->mode, store::BlockMode::kDiscard);
  ASSERT_EQ(stored->entries.size(), 1u);
  EXPECT_EQ(stored->entries[0].pattern, "example.org");
  // Each user edits only their own.
  EXPECT_EQ(nlohmann::json::parse(Http("GET", "/v1/policy", "alice").body)["entries"].size(), 0u);
}

}  // namespace
}  // namespace parley::server
