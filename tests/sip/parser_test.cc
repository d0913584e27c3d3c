#include <gtest/gtest.h>

#include <random>

#include "sip/parser.h"
#include "sip/validate.h"
#include "test_util.h"

namespace parley::sip {
namespace {

using testing::Crlf;

const std::string kOptions = Crlf(
    "OPTIONS sip:example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1\n"
    "Max-Forwards: 70\n"
    "To: <sip:example.com>\n"
    "From: <sip:alice@example.com>;tag=1\n"
    "Call-ID: c1@10.0.0.1\n"
    "CSeq: 1 OPTIONS\n"
    "Content-Length: 0\n"
    "\n");

const std::string kMessage = Crlf(
    "MESSAGE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK2\n"
    "Max-Forwards: 70\n"
    "To: <sip:bob@example.com>\n"
    "From: <sip:alice@example.com>;tag=2\n"
    "Call-ID: c2@10.0.0.1\n"
    "CSeq: 2 MESSAGE\n"
    "Content-Type: text/plain\n"
    "Content-Length: 5\n"
    "\n"
    "hello");

std::vector<MessagePtr> FeedAll(MessageParser& p, std::string_view data, int* pings = nullptr) {
  std::vector<MessagePtr> out;
  while (!data.empty()) {
    auto step = p.Feed(data);
    data.remove_prefix(step.consumed);
    if (step.status == MessageParser::Status::kMessage) out.push_back(p.TakeMessage());
    if (step.status == MessageParser::Status::kKeepAlive && pings) ++*pings;
    if (step.status == MessageParser::Status::kError) break;
    if (step.status == MessageParser::Status::kNeedMore) {
      EXPECT_TRUE(data.empty());
    }
  }
  return out;
}

TEST(StreamParser, ManyMessagesInOneSegment) {
  MessageParser p;
  std::string seg = kOptions + kMessage + kOptions;
  auto msgs = FeedAll(p, seg);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0]->method(), Method::kOptions);
  EXPECT_EQ(msgs[1]->body(), "hello");
  EXPECT_EQ(msgs[2]->Serialize(), kOptions);
}

TEST(StreamParser, EverySplitPoint) {
  std::string all = kMessage + kOptions;
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    MessageParser p;
    auto a = FeedAll(p, std::string_view(all).substr(0, cut));
    auto b = FeedAll(p, std::string_view(all).substr(cut));
    a.insert(a.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
    ASSERT_EQ(a.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(a[0]->Serialize(), kMessage);
    EXPECT_EQ(a[0]->body(), "hello");
    EXPECT_FALSE(ValidateRequest(*a[0]).has_value());
    EXPECT_EQ(a[1]->Serialize(), kOptions);
  }
}

TEST(StreamParser, ByteByByte) {
  MessageParser p;
  std::vector<MessagePtr> got;
  std::string all = kOptions + kMessage;
  for (char c : all) {
    auto more = FeedAll(p, std::string_view(&c, 1));
    for (auto& m : more) got.push_back(std::move(m));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1]->body(), "hello");
}

TEST(StreamParser, RandomChunks) {
  std::mt19937 rng(42);
  std::string all;
  for (int i = 0; i < 50; ++i) all += (i % 2 ? kMessage : kOptions);
  MessageParser p;
  size_t count = 0;
  std::string_view rest(all);
  while (!rest.empty()) {
    size_t n = std::min<size_t>(rest.size(), 1 + rng() % 700);
    count += FeedAll(p, rest.substr(0, n)).size();
    rest.remove_prefix(n);
  }
  EXPECT_EQ(count, 50u);
}

TEST(StreamParser, KeepAlivePingAndPong) {
  MessageParser p;
  int pings = 0;
  auto msgs = FeedAll(p, "\r\n\r\n" + kOptions + "\r\n" + kOptions + "\r\n\r\n\r\n\r\n", &pings);
  EXPECT_EQ(msgs.size(), 2u);
  EXPECT_EQ(pings, 3);
  // A single CRLF (pong) is ignored.
  MessageParser q;
  int none = 0;
  FeedAll(q, "\r\n", &none);
  EXPECT_EQ(none, 0);
}

TEST(StreamParser, HeaderSectionTooLarge) {
  ParserLimits lim;
  lim.max_header_bytes = 200;
  MessageParser p(lim);
  std::string big = "OPTIONS sip:a@b SIP/2.0\r\nX: " + std::string(500, 'a');
  auto step = p.Feed(big);
  EXPECT_EQ(step.status, MessageParser::Status::kError);
  EXPECT_EQ(p.error().status, 513);
}

TEST(StreamParser, BodyTooLarge) {
  ParserLimits lim;
  lim.max_body_bytes = 3;
  MessageParser p(lim);
  auto step = p.Feed(kMessage);
  EXPECT_EQ(step.status, MessageParser::Status::kError);
  EXPECT_EQ(p.error().status, 413);
  auto partial = p.TakeMessage();
  ASSERT_NE(partial, nullptr);  // the header section, to answer with 413
  EXPECT_EQ(partial->method(), Method::kMessage);
}

TEST(StreamParser, NegativeContentLengthIsFramingError) {
  MessageParser p;
  std::string m = kOptions;
  m.replace(m.find("Content-Length: 0"), 17, "Content-Length: -5");
  auto step = p.Feed(m);
  EXPECT_EQ(step.status, MessageParser::Status::kError);
  EXPECT_EQ(p.error().status, 400);
}

TEST(StreamParser, MissingContentLengthMeansEmptyBody) {
  MessageParser p;
  std::string m = kOptions;
  m.erase(m.find("Content-Length: 0\r\n"), 19);
  auto msgs = FeedAll(p, m + kOptions);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0]->body().empty());
}

TEST(Datagram, LeadingCrlfAndGarbage) {
  EXPECT_EQ(ParseDatagram("\r\n\r\n", ParserLimits()), nullptr);
  EXPECT_EQ(ParseDatagram("", ParserLimits()), nullptr);
  auto m = ParseDatagram("\r\n" + kOptions, ParserLimits());
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(ValidateRequest(*m).has_value());
  EXPECT_EQ(m->Serialize(), kOptions);
}

TEST(Datagram, LimitsProduceStatuses) {
  ParserLimits lim;
  lim.max_headers = 3;
  auto m = ParseDatagram(kOptions, lim);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ValidateRequest(*m)->status, 400);
  EXPECT_EQ(ValidateRequest(*m)->reason, "Too Many Header Fields");

  ParserLimits lim2;
  lim2.max_field_bytes = 20;
  auto m2 = ParseDatagram(kOptions, lim2);
  EXPECT_EQ(ValidateRequest(*m2)->reason, "Header Field Too Long");
}

TEST(Datagram, BadStartLines) {
  auto status_of = [](std::string first_line) {
    std::string msg = kOptions;
    msg.replace(0, msg.find("\r\n"), first_line);
    auto m = ParseDatagram(msg, ParserLimits());
    if (!m) return 0;
    auto r = ValidateRequest(*m);
    return r ? static_cast<int>(r->status) : 200;
  };
  EXPECT_EQ(status_of("OPTIONS sip:example.com SIP/2.0"), 200);
  EXPECT_EQ(status_of("OPTIONS sip:example.com SIP/3.0"), 505);
  EXPECT_EQ(status_of("OPTIONS sip:example.com HTTP/1.1"), 400);
  EXPECT_EQ(status_of("OPTIONS sip:example.com"), 400);
  EXPECT_EQ(status_of("OPTIONS"), 400);
  EXPECT_EQ(status_of("OPT(IONS sip:example.com SIP/2.0"), 400);
}

TEST(Datagram, FoldedHeaderKeepsRawBytes) {
  std::string msg = kOptions;
  msg.replace(msg.find("Max-Forwards: 70"), 16, "Max-Forwards:\r\n   70");
  auto m = ParseDatagram(msg, ParserLimits());
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->max_forwards(), 70u);
  EXPECT_EQ(m->Serialize(), msg);
}

TEST(Datagram, ResponseParse) {
  auto m = ParseDatagram(Crlf("SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: <sip:a@b>;tag=9\n"
                              "From: <sip:c@d>;tag=1\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n"),
                         ParserLimits());
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->is_response());
  EXPECT_EQ(m->status(), 180);
  EXPECT_EQ(m->reason(), "Ringing");
  EXPECT_TRUE(ValidResponse(*m));
}

// A response's From and To only have to be there: they echo the request and
// are parsed when read (nullptr if malformed). What matches the transaction
// (Via, CSeq, Call-ID) must parse, and none may be missing.
TEST(Datagram, ResponseValidation) {
  const std::string good = "SIP/2.0 200 OK\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nTo: <sip:a@b>;tag=9\n"
                           "From: <sip:c@d>;tag=1\nCall-ID: x\nCSeq: 1 NOTIFY\nContent-Length: 0\n\n";
  auto with = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return ParseDatagram(Crlf(s), ParserLimits());
  };
  auto bad_from = with("From: <sip:c@d>;tag=1", "From: <sip:c@d;tag=1");
  ASSERT_NE(bad_from, nullptr);
  EXPECT_TRUE(ValidResponse(*bad_from));
  EXPECT_EQ(bad_from->from(), nullptr);
  ASSERT_NE(bad_from->to(), nullptr);
  EXPECT_EQ(bad_from->to()->tag(), "9");
  auto bad_to = with("To: <sip:a@b>;tag=9", "To: sip:a@b>;tag=9");
  ASSERT_NE(bad_to, nullptr);
  EXPECT_TRUE(ValidResponse(*bad_to));
  EXPECT_EQ(bad_to->to(), nullptr);

  for (auto [field, replacement] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", ""},
           {"Via: SIP/2.0/UDP h;branch=z9hG4bK1", "Via: SIP/2.0"},
           {"CSeq: 1 NOTIFY", "CSeq: one NOTIFY"},
           {"CSeq: 1 NOTIFY\r\n", ""},
           {"Call-ID: x\r\n", ""},
           {"From: <sip:c@d>;tag=1\r\n", ""},
           {"To: <sip:a@b>;tag=9\r\n", ""},
           {"Call-ID: x", "Call-ID: x\r\nCall-ID: y"}}) {
    std::string s = Crlf(good);
    s.replace(s.find(field), field.size(), replacement);
    auto m = ParseDatagram(s, ParserLimits());
    ASSERT_NE(m, nullptr) << field;
    EXPECT_FALSE(ValidResponse(*m)) << field << " -> " << replacement;
  }
}

}  // namespace
}  // namespace parley::sip
