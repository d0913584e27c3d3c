#include "transport/steering.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/strings.h"
#include "test_util.h"

namespace parley::transport::testing {
namespace {

using internal::kSteeredUriBytes;
using internal::kSteeringWindow;
using internal::kToWindow;
using internal::SteeringMarkers;
using internal::SteeringProgram;

constexpr size_t kLoops = 12;  // enough for a letter among the hex digits
constexpr std::string_view kPrefix = "z9hG4bK-s";
constexpr std::string_view kRequestPrefix = "SUBSCRIBE sip:ev-";
const std::vector<std::string> kUriRequests = {"MESSAGE sip:", "PUBLISH sip:", "SUBSCRIBE sip:"};
constexpr std::string_view kToRequest = "REGISTER ";

TransportConfig SteeredConfig() {
  TransportConfig c;
  c.listen = {Listen(Protocol::kUdp, "127.0.0.1")};
  c.tls_verify = TlsVerify::kNone;
  c.udp_response_steering = std::string(kPrefix);
  c.udp_request_steering = std::string(kRequestPrefix);
  c.udp_uri_steering = kUriRequests;
  c.udp_to_steering = std::string(kToRequest);
  return c;
}

// The loop a user's requests belong to (the server's ShardOf).
int LoopOf(std::string_view aor) { return static_cast<int>(ShardHash(aor) % kLoops); }

// A response whose top Via carries `branch`, after `padding` bytes of an
// extension field (pushing the branch further into the datagram).
std::string Response(std::string_view branch, size_t padding = 0) {
  std::string s = "SIP/2.0 200 OK\r\n";
  if (padding > 0) s += "X-Padding: " + std::string(padding, 'p') + "\r\n";
  s += "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=" + std::string(branch) + "\r\n";
  s += "From: <sip:alice@example.com>;tag=a1\r\n";
  s += "To: <sip:bob@example.com>;tag=b1\r\n";
  s += "Call-ID: steer@test\r\n";
  s += "CSeq: 1 NOTIFY\r\n";
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

// Sends `datagram` from `sockets` fresh sockets (fresh source ports, so the
// kernel's hash alone would spread them) and returns the loops it reached.
std::multiset<int> LoopsReached(Node& node, const std::string& datagram, size_t sockets) {
  SocketAddress server = node.bound(Protocol::kUdp);
  std::vector<RawSocket> clients;
  for (size_t i = 0; i < sockets; ++i) {
    clients.push_back(RawSocket::Udp());
    clients.back().SendTo(server, datagram);
  }
  std::multiset<int> loops;
  for (size_t i = 0; i < sockets; ++i) {
    auto in = node.inbox.PopWithLoop();
    if (!in) break;
    loops.insert(in->second);
  }
  return loops;
}

// A request to `ruri` with the Via of the test's socket.
std::string RequestTo(std::string_view method, std::string_view ruri) {
  std::string s = Request(1, "UDP", "client.invalid:5070", "", ";rport");
  s.replace(0, s.find(" SIP/2.0"), std::string(method) + " " + std::string(ruri));
  return s;
}

// A REGISTER whose To field line is `to` (e.g. "To: <sip:u1@example.com>"),
// after `padding` bytes of an extension field.
std::string RegisterWith(std::string_view to, size_t padding = 0) {
  std::string s = "REGISTER sip:example.com SIP/2.0\r\n";
  s += "Via: SIP/2.0/UDP client.invalid:5070;branch=z9hG4bK-r1;rport\r\n";
  if (padding > 0) s += "X-Padding: " + std::string(padding, 'p') + "\r\n";
  s += "Max-Forwards: 70\r\n";
  s += "From: <sip:somebody.else@example.com>;tag=a1\r\n";
  s += std::string(to) + "\r\n";
  s += "Call-ID: reg-1@test\r\n";
  s += "CSeq: 1 REGISTER\r\n";
  s += "Contact: <sip:u@client.invalid:5070>\r\n";
  s += "Content-Length: 0\r\n\r\n";
  return s;
}

TEST(Steering, TheProgramFitsTheKernelsLimit) {
  for (std::string_view prefix : {std::string_view("z9hG"), kPrefix, std::string_view("z9hG4bK-some-longer-prefix-")}) {
    for (std::string_view request : {std::string_view(), std::string_view("A"), kRequestPrefix}) {
      for (uint32_t loops : {0u, 2u, 64u}) {
        auto code = SteeringProgram(SteeringMarkers{prefix, request, kUriRequests, kToRequest, loops});
        EXPECT_LE(code.size(), size_t{BPF_MAXINSNS}) << prefix;
        EXPECT_EQ(code.back().code, BPF_RET | BPF_K) << "the miss path ends it";
        EXPECT_EQ(code.back().k, 0xffffffffu) << "past the group's end: the kernel's hash";
      }
    }
  }
  EXPECT_LT(SteeringProgram(SteeringMarkers{{}, kRequestPrefix, {}, {}, 12}).size(), 64u) << "no scan for a branch";
  EXPECT_LT(SteeringProgram(SteeringMarkers{{}, kRequestPrefix, kUriRequests, kToRequest, 1}).size(), 64u)
      << "one loop: nothing to hash";
}

TEST(Steering, AResponseReachesTheLoopItsBranchNames) {
  Node node(SteeredConfig(), kLoops);
  ASSERT_TRUE(node.Start().ok());
  ASSERT_EQ(node.transport().steered_udp_listen_points(), 1u) << node.transport().steering_error();

  for (std::string_view branch : {"z9hG4bK-s1-abc.12345678", "z9hG4bK-s0-x", "z9hG4bK-sb-y"}) {
    const int loop = branch[9] == 'b' ? 11 : branch[9] - '0';
    auto loops = LoopsReached(node, Response(branch), 16);
    EXPECT_EQ(loops.size(), 16u) << branch;
    EXPECT_EQ(loops.count(loop), loops.size()) << branch;
  }
  // Further in, but inside the window.
  auto loops = LoopsReached(node, Response("z9hG4bK-s7-far", 300), 16);
  EXPECT_EQ(loops.count(7), 16u);
}

TEST(Steering, ARequestWithTheMarkerReachesTheLoopItNames) {
  Node node(SteeredConfig(), kLoops);
  ASSERT_TRUE(node.Start().ok());
  auto loops = LoopsReached(node, RequestTo("SUBSCRIBE", "sip:ev-a-42@127.0.0.1"), 16);
  EXPECT_EQ(loops.count(10), 16u);
  loops = LoopsReached(node, RequestTo("SUBSCRIBE", "sip:ev-3-7@127.0.0.1:5060"), 16);
  EXPECT_EQ(loops.count(3), 16u);
  // Not that marker (another user, no digit, two digits): a SUBSCRIBE about
  // a user, placed by its request URI; another method: the hash.
  for (std::string_view user : {"u1", "ev-x-1", "ev-12-1"}) {
    loops = LoopsReached(node, RequestTo("SUBSCRIBE", "sip:" + std::string(user) + "@127.0.0.1"), 8);
    EXPECT_EQ(loops.count(LoopOf(std::string(user) + "@127.0.0.1")), 8u) << user;
  }
  loops = LoopsReached(node, RequestTo("NOTIFY", "sip:ev-1-42@127.0.0.1"), 32);
  EXPECT_EQ(loops.size(), 32u);
  EXPECT_GT(loops.size(), loops.count(1));
}

TEST(Steering, ARequestAboutAUserReachesTheLoopOwningIt) {
  Node node(SteeredConfig(), kLoops);
  ASSERT_TRUE(node.Start().ok());
  // By the request URI: user and host folded to lower case, a port or
  // parameters after the host, the characters of phone numbers and dotted
  // names; one of exactly kSteeredUriBytes - 1 bytes before its end.
  const std::string longest = std::string(kSteeredUriBytes - 1 - 12, 'x') + "@example.com";
  for (std::string_view aor : {"u0@example.com", "u1@example.com", "u17@example.com", "Alice.Smith@Example.COM",
                               "+49-30-1234,5/6@sip.example.org", "bob@10.0.0.1"}) {
    for (std::string_view method : {"MESSAGE", "PUBLISH", "SUBSCRIBE"}) {
      for (std::string_view after : {"", ":5060", ";transport=udp"}) {
        std::string ruri = "sip:" + std::string(aor) + std::string(after);
        auto loops = LoopsReached(node, RequestTo(method, ruri), 4);
        EXPECT_EQ(loops.count(LoopOf(aor)), 4u) << method << " " << ruri;
      }
    }
  }
  auto loops = LoopsReached(node, RequestTo("MESSAGE", "sip:" + longest), 4);
  EXPECT_EQ(loops.count(LoopOf(longest)), 4u);
  // A REGISTER by its To URI, in the forms UAs write it.
  for (std::string_view to : {"To: <sip:u5@example.com>", "to:  <sip:U5@example.com>;tag=1", "TO:sip:u5@example.com;x=1",
                              "To: <sip:u5@example.com:5060;transport=tcp>"}) {
    loops = LoopsReached(node, RegisterWith(to), 4);
    EXPECT_EQ(loops.count(LoopOf("u5@example.com")), 4u) << to;
  }
  loops = LoopsReached(node, RegisterWith("To: <sip:u6@example.com>", kToWindow - 200), 4);
  EXPECT_EQ(loops.count(LoopOf("u6@example.com")), 4u) << "near the end of the window";
}

TEST(Steering, RandomPlainUsersLandWhereShardHashPutsThem) {
  // The kernel runs the program: every plain user@host it reads must give
  // the loop the server computes (ShardHash % loops), whatever its letters'
  // case, length (up to kSteeredUriBytes - 1 bytes) or method.
  Node node(SteeredConfig(), kLoops);
  ASSERT_TRUE(node.Start().ok());
  std::mt19937 rng(20261206);
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+,-./";
  auto word = [&](size_t n) {
    std::string w;
    for (size_t i = 0; i < n; ++i) w.push_back(alphabet[rng() % alphabet.size()]);
    return w;
  };
  const std::string_view methods[] = {"MESSAGE", "PUBLISH", "SUBSCRIBE", "REGISTER"};
  for (int i = 0; i < 200; ++i) {
    const size_t user_len = 1 + rng() % 20;
    const size_t host_len = 1 + rng() % (kSteeredUriBytes - 2 - user_len);
    const std::string aor = word(user_len) + "@" + word(host_len);
    std::string_view method = methods[rng() % 4];
    std::string request = method == "REGISTER" ? RegisterWith("To: <sip:" + aor + ">")
                                               : RequestTo(method, "sip:" + aor);
    auto loops = LoopsReached(node, request, 1);
    ASSERT_EQ(loops.size(), 1u) << aor;
    EXPECT_EQ(*loops.begin(), LoopOf(aor)) << method << " " << aor;
  }
}

TEST(Steering, WhatTheProgramCannotReadIsHashedAndDelivered) {
  Node node(SteeredConfig(), kLoops);
  ASSERT_TRUE(node.Start().ok());
  // Each of these would need the parser (an escape, a display name, a
  // password, no user, a URI too long, '_', a field beyond the window, an
  // unknown method): the kernel's hash spreads them over the loops.
  const std::string too_long = std::string(kSteeredUriBytes, 'x') + "@example.com";
  std::vector<std::string> requests = {
      RequestTo("MESSAGE", "sip:%75%31@example.com"),  RequestTo("MESSAGE", "sip:u1:secret@example.com"),
      RequestTo("MESSAGE", "sip:example.com"),         RequestTo("MESSAGE", "sip:" + too_long),
      RequestTo("PUBLISH", "sip:first_last@example.com"), RequestTo("PUBLISH", "sips:u1@example.com"),
      RequestTo("INFO", "sip:u1@example.com"),         RegisterWith("To: \"U One\" <sip:u1@example.com>"),
      RegisterWith("t: <sip:u1@example.com>"),         RegisterWith("To: <sip:u1@example.com>", kToWindow),
      RegisterWith("To: <tel:+4930123>")};
  for (const std::string& r : requests) {
    auto loops = LoopsReached(node, r, 36);
    EXPECT_EQ(loops.size(), 36u) << r;
    EXPECT_LT(loops.count(LoopOf("u1@example.com")), 36u) << r;
  }
  EXPECT_EQ(node.inbox.size(), 0u);
}

TEST(Steering, EverythingElseIsStillDelivered) {
  Node node(SteeredConfig(), kLoops);
  ASSERT_TRUE(node.Start().ok());
  // Requests are spread by the hash, whatever branch they carry (their top
  // Via is the sender's): 32 source ports on 12 loops reach more than one.
  std::string request = RequestTo("OPTIONS", "sip:parley@127.0.0.1");
  request.replace(request.find("z9hG4bK-1"), 9, "z9hG4bK-s1-");
  auto loops = LoopsReached(node, request, 32);
  EXPECT_EQ(loops.size(), 32u);
  EXPECT_GT(loops.size(), loops.count(1));
  // Responses the program cannot place: a shard number of two digits, an
  // upper-case digit, a loop past the group, someone else's branch, and ours
  // beyond the window.
  for (const std::string& r : std::vector<std::string>{Response("z9hG4bK-s1f-two"), Response("z9hG4bK-sB-upper"), Response("z9hG4bK-sf-none"),
                               Response("z9hG4bK776asdhds"), Response("z9hG4bK-s1-beyond", kSteeringWindow)}) {
    EXPECT_EQ(LoopsReached(node, r, 4).size(), 4u) << r;
  }
  EXPECT_EQ(node.inbox.size(), 0u);
}

TEST(Steering, OneLoopNeedsNoProgram) {
  Node node(SteeredConfig(), 1);
  ASSERT_TRUE(node.Start().ok());
  EXPECT_EQ(node.transport().steered_udp_listen_points(), 0u);
  EXPECT_EQ(node.transport().steering_error(), "");
  EXPECT_EQ(LoopsReached(node, Response("z9hG4bK-s1-x"), 2).count(0), 2u);
}

}  // namespace
}  // namespace parley::transport::testing
