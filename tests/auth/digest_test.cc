#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "auth/digest.h"
#include "sip/parser.h"
#include "sip/validate.h"
#include "sip/test_util.h"

namespace parley::auth {
namespace {

// RFC 7616 §3.9.1.
Credentials Rfc7616Example(Algorithm a) {
  Credentials c;
  c.username = "Mufasa";
  c.realm = "http-auth@example.org";
  c.uri = "/dir/index.html";
  c.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  c.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  c.nc = "00000001";
  c.qop = "auth";
  c.algorithm = a;
  return c;
}

// Each thread keeps one context per algorithm: alternating algorithms and
// threads must still give the standard digests (RFC 1321 A.5, FIPS 180-2 B.1).
TEST(Digest, HashHexAlternatesAlgorithmsOnEveryThread) {
  auto check = [] {
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(HashHex(Algorithm::kMd5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
      EXPECT_EQ(HashHex(Algorithm::kSha256, "abc"),
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
      EXPECT_EQ(HashHex(Algorithm::kMd5, ""), "d41d8cd98f00b204e9800998ecf8427e");
    }
  };
  check();
  std::thread other(check);
  other.join();
}

TEST(Digest, Rfc7616VectorMd5) {
  auto c = Rfc7616Example(Algorithm::kMd5);
  std::string ha1 = ComputeHa1(c.algorithm, c.username, c.realm, "Circle of Life");
  EXPECT_EQ(ExpectedResponse(c, ha1, "GET"), "8ca523f5e9506fed4657c9700eebdbec");
}

TEST(Digest, Rfc7616VectorSha256) {
  auto c = Rfc7616Example(Algorithm::kSha256);
  std::string ha1 = ComputeHa1(c.algorithm, c.username, c.realm, "Circle of Life");
  EXPECT_EQ(ExpectedResponse(c, ha1, "GET"), "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

TEST(Digest, Rfc2069WithoutQop) {
  // RFC 2617 §3.5 style without qop: response = H(HA1:nonce:HA2).
  Credentials c;
  c.username = "alice";
  c.realm = "example.com";
  c.uri = "sip:example.com";
  c.nonce = "abc";
  std::string ha1 = ComputeHa1(Algorithm::kMd5, "alice", "example.com", "pw");
  std::string expect = HashHex(Algorithm::kMd5, ha1 + ":abc:" + HashHex(Algorithm::kMd5, "REGISTER:sip:example.com"));
  EXPECT_EQ(ExpectedResponse(c, ha1, "REGISTER"), expect);
}

TEST(Digest, ParseCredentials) {
  auto c = ParseCredentials(
      "Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", uri=\"sip:example.com\", "
      "response=\"0A1B\", algorithm=SHA-256, qop=auth, nc=0000000a, cnonce=\"xyz\", opaque=\"o\"");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->algorithm, Algorithm::kSha256);
  EXPECT_EQ(c->nonce_count, 10u);
  EXPECT_EQ(c->response, "0a1b");
  EXPECT_EQ(c->opaque, "o");
}

TEST(Digest, ParseRejects) {
  EXPECT_EQ(ParseCredentials("NoOneKnowsThisScheme opaque-data=here").error().code, 0);  // RFC 4475 regaut01
  EXPECT_EQ(ParseCredentials("Digest username=\"a\"").error().code, 400);
  EXPECT_EQ(ParseCredentials("Digest username=\"a\", nonce=\"n\", uri=\"u\", response=\"r\", qop=auth-int, "
                             "nc=00000001, cnonce=\"c\"")
                .error()
                .code,
            400);
  EXPECT_EQ(ParseCredentials("Digest username=\"a\", nonce=\"n\", uri=\"u\", response=\"r\", algorithm=MD5-sess")
                .error()
                .code,
            400);
}

TEST(Digest, Regaut01UnknownSchemeIsIgnored) {
  // RFC 4475 §3.3.7: the credentials are not Digest, so the element ignores
  // them and challenges (the registrar turns error code 0 into a 401).
  auto m = sip::testing::Parse(sip::testing::Conformance("rfc4475/regaut01.dat"));
  ASSERT_TRUE(m);
  ASSERT_FALSE(sip::ValidateRequest(*m).has_value());
  auto c = ParseCredentials(m->Value(sip::HeaderId::kAuthorization));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, 0);
}

TEST(Nonce, IssueVerifyStaleInvalid) {
  NonceService ns(std::string(32, 'k'), 300);
  std::string n = ns.Issue(1000);
  EXPECT_EQ(ns.Verify(n, 1000), NonceService::Check::kValid);
  EXPECT_EQ(ns.Verify(n, 1300), NonceService::Check::kValid);
  EXPECT_EQ(ns.Verify(n, 1301), NonceService::Check::kStale);
  EXPECT_EQ(ns.Verify(n, 900), NonceService::Check::kInvalid);  // from the future
  std::string tampered = n;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ns.Verify(tampered, 1000), NonceService::Check::kInvalid);
  EXPECT_EQ(ns.Verify("short", 1000), NonceService::Check::kInvalid);
  NonceService other(std::string(32, 'x'), 300);
  EXPECT_EQ(other.Verify(n, 1000), NonceService::Check::kInvalid);
  EXPECT_NE(ns.Issue(1000), ns.Issue(1000));
}

TEST(Nonce, NonceCountReplay) {
  NonceService ns(std::string(32, 'k'));
  std::string n = ns.Issue(1);
  EXPECT_TRUE(ns.AcceptNonceCount(n, 1));
  EXPECT_FALSE(ns.AcceptNonceCount(n, 1));  // replay
  EXPECT_TRUE(ns.AcceptNonceCount(n, 2));
  EXPECT_TRUE(ns.AcceptNonceCount(n, 5));   // gaps are fine
  EXPECT_FALSE(ns.AcceptNonceCount(n, 4));  // going back is not
  EXPECT_FALSE(ns.AcceptNonceCount(n, 0));
  EXPECT_TRUE(ns.AcceptNonceCount(n, 0xffffff));
  EXPECT_FALSE(ns.AcceptNonceCount(n, 0x1000000)) << "past the 24 bits an entry keeps: challenged afresh";
}

// `count` nonces issued at `ts`, each used with nc 1 and 2 (a first use
// the table refuses, about 1 in 2^31, leaves one out).
std::vector<std::string> UsedTwice(NonceService& ns, int count, int64_t ts) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    std::string n = ns.Issue(ts);
    if (ns.AcceptNonceCount(n, 1) && ns.AcceptNonceCount(n, 2)) out.push_back(std::move(n));
  }
  return out;
}

// `count` nonces issued at `ts` used once each; how many the table refused
// (a first use is fresh unless its 32-bit tag matches an entry in one of its
// two slots: about 1 in 2^31).
int RefusedFirstUses(NonceService& ns, int count, int64_t ts) {
  int refused = 0;
  for (int i = 0; i < count; ++i) refused += !ns.AcceptNonceCount(ns.Issue(ts), 1);
  return refused;
}

TEST(Nonce, AReusedNonceOutlivesManyOneShotOnes) {
  // A client that keeps its nonce (nc 1, 2, 3, ...) while the server hands
  // out many others used once each (a registration storm): its entry is not
  // the one a new nonce takes, so it is not re-challenged with stale=true.
  NonceService ns(std::string(32, 'k'));
  std::vector<std::string> kept = UsedTwice(ns, 100, 1);
  ASSERT_EQ(kept.size(), 100u);
  EXPECT_LE(RefusedFirstUses(ns, 300000, 2), 1);
  // An entry goes only when both slots of a new nonce hold reused ones
  // (about 300,000 x (100 / 2^18)^2 = 0.04 per run here); without the
  // preference most of the 100 would be gone.
  int fresh = 0;
  for (const auto& n : kept) fresh += ns.AcceptNonceCount(n, 3);
  EXPECT_GE(fresh, 98);
  for (const auto& n : kept) EXPECT_FALSE(ns.AcceptNonceCount(n, 3)) << "still a replay";
}

TEST(Nonce, EntriesOfExpiredNoncesGoBeforeLiveOnes) {
  // Entries of nonces past their lifetime (used twice, so the nc rule alone
  // would keep them as long as live ones) are the ones new nonces take.
  NonceService ns(std::string(32, 'k'), 300);
  UsedTwice(ns, 200000, 1);
  std::vector<std::string> live = UsedTwice(ns, 100, 5000);
  ASSERT_EQ(live.size(), 100u);
  EXPECT_LE(RefusedFirstUses(ns, 300000, 5001), 1);
  int fresh = 0;  // as above: with a tie on uses instead, most would be gone
  for (const auto& n : live) fresh += ns.AcceptNonceCount(n, 3);
  EXPECT_GE(fresh, 98);
}

TEST(Nonce, FirstUsesOfOneNonceRacingAreAcceptedOnce) {
  NonceService ns(std::string(32, 'k'));
  for (int round = 0; round < 2000; ++round) {
    std::string n = ns.Issue(round);
    std::atomic<int> accepted{0};
    std::thread a([&] { accepted += ns.AcceptNonceCount(n, 1); });
    std::thread b([&] { accepted += ns.AcceptNonceCount(n, 1); });
    a.join();
    b.join();
    EXPECT_LE(accepted.load(), 1) << round;
  }
}

TEST(Nonce, NonceCountConcurrent) {
  // Two threads race on the same nonce: every nc is accepted at most once.
  NonceService ns(std::string(32, 'k'));
  std::string n = ns.Issue(1);
  std::atomic<int> accepted{0};
  auto run = [&] {
    for (uint32_t nc = 1; nc <= 20000; ++nc) accepted += ns.AcceptNonceCount(n, nc);
  };
  std::thread a(run), b(run);
  a.join();
  b.join();
  EXPECT_LE(accepted.load(), 20000);
  EXPECT_GE(accepted.load(), 10000);
}

TEST(Challenge, Format) {
  EXPECT_EQ(MakeChallenge(Algorithm::kSha256, "example.com", "n0", true),
            "Digest realm=\"example.com\", nonce=\"n0\", algorithm=SHA-256, qop=\"auth\", stale=true");
  std::string challenge = MakeChallenge(Algorithm::kMd5, "r", "n", false, "op");  // views point into it
  auto parsed = sip::ParseAuthField(challenge);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed->Param("opaque"), "op");
  EXPECT_EQ(*parsed->Param("qop"), "auth");
}

}  // namespace
}  // namespace parley::auth
