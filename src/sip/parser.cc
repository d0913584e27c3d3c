#include "sip/parser.h"

#include <cstring>

#include "sip/lex.h"

namespace parley::sip {

namespace {
constexpr ParseError kMalformedStartLine{400, "Malformed Start Line"};
constexpr ParseError kMalformedRequestUri{400, "Malformed Request-URI"};
constexpr ParseError kMalformedVersion{400, "Malformed SIP Version"};
constexpr ParseError kBadVersion{505, "Version Not Supported"};
constexpr ParseError kBadStatusCode{400, "Malformed Status Code"};
constexpr ParseError kMalformedField{400, "Malformed Header Field"};
constexpr ParseError kMalformedFieldName{400, "Malformed Header Field Name"};
constexpr ParseError kFieldTooLong{400, "Header Field Too Long"};
constexpr ParseError kTooManyFields{400, "Too Many Header Fields"};
constexpr ParseError kHeaderTooLarge{513, "Message Too Large"};
constexpr ParseError kBodyTooLarge{413, "Request Entity Too Large"};
constexpr ParseError kMultipleContentLength{400, "Multiple Content-Length Values"};
constexpr ParseError kBadContentLength{400, "Malformed Content-Length"};
constexpr ParseError kShortBody{400, "Content-Length Exceeds Datagram"};
constexpr ParseError kBadMethod{400, "Malformed Method"};
}  // namespace

// Fills a Message's views from its own buffer. Declared a friend of Message.
struct ParserAccess {
  static MessagePtr NewParsed(std::string&& bytes) {
    auto m = std::make_unique<Message>();
    m->buffer_storage_ = std::move(bytes);
    return m;
  }
  static std::string& Buffer(Message& m) { return m.buffer_storage_; }

  static ParseError ParseStartLine(Message& m, std::string_view line) {
    // Tolerate trailing whitespace (RFC 4475 §3.1.2.10 allows either choice).
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    m.start_line_ = line;
    if (line.size() >= 4 && IStartsWith(line, "SIP/")) {
      // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
      m.is_request_ = false;
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos) return kMalformedStartLine;
      m.version_ = line.substr(0, sp);
      std::string_view rest = line.substr(sp + 1);
      if (rest.size() < 3 || !IsDigit(rest[0]) || !IsDigit(rest[1]) || !IsDigit(rest[2]) ||
          (rest.size() > 3 && rest[3] != ' ')) {
        return kBadStatusCode;
      }
      m.status_ = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
      if (m.status_ < 100 || m.status_ > 699) return kBadStatusCode;
      m.reason_ = rest.size() > 4 ? rest.substr(4) : std::string_view();
      return CheckVersion(m.version_);
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    m.is_request_ = true;
    size_t sp1 = line.find(' ');
    size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp1 == sp2) return kMalformedStartLine;
    m.method_text_ = line.substr(0, sp1);
    m.request_uri_text_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
    m.version_ = line.substr(sp2 + 1);
    m.method_ = ParseMethod(m.method_text_);
    if (!IsToken(m.method_text_)) return kBadMethod;
    ParseError v = CheckVersion(m.version_);
    if (v.status == kMalformedVersion.status && v.reason == kMalformedVersion.reason) {
      return v;
    }
    if (m.request_uri_text_.empty()) return kMalformedRequestUri;
    for (char c : m.request_uri_text_) {
      if (c == ' ' || c == '\t') return kMalformedRequestUri;
    }
    return v;
  }

  static ParseError CheckVersion(std::string_view v) {
    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT
    if (v.size() < 7 || !IStartsWith(v, "SIP/")) return kMalformedVersion;
    std::string_view num = v.substr(4);
    size_t dot = num.find('.');
    if (dot == std::string_view::npos || !ParseUint(num.substr(0, dot)) || !ParseUint(num.substr(dot + 1))) {
      return kMalformedVersion;
    }
    if (num != "2.0") return kBadVersion;
    return {};
  }

  // Splits the start line and header fields of `section` (a view into the
  // message's buffer that ends just past the blank line, or at the end of
  // a datagram without one).
  // `*end` gets the offset past the blank line, or npos when there is none.
  static ParseError ScanSection(Message& m, std::string_view section, const ParserLimits& limits,
                                size_t* end = nullptr) {
    if (end) *end = std::string_view::npos;
    ParseError first;
    auto note = [&](ParseError e) {
      if (first.ok()) first = e;
    };
    size_t pos = 0;
    auto next_line = [&](std::string_view& line, std::string_view& with_eol) {
      if (pos >= section.size()) return false;
      size_t nl = section.find('\n', pos);
      size_t line_end = nl == std::string_view::npos ? section.size() : nl + 1;
      with_eol = section.substr(pos, line_end - pos);
      line = with_eol;
      if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      pos = line_end;
      return true;
    };
    std::string_view line, with_eol;
    if (!next_line(line, with_eol)) return kMalformedStartLine;
    if (line.size() > limits.max_field_bytes) note(kFieldTooLong);
    note(ParseStartLine(m, line));

    m.headers_.reserve(16);  // 16 x 56 bytes stays below glibc's large-bin threshold
    const char* field_begin = nullptr;
    std::string_view field_line;  // first physical line of the current field
    size_t field_end = 0;         // offset in section past the field's last CRLF
    auto flush = [&]() {
      if (!field_begin) return;
      std::string_view raw(field_begin, static_cast<size_t>(section.data() + field_end - field_begin));
      if (raw.size() > limits.max_field_bytes) note(kFieldTooLong);
      if (m.headers_.size() >= limits.max_headers) {
        note(kTooManyFields);
        field_begin = nullptr;
        return;
      }
      size_t colon = field_line.find(':');
      if (colon == std::string_view::npos) {
        note(kMalformedField);
        field_begin = nullptr;
        return;
      }
      std::string_view name = field_line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      // Validate the token and hash it for the table lookup in one pass.
      uint32_t hash = kHeaderHashSeed;
      bool token = !name.empty();
      for (char c : name) {
        token &= IsTokenChar(c);
        hash = HeaderHashStep(hash, c);
      }
      if (!token) {
        note(kMalformedFieldName);
        field_begin = nullptr;
        return;
      }
      // value: from after the colon to the end of the field, without the
      // final line break (folds inside stay; value parsers treat CRLF+WS as LWS).
      const char* vbegin = field_line.data() + colon + 1;
      std::string_view value(vbegin, static_cast<size_t>(raw.data() + raw.size() - vbegin));
      value = TrimLws(value);
      HeaderField f;
      f.id = LookupHeaderHashed(name, hash);
      f.name = name;
      f.value = value;
      f.raw = raw;
      m.headers_.push_back(f);
      field_begin = nullptr;
    };
    while (next_line(line, with_eol)) {
      if (line.empty()) {  // end of header section
        if (end) *end = pos;
        break;
      }
      if (line[0] == ' ' || line[0] == '\t') {
        if (!field_begin) {
          note(kMalformedField);
          continue;
        }
        field_end = pos;  // a fold: the field continues
        continue;
      }
      flush();
      field_begin = line.data();
      field_line = line;
      field_end = pos;
    }
    flush();
    return first;
  }

  // Content-Length: nullopt when absent; error for several or malformed.
  static ParseError ContentLength(const Message& m, std::optional<uint64_t>& out) {
    const HeaderField* found = nullptr;
    for (const auto& h : m.headers_) {
      if (h.id != HeaderId::kContentLength) continue;
      if (found) return kMultipleContentLength;
      found = &h;
    }
    if (!found) return {};
    auto n = ParseContentLength(found->value);
    if (!n.ok()) return kBadContentLength;
    out = *n;
    return {};
  }

  // Shifts every view after the buffer moved from `old_base`.
  static void Rebase(Message& m, const char* old_base) {
    const char* nb = m.buffer_storage_.data();
    auto fix = [&](std::string_view& v) {
      if (v.data() == nullptr) return;
      v = std::string_view(nb + (v.data() - old_base), v.size());
    };
    fix(m.start_line_);
    fix(m.method_text_);
    fix(m.request_uri_text_);
    fix(m.version_);
    fix(m.reason_);
    for (auto& h : m.headers_) {
      fix(h.name);
      fix(h.value);
      fix(h.raw);
    }
  }

  static void SetBody(Message& m, size_t offset, size_t len) {
    const std::string& b = m.buffer_storage_;
    m.body_ = std::string_view(b.data() + offset, len);
    size_t start = static_cast<size_t>(m.start_line_.data() - b.data());
    m.raw_ = std::string_view(b.data() + start, offset + len - start);
  }
};

namespace {

// Offset just past the blank line ending the header section, or npos.
size_t FindHeaderEnd(std::string_view s, size_t from) {
  const char* base = s.data();
  const size_t n = s.size();
  size_t i = from;
  while (i < n) {
    const void* hit = std::memchr(base + i, '\n', n - i);
    if (!hit) return std::string_view::npos;
    i = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (i + 1 < n && base[i + 1] == '\n') return i + 2;
    if (i + 2 < n && base[i + 1] == '\r' && base[i + 2] == '\n') return i + 3;
    ++i;
  }
  return std::string_view::npos;
}

}  // namespace

MessagePtr ParseDatagram(std::string bytes, const ParserLimits& limits) {
  size_t start = 0;
  while (start < bytes.size() && (bytes[start] == '\r' || bytes[start] == '\n')) ++start;
  if (start >= bytes.size()) return nullptr;
  MessagePtr m = ParserAccess::NewParsed(std::move(bytes));
  std::string_view all(ParserAccess::Buffer(*m));
  std::string_view data = all.substr(start);
  // One pass splits the fields and finds the blank line; a datagram without
  // one is all header section.
  size_t end;
  ParseError e = ParserAccess::ScanSection(*m, data.substr(0, std::min(data.size(), limits.max_header_bytes + 4)),
                                           limits, &end);
  size_t section_len = end == std::string_view::npos ? data.size() : end;
  if (section_len > limits.max_header_bytes) e = kHeaderTooLarge;
  if (m->start_line().empty()) return nullptr;
  if (!e.ok()) m->set_parse_error(e);
  size_t body_offset = start + section_len;
  size_t available = all.size() - body_offset;
  std::optional<uint64_t> cl;
  ParseError ce = ParserAccess::ContentLength(*m, cl);
  size_t body_len = available;
  if (!ce.ok()) {
    if (m->parse_error().ok()) m->set_parse_error(ce);
  } else if (cl) {
    if (*cl > available) {
      if (m->parse_error().ok()) m->set_parse_error(kShortBody);
    } else {
      body_len = static_cast<size_t>(*cl);
    }
  }
  if (body_len > limits.max_body_bytes && m->parse_error().ok()) m->set_parse_error(kBodyTooLarge);
  ParserAccess::SetBody(*m, body_offset, body_len);
  return m;
}

MessageParser::MessageParser(const ParserLimits& limits) : limits_(limits) {}

void MessageParser::Reset() {
  state_ = State::kStart;
  pending_.clear();
  scanned_ = 0;
  crlf_pairs_ = 0;
  saw_cr_ = false;
  msg_.reset();
  body_needed_ = 0;
  header_len_ = 0;
  error_ = {};
}

size_t MessageParser::buffered() const {
  if (state_ == State::kBody && msg_) return ParserAccess::Buffer(*msg_).size();
  return pending_.size();
}

MessageParser::Step MessageParser::Fail(ParseError e, size_t consumed) {
  error_ = e;
  state_ = State::kFailed;
  return {Status::kError, consumed};
}

MessagePtr MessageParser::TakeMessage() {
  MessagePtr m = std::move(msg_);
  if (state_ != State::kFailed) Reset();
  return m;
}

MessageParser::Step MessageParser::Feed(std::string_view bytes) {
  size_t used = 0;
  if (state_ == State::kFailed) return {Status::kError, 0};
  if (state_ == State::kStart) {
    // Skip CRLFs between messages; a CRLFCRLF is a keep-alive ping.
    while (used < bytes.size()) {
      char c = bytes[used];
      if (c == '\r') {
        saw_cr_ = true;
        ++used;
      } else if (c == '\n') {
        ++used;
        if (saw_cr_ && ++crlf_pairs_ == 2) {
          crlf_pairs_ = 0;
          saw_cr_ = false;
          return {Status::kKeepAlive, used};
        }
        saw_cr_ = false;
      } else {
        break;
      }
    }
    if (used == bytes.size()) return {Status::kNeedMore, used};
    crlf_pairs_ = 0;
    saw_cr_ = false;
    state_ = State::kHeaders;
  }
  if (state_ == State::kHeaders) {
    size_t before = pending_.size();
    size_t room = limits_.max_header_bytes + 4 - before;
    size_t take = std::min(bytes.size() - used, room);
    pending_.append(bytes.data() + used, take);
    size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
    size_t end = FindHeaderEnd(pending_, from);
    if (end == std::string::npos) {
      scanned_ = pending_.size();
      if (pending_.size() > limits_.max_header_bytes) return Fail(kHeaderTooLarge, used + take);
      return {Status::kNeedMore, used + take};
    }
    // Bytes after the header section in this chunk are not consumed yet.
    size_t consumed = used + (end - before);
    header_len_ = end;
    pending_.resize(end);
    msg_ = ParserAccess::NewParsed(std::move(pending_));
    pending_.clear();
    scanned_ = 0;
    std::string& buf = ParserAccess::Buffer(*msg_);
    std::string_view section(buf);
    ParseError e = ParserAccess::ScanSection(*msg_, section, limits_);
    if (!e.ok()) msg_->set_parse_error(e);
    std::optional<uint64_t> cl;
    ParseError ce = ParserAccess::ContentLength(*msg_, cl);
    if (!ce.ok()) {
      msg_->set_parse_error(ce);
      return Fail(ce, consumed);
    }
    uint64_t n = cl.value_or(0);
    if (n > limits_.max_body_bytes) {
      msg_->set_parse_error(kBodyTooLarge);
      return Fail(kBodyTooLarge, consumed);
    }
    body_needed_ = static_cast<size_t>(n);
    // Appending the body must not move the views just taken.
    if (buf.capacity() < header_len_ + body_needed_) {
      const char* old_base = buf.data();
      buf.reserve(header_len_ + body_needed_);
      ParserAccess::Rebase(*msg_, old_base);
    }
    state_ = State::kBody;
    used = consumed;
  }
  // kBody
  std::string& buf = ParserAccess::Buffer(*msg_);
  size_t take = std::min(body_needed_, bytes.size() - used);
  buf.append(bytes.data() + used, take);
  body_needed_ -= take;
  used += take;
  if (body_needed_ > 0) return {Status::kNeedMore, used};
  ParserAccess::SetBody(*msg_, header_len_, buf.size() - header_len_);
  state_ = State::kStart;
  return {Status::kMessage, used};
}

}  // namespace parley::sip
