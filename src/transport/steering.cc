#include "transport/steering.h"

#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdint>

namespace parley::transport::internal {

namespace {

constexpr uint32_t kFallBack = 0xffffffff;  // past the group's end: hash
constexpr size_t kChunk = 64;               // offsets per length check

uint32_t Word(std::string_view s, size_t at) {  // big-endian, as BPF loads
  return static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8 | static_cast<uint8_t>(s[at + 3]);
}

// A program under construction. Jumps go forward only and a conditional jump
// reaches at most 255 instructions, so the miss path sits right after the two
// short blocks that read the loop, and the long scan reaches it with `ja`.
class Assembler {
 public:
  size_t Emit(uint16_t code, uint32_t k, uint8_t jt = 0, uint8_t jf = 0) {
    code_.push_back(sock_filter{code, jt, jf, k});
    return code_.size() - 1;
  }
  size_t here() const { return code_.size(); }
  // Points the jump at `at` (already emitted) to `target`.
  void JumpTo(size_t at, size_t target) { code_[at].k = static_cast<uint32_t>(target - at - 1); }
  void TrueTo(size_t at, size_t target) { code_[at].jt = Short(at, target); }
  void FalseTo(size_t at, size_t target) { code_[at].jf = Short(at, target); }
  std::vector<sock_filter> Take() { return std::move(code_); }

 private:
  static uint8_t Short(size_t at, size_t target) {
    assert(target > at && target - at - 1 <= 255);
    return static_cast<uint8_t>(target - at - 1);
  }
  std::vector<sock_filter> code_;
};

// At X: `marker` from its byte `from` on (the bytes before are known to
// match), then a hex digit (the loop) and '-'. Returns the loop; a mismatch
// jumps to the miss path, resolved by the caller through `to_miss` (false
// branches) and `true_to_miss`.
void EmitMarkedLoop(Assembler& a, std::string_view marker, size_t from, std::vector<size_t>& to_miss,
                    std::vector<size_t>& true_to_miss) {
  for (size_t j = from; j < marker.size();) {
    if (marker.size() - j >= 4) {
      a.Emit(BPF_LD | BPF_W | BPF_IND, static_cast<uint32_t>(j));
      to_miss.push_back(a.Emit(BPF_JMP | BPF_JEQ | BPF_K, Word(marker, j), 0, 0));
      j += 4;
    } else {
      a.Emit(BPF_LD | BPF_B | BPF_IND, static_cast<uint32_t>(j));
      to_miss.push_back(a.Emit(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint8_t>(marker[j]), 0, 0));
      j += 1;
    }
  }
  const uint32_t digit_at = static_cast<uint32_t>(marker.size());
  a.Emit(BPF_LD | BPF_B | BPF_IND, digit_at);
  size_t letter = a.Emit(BPF_JMP | BPF_JGE | BPF_K, 'a');
  to_miss.push_back(a.Emit(BPF_JMP | BPF_JGE | BPF_K, '0', 0, 0));
  true_to_miss.push_back(a.Emit(BPF_JMP | BPF_JGT | BPF_K, '9'));
  a.Emit(BPF_ALU | BPF_SUB | BPF_K, '0');
  size_t to_dash = a.Emit(BPF_JMP | BPF_JA, 0);
  a.TrueTo(letter, a.here());
  true_to_miss.push_back(a.Emit(BPF_JMP | BPF_JGT | BPF_K, 'f'));
  a.Emit(BPF_ALU | BPF_SUB | BPF_K, 'a' - 10);
  a.JumpTo(to_dash, a.here());
  a.Emit(BPF_ST, 0);  // M[0] = the loop
  a.Emit(BPF_LD | BPF_B | BPF_IND, digit_at + 1);
  to_miss.push_back(a.Emit(BPF_JMP | BPF_JEQ | BPF_K, '-', 0, 0));
  a.Emit(BPF_LD | BPF_MEM, 0);
  a.Emit(BPF_RET | BPF_A, 0);
}

}  // namespace

std::vector<sock_filter> SteeringProgram(const SteeringMarkers& markers, size_t window) {
  const std::string_view branch = markers.branch_prefix, request = markers.request_prefix;
  assert((branch.empty() || (branch.size() >= 4 && branch.size() <= 32)) && request.size() <= 32 &&
         window % kChunk == 0);
  const size_t tail = branch.size() + 2;  // prefix, digit, '-'
  Assembler a;
  std::vector<size_t> to_miss_long;   // `ja` to the miss path
  std::vector<size_t> to_found;       // `ja` to the response's block
  std::vector<size_t> to_miss_short;  // conditional jumps (false) to it
  std::vector<size_t> true_to_miss;   // conditional jumps (true) to it

  // A load past the datagram's end would abort the program with 0 (socket 0),
  // so each chunk of offsets first checks the length it needs; the first
  // check covers the request line too.
  a.Emit(BPF_LD | BPF_W | BPF_LEN, 0);
  a.Emit(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(kChunk + std::max(tail, request.size() + 2)), 1, 0);
  to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
  a.Emit(BPF_LD | BPF_W | BPF_ABS, 0);
  a.Emit(BPF_JMP | BPF_JEQ | BPF_K, Word("SIP/", 0), 2, 0);
  a.Emit(BPF_LDX | BPF_W | BPF_IMM, 0);  // a request: its first line at 0
  size_t to_request = a.Emit(BPF_JMP | BPF_JA, 0);
  for (size_t chunk = 0; !branch.empty() && chunk < window; chunk += kChunk) {
    if (chunk > 0) {
      a.Emit(BPF_LD | BPF_W | BPF_LEN, 0);
      a.Emit(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(chunk + kChunk + tail), 1, 0);
      to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
    }
    for (size_t i = chunk; i < chunk + kChunk; ++i) {
      a.Emit(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(i));
      a.Emit(BPF_JMP | BPF_JEQ | BPF_K, Word(branch, 0), 0, 2);
      a.Emit(BPF_LDX | BPF_W | BPF_IMM, static_cast<uint32_t>(i));
      to_found.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
    }
  }
  to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));  // not in the window

  // A response: the branch prefix's first word is at X.
  if (!branch.empty()) {
    const size_t found = a.here();
    for (size_t j : to_found) a.JumpTo(j, found);
    EmitMarkedLoop(a, branch, 4, to_miss_short, true_to_miss);
  }
  // A request: its start line at X = 0.
  if (request.empty()) {
    to_miss_long.push_back(to_request);
  } else {
    a.JumpTo(to_request, a.here());
    EmitMarkedLoop(a, request, 0, to_miss_short, true_to_miss);
  }

  const size_t miss = a.here();
  a.Emit(BPF_RET | BPF_K, kFallBack);
  for (size_t j : to_miss_long) a.JumpTo(j, miss);
  for (size_t j : to_miss_short) a.FalseTo(j, miss);
  for (size_t j : true_to_miss) a.TrueTo(j, miss);
  return a.Take();
}

std::error_code AttachSteering(int fd, const SteeringMarkers& markers) {
  std::vector<sock_filter> code = SteeringProgram(markers);
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof(program)) != 0) {
    return {errno, std::system_category()};
  }
  return {};
}

}  // namespace parley::transport::internal
