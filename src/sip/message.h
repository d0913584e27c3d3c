#pragma once
// A SIP message: the bytes it was parsed from (owned), views of its start
// line and header fields, and typed values parsed on first use. Messages
// built or edited locally keep new text in a small arena they own, so every
// view stays valid for the message's lifetime. Serialize() writes unmodified
// parts back byte for byte.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "sip/fields.h"
#include "sip/header_table.h"
#include "sip/method.h"
#include "sip/uri.h"

namespace parley::sip {

struct HeaderField {
  HeaderId id = HeaderId::kUnknown;
  std::string_view name;   // as written
  std::string_view value;  // LWS-trimmed; may contain folds (CRLF + SP)
  std::string_view raw;    // the whole field incl. CRLF; empty if built or edited
};

// Why a message cannot be processed: the status a request gets (400, 413,
// 505, 513 …) and a reason phrase naming the fault. Responses with an error
// are dropped.
struct ParseError {
  uint16_t status = 0;
  std::string_view reason;  // static text
  bool ok() const { return status == 0; }
};

// Most messages carry one Via (a UA's request, a response to us): kept
// inline, without an allocation.
using ViaList = boost::container::small_vector<Via, 1>;

class Message;
using MessagePtr = std::unique_ptr<Message>;

class Message {
 public:
  Message();
  ~Message();
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  // Builders for outgoing messages.
  static MessagePtr NewRequest(std::string_view method, std::string_view request_uri);
  static MessagePtr NewResponse(int status, std::string_view reason);
  // A deep copy whose views point into the copy's own storage.
  MessagePtr Clone() const;

  // ----- start line -----
  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }
  Method method() const { return method_; }
  std::string_view method_text() const { return method_text_; }
  std::string_view request_uri_text() const { return request_uri_text_; }
  std::string_view version() const { return version_; }
  std::string_view start_line() const { return start_line_; }
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }

  // ----- header fields -----
  const std::vector<HeaderField>& headers() const { return headers_; }
  const HeaderField* Find(HeaderId id) const;
  const HeaderField* Find(std::string_view name) const;  // by name (any form)
  size_t Count(HeaderId id) const;
  // First value of a header, or an empty view.
  std::string_view Value(HeaderId id) const;
  // Calls f(element) for every comma-separated element of every field with
  // this id, in order. Returns false if a list was malformed.
  template <typename F>
  bool ForEachValue(HeaderId id, F&& f) const {
    for (const auto& h : headers_) {
      if (h.id != id) continue;
      if (!ForEachListElement(h.value, f)) return false;
    }
    return true;
  }
  std::string_view body() const { return body_; }

  // Set by the parser when the message is unusable (see ParseError).
  const ParseError& parse_error() const { return error_; }
  void set_parse_error(ParseError e) { error_ = e; }

  // ----- typed values, parsed on first use and cached -----
  // nullptr when the field is absent or malformed (Validate* says which).
  const Uri* request_uri() const;
  const NameAddr* from() const;
  const NameAddr* to() const;
  const CSeq* cseq() const;
  std::string_view call_id() const { return Value(HeaderId::kCallId); }
  const ViaList& vias() const;  // every Via value in order
  const Via* top_via() const;
  std::optional<uint32_t> max_forwards() const;
  std::optional<uint32_t> expires() const;
  std::optional<MediaType> content_type() const;
  // Every Contact value; empty when absent or malformed.
  const std::vector<NameAddr>& contacts() const;

  // ----- editing (values are copied into the message) -----
  void AddHeader(HeaderId id, std::string_view value);            // at the end
  void AddHeader(std::string_view name, std::string_view value);  // by name
  void AddHeaderFront(HeaderId id, std::string_view value);       // before the first field
  // Inserts before the first field with this id (or at the end if none).
  void InsertBeforeFirst(HeaderId id, std::string_view value);
  void SetHeaderValue(size_t index, std::string_view value);
  void SetHeader(HeaderId id, std::string_view value);  // replace all with one
  void RemoveHeaderAt(size_t index);
  size_t RemoveAll(HeaderId id);
  // Removes the first element of the first field with this id (e.g. the
  // top Via of "Via: a, b"), keeping the others.
  void RemoveFirstValue(HeaderId id);
  void SetRequestUri(std::string_view uri);
  void SetStatus(int status, std::string_view reason);
  // Sets the body and its Content-Type (omitted when empty) and fixes
  // Content-Length.
  void SetBody(std::string_view content_type, std::string_view body);
  // Copies text into the message's arena; the view lives as long as it.
  std::string_view Intern(std::string_view text);

  // ----- output -----
  void SerializeTo(std::string& out) const;
  std::string Serialize() const;
  size_t SerializedSize() const;  // what Serialize() would write, in bytes
  // Bytes of the original message (start line to end of body) as received.
  std::string_view raw() const { return raw_; }
  bool modified() const { return modified_; }

 private:
  friend class MessageParser;
  friend struct ParserAccess;

  struct Cache;
  void Invalidate();
  Cache& cache() const;

  // Storage: the received bytes (parsed messages) and an arena for edits.
  // Messages are never moved (they live behind MessagePtr), so views into
  // this string stay valid; the parser reserves it before taking views.
  std::string buffer_storage_;
  struct ArenaFree {
    void operator()(char* block) const;  // and every block before it
  };
  std::unique_ptr<char, ArenaFree> arena_;  // newest block
  size_t arena_left_ = 0;
  size_t arena_block_size_ = 0;

  bool is_request_ = true;
  bool modified_ = false;
  bool start_line_modified_ = false;
  Method method_ = Method::kUnknown;
  std::string_view start_line_;  // without CRLF
  std::string_view method_text_;
  std::string_view request_uri_text_;
  std::string_view version_;
  int status_ = 0;
  std::string_view reason_;
  std::vector<HeaderField> headers_;
  std::string_view body_;
  std::string_view raw_;
  ParseError error_;
  mutable std::unique_ptr<Cache> cache_;
};

}  // namespace parley::sip
