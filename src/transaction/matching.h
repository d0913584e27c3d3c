#pragma once
// Transaction matching keys (RFC 3261 §17.1.3, §17.2.3).
//
// Server transactions: a request with an RFC 3261 branch (magic cookie plus
// at least one more character) matches on branch + sent-by + method, ACK
// counting as INVITE. Any other request falls back to RFC 2543 rules: the
// hash key holds Call-ID, CSeq number, From tag, top Via and method, and
// Rfc2543Match then checks the Request-URI and the To tag, which cannot be
// hashed (URI equivalence; an ACK carries the To tag of the response).
// Client transactions: top Via branch + CSeq method.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sip/message.h"

namespace parley::transaction {

// Builds a key in place; allocates only for unusually long keys.
class KeyBuffer {
 public:
  KeyBuffer() = default;
  KeyBuffer(const KeyBuffer&) = delete;
  KeyBuffer& operator=(const KeyBuffer&) = delete;

  void Append(std::string_view s);
  void Append(char c) { Append(std::string_view(&c, 1)); }
  void AppendLower(std::string_view s);
  void AppendNumber(uint64_t n);
  std::string_view view() const { return heap_.empty() ? std::string_view(inline_.data(), size_) : heap_; }

 private:
  std::array<char, 240> inline_;
  size_t size_ = 0;
  std::string heap_;  // used once the key outgrows inline_
};

// A transaction's key, kept with it: inline up to 52 bytes (our own
// branches, and a UA's branch + sent-by + method), on the heap beyond.
class StoredKey {
 public:
  StoredKey() = default;
  StoredKey(const StoredKey&) = delete;
  StoredKey& operator=(const StoredKey&) = delete;

  void assign(std::string_view k);
  std::string_view view() const { return {heap_ ? heap_.get() : inline_.data(), size_}; }
  bool operator==(std::string_view k) const { return view() == k; }

 private:
  std::unique_ptr<char[]> heap_;
  uint32_t size_ = 0;
  std::array<char, 52> inline_;
};

// True for a branch that marks an RFC 3261 client: "z9hG4bK" followed by at
// least one character. A bare "z9hG4bK" (RFC 4475 §3.2.1) is not unique.
bool IsRfc3261Branch(std::string_view branch);

// The server key of request `m`, looked up as `method` ("INVITE" for an ACK
// or for the INVITE a CANCEL targets). False without a top Via or CSeq.
bool BuildServerKey(const sip::Message& m, std::string_view method, KeyBuffer& out);

// The client key for a branch and CSeq method.
void BuildClientKey(std::string_view branch, std::string_view method, KeyBuffer& out);

// The parts of an RFC 2543 match the hash key leaves out.
struct Rfc2543Match {
  std::string request_uri;
  std::string to_tag;           // of the request
  std::string response_to_tag;  // of the final response sent

  explicit Rfc2543Match(const sip::Message& request);
  // §17.2.3: Request-URI and To tag (for an ACK, the To tag of the response).
  bool Matches(const sip::Message& request, bool is_ack) const;
};

}  // namespace parley::transaction
