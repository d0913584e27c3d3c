#include "stun/message.h"

#include <gtest/gtest.h>

#include <string>

namespace parley::stun {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

const std::string kTid = Bytes({0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae});

// RFC 5769 §2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED,
// USERNAME, MESSAGE-INTEGRITY and FINGERPRINT.
const std::string kSampleRequest =
    Bytes({0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42}) + kTid +
    Bytes({0x80, 0x22, 0x00, 0x10}) + "STUN test client" +
    Bytes({0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
           0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09}) +
    "evtj:h6vY   " +
    Bytes({0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2,
           0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf});

// RFC 5769 §2.2 and §2.3: Binding success responses, mapped address
// 192.0.2.1:32853 and [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const std::string kSampleResponseV4 =
    Bytes({0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42}) + kTid + Bytes({0x80, 0x22, 0x00, 0x0b}) +
    "test vector " +
    Bytes({0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14,
           0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53,
           0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96});
const std::string kSampleResponseV6 =
    Bytes({0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42}) + kTid + Bytes({0x80, 0x22, 0x00, 0x0b}) +
    "test vector " +
    Bytes({0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79,
           0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e,
           0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
           0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c});

TransportAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  TransportAddress t;
  t.ip = {a, b, c, d};
  t.port = port;
  return t;
}
TransportAddress SampleV6() {
  TransportAddress t;
  t.v6 = true;
  t.ip = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  t.port = 32853;
  return t;
}

TEST(StunFingerprint, IsTheCrc32CheckValueXoredWithStun) {
  EXPECT_EQ(Fingerprint("123456789"), 0xCBF43926u ^ 0x5354554eu);
}

TEST(StunRfc5769, SampleRequestParsesAndItsFingerprintMatches) {
  ASSERT_TRUE(IsStun(kSampleRequest));
  auto m = Parse(kSampleRequest);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->cls, Class::kRequest);
  EXPECT_EQ(m->method, kBinding);
  EXPECT_EQ(m->transaction_id, kTid);
  EXPECT_TRUE(m->fingerprint);
  ASSERT_EQ(m->attributes.size(), 5u);
  ASSERT_NE(m->Find(attr::kSoftware), nullptr);
  EXPECT_EQ(m->Find(attr::kSoftware)->value, "STUN test client");
  ASSERT_NE(m->Find(attr::kUsername), nullptr);
  EXPECT_EQ(m->Find(attr::kUsername)->value, "evtj:h6vY") << "length without the padding";
}

// ICE's PRIORITY (0x0024) is comprehension-required and unknown to a SIP
// server: 420 listing it; ICE-CONTROLLED (0x8029) is optional and ignored.
TEST(StunRfc5769, SampleRequestWithIceAttributesGets420) {
  auto m = Parse(kSampleRequest);
  ASSERT_TRUE(m.ok());
  std::string answer = Answer(*m, V4(192, 0, 2, 1, 32853), "parley");
  auto r = Parse(answer);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->cls, Class::kError);
  EXPECT_EQ(r->method, kBinding);
  EXPECT_EQ(static_cast<uint8_t>(answer[0]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(answer[1]), 0x11);
  EXPECT_EQ(r->transaction_id, kTid);
  EXPECT_TRUE(r->fingerprint) << "the request had one";
  ASSERT_NE(r->Find(attr::kErrorCode), nullptr);
  EXPECT_EQ(ErrorCodeOf(*r->Find(attr::kErrorCode)), 420);
  ASSERT_NE(r->Find(attr::kUnknownAttributes), nullptr);
  EXPECT_EQ(r->Find(attr::kUnknownAttributes)->value, Bytes({0x00, 0x24}));
  EXPECT_EQ(r->Find(attr::kXorMappedAddress), nullptr);
}

TEST(StunRfc5769, SampleResponsesDecodeToTheirAddresses) {
  auto v4 = Parse(kSampleResponseV4);
  ASSERT_TRUE(v4.ok()) << v4.error().message;
  EXPECT_EQ(v4->cls, Class::kSuccess);
  EXPECT_TRUE(v4->fingerprint);
  ASSERT_NE(v4->Find(attr::kXorMappedAddress), nullptr);
  auto a4 = DecodeAddress(*v4->Find(attr::kXorMappedAddress), v4->transaction_id);
  ASSERT_TRUE(a4.ok());
  EXPECT_EQ(*a4, V4(192, 0, 2, 1, 32853));

  auto v6 = Parse(kSampleResponseV6);
  ASSERT_TRUE(v6.ok()) << v6.error().message;
  ASSERT_NE(v6->Find(attr::kXorMappedAddress), nullptr);
  auto a6 = DecodeAddress(*v6->Find(attr::kXorMappedAddress), v6->transaction_id);
  ASSERT_TRUE(a6.ok());
  EXPECT_EQ(*a6, SampleV6());
}

// Our XOR-MAPPED-ADDRESS for the samples' address and transaction is the
// samples' attribute, byte for byte.
TEST(StunRfc5769, BindingSuccessEncodesTheSampleAddresses) {
  for (auto [mapped, sample] : {std::pair{V4(192, 0, 2, 1, 32853), kSampleResponseV4},
                                std::pair{SampleV6(), kSampleResponseV6}}) {
    const std::string bytes = BindingSuccess(kTid, mapped, "", false);  // the parse points into it
    auto ours = Parse(bytes);
    ASSERT_TRUE(ours.ok()) << ours.error().message;
    auto theirs = Parse(sample);
    ASSERT_TRUE(theirs.ok());
    EXPECT_EQ(ours->Find(attr::kXorMappedAddress)->value, theirs->Find(attr::kXorMappedAddress)->value);
    EXPECT_FALSE(ours->fingerprint);
    EXPECT_EQ(ours->attributes.size(), 1u);
  }
}

TEST(StunAnswer, ABindingKeepAliveGetsItsSourceBack) {
  std::string tid(kTransactionIdSize, '\x5a');
  for (bool fp : {false, true}) {
    std::string req = BindingRequest(tid, fp);
    EXPECT_EQ(req.size(), fp ? 28u : 20u);
    ASSERT_TRUE(IsStun(req));
    auto m = Parse(req);
    ASSERT_TRUE(m.ok()) << m.error().message;
    for (const auto& from : {V4(10, 1, 2, 3, 5060), SampleV6()}) {
      std::string answer = Answer(*m, from, "parley");
      auto r = Parse(answer);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_EQ(r->cls, Class::kSuccess);
      EXPECT_EQ(r->method, kBinding);
      EXPECT_EQ(r->transaction_id, tid);
      EXPECT_EQ(r->fingerprint, fp);
      ASSERT_NE(r->Find(attr::kSoftware), nullptr);
      EXPECT_EQ(r->Find(attr::kSoftware)->value, "parley");
      ASSERT_NE(r->Find(attr::kXorMappedAddress), nullptr);
      auto a = DecodeAddress(*r->Find(attr::kXorMappedAddress), r->transaction_id);
      ASSERT_TRUE(a.ok());
      EXPECT_EQ(*a, from);
    }
  }
}

TEST(StunAnswer, IndicationsAndResponsesGetNothingOtherMethods400) {
  std::string indication = BindingRequest(kTid, false);
  indication[1] = 0x11;  // Binding indication (class bits 01)
  auto i = Parse(indication);
  ASSERT_TRUE(i.ok());
  EXPECT_EQ(i->cls, Class::kIndication);
  EXPECT_EQ(Answer(*i, V4(127, 0, 0, 1, 1), ""), "");
  auto s = Parse(kSampleResponseV4);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Answer(*s, V4(127, 0, 0, 1, 1), ""), "");

  std::string allocate = BindingRequest(kTid, false);
  allocate[1] = 0x03;  // TURN Allocate request
  auto a = Parse(allocate);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->method, 0x003);
  std::string answer = Answer(*a, V4(127, 0, 0, 1, 1), "");
  auto r = Parse(answer);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cls, Class::kError);
  EXPECT_EQ(r->method, 0x003);
  EXPECT_EQ(static_cast<uint8_t>(answer[1]), 0x13);
  EXPECT_EQ(ErrorCodeOf(*r->Find(attr::kErrorCode)), 400);
}

TEST(StunParse, MalformedMessagesNameTheFault) {
  std::string good = BindingRequest(kTid, true);
  auto with = [&](size_t at, int byte) {
    std::string s = good;
    s[at] = static_cast<char>(byte);
    return s;
  };
  std::string overrun = Bytes({0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xa4, 0x42}) + kTid + Bytes({0x80, 0x22, 0x00, 0x08});
  // A correct FINGERPRINT (over a length that counts what follows it), then SOFTWARE.
  std::string after_fp = BindingRequest(kTid, false);
  after_fp[3] = 12;
  uint32_t f = Fingerprint(after_fp);
  after_fp += Bytes({0x80, 0x28, 0x00, 0x04, int(f >> 24), int((f >> 16) & 0xff), int((f >> 8) & 0xff), int(f & 0xff)});
  after_fp += Bytes({0x80, 0x22, 0x00, 0x00});
  std::string many = Bytes({0x00, 0x01, 0x00, 0x84, 0x21, 0x12, 0xa4, 0x42}) + kTid;
  for (size_t i = 0; i <= kMaxAttributes; ++i) many += Bytes({0x80, 0x22, 0x00, 0x00});
  struct Case {
    std::string bytes;
    const char* reason;
  } cases[] = {
      {good.substr(0, 19), "shorter than a STUN header"},
      {with(0, 0x40), "leading bits not zero"},
      {with(4, 0x22), "no magic cookie (RFC 3489 STUN is not supported)"},
      {with(3, 0x06), "length not a multiple of 4"},
      {with(3, 0x0c), "length does not match the datagram"},
      {overrun, "attribute overruns the message"},
      {with(good.size() - 1, good.back() ^ 1), "FINGERPRINT does not match"},
      {with(17, good[17] ^ 1), "FINGERPRINT does not match"},
      {after_fp, "attribute after FINGERPRINT"},
      {many, "too many attributes"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.bytes);
    ASSERT_FALSE(r.ok()) << c.reason;
    EXPECT_EQ(r.error().code, 400);
    EXPECT_EQ(r.error().message, c.reason);
  }
}

TEST(StunParse, SipAndNoiseAreNotStun) {
  EXPECT_FALSE(IsStun("OPTIONS sip:example.com SIP/2.0\r\n\r\n"));
  EXPECT_FALSE(IsStun(std::string("\x00\x01\x00\x00\x21\x12\xa4\x42", 8)));  // a header cut short
  EXPECT_FALSE(IsStun(std::string(20, '\0')));                                 // no cookie
  std::string req = BindingRequest(kTid, false);
  EXPECT_TRUE(IsStun(req));
  EXPECT_FALSE(IsStun(req + "xxxx")) << "the length must cover the whole datagram";
}

TEST(StunDecode, BadAddressAttributesAreRefused) {
  EXPECT_FALSE(DecodeAddress({attr::kXorMappedAddress, Bytes({0, 1, 0, 0})}, kTid).ok());
  EXPECT_FALSE(DecodeAddress({attr::kXorMappedAddress, Bytes({0, 3, 0, 0, 1, 2, 3, 4})}, kTid).ok());
  EXPECT_FALSE(DecodeAddress({attr::kXorMappedAddress, Bytes({0, 2, 0, 0, 1, 2, 3, 4})}, kTid).ok());
  auto plain = DecodeAddress({attr::kMappedAddress, Bytes({0, 1, 0x13, 0xc4, 127, 0, 0, 1})}, kTid);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, V4(127, 0, 0, 1, 5060));
  EXPECT_EQ(ErrorCodeOf({attr::kErrorCode, Bytes({0, 0, 7, 0})}), 0);
  EXPECT_EQ(ErrorCodeOf({attr::kErrorCode, Bytes({0, 0, 4, 100})}), 0);
}

}  // namespace
}  // namespace parley::stun
