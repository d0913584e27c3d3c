#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "sip/fields.h"
#include "sip/params.h"

namespace parley::sip {
namespace {

constexpr std::array<std::string_view, 3> kViaNames = {"branch", "received", "rport"};
using Found = std::array<std::optional<std::string_view>, 3>;

TEST(PlainHeaderParams, OnePassFindsWhatGetFinds) {
  const std::string text = ";Branch=z9hG4bK-s0-1;rport;received=192.0.2.1;branch=second;x=y";
  Found out;
  ASSERT_TRUE(ScanPlainHeaderParams(text, kViaNames, out));
  EXPECT_EQ(out[0], "z9hG4bK-s0-1");  // the first of two, case-insensitive
  ASSERT_TRUE(out[2].has_value());
  EXPECT_TRUE(out[2]->empty());  // present without a value
  EXPECT_EQ(out[1], "192.0.2.1");
  const Params p(text);
  EXPECT_EQ(p.Get("branch"), out[0]);
  EXPECT_EQ(p.Get("rport"), out[2]);
  EXPECT_EQ(p.Get("received"), out[1]);

  Found none;
  ASSERT_TRUE(ScanPlainHeaderParams(std::string_view(";a;b=c"), kViaNames, none));
  EXPECT_EQ(none, Found{});
}

TEST(PlainHeaderParams, AnythingElseIsLeftToTheGeneralFunctions) {
  // Valid lists the shortcut does not judge...
  for (std::string_view text : {"; branch=x", ";branch = x", ";tag=\"quoted; value\"", ";received=::1",
                                ";received=[2001:db8::1]", ";a=b ;c"}) {
    Found out;
    EXPECT_FALSE(ScanPlainHeaderParams(text, kViaNames, out)) << text;
    EXPECT_TRUE(ValidParams(text, ParamSyntax::kHeader)) << text;
  }
  // ...and invalid ones, which it never accepts.
  for (std::string_view text : {";", ";;a", ";a;", ";a=", ";=b", ";a=b=c", "a=b", ";a=b;;", ";a@b", ";a=\"x"}) {
    Found out;
    EXPECT_FALSE(ScanPlainHeaderParams(text, kViaNames, out)) << text;
    EXPECT_FALSE(ValidParams(text, ParamSyntax::kHeader)) << text;
    EXPECT_EQ(ValidParams(text, ParamSyntax::kHeader), ValidParamsGeneral(text, ParamSyntax::kHeader)) << text;
  }
}

// Random lists over an alphabet rich in separators: whenever the shortcut
// answers, the general functions agree with it.
TEST(PlainHeaderParams, AgreesWithTheGeneralFunctionsOnRandomLists) {
  std::mt19937 rng(20261206);
  const std::string alphabet = ";;;==abrBR\" :[]1.\t-";
  int answered = 0;
  for (int n = 0; n < 100000; ++n) {
    std::string text = ";";
    const size_t len = rng() % 14;
    for (size_t i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
    Found fast, general;
    if (!ScanPlainHeaderParams(text, kViaNames, fast)) continue;
    ++answered;
    ASSERT_TRUE(ValidParamsGeneral(text, ParamSyntax::kHeader)) << text;
    Params(text).GetAll(kViaNames, general);
    ASSERT_EQ(fast, general) << text;
  }
  EXPECT_GT(answered, 5000);
}

TEST(PlainHeaderParams, ViaParsesTheSameEitherWay) {
  for (std::string_view text :
       {"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport=5060;received=198.51.100.7",
        "SIP/2.0/UDP 192.0.2.1:5060 ; branch = z9hG4bK-1 ; rport = 5060 ; received = 198.51.100.7",
        "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK-2;received=2001:db8::1;maddr=\"x\""}) {
    auto v = ParseVia(text);
    ASSERT_TRUE(v.ok()) << text;
    EXPECT_EQ(v->branch(), v->params.Get("branch")) << text;
    EXPECT_EQ(v->received(), v->params.Get("received")) << text;
    EXPECT_EQ(v->known_params[2], v->params.Get("rport")) << text;
  }
  EXPECT_EQ(ParseVia("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1").value().branch(), "z9hG4bK-1");
  EXPECT_FALSE(ParseVia("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1;").ok());
  EXPECT_FALSE(ParseVia("SIP/2.0/UDP 192.0.2.1;branch=a=b").ok());
}

}  // namespace
}  // namespace parley::sip
