#include "sip/fields.h"

#include <algorithm>
#include <ctime>

#include "sip/lex.h"

namespace parley::sip {
namespace {

Error Bad(std::string msg) { return Error(400, std::move(msg)); }

// display-name = *(token LWS) / quoted-string
bool ValidDisplayName(std::string_view d) {
  if (d.empty()) return true;
  if (d.front() == '"') return ScanQuotedString(d, 0) == d.size();
  size_t i = 0;
  while (i < d.size()) {
    size_t j = i;
    while (j < d.size() && !IsLws(d[j])) ++j;
    if (!IsToken(d.substr(i, j - i))) return false;
    i = SkipLws(d, j);
  }
  return true;
}

// Checks what follows an address: nothing, or header parameters.
Result<Params> TrailingParams(std::string_view rest) {
  rest = TrimLws(rest);
  if (rest.empty()) return Params();
  if (rest.front() != ';') return Bad("junk after address");
  if (!ValidParams(rest, ParamSyntax::kHeader)) return Bad("malformed address parameter");
  return Params(rest);
}

}  // namespace

std::string NameAddr::DisplayName() const {
  if (!display_name.empty() && display_name.front() == '"') return UnquoteString(display_name);
  return std::string(display_name);
}

Result<NameAddr> ParseFirstNameAddr(std::string_view list) {
  size_t comma = FindTopLevel(list, 0, ',');
  return ParseNameAddr(list.substr(0, comma == std::string_view::npos ? list.size() : comma));
}

Result<NameAddr> ParseNameAddr(std::string_view value, NameAddrOptions opts) {
  NameAddr na;
  value = TrimLws(value);
  na.text = value;
  if (value.empty()) return Bad("empty address");
  if (value == "*") {
    if (opts != NameAddrOptions::kAllowStar) return Bad("'*' not allowed here");
    na.is_star = true;
    return na;
  }
  size_t lt = FindTopLevel(value, 0, '<', false);
  if (lt == std::string_view::npos) return Bad("unterminated quoted string in address");
  if (lt < value.size()) {
    // name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
    na.angle_brackets = true;
    na.display_name = TrimLws(value.substr(0, lt));
    if (!ValidDisplayName(na.display_name)) return Bad("malformed display name");
    size_t gt = value.find('>', lt + 1);
    if (gt == std::string_view::npos) return Bad("missing '>' in address");
    na.uri_text = value.substr(lt + 1, gt - lt - 1);
    auto params = TrailingParams(value.substr(gt + 1));
    if (!params.ok()) return params.error();
    na.params = *params;
  } else {
    if (opts == NameAddrOptions::kRequireAngle) return Bad("address must be in '<>'");
    // addr-spec form: parameters after ';' belong to the header, and a URI
    // with '?' (or ';' or ',') must have been enclosed in '<>' (§20).
    if (value.front() == '"') return Bad("display name without '<>' address");
    size_t semi = value.find(';');
    na.uri_text = TrimLws(value.substr(0, semi));
    if (na.uri_text.find('?') != std::string_view::npos) {
      return Bad("URI with headers must be enclosed in '<>'");
    }
    if (semi != std::string_view::npos) {
      auto params = TrailingParams(value.substr(semi));
      if (!params.ok()) return params.error();
      na.params = *params;
    }
  }
  auto uri = ParseUri(na.uri_text);
  if (!uri.ok()) return uri.error();
  na.uri = *uri;
  na.tag_param = na.params.Get("tag");
  return na;
}

std::string Via::SentBy() const {
  std::string out;
  if (host_is_ipv6) {
    out.append("[").append(host).append("]");
  } else {
    out.append(host);
  }
  if (has_port) out.append(":").append(std::to_string(port));
  return out;
}

Result<Via> ParseVia(std::string_view value) {
  Via v;
  value = TrimLws(value);
  v.text = value;
  size_t i = 0;
  auto read_token = [&](std::string_view& out) {
    size_t b = i;
    while (i < value.size() && IsTokenChar(value[i])) ++i;
    out = value.substr(b, i - b);
    return !out.empty();
  };
  auto expect_slash = [&]() {
    i = SkipLws(value, i);
    if (i >= value.size() || value[i] != '/') return false;
    i = SkipLws(value, i + 1);
    return true;
  };
  if (!read_token(v.protocol_name) || !expect_slash() || !read_token(v.protocol_version) ||
      !expect_slash() || !read_token(v.transport)) {
    return Bad("malformed Via sent-protocol");
  }
  if (!IEquals(v.protocol_name, "SIP") || v.protocol_version != "2.0") {
    return Bad("unsupported Via protocol version");
  }
  size_t ws = i;
  i = SkipLws(value, i);
  if (i == ws || i >= value.size()) return Bad("missing Via sent-by");
  // sent-by = host [ COLON port ]
  if (value[i] == '[') {
    size_t close = value.find(']', i);
    if (close == std::string_view::npos) return Bad("unterminated IPv6 reference in Via");
    v.host = value.substr(i + 1, close - i - 1);
    v.host_is_ipv6 = true;
    if (!IsIpv6(v.host)) return Bad("invalid IPv6 address in Via");
    i = close + 1;
  } else {
    size_t b = i;
    while (i < value.size() && (IsAlnum(value[i]) || value[i] == '.' || value[i] == '-' || value[i] == '_')) ++i;
    v.host = value.substr(b, i - b);
    if (!IsHostname(v.host)) return Bad("invalid Via host");
  }
  i = SkipLws(value, i);
  if (i < value.size() && value[i] == ':') {
    i = SkipLws(value, i + 1);
    size_t b = i;
    while (i < value.size() && IsDigit(value[i])) ++i;
    auto port = ParseUint(value.substr(b, i - b), 65535);
    if (!port) return Bad("invalid Via port");
    v.port = static_cast<uint16_t>(*port);
    v.has_port = true;
    i = SkipLws(value, i);
  }
  std::string_view rest = value.substr(i);
  if (!rest.empty()) {
    if (rest.front() != ';') return Bad("junk after Via sent-by");
    static constexpr std::array<std::string_view, 4> kKnown = {"branch", "received", "rport", "maddr"};
    v.params = Params(rest);
    if (!ScanPlainHeaderParams(rest, kKnown, v.known_params)) {
      // The shortcut has already declined: straight to the general check.
      if (!ValidParamsGeneral(rest, ParamSyntax::kHeader)) return Bad("malformed Via parameter");
      v.known_params = {};
      v.params.GetAll(kKnown, v.known_params);
    }
  }
  return v;
}

Result<CSeq> ParseCSeq(std::string_view value) {
  value = TrimLws(value);
  size_t i = 0;
  while (i < value.size() && IsDigit(value[i])) ++i;
  auto n = ParseUint(value.substr(0, i), 0x7FFFFFFFu);
  if (!n) return Bad(i == 0 ? "malformed CSeq" : "CSeq number out of range");
  size_t ws = i;
  i = SkipLws(value, i);
  if (i == ws) return Bad("malformed CSeq");
  CSeq c;
  c.number = static_cast<uint32_t>(*n);
  c.method_text = value.substr(i);
  if (!IsToken(c.method_text)) return Bad("malformed CSeq method");
  c.method = ParseMethod(c.method_text);
  return c;
}

Result<uint32_t> ParseDeltaSeconds(std::string_view value) {
  auto n = ParseUint(TrimLws(value), 0xFFFFFFFFu);
  if (!n) return Bad("malformed delta-seconds");
  return static_cast<uint32_t>(*n);
}

Result<uint32_t> ParseMaxForwards(std::string_view value) {
  auto n = ParseUint(TrimLws(value), 255);
  if (!n) return Bad("malformed Max-Forwards");
  return static_cast<uint32_t>(*n);
}

Result<uint64_t> ParseContentLength(std::string_view value) {
  auto n = ParseUint(TrimLws(value), 0xFFFFFFFFu);
  if (!n) return Bad("malformed Content-Length");
  return *n;
}

bool MediaType::Is(std::string_view t, std::string_view s) const {
  return IEquals(type, t) && IEquals(subtype, s);
}

std::string MediaType::Essence() const {
  std::string out = ToLower(type);
  out.push_back('/');
  out.append(ToLower(subtype));
  return out;
}

Result<MediaType> ParseMediaType(std::string_view value) {
  value = TrimLws(value);
  MediaType m;
  size_t i = 0;
  while (i < value.size() && IsTokenChar(value[i])) ++i;
  m.type = value.substr(0, i);
  i = SkipLws(value, i);
  if (m.type.empty() || i >= value.size() || value[i] != '/') return Bad("malformed media type");
  i = SkipLws(value, i + 1);
  size_t b = i;
  while (i < value.size() && IsTokenChar(value[i])) ++i;
  m.subtype = value.substr(b, i - b);
  if (m.subtype.empty()) return Bad("malformed media subtype");
  std::string_view rest = TrimLws(value.substr(i));
  if (!rest.empty()) {
    if (rest.front() != ';' || !ValidParams(rest, ParamSyntax::kHeader)) {
      return Bad("malformed media type parameter");
    }
    m.params = Params(rest);
  }
  return m;
}

namespace {
constexpr bool IsWordChar(char c) {
  if (IsTokenChar(c)) return true;
  switch (c) {
    case '(': case ')': case '<': case '>': case ':': case '\\': case '"':
    case '/': case '[': case ']': case '?': case '{': case '}':
      return true;
    default:
      return false;
  }
}
bool IsWord(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (!IsWordChar(c)) return false;
  }
  return true;
}
}  // namespace

bool ValidCallId(std::string_view value) {
  size_t at = value.find('@');
  if (at == std::string_view::npos) return IsWord(value);
  return IsWord(value.substr(0, at)) && IsWord(value.substr(at + 1));
}

int64_t SipDate::ToUnix() const {
  // Days from civil (Howard Hinnant's algorithm).
  int y = year - (month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = static_cast<unsigned>(y - era * 400);
  unsigned mp = static_cast<unsigned>(month + (month > 2 ? -3 : 9));
  unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

namespace {
constexpr std::string_view kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr int64_t kFirstUnix = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kLastUnix = 253402300799;   // 9999-12-31T23:59:59Z
}  // namespace

SipDate SipDate::FromUnix(int64_t unix) {
  unix = std::clamp(unix, kFirstUnix, kLastUnix);
  int64_t days = (unix >= 0 ? unix : unix - 86399) / 86400;
  int64_t secs = unix - days * 86400;
  // Civil from days (Howard Hinnant's algorithm), the inverse of ToUnix.
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  SipDate d;
  d.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = static_cast<int>(yoe + era * 400 + (d.month <= 2 ? 1 : 0));
  d.hour = static_cast<int>(secs / 3600);
  d.minute = static_cast<int>(secs / 60 % 60);
  d.second = static_cast<int>(secs % 60);
  return d;
}

std::string SipDate::ToString() const {
  int64_t unix = ToUnix();
  int64_t days = (unix >= 0 ? unix : unix - 86399) / 86400;
  std::string out(kDays[static_cast<size_t>(((days + 3) % 7 + 7) % 7)]);  // 1970-01-01 was a Thursday
  auto digits = [&out](int v, int width) {
    char buf[4];
    for (int i = width - 1; i >= 0; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
    out.append(buf, static_cast<size_t>(width));
  };
  out.append(", ");
  digits(day, 2);
  out.append(" ").append(kMonths[month - 1]).append(" ");
  digits(year, 4);
  out.append(" ");
  digits(hour, 2);
  out.append(":");
  digits(minute, 2);
  out.append(":");
  digits(second, 2);
  out.append(" GMT");
  return out;
}

Result<SipDate> ParseSipDate(std::string_view value) {
  // "Sat, 13 Nov 2010 23:29:00 GMT"
  value = TrimLws(value);
  if (value.size() != 29) return Bad("malformed Date");
  bool day_ok = false;
  for (auto d : kDays) day_ok |= value.substr(0, 3) == d;
  if (!day_ok || value.substr(3, 2) != ", " || value[7] != ' ' || value[11] != ' ' ||
      value[16] != ' ' || value[19] != ':' || value[22] != ':' || value[25] != ' ') {
    return Bad("malformed Date");
  }
  if (value.substr(26) != "GMT") return Bad("Date not in GMT");
  SipDate d;
  for (int m = 0; m < 12; ++m) {
    if (value.substr(8, 3) == kMonths[m]) d.month = m + 1;
  }
  auto num = [&](size_t pos, size_t len, uint64_t max) { return ParseUint(value.substr(pos, len), max); };
  auto day = num(5, 2, 31), year = num(12, 4, 9999), hh = num(17, 2, 23), mm = num(20, 2, 59),
       ss = num(23, 2, 60);
  if (d.month == 0 || !day || *day == 0 || !year || !hh || !mm || !ss) return Bad("malformed Date");
  d.day = static_cast<int>(*day);
  d.year = static_cast<int>(*year);
  d.hour = static_cast<int>(*hh);
  d.minute = static_cast<int>(*mm);
  d.second = static_cast<int>(*ss);
  return d;
}

Result<AuthField> ParseAuthField(std::string_view value) {
  value = TrimLws(value);
  size_t i = 0;
  while (i < value.size() && IsTokenChar(value[i])) ++i;
  AuthField a;
  a.scheme = value.substr(0, i);
  if (a.scheme.empty()) return Bad("malformed authentication scheme");
  if (i < value.size() && !IsLws(value[i])) return Bad("malformed authentication scheme");
  a.params_text = TrimLws(value.substr(i));
  return a;
}

std::optional<std::string_view> AuthField::RawParam(std::string_view name) const {
  std::optional<std::string_view> found;
  ForEachListElement(params_text, [&](std::string_view elem) {
    size_t eq = elem.find('=');
    if (eq == std::string_view::npos) return true;
    if (IEquals(TrimLws(elem.substr(0, eq)), name)) {
      found = TrimLws(elem.substr(eq + 1));
      return false;
    }
    return true;
  });
  return found;
}

std::optional<std::string> AuthField::Param(std::string_view name) const {
  auto raw = RawParam(name);
  if (!raw) return std::nullopt;
  if (!raw->empty() && raw->front() == '"') return UnquoteString(*raw);
  return std::string(*raw);
}

bool ValidTokenList(std::string_view value) {
  return ForEachListElement(value, [](std::string_view e) { return IsToken(e); });
}

}  // namespace parley::sip
