// Parse cost per message (ns/message): the datagram parse plus what every
// received request needs (ValidateRequest forces the lazy parse of the
// mandatory fields), for a REGISTER, a MESSAGE and a NOTIFY with PIDF.
// Presence documents (ns/operation): one PIDF parse, and the work a
// presentity with three publishing devices costs on each change (parse the
// three bodies, compose, serialize the NOTIFY body). Partial presence: a
// pidf-diff PUBLISH (apply a one-note patch, validate the result: RFC 5264)
// and a pidf-diff NOTIFY (the diff of a changed tuple: RFC 5263).

#include <benchmark/benchmark.h>

#include <string>

#include "bench_messages.h"

#include "presence/doc/compose.h"
#include "presence/doc/pidf.h"
#include "presence/doc/pidf_diff.h"
#include "sip/parser.h"
#include "sip/validate.h"

namespace {

std::string Load(const char* name) {
  return parley::bench::LoadMessage(std::string(PARLEY_BENCH_DIR) + "/messages/" + name);
}

void ParseAndValidate(benchmark::State& state, const char* file) {
  const std::string msg = Load(file);
  parley::sip::ParserLimits limits;
  for (auto _ : state) {
    auto m = parley::sip::ParseDatagram(msg, limits);
    auto rej = parley::sip::ValidateRequest(*m);
    benchmark::DoNotOptimize(rej);
    if (rej) state.SkipWithError(std::string(rej->reason).c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * msg.size()));
}

void StreamFrame(benchmark::State& state, const char* file) {
  const std::string msg = Load(file);
  parley::sip::MessageParser parser;
  for (auto _ : state) {
    auto step = parser.Feed(msg);
    auto m = parser.TakeMessage();
    benchmark::DoNotOptimize(m);
    if (step.status != parley::sip::MessageParser::Status::kMessage) state.SkipWithError("not framed");
  }
}

// Three devices of one presentity, as their clients publish.
constexpr std::string_view kPhonePidf = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:alice@example.com">
  <tuple id="ivbxc5">
    <status>
      <basic>open</basic>
    </status>
    <contact>sip:alice@198.51.100.7:5062;transport=tcp</contact>
    <timestamp>2024-03-11T09:12:54Z</timestamp>
  </tuple>
  <dm:person id="sip_3A_alice_40_example.com">
    <rpid:activities>
      <rpid:on-the-phone/>
    </rpid:activities>
    <dm:note xml:lang="en">Call me later</dm:note>
  </dm:person>
</presence>
)";
constexpr std::string_view kDesktopPidf =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="no"?><presence xmlns="urn:ietf:params:xml:ns:pidf" )"
    R"(xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" )"
    R"(entity="sip:alice@example.com"><dm:person id="p4853"><rpid:activities><rpid:away/></rpid:activities>)"
    R"(<rpid:status-icon>http://example.com/avatars/alice.png</rpid:status-icon></dm:person>)"
    R"(<tuple id="t7451"><status><basic>open</basic></status><contact>sip:alice@192.0.2.44:5060</contact>)"
    R"(<note>Away</note></tuple></presence>)";
constexpr std::string_view kDeskPhonePidf =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"\r\n"
    "    xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\"\r\n"
    "    xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\"\r\n"
    "    entity=\"sip:alice@example.com\">\r\n"
    "  <dm:person id=\"p4159\"><rpid:activities/></dm:person>\r\n"
    "  <tuple id=\"t4109\">\r\n"
    "    <status>\r\n"
    "      <basic>open</basic>\r\n"
    "    </status>\r\n"
    "    <contact>sip:alice@192.0.2.10:5060;transport=udp</contact>\r\n"
    "  </tuple>\r\n"
    "</presence>\r\n";

void PidfParse(benchmark::State& state) {
  for (auto _ : state) {
    auto doc = parley::presence::ParsePidf(kPhonePidf, "pres:alice@example.com");
    benchmark::DoNotOptimize(doc);
    if (!doc.ok()) state.SkipWithError(doc.error().message.c_str());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPhonePidf.size()));
}

void PresentityParseComposeSerialize(benchmark::State& state) {
  using namespace parley::presence;
  const std::string_view bodies[] = {kPhonePidf, kDesktopPidf, kDeskPhonePidf};
  std::vector<Publication> pubs(3);
  const std::vector<RegisteredContact> regs = {{"sip:alice@198.51.100.7:5062;transport=tcp", 800},
                                               {"sip:alice@192.0.2.44:5060", std::nullopt},
                                               {"sip:alice@192.0.2.10:5060;transport=udp", 500}};
  for (auto _ : state) {
    for (size_t i = 0; i < 3; ++i) {
      auto doc = ParsePidf(bodies[i], "pres:alice@example.com");
      if (!doc.ok()) state.SkipWithError(doc.error().message.c_str());
      pubs[i] = Publication{"etag" + std::to_string(i), 1700000000 + static_cast<int64_t>(i), std::move(*doc)};
    }
    std::string notify = SerializePidf(Compose("pres:alice@example.com", pubs, regs, 1700000100));
    benchmark::DoNotOptimize(notify);
  }
}

void PresentityCompose(benchmark::State& state) {
  using namespace parley::presence;
  const std::string_view bodies[] = {kPhonePidf, kDesktopPidf, kDeskPhonePidf};
  std::vector<Publication> pubs;
  for (size_t i = 0; i < 3; ++i) {
    pubs.push_back({"etag" + std::to_string(i), 1700000000 + static_cast<int64_t>(i),
                    *ParsePidf(bodies[i], "pres:alice@example.com")});
  }
  for (auto _ : state) {
    PresenceDoc doc = Compose("pres:alice@example.com", pubs, {}, 1700000100);
    benchmark::DoNotOptimize(doc);
  }
}

void PartialPublishApply(benchmark::State& state) {
  using namespace parley::presence;
  const std::string diff =
      "<p:pidf-diff xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:p=\"urn:ietf:params:xml:ns:pidf-diff\" "
      "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" entity=\"sip:alice@example.com\" version=\"2\">"
      "<p:replace sel=\"presence/dm:person/dm:note/text()\">Back at 3</p:replace></p:pidf-diff>";
  for (auto _ : state) {
    auto text = ApplyPidfDiff(kPhonePidf, diff, {});
    if (!text.ok()) state.SkipWithError(text.error().message.c_str());
    auto doc = ParsePidf(*text, "pres:alice@example.com");
    if (!doc.ok()) state.SkipWithError(doc.error().message.c_str());
    benchmark::DoNotOptimize(doc);
  }
}

void PartialNotifyDiff(benchmark::State& state) {
  using namespace parley::presence;
  const std::string before = SerializePidf(*ParsePidf(kPhonePidf, ""));
  PresenceDoc changed = *ParsePidf(kPhonePidf, "");
  changed.tuples.at(0).basic = Basic::kClosed;
  const std::string after = SerializePidf(changed);
  for (auto _ : state) {
    auto diff = MakePidfDiff(before, after, 2);
    if (!diff) state.SkipWithError("no diff");
    benchmark::DoNotOptimize(diff);
  }
}

}  // namespace

BENCHMARK(PidfParse);
BENCHMARK(PresentityParseComposeSerialize);
BENCHMARK(PresentityCompose);
BENCHMARK(PartialPublishApply);
BENCHMARK(PartialNotifyDiff);
BENCHMARK_CAPTURE(ParseAndValidate, Register, "register.sip");
BENCHMARK_CAPTURE(ParseAndValidate, Message, "message.sip");
BENCHMARK_CAPTURE(ParseAndValidate, NotifyPidf, "notify.sip");
BENCHMARK_CAPTURE(StreamFrame, Register, "register.sip");
BENCHMARK_CAPTURE(StreamFrame, NotifyPidf, "notify.sip");

BENCHMARK_MAIN();
