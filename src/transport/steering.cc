#include "transport/steering.h"

#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdint>

#include "common/strings.h"

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

// `text` from its byte `from` on, at offset 0 (`mode` BPF_ABS) or at X
// (BPF_IND), a word at a time; each mismatch is left in `mismatches`
// (false branches) for the caller to resolve.
void EmitCompare(Assembler& a, std::string_view text, size_t from, uint16_t mode, std::vector<size_t>& mismatches) {
  for (size_t j = from; j < text.size();) {
    if (text.size() - j >= 4) {
      a.Emit(BPF_LD | BPF_W | mode, static_cast<uint32_t>(j));
      mismatches.push_back(a.Emit(BPF_JMP | BPF_JEQ | BPF_K, Word(text, j), 0, 0));
      j += 4;
    } else {
      a.Emit(BPF_LD | BPF_B | mode, static_cast<uint32_t>(j));
      mismatches.push_back(a.Emit(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint8_t>(text[j]), 0, 0));
      j += 1;
    }
  }
}

// At X: `marker` from its byte `from` on (the bytes before are known to
// match), then a hex digit (the loop) and '-'. Returns the loop; a mismatch
// jumps to the miss path, resolved by the caller through `to_miss` (false
// branches) and `true_to_miss`.
void EmitMarkedLoop(Assembler& a, std::string_view marker, size_t from, std::vector<size_t>& to_miss,
                    std::vector<size_t>& true_to_miss) {
  EmitCompare(a, marker, from, BPF_IND, to_miss);
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

// Scratch memory of the hash.
constexpr uint32_t kMemHash = 0, kMemBase = 2, kMemSawAt = 3;

// From X, the first byte of a URI's user: ShardHash(user@host) % loops,
// ending at ' ', ':', ';', '<', '=' or '>' after an '@'. Bytes are folded
// with | 0x20 (letters to lower case; '@' becomes '`', read as '@'); what
// is left must be a letter, a digit or one of "+,-./", anything else (an
// escape, a quote, a control character folding outside those) is a miss.
// Escapes and the like are rare in user parts; their requests are handed
// over by the loop the hash gives them to, as without the program.
void EmitUriHash(Assembler& a, uint32_t loops, std::vector<size_t>& to_miss_long) {
  constexpr size_t kGroup = 8;  // blocks between two trampolines (a block: 18)
  a.Emit(BPF_LD | BPF_W | BPF_LEN, 0);
  a.Emit(BPF_ALU | BPF_SUB | BPF_X, 0);  // X is within the datagram: bytes from X
  a.Emit(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(kSteeredUriBytes), 1, 0);
  to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
  a.Emit(BPF_STX, kMemBase);
  a.Emit(BPF_LD | BPF_IMM, 0);
  a.Emit(BPF_ST, kMemSawAt);
  a.Emit(BPF_LD | BPF_IMM, kShardHashBasis);
  a.Emit(BPF_ST, kMemHash);
  std::vector<size_t> to_end_long;
  for (size_t group = 0; group < kSteeredUriBytes; group += kGroup) {
    std::vector<size_t> end_true, miss_true, miss_false;
    for (size_t k = group; k < std::min(group + kGroup, kSteeredUriBytes); ++k) {
      a.Emit(BPF_LD | BPF_B | BPF_IND, static_cast<uint32_t>(k));
      a.Emit(BPF_ALU | BPF_OR | BPF_K, 0x20);
      a.Emit(BPF_JMP | BPF_JGE | BPF_K, 'a', 0, 1);  // a letter, or beyond
      size_t letter = a.Emit(BPF_JMP | BPF_JGT | BPF_K, 'z');
      miss_true.push_back(letter);
      size_t at = a.Emit(BPF_JMP | BPF_JEQ | BPF_K, '`');
      miss_true.push_back(a.Emit(BPF_JMP | BPF_JGT | BPF_K, '>'));
      end_true.push_back(a.Emit(BPF_JMP | BPF_JGE | BPF_K, ':'));
      size_t punct = a.Emit(BPF_JMP | BPF_JGE | BPF_K, '+');
      size_t space = a.Emit(BPF_JMP | BPF_JEQ | BPF_K, ' ');
      end_true.push_back(space);
      miss_false.push_back(space);
      a.TrueTo(at, a.here());
      a.Emit(BPF_LD | BPF_IMM, 1);
      a.Emit(BPF_ST, kMemSawAt);
      a.Emit(BPF_LD | BPF_IMM, '@');
      const size_t hash = a.here();
      a.FalseTo(letter, hash);
      a.TrueTo(punct, hash);
      a.Emit(BPF_MISC | BPF_TAX, 0);
      a.Emit(BPF_LD | BPF_MEM, kMemHash);
      a.Emit(BPF_ALU | BPF_XOR | BPF_X, 0);
      a.Emit(BPF_ALU | BPF_MUL | BPF_K, kShardHashPrime);
      a.Emit(BPF_ST, kMemHash);
      a.Emit(BPF_LDX | BPF_MEM, kMemBase);
    }
    a.Emit(BPF_JMP | BPF_JA, 2);  // on to the next group
    const size_t end_here = a.here();
    to_end_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
    const size_t miss_here = a.here();
    to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
    for (size_t j : end_true) a.TrueTo(j, end_here);
    for (size_t j : miss_true) a.TrueTo(j, miss_here);
    for (size_t j : miss_false) a.FalseTo(j, miss_here);
  }
  to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));  // longer than kSteeredUriBytes
  const size_t end = a.here();
  for (size_t j : to_end_long) a.JumpTo(j, end);
  a.Emit(BPF_LD | BPF_MEM, kMemSawAt);
  a.Emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
  a.Emit(BPF_RET | BPF_K, kFallBack);  // no user part
  a.Emit(BPF_LD | BPF_MEM, kMemHash);
  a.Emit(BPF_ALU | BPF_MOD | BPF_K, loops);
  a.Emit(BPF_RET | BPF_A, 0);
}

}  // namespace

std::vector<sock_filter> SteeringProgram(const SteeringMarkers& markers, size_t window) {
  const std::string_view branch = markers.branch_prefix, request = markers.request_prefix;
  const bool hashing = markers.loops > 1 && (!markers.uri_requests.empty() || !markers.to_request.empty());
  size_t head = request.size() + 2;
  for (const std::string& p : markers.uri_requests) {
    assert(!p.empty() && p.size() <= 32);
    head = std::max(head, p.size());
  }
  assert((branch.empty() || (branch.size() >= 4 && branch.size() <= 32)) && request.size() <= 32 &&
         markers.uri_requests.size() <= 4 && markers.to_request.size() <= 32 && window % kChunk == 0);
  head = std::max(head, markers.to_request.size());
  const size_t tail = branch.size() + 2;  // prefix, digit, '-'
  Assembler a;
  std::vector<size_t> to_miss_long;   // `ja` to the miss path
  std::vector<size_t> to_found;       // `ja` to the response's block
  std::vector<size_t> to_miss_short;  // conditional jumps (false) to a near miss
  std::vector<size_t> true_to_miss;   // conditional jumps (true) to it
  std::vector<size_t> to_hash;        // `ja` to the URI hash, X at the URI's user
  std::vector<size_t> to_to_scan;     // `ja` to the To scan

  // A load past the datagram's end would abort the program with 0 (socket 0),
  // so each chunk of offsets first checks the length it needs; the first
  // check covers the request line too.
  a.Emit(BPF_LD | BPF_W | BPF_LEN, 0);
  a.Emit(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(kChunk + std::max(tail, head)), 1, 0);
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
  // A request: its start line at X = 0. The marked prefix first, then the
  // methods whose user picks the loop.
  a.JumpTo(to_request, a.here());
  std::vector<size_t> to_next, true_to_next;
  // The previous check's mismatches go on to what is emitted next.
  auto next_check = [&] {
    for (size_t j : to_next) a.FalseTo(j, a.here());
    for (size_t j : true_to_next) a.TrueTo(j, a.here());
    to_next.clear();
    true_to_next.clear();
  };
  if (!request.empty()) EmitMarkedLoop(a, request, 0, to_next, true_to_next);
  for (const std::string& p : hashing ? markers.uri_requests : std::span<const std::string>()) {
    next_check();
    EmitCompare(a, p, 0, BPF_ABS, to_next);
    a.Emit(BPF_LDX | BPF_W | BPF_IMM, static_cast<uint32_t>(p.size()));
    to_hash.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
  }
  if (hashing && !markers.to_request.empty()) {
    next_check();
    EmitCompare(a, markers.to_request, 0, BPF_ABS, to_next);
    to_to_scan.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
  }
  to_miss_short.insert(to_miss_short.end(), to_next.begin(), to_next.end());
  true_to_miss.insert(true_to_miss.end(), true_to_next.begin(), true_to_next.end());
  const size_t near_miss = a.here();
  a.Emit(BPF_RET | BPF_K, kFallBack);
  for (size_t j : to_miss_short) a.FalseTo(j, near_miss);
  for (size_t j : true_to_miss) a.TrueTo(j, near_miss);

  if (!to_to_scan.empty()) {
    // "\nTo:" with T and O in either case, then the URI at X.
    const uint32_t name = Word("\nTO:", 0), mask = 0xffdfdfff;
    const size_t to_tail = 4 + 2 + 5;  // the name, two spaces, "<sip:"
    for (size_t j : to_to_scan) a.JumpTo(j, a.here());
    std::vector<size_t> to_field;
    for (size_t chunk = 0; chunk < kToWindow; chunk += kChunk) {
      a.Emit(BPF_LD | BPF_W | BPF_LEN, 0);
      a.Emit(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(chunk + kChunk + to_tail), 1, 0);
      to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
      for (size_t i = chunk; i < chunk + kChunk; ++i) {
        a.Emit(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(i));
        a.Emit(BPF_ALU | BPF_AND | BPF_K, mask);
        a.Emit(BPF_JMP | BPF_JEQ | BPF_K, name, 0, 2);
        a.Emit(BPF_LDX | BPF_W | BPF_IMM, static_cast<uint32_t>(i + 4));
        to_field.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
      }
    }
    to_miss_long.push_back(a.Emit(BPF_JMP | BPF_JA, 0));  // not in the window
    for (size_t j : to_field) a.JumpTo(j, a.here());
    for (int space = 0; space < 2; ++space) {
      a.Emit(BPF_LD | BPF_B | BPF_IND, 0);
      a.Emit(BPF_JMP | BPF_JEQ | BPF_K, ' ', 0, 3);
      a.Emit(BPF_MISC | BPF_TXA, 0);
      a.Emit(BPF_ALU | BPF_ADD | BPF_K, 1);
      a.Emit(BPF_MISC | BPF_TAX, 0);
    }
    a.Emit(BPF_LD | BPF_W | BPF_IND, 0);
    size_t angle = a.Emit(BPF_JMP | BPF_JEQ | BPF_K, Word("<sip", 0), 0, 0);
    size_t bare = a.Emit(BPF_JMP | BPF_JEQ | BPF_K, Word("sip:", 0), 0, 0);
    a.Emit(BPF_MISC | BPF_TXA, 0);
    a.Emit(BPF_ALU | BPF_ADD | BPF_K, 4);
    a.Emit(BPF_MISC | BPF_TAX, 0);
    to_hash.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
    a.TrueTo(angle, a.here());
    a.Emit(BPF_LD | BPF_B | BPF_IND, 4);
    size_t colon = a.Emit(BPF_JMP | BPF_JEQ | BPF_K, ':', 0, 0);
    a.Emit(BPF_MISC | BPF_TXA, 0);
    a.Emit(BPF_ALU | BPF_ADD | BPF_K, 5);
    a.Emit(BPF_MISC | BPF_TAX, 0);
    to_hash.push_back(a.Emit(BPF_JMP | BPF_JA, 0));
    const size_t field_miss = a.here();
    a.Emit(BPF_RET | BPF_K, kFallBack);  // a display name, another scheme
    a.FalseTo(angle, bare);
    a.FalseTo(bare, field_miss);
    a.FalseTo(colon, field_miss);
  }
  if (!to_hash.empty()) {
    for (size_t j : to_hash) a.JumpTo(j, a.here());
    EmitUriHash(a, markers.loops, to_miss_long);
  }

  const size_t miss = a.here();
  a.Emit(BPF_RET | BPF_K, kFallBack);
  for (size_t j : to_miss_long) a.JumpTo(j, miss);
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
