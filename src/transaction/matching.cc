#include "transaction/matching.h"

#include <charconv>

#include "common/strings.h"
#include "sip/response.h"
#include "sip/uri.h"

namespace parley::transaction {

void KeyBuffer::Append(std::string_view s) {
  if (heap_.empty() && size_ + s.size() <= inline_.size()) {
    s.copy(inline_.data() + size_, s.size());
    size_ += s.size();
    return;
  }
  if (heap_.empty()) heap_.assign(inline_.data(), size_);
  heap_.append(s);
}

void KeyBuffer::AppendLower(std::string_view s) {
  for (char c : s) Append(AsciiLower(c));
}

void KeyBuffer::AppendNumber(uint64_t n) {
  char buf[20];
  auto r = std::to_chars(buf, buf + sizeof(buf), n);
  Append(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

void StoredKey::assign(std::string_view k) {
  if (k.size() <= inline_.size()) {
    heap_.reset();
    k.copy(inline_.data(), k.size());
  } else {
    heap_ = std::make_unique_for_overwrite<char[]>(k.size());
    k.copy(heap_.get(), k.size());
  }
  size_ = static_cast<uint32_t>(k.size());
}

bool IsRfc3261Branch(std::string_view branch) {
  return branch.size() > sip::kMagicCookie.size() && branch.starts_with(sip::kMagicCookie);
}

namespace {

std::string_view ToTag(const sip::Message& m) {
  const sip::NameAddr* to = m.to();
  return to ? to->tag() : std::string_view();
}

}  // namespace

// Fields are separated by '\n', which none of them can contain. The first
// character keeps RFC 3261 and RFC 2543 keys apart.
bool BuildServerKey(const sip::Message& m, std::string_view method, KeyBuffer& out) {
  const sip::Via* via = m.top_via();
  const sip::CSeq* cseq = m.cseq();
  if (via == nullptr || cseq == nullptr) return false;
  if (IsRfc3261Branch(via->branch())) {
    // Branch compared exactly; the sent-by host is case-insensitive.
    out.Append('3');
    out.Append(via->branch());
    out.Append('\n');
    out.AppendLower(via->host);
    out.Append(':');
    if (via->has_port) out.AppendNumber(via->port);
  } else {
    const sip::NameAddr* from = m.from();
    out.Append('2');
    out.Append(m.call_id());
    out.Append('\n');
    out.AppendNumber(cseq->number);
    out.Append('\n');
    if (from != nullptr) out.Append(from->tag());
    out.Append('\n');
    out.Append(via->text);
  }
  out.Append('\n');
  out.Append(method);
  return true;
}

void BuildClientKey(std::string_view branch, std::string_view method, KeyBuffer& out) {
  out.Append(branch);
  out.Append('\n');
  out.Append(method);
}

Rfc2543Match::Rfc2543Match(const sip::Message& request)
    : request_uri(request.request_uri_text()), to_tag(ToTag(request)) {}

bool Rfc2543Match::Matches(const sip::Message& request, bool is_ack) const {
  if (ToTag(request) != (is_ack ? response_to_tag : to_tag)) return false;
  if (request.request_uri_text() == request_uri) return true;
  const sip::Uri* uri = request.request_uri();
  auto ours = sip::ParseUri(request_uri);
  return uri != nullptr && ours.ok() && sip::UriEquivalent(*uri, *ours);
}

}  // namespace parley::transaction
