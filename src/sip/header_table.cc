#include "sip/header_table.h"

#include <array>

#include "common/strings.h"

namespace parley::sip {
namespace {

// Open-addressing table keyed by a case-insensitive hash, built at compile
// time from kHeaderInfos. Compact forms are looked up directly by letter.
constexpr size_t kSlots = 256;

// FNV-1a over (c | 0x20): a case fold that is exact for token characters,
// the only ones a header name can hold.
constexpr uint32_t ConstHash(std::string_view s) {
  uint32_t h = kHeaderHashSeed;
  for (char c : s) h = HeaderHashStep(h, c);
  return h;
}

constexpr bool TokenIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  }
  return true;
}

struct Table {
  std::array<uint8_t, kSlots> slot{};        // index into kHeaderInfos, 0 = empty
  std::array<uint8_t, 26> compact{};          // 'a'..'z' -> index, 0 = none
};

constexpr Table BuildTable() {
  Table t{};
  for (size_t i = 1; i < std::size(kHeaderInfos); ++i) {
    uint32_t h = ConstHash(kHeaderInfos[i].name) % kSlots;
    while (t.slot[h] != 0) h = (h + 1) % kSlots;
    t.slot[h] = static_cast<uint8_t>(i);
    if (kHeaderInfos[i].compact != 0) t.compact[kHeaderInfos[i].compact - 'a'] = static_cast<uint8_t>(i);
  }
  return t;
}

constexpr Table kTable = BuildTable();

}  // namespace

HeaderId LookupHeaderHashed(std::string_view name, uint32_t hash) {
  if (name.size() == 1) {
    char c = AsciiLower(name[0]);
    if (c < 'a' || c > 'z') return HeaderId::kUnknown;
    return kHeaderInfos[kTable.compact[c - 'a']].id;
  }
  uint32_t h = hash % kSlots;
  while (kTable.slot[h] != 0) {
    const HeaderInfo& info = kHeaderInfos[kTable.slot[h]];
    if (TokenIEquals(info.name, name)) return info.id;
    h = (h + 1) % kSlots;
  }
  return HeaderId::kUnknown;
}

HeaderId LookupHeader(std::string_view name) { return LookupHeaderHashed(name, ConstHash(name)); }

}  // namespace parley::sip
