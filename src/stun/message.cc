#include "stun/message.h"

#include <algorithm>

namespace parley::stun {

namespace {

uint16_t Get16(std::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}
uint32_t Get32(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(Get16(b, at)) << 16) | Get16(b, at + 2);
}
void Put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}
void Put32(std::string& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xffff));
}
size_t Padded(size_t n) { return (n + 3) & ~size_t{3}; }

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = MakeCrcTable();

// The message type: the method's 12 bits with the class bits C0 (bit 4)
// and C1 (bit 8) between them (RFC 5389 §6, figure 3).
uint16_t TypeOf(uint16_t method, Class cls) {
  auto c = static_cast<uint16_t>(cls);
  return static_cast<uint16_t>((method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) |
                               ((c & 1) << 4) | ((c & 2) << 7));
}

std::string Header(uint16_t method, Class cls, std::string_view transaction_id) {
  std::string out;
  out.reserve(80);
  Put16(out, TypeOf(method, cls));
  Put16(out, 0);  // length, set by Finish
  Put32(out, kMagicCookie);
  out.append(transaction_id.substr(0, kTransactionIdSize));
  out.resize(kHeaderSize, '\0');
  return out;
}

void AddAttribute(std::string& out, uint16_t type, std::string_view value) {
  Put16(out, type);
  Put16(out, static_cast<uint16_t>(value.size()));
  out.append(value);
  out.resize(out.size() + Padded(value.size()) - value.size(), '\0');
}

void SetLength(std::string& out, size_t body) {
  out[2] = static_cast<char>(body >> 8);
  out[3] = static_cast<char>(body & 0xff);
}

// Sets the length and, when asked, appends FINGERPRINT (computed over the
// message with a length that already counts it, RFC 5389 §15.5).
std::string Finish(std::string out, std::string_view software, bool fingerprint) {
  if (!software.empty()) AddAttribute(out, attr::kSoftware, software.substr(0, 127));
  if (fingerprint) {
    SetLength(out, out.size() - kHeaderSize + 8);
    uint32_t f = Fingerprint(out);
    Put16(out, attr::kFingerprint);
    Put16(out, 4);
    Put32(out, f);
  }
  SetLength(out, out.size() - kHeaderSize);
  return out;
}

// Comprehension-required attributes RFC 5389 defines: every other one in
// 0x0000-0x7FFF is unknown here (comprehension-optional ones are ignored).
bool Known(uint16_t type) {
  switch (type) {
    case attr::kMappedAddress:
    case attr::kUsername:
    case attr::kMessageIntegrity:
    case attr::kErrorCode:
    case attr::kUnknownAttributes:
    case attr::kRealm:
    case attr::kNonce:
    case attr::kXorMappedAddress:
      return true;
    default:
      return type >= 0x8000;
  }
}

Error Bad(std::string reason) { return Error(400, std::move(reason)); }

// The XOR key of (XOR-)MAPPED-ADDRESS: the magic cookie, then (IPv6) the
// transaction id — the header's bytes 4..19 (RFC 5389 §15.2).
std::array<uint8_t, 16> XorKey(std::string_view transaction_id) {
  std::array<uint8_t, 16> key{0x21, 0x12, 0xa4, 0x42};
  for (size_t i = 0; i < transaction_id.size() && i < kTransactionIdSize; ++i) {
    key[4 + i] = static_cast<uint8_t>(transaction_id[i]);
  }
  return key;
}

}  // namespace

const Attribute* Message::Find(uint16_t type) const {
  for (const auto& a : attributes) {
    if (a.type == type) return &a;
  }
  return nullptr;
}

uint32_t Fingerprint(std::string_view bytes) {
  uint32_t c = 0xffffffffu;
  for (char ch : bytes) c = kCrcTable[(c ^ static_cast<uint8_t>(ch)) & 0xff] ^ (c >> 8);
  return (c ^ 0xffffffffu) ^ 0x5354554eu;
}

bool IsStun(std::string_view b) {
  if (b.size() < kHeaderSize || (static_cast<uint8_t>(b[0]) & 0xc0) != 0) return false;
  size_t length = Get16(b, 2);
  return length % 4 == 0 && length + kHeaderSize == b.size() && Get32(b, 4) == kMagicCookie;
}

Result<Message> Parse(std::string_view b) {
  if (b.size() < kHeaderSize) return Bad("shorter than a STUN header");
  if ((static_cast<uint8_t>(b[0]) & 0xc0) != 0) return Bad("leading bits not zero");
  if (Get32(b, 4) != kMagicCookie) return Bad("no magic cookie (RFC 3489 STUN is not supported)");
  size_t length = Get16(b, 2);
  if (length % 4 != 0) return Bad("length not a multiple of 4");
  if (length + kHeaderSize != b.size()) return Bad("length does not match the datagram");
  Message m;
  uint16_t type = Get16(b, 0);
  m.method = static_cast<uint16_t>((type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80));
  m.cls = static_cast<Class>(((type >> 4) & 1) | ((type >> 7) & 2));
  m.transaction_id = b.substr(8, kTransactionIdSize);
  size_t at = kHeaderSize;
  while (at < b.size()) {
    if (m.fingerprint) return Bad("attribute after FINGERPRINT");
    if (b.size() - at < 4) return Bad("truncated attribute header");
    uint16_t t = Get16(b, at);
    size_t n = Get16(b, at + 2);
    if (Padded(n) > b.size() - at - 4) return Bad("attribute overruns the message");
    if (t == attr::kFingerprint) {
      if (n != 4) return Bad("FINGERPRINT is not 4 bytes");
      if (Get32(b, at + 4) != Fingerprint(b.substr(0, at))) return Bad("FINGERPRINT does not match");
      m.fingerprint = true;
    } else {
      if (m.attributes.size() == kMaxAttributes) return Bad("too many attributes");
      m.attributes.push_back({t, b.substr(at + 4, n)});
    }
    at += 4 + Padded(n);
  }
  return m;
}

Result<TransportAddress> DecodeAddress(const Attribute& a, std::string_view transaction_id) {
  const bool x = a.type == attr::kXorMappedAddress;
  std::string_view v = a.value;
  if (v.size() < 4) return Bad("address attribute too short");
  TransportAddress out;
  uint8_t family = static_cast<uint8_t>(v[1]);
  if (family == 0x01 && v.size() == 8) {
    out.v6 = false;
  } else if (family == 0x02 && v.size() == 20 && transaction_id.size() == kTransactionIdSize) {
    out.v6 = true;
  } else {
    return Bad("address attribute: bad family or length");
  }
  out.port = static_cast<uint16_t>(Get16(v, 2) ^ (x ? kMagicCookie >> 16 : 0));
  const auto key = XorKey(transaction_id);
  size_t n = out.v6 ? 16 : 4;
  for (size_t i = 0; i < n; ++i) out.ip[i] = static_cast<uint8_t>(static_cast<uint8_t>(v[4 + i]) ^ (x ? key[i] : 0));
  return out;
}

int ErrorCodeOf(const Attribute& a) {
  if (a.type != attr::kErrorCode || a.value.size() < 4) return 0;
  int hundreds = static_cast<uint8_t>(a.value[2]) & 0x07;
  int number = static_cast<uint8_t>(a.value[3]);
  if (hundreds < 3 || hundreds > 6 || number > 99) return 0;
  return hundreds * 100 + number;
}

std::string BindingSuccess(std::string_view transaction_id, const TransportAddress& mapped, std::string_view software,
                           bool fingerprint) {
  std::string out = Header(kBinding, Class::kSuccess, transaction_id);
  std::string value;
  value.push_back('\0');
  value.push_back(mapped.v6 ? '\x02' : '\x01');
  Put16(value, static_cast<uint16_t>(mapped.port ^ (kMagicCookie >> 16)));
  const auto key = XorKey(transaction_id);
  size_t n = mapped.v6 ? 16 : 4;
  for (size_t i = 0; i < n; ++i) value.push_back(static_cast<char>(mapped.ip[i] ^ key[i]));
  AddAttribute(out, attr::kXorMappedAddress, value);
  return Finish(std::move(out), software, fingerprint);
}

std::string ErrorResponse(uint16_t method, std::string_view transaction_id, int code, std::string_view reason,
                          std::span<const uint16_t> unknown, std::string_view software, bool fingerprint) {
  std::string out = Header(method, Class::kError, transaction_id);
  std::string value;
  Put16(value, 0);
  value.push_back(static_cast<char>((code / 100) & 0x07));
  value.push_back(static_cast<char>(code % 100));
  value.append(reason.substr(0, 128));
  AddAttribute(out, attr::kErrorCode, value);
  if (!unknown.empty()) {
    std::string list;
    for (uint16_t t : unknown) Put16(list, t);
    AddAttribute(out, attr::kUnknownAttributes, list);
  }
  return Finish(std::move(out), software, fingerprint);
}

std::string BindingRequest(std::string_view transaction_id, bool fingerprint) {
  return Finish(Header(kBinding, Class::kRequest, transaction_id), {}, fingerprint);
}

std::string Answer(const Message& request, const TransportAddress& from, std::string_view software) {
  if (request.cls != Class::kRequest) return {};
  if (request.method != kBinding) {
    return ErrorResponse(request.method, request.transaction_id, 400, "Unknown method", {}, software,
                         request.fingerprint);
  }
  std::vector<uint16_t> unknown;
  for (const auto& a : request.attributes) {
    if (!Known(a.type) && std::find(unknown.begin(), unknown.end(), a.type) == unknown.end()) unknown.push_back(a.type);
  }
  if (!unknown.empty()) {
    return ErrorResponse(kBinding, request.transaction_id, 420, "Unknown Attribute", unknown, software,
                         request.fingerprint);
  }
  return BindingSuccess(request.transaction_id, from, software, request.fingerprint);
}

}  // namespace parley::stun
