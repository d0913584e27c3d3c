#include "aaa/credential_snapshot.h"

#include <gtest/gtest.h>

#include <string>

#include "test_creds.h"

namespace parley::aaa {
namespace {

std::string Aor(int i) { return "user" + std::to_string(i) + "@example.com"; }

TEST(CredentialSnapshot, FindsEveryUserAddedAndNothingElse) {
  CredentialSnapshot s(3);  // a low hint: the table grows many times
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(s.Add(Aor(i), FilledCredentials(static_cast<char>('a' + i % 26))));
  EXPECT_EQ(s.size(), 20000u);
  for (int i = 0; i < 20000; ++i) {
    const UserCredentials* u = s.Find(Aor(i));
    ASSERT_NE(u, nullptr) << i;
    EXPECT_EQ(u->ha1_md5(), std::string(32, static_cast<char>('a' + i % 26))) << i;
  }
  EXPECT_EQ(s.Find("user20000@example.com"), nullptr);
  EXPECT_EQ(s.Find("user1@example.co"), nullptr);  // a prefix of a name is not the name
  EXPECT_EQ(s.Find(""), nullptr);
  CredentialSnapshot empty;
  EXPECT_EQ(empty.Find("user1@example.com"), nullptr);
}

TEST(CredentialSnapshot, ARepeatedAorReplacesItsEntry) {
  CredentialSnapshot s;
  ASSERT_TRUE(s.Add("a@example.com", FilledCredentials('1')));
  ASSERT_TRUE(s.Add("b@example.com", FilledCredentials('2')));
  ASSERT_TRUE(s.Add("a@example.com", FilledCredentials('3', false)));
  EXPECT_EQ(s.size(), 2u);
  ASSERT_NE(s.Find("a@example.com"), nullptr);
  EXPECT_EQ(s.Find("a@example.com")->ha1_md5(), std::string(32, '3'));
  EXPECT_FALSE(s.Find("a@example.com")->enabled());
  EXPECT_EQ(s.Find("b@example.com")->ha1_md5(), std::string(32, '2'));
}

}  // namespace
}  // namespace parley::aaa
