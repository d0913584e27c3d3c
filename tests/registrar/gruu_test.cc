#include "registrar/gruu.h"

#include <gtest/gtest.h>

#include <set>

#include "sip/uri.h"

namespace parley::registrar {
namespace {

const std::string kInstance = "<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";
constexpr std::array<uint8_t, 12> kIv1{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
constexpr std::array<uint8_t, 12> kIv2{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

TEST(Gruu, PublicGruuIsTheAorWithTheInstance) {
  EXPECT_EQ(PublicGruu("alice@example.com", kInstance),
            "sip:alice@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
  const std::string pub = PublicGruu("alice@example.com", kInstance);  // the parsed URI points into it
  auto uri = sip::ParseUri(pub);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->params.Get("gr"), "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
}

TEST(Gruu, OnlyUrnInstancesThatFitAUriParameterNameAGruu) {
  EXPECT_TRUE(GruuInstance(kInstance));
  EXPECT_TRUE(GruuInstance("<URN:uuid:1>"));
  EXPECT_FALSE(GruuInstance("urn:uuid:1"));                 // no angle brackets
  EXPECT_FALSE(GruuInstance("<http://example.com/x>"));     // not a URN
  EXPECT_FALSE(GruuInstance("<urn:x;y>"));                  // ';' would end the parameter
  EXPECT_FALSE(GruuInstance("<urn:a b>"));
  EXPECT_FALSE(GruuInstance("<urn:" + std::string(260, 'a') + ">"));
}

TEST(Gruu, TemporaryGruuOpensToItsBindingOnlyUnderItsKey) {
  GruuCodec codec("secret-1");
  std::string uri = codec.Mint("alice@example.com", kInstance, "call-1@host", kIv1);
  ASSERT_TRUE(uri.starts_with("sip:tgruu.")) << uri;
  ASSERT_TRUE(uri.ends_with("@example.com;gr")) << uri;
  EXPECT_EQ(uri.find("alice"), std::string::npos);  // nothing readable about the user
  auto parsed = sip::ParseUri(uri);
  ASSERT_TRUE(parsed.ok()) << uri;
  auto g = codec.OpenUri(*parsed);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->aor, "alice@example.com");
  EXPECT_EQ(g->instance, kInstance);
  EXPECT_EQ(g->call_id_hash, CallIdHash("call-1@host"));
  EXPECT_NE(g->call_id_hash, CallIdHash("call-2@host"));

  // Each REGISTER gets a new one (another IV): unlinkable, and both valid.
  std::string other = codec.Mint("alice@example.com", kInstance, "call-1@host", kIv2);
  EXPECT_NE(other, uri);
  EXPECT_TRUE(codec.OpenUri(*sip::ParseUri(other)));

  // Another key (another deployment), a changed character, a cut token,
  // another domain, a public-GRUU form: not ours.
  EXPECT_FALSE(GruuCodec("secret-2").OpenUri(*parsed));
  std::string user(parsed->user);
  for (size_t i = GruuCodec::kUserPrefix.size(); i < user.size(); i += 7) {
    std::string bad = user;
    bad[i] = bad[i] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(codec.Open(bad)) << i;
  }
  EXPECT_FALSE(codec.Open(user.substr(0, user.size() - 1)));
  EXPECT_FALSE(codec.Open(user + "a"));
  EXPECT_FALSE(codec.Open("tgruu."));
  EXPECT_FALSE(codec.Open("tgruu.!!!!"));
  EXPECT_FALSE(codec.Open("alice"));
  EXPECT_FALSE(codec.Open("tgruu." + std::string(5000, 'a')));
  EXPECT_FALSE(codec.OpenUri(*sip::ParseUri("sip:" + user + "@example.org;gr")));
  // Without "gr" (a UA that dropped the URI's parameters): still the GRUU.
  EXPECT_TRUE(codec.OpenUri(*sip::ParseUri("sip:" + user + "@example.com")));
  EXPECT_FALSE(codec.OpenUri(*sip::ParseUri("sip:" + user + "@example.com;gr=urn:x:y")));
  EXPECT_TRUE(codec.OpenUri(*sip::ParseUri("sip:" + user + "@EXAMPLE.com;gr")));  // hosts are case-insensitive
}

TEST(Gruu, MintRefusesWhatItCouldNotCarry) {
  GruuCodec codec("k");
  EXPECT_EQ(codec.Mint("no-domain", kInstance, "c", kIv1), "");
  EXPECT_EQ(codec.Mint(std::string(300, 'a') + "@x", kInstance, "c", kIv1), "");
  // A long Call-ID is only hashed.
  EXPECT_NE(codec.Mint("a@x", kInstance, std::string(10000, 'c'), kIv1), "");
}

}  // namespace
}  // namespace parley::registrar
