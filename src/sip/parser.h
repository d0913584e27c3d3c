#pragma once
// The SIP message parser. No I/O, no clock: bytes in, messages out.
//
// Stream transports feed arbitrary chunks to a MessageParser; datagram
// transports hand one whole datagram to ParseDatagram. Both split the start
// line and header fields into views (classified by name, parsed later on
// first use) and enforce explicit limits.

#include <cstddef>
#include <string>
#include <string_view>

#include "sip/message.h"

namespace parley::sip {

struct ParserLimits {
  size_t max_header_bytes = 32 * 1024;  // start line + header fields
  size_t max_field_bytes = 8 * 1024;    // one header field incl. folds
  size_t max_headers = 128;             // header fields (lines, not values)
  size_t max_body_bytes = 1024 * 1024;

  static ParserLimits Unlimited() {
    return ParserLimits{SIZE_MAX / 4, SIZE_MAX / 4, SIZE_MAX / 4, SIZE_MAX / 4};
  }
};

// Parses one datagram. Bytes past Content-Length are ignored (RFC 3261
// §18.3); a Content-Length larger than the datagram is an error. Returns
// nullptr for input with no recognizable header section (nothing can be
// answered); otherwise a message whose parse_error() says if it is usable.
MessagePtr ParseDatagram(std::string bytes, const ParserLimits& limits);

class MessageParser {
 public:
  enum class Status {
    kNeedMore,   // all bytes consumed, message incomplete
    kMessage,    // a message is ready: TakeMessage()
    kKeepAlive,  // a CRLFCRLF ping was read (RFC 5626 §3.5.1): answer CRLF
    kError,      // framing lost: error(), TakeMessage() may give the header
                 // section so a 400 can be sent before closing
  };
  struct Step {
    Status status;
    size_t consumed;
  };

  explicit MessageParser(const ParserLimits& limits = ParserLimits());

  // Consumes bytes up to the end of at most one message or ping. Call again
  // with the unconsumed rest.
  Step Feed(std::string_view bytes);
  MessagePtr TakeMessage();
  const ParseError& error() const { return error_; }
  // Bytes buffered for an incomplete message.
  size_t buffered() const;
  void Reset();

 private:
  enum class State { kStart, kHeaders, kBody, kFailed };
  Step Fail(ParseError e, size_t consumed);

  ParserLimits limits_;
  State state_ = State::kStart;
  std::string pending_;   // header bytes until the header section is complete
  size_t scanned_ = 0;    // bytes of pending_ already searched for CRLFCRLF
  int crlf_pairs_ = 0;    // consecutive CRLFs seen between messages
  bool saw_cr_ = false;
  MessagePtr msg_;
  size_t body_needed_ = 0;
  size_t header_len_ = 0;
  ParseError error_;
};

}  // namespace parley::sip
