// Instruction counting for callgrind: parses and validates one message file
// N times (a request with ValidateRequest, a response with ValidResponse).
// bench/run.sh --callgrind runs it with N and with 0 and prints the
// difference divided by N (instructions per message, startup excluded).
//
//   parse_count FILE N

#include <cstdlib>
#include <iostream>
#include <string>

#include "bench_messages.h"
#include "sip/parser.h"
#include "sip/validate.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: parse_count FILE N\n";
    return 2;
  }
  std::string msg = parley::bench::LoadMessage(argv[1]);
  long n = std::atol(argv[2]);
  parley::sip::ParserLimits limits;
  auto valid = [](const parley::sip::Message& m) {
    return m.is_request() ? !parley::sip::ValidateRequest(m).has_value() : parley::sip::ValidResponse(m);
  };
  // Warm up allocator and lazy statics outside the counted region.
  auto warm = parley::sip::ParseDatagram(msg, limits);
  (void)valid(*warm);
  size_t ok = 0;
  for (long i = 0; i < n; ++i) {
    auto m = parley::sip::ParseDatagram(msg, limits);
    ok += valid(*m);
  }
  std::cout << ok << "\n";
  return ok == static_cast<size_t>(n) ? 0 : 1;
}
