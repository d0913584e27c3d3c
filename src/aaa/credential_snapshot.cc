#include "aaa/credential_snapshot.h"

#include <functional>
#include <limits>

namespace parley::aaa {

CredentialSnapshot::CredentialSnapshot(size_t expected) {
  entries_.reserve(expected);
  size_t slots = 16;
  while (slots < expected * 2) slots *= 2;
  slots_.assign(slots, 0);
}

size_t CredentialSnapshot::SlotOf(std::string_view aor) const {
  const size_t mask = slots_.size() - 1;
  size_t i = std::hash<std::string_view>{}(aor) & mask;
  while (slots_[i] != 0 && NameOf(entries_[slots_[i] - 1]) != aor) i = (i + 1) & mask;
  return i;
}

void CredentialSnapshot::Rehash(size_t slots) {
  slots_.assign(slots, 0);
  for (size_t e = 0; e < entries_.size(); ++e) slots_[SlotOf(NameOf(entries_[e]))] = static_cast<uint32_t>(e + 1);
}

bool CredentialSnapshot::Add(std::string_view aor, const UserCredentials& user) {
  size_t slot = SlotOf(aor);
  if (slots_[slot] != 0) {
    entries_[slots_[slot] - 1].user = user;
    return true;
  }
  constexpr size_t kMax = std::numeric_limits<uint32_t>::max();
  if (names_.size() + aor.size() > kMax || entries_.size() + 1 >= kMax / 2) return false;
  entries_.push_back(Entry{static_cast<uint32_t>(names_.size()), static_cast<uint32_t>(aor.size()), user});
  names_.append(aor);
  if (entries_.size() * 2 > slots_.size()) {
    Rehash(slots_.size() * 2);
  } else {
    slots_[slot] = static_cast<uint32_t>(entries_.size());
  }
  return true;
}

const UserCredentials* CredentialSnapshot::Find(std::string_view aor) const {
  uint32_t e = slots_[SlotOf(aor)];
  return e == 0 ? nullptr : &entries_[e - 1].user;
}

}  // namespace parley::aaa
