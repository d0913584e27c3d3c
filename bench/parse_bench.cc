// Parse cost per message (ns/message): the datagram parse plus what every
// received request needs (ValidateRequest forces the lazy parse of the
// mandatory fields), for a REGISTER, a MESSAGE and a NOTIFY with PIDF.

#include <benchmark/benchmark.h>

#include <string>

#include "bench_messages.h"

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

}  // namespace

BENCHMARK_CAPTURE(ParseAndValidate, Register, "register.sip");
BENCHMARK_CAPTURE(ParseAndValidate, Message, "message.sip");
BENCHMARK_CAPTURE(ParseAndValidate, NotifyPidf, "notify.sip");
BENCHMARK_CAPTURE(StreamFrame, Register, "register.sip");
BENCHMARK_CAPTURE(StreamFrame, NotifyPidf, "notify.sip");

BENCHMARK_MAIN();
