#include "sip/message.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>

#include "sip/lex.h"
#include "sip/parser.h"

namespace parley::sip {

namespace detail {
// A value parsed on first use: `done` once computed, `value` when valid.
// (Not in the anonymous namespace: Message::Cache, which holds them, has
// external linkage.)
template <typename T>
struct Lazy {
  bool done = false;
  std::optional<T> value;
};
}  // namespace detail
using detail::Lazy;

namespace {

// Below glibc's large-bin threshold (1008 bytes): larger requests make it
// consolidate its fast bins on every allocation, which showed in profiles.
constexpr size_t kArenaBlock = 960;

}  // namespace

struct Message::Cache {
  Lazy<Uri> request_uri;
  Lazy<NameAddr> from;
  Lazy<NameAddr> to;
  Lazy<CSeq> cseq;
  bool vias_done = false;
  ViaList vias;
  bool contacts_done = false;
  std::vector<NameAddr> contacts;
  Lazy<uint32_t> max_forwards;
  Lazy<uint32_t> expires;
  Lazy<MediaType> content_type;
};

Message::Message() = default;
Message::~Message() = default;

Message::Cache& Message::cache() const {
  if (!cache_) cache_ = std::make_unique<Cache>();
  return *cache_;
}

void Message::Invalidate() {
  modified_ = true;
  cache_.reset();
}

MessagePtr Message::NewRequest(std::string_view method, std::string_view request_uri) {
  auto m = std::make_unique<Message>();
  m->is_request_ = true;
  m->method_text_ = m->Intern(method);
  m->method_ = ParseMethod(method);
  m->request_uri_text_ = m->Intern(request_uri);
  m->version_ = "SIP/2.0";
  m->modified_ = true;
  m->start_line_modified_ = true;
  m->headers_.reserve(16);
  return m;
}

MessagePtr Message::NewResponse(int status, std::string_view reason) {
  auto m = std::make_unique<Message>();
  m->is_request_ = false;
  m->status_ = status;
  m->reason_ = m->Intern(reason);
  m->version_ = "SIP/2.0";
  m->modified_ = true;
  m->start_line_modified_ = true;
  m->headers_.reserve(16);
  return m;
}

MessagePtr Message::Clone() const {
  // A copy of the received bytes with every view moved onto it, and what was
  // edited or built copied into the clone's arena: no second parse. Cached
  // values are not copied (they hold views of this message).
  auto m = std::make_unique<Message>();
  m->buffer_storage_ = buffer_storage_;
  const auto base = reinterpret_cast<uintptr_t>(buffer_storage_.data());
  const size_t size = buffer_storage_.size();
  auto move = [&](std::string_view v) -> std::string_view {
    if (v.data() == nullptr) return v;
    const auto at = reinterpret_cast<uintptr_t>(v.data());
    if (at >= base && at - base <= size && v.size() <= size - (at - base)) {
      return {m->buffer_storage_.data() + (at - base), v.size()};
    }
    return v.empty() ? std::string_view() : m->Intern(v);
  };
  m->is_request_ = is_request_;
  m->modified_ = modified_;
  m->start_line_modified_ = start_line_modified_;
  m->method_ = method_;
  m->start_line_ = move(start_line_);
  m->method_text_ = move(method_text_);
  m->request_uri_text_ = move(request_uri_text_);
  m->version_ = move(version_);
  m->status_ = status_;
  m->reason_ = move(reason_);
  m->headers_.reserve(headers_.size() + 4);
  for (const auto& h : headers_) m->headers_.push_back({h.id, move(h.name), move(h.value), move(h.raw)});
  m->body_ = move(body_);
  m->raw_ = move(raw_);
  m->error_ = error_;  // its reason is static text
  return m;
}

const HeaderField* Message::Find(HeaderId id) const {
  for (const auto& h : headers_) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

const HeaderField* Message::Find(std::string_view name) const {
  HeaderId id = LookupHeader(name);
  if (id != HeaderId::kUnknown) return Find(id);
  for (const auto& h : headers_) {
    if (h.id == HeaderId::kUnknown && IEquals(h.name, name)) return &h;
  }
  return nullptr;
}

size_t Message::Count(HeaderId id) const {
  size_t n = 0;
  for (const auto& h : headers_) n += (h.id == id);
  return n;
}

std::string_view Message::Value(HeaderId id) const {
  const HeaderField* h = Find(id);
  return h ? h->value : std::string_view();
}

const Uri* Message::request_uri() const {
  auto& c = cache().request_uri;
  if (!c.done) {
    c.done = true;
    if (is_request_) {
      auto r = ParseUri(request_uri_text_);
      if (r.ok()) c.value = *r;
    }
  }
  return c.value ? &*c.value : nullptr;
}

namespace {
template <typename T, typename F>
const T* LazyField(Lazy<T>& c, const Message& m, HeaderId id, F&& parse) {
  if (!c.done) {
    c.done = true;
    if (m.Count(id) == 1) {
      auto r = parse(m.Find(id)->value);
      if (r.ok()) c.value = *r;
    }
  }
  return c.value ? &*c.value : nullptr;
}
}  // namespace

const NameAddr* Message::from() const {
  return LazyField(cache().from, *this, HeaderId::kFrom, [](std::string_view v) { return ParseNameAddr(v); });
}

const NameAddr* Message::to() const {
  return LazyField(cache().to, *this, HeaderId::kTo, [](std::string_view v) { return ParseNameAddr(v); });
}

const CSeq* Message::cseq() const {
  return LazyField(cache().cseq, *this, HeaderId::kCSeq, ParseCSeq);
}

std::optional<uint32_t> Message::max_forwards() const {
  auto* v = LazyField(cache().max_forwards, *this, HeaderId::kMaxForwards, ParseMaxForwards);
  return v ? std::optional<uint32_t>(*v) : std::nullopt;
}

std::optional<uint32_t> Message::expires() const {
  auto* v = LazyField(cache().expires, *this, HeaderId::kExpires, ParseDeltaSeconds);
  return v ? std::optional<uint32_t>(*v) : std::nullopt;
}

std::optional<MediaType> Message::content_type() const {
  auto* v = LazyField(cache().content_type, *this, HeaderId::kContentType, ParseMediaType);
  return v ? std::optional<MediaType>(*v) : std::nullopt;
}

const ViaList& Message::vias() const {
  auto& c = cache();
  if (!c.vias_done) {
    c.vias_done = true;
    bool ok = ForEachValue(HeaderId::kVia, [&](std::string_view e) {
      auto v = ParseVia(e);
      if (!v.ok()) return false;
      c.vias.push_back(*v);
      return true;
    });
    if (!ok) c.vias.clear();
  }
  return c.vias;
}

const Via* Message::top_via() const {
  const auto& v = vias();
  return v.empty() ? nullptr : &v.front();
}

const std::vector<NameAddr>& Message::contacts() const {
  auto& c = cache();
  if (!c.contacts_done) {
    c.contacts_done = true;
    bool ok = ForEachValue(HeaderId::kContact, [&](std::string_view e) {
      auto v = ParseNameAddr(e, NameAddrOptions::kAllowStar);
      if (!v.ok()) return false;
      c.contacts.push_back(*v);
      return true;
    });
    if (!ok) c.contacts.clear();
  }
  return c.contacts;
}

void Message::ArenaFree::operator()(char* block) const {
  while (block != nullptr) {
    char* previous;
    std::memcpy(&previous, block, sizeof(previous));
    delete[] block;
    block = previous;
  }
}

std::string_view Message::Intern(std::string_view text) {
  if (text.empty()) return {};
  if (text.size() > arena_left_) {
    // Each block starts with the address of the one before: no separate
    // list to allocate.
    arena_block_size_ = std::max(kArenaBlock - sizeof(char*), text.size());
    char* block = new char[sizeof(char*) + arena_block_size_];  // no zero-fill
    char* previous = arena_.release();
    std::memcpy(block, &previous, sizeof(previous));
    arena_.reset(block);
    arena_left_ = arena_block_size_;
  }
  char* dst = arena_.get() + sizeof(char*) + (arena_block_size_ - arena_left_);
  std::memcpy(dst, text.data(), text.size());
  arena_left_ -= text.size();
  return {dst, text.size()};
}

void Message::AddHeader(HeaderId id, std::string_view value) {
  headers_.push_back({id, CanonicalName(id), Intern(value), {}});
  Invalidate();
}

void Message::AddHeader(std::string_view name, std::string_view value) {
  HeaderId id = LookupHeader(name);
  if (id != HeaderId::kUnknown) return AddHeader(id, value);
  headers_.push_back({id, Intern(name), Intern(value), {}});
  Invalidate();
}

void Message::AddHeaderFront(HeaderId id, std::string_view value) {
  headers_.insert(headers_.begin(), {id, CanonicalName(id), Intern(value), {}});
  Invalidate();
}

void Message::InsertBeforeFirst(HeaderId id, std::string_view value) {
  auto it = headers_.begin();
  while (it != headers_.end() && it->id != id) ++it;
  headers_.insert(it, {id, CanonicalName(id), Intern(value), {}});
  Invalidate();
}

void Message::SetHeaderValue(size_t index, std::string_view value) {
  HeaderField& h = headers_.at(index);
  h.value = Intern(value);
  h.raw = {};
  Invalidate();
}

void Message::SetHeader(HeaderId id, std::string_view value) {
  for (size_t i = 0; i < headers_.size(); ++i) {
    if (headers_[i].id == id) {
      SetHeaderValue(i, value);
      // Drop any further fields with the same id.
      for (size_t j = headers_.size(); j-- > i + 1;) {
        if (headers_[j].id == id) headers_.erase(headers_.begin() + static_cast<ptrdiff_t>(j));
      }
      return;
    }
  }
  AddHeader(id, value);
}

void Message::RemoveHeaderAt(size_t index) {
  headers_.erase(headers_.begin() + static_cast<ptrdiff_t>(index));
  Invalidate();
}

size_t Message::RemoveAll(HeaderId id) {
  size_t before = headers_.size();
  std::erase_if(headers_, [id](const HeaderField& h) { return h.id == id; });
  size_t n = before - headers_.size();
  if (n) Invalidate();
  return n;
}

void Message::RemoveFirstValue(HeaderId id) {
  for (size_t i = 0; i < headers_.size(); ++i) {
    if (headers_[i].id != id) continue;
    std::string_view v = headers_[i].value;
    size_t comma = FindTopLevel(v, 0, ',');
    if (comma == std::string_view::npos || comma >= v.size()) {
      RemoveHeaderAt(i);
    } else {
      std::string_view rest = TrimLws(v.substr(comma + 1));
      headers_[i].value = rest;  // still a view into the same storage
      headers_[i].raw = {};
      Invalidate();
    }
    return;
  }
}

void Message::SetRequestUri(std::string_view uri) {
  request_uri_text_ = Intern(uri);
  start_line_modified_ = true;
  Invalidate();
}

void Message::SetStatus(int status, std::string_view reason) {
  status_ = status;
  reason_ = Intern(reason);
  start_line_modified_ = true;
  Invalidate();
}

void Message::SetBody(std::string_view content_type, std::string_view body) {
  body_ = Intern(body);
  RemoveAll(HeaderId::kContentType);
  if (!content_type.empty()) AddHeader(HeaderId::kContentType, content_type);
  SetHeader(HeaderId::kContentLength, std::to_string(body.size()));
  Invalidate();
}

size_t Message::SerializedSize() const {
  if (!modified_ && !raw_.empty()) return raw_.size();
  const bool keep_start = !start_line_modified_ && !start_line_.empty();
  size_t size = keep_start   ? start_line_.size()
                : is_request_ ? method_text_.size() + 1 + request_uri_text_.size() + 8
                              : 8 + 3 + 1 + reason_.size();
  size += 2;
  bool has_length = false;
  for (const auto& h : headers_) {
    if (h.id == HeaderId::kContentLength) has_length = true;
    size += h.raw.empty() ? h.name.size() + (h.value.empty() ? 1 : 2) + h.value.size() + 2 : h.raw.size();
  }
  if (!has_length) {
    char length[24];
    size += 16 + static_cast<size_t>(std::to_chars(length, length + sizeof(length), body_.size()).ptr - length) + 2;
  }
  return size + 2 + body_.size();
}

void Message::SerializeTo(std::string& out) const {
  if (!modified_ && !raw_.empty()) {
    out.append(raw_);
    return;
  }
  // The exact size first, then one resize and plain copies: a built
  // message has a dozen fields of four pieces each.
  char code[3] = {static_cast<char>('0' + (status_ / 100) % 10), static_cast<char>('0' + (status_ / 10) % 10),
                  static_cast<char>('0' + status_ % 10)};
  const bool keep_start = !start_line_modified_ && !start_line_.empty();
  const size_t size = SerializedSize();
  const bool has_length = std::any_of(headers_.begin(), headers_.end(),
                                     [](const auto& h) { return h.id == HeaderId::kContentLength; });
  char length[24];
  size_t length_size = 0;
  if (!has_length) {
    length_size = static_cast<size_t>(std::to_chars(length, length + sizeof(length), body_.size()).ptr - length);
  }
  const size_t at = out.size();
  out.resize(at + size);
  char* p = out.data() + at;
  auto put = [&p](std::string_view v) {
    if (!v.empty()) std::memcpy(p, v.data(), v.size());
    p += v.size();
  };
  if (keep_start) {
    put(start_line_);
  } else if (is_request_) {
    put(method_text_);
    put(" ");
    put(request_uri_text_);
    put(" SIP/2.0");
  } else {
    put("SIP/2.0 ");
    put(std::string_view(code, 3));
    put(" ");
    put(reason_);
  }
  put("\r\n");
  for (const auto& h : headers_) {
    if (!h.raw.empty()) {
      put(h.raw);
    } else {
      put(h.name);
      put(h.value.empty() ? ":" : ": ");
      put(h.value);
      put("\r\n");
    }
  }
  if (!has_length) {
    put("Content-Length: ");
    put(std::string_view(length, length_size));
    put("\r\n");
  }
  put("\r\n");
  put(body_);
  assert(p == out.data() + at + size);
}

std::string Message::Serialize() const {
  std::string out;
  SerializeTo(out);
  return out;
}

}  // namespace parley::sip
