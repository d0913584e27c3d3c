#pragma once
// message/cpim (RFC 3862): a zero-copy, bounded parser, an owning model and a
// builder that writes canonical CRLF bodies. Pure: no I/O, no clock.
//
//   body     = message-headers CRLF content-headers CRLF content
//
// Message headers are `[prefix "."] Name ":" *(";" param) SP value` lines,
// one per line (no folding); prefixes are bound to URNs by NS headers.
// Content headers are MIME headers (folding allowed). The content is kept
// byte for byte (NULs included). LF-only line ends are accepted in the two
// header blocks; the builder always writes CRLF.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::im {

inline constexpr std::string_view kCpimType = "message/cpim";
// The namespace of headers without a prefix (RFC 3862 §3.4).
inline constexpr std::string_view kCpimCoreNs = "urn:ietf:params:cpim-headers:";

struct CpimLimits {
  size_t max_headers = 64;          // per block (message headers, content headers)
  size_t max_line_bytes = 4096;     // one header line; a folded content header counts whole
  size_t max_header_bytes = 16384;  // both header blocks with their blank lines
};

enum class CpimHeaderKind : uint8_t { kFrom, kTo, kCc, kDateTime, kSubject, kNs, kRequire, kOther };

// `Formal-name <URI>` or `<URI>`. For an NS header: formal_name is the
// declared prefix ("" for the default namespace) and uri the namespace URN.
struct CpimAddressView {
  std::string_view formal_name;  // as written: tokens, or a quoted String with its quotes
  std::string_view uri;          // between the angle brackets
  // The formal name without quotes and with escapes decoded.
  std::string DisplayName() const;
};

// One message header; every view points into the parsed body.
struct CpimHeaderView {
  CpimHeaderKind kind = CpimHeaderKind::kOther;
  std::string_view prefix;  // before the '.', "" when none
  std::string_view name;    // after it ("Message-ID")
  std::string_view ns;      // URN the name lives in (kCpimCoreNs for unprefixed names unless NS says otherwise)
  std::string_view params;  // ";lang=fr" as written, "" when none
  std::string_view value;   // raw: escapes not decoded, trailing blanks trimmed
  CpimAddressView address;  // From, To, cc, NS

  // A parameter's raw value (a quoted String keeps its quotes).
  std::optional<std::string_view> Param(std::string_view name) const;
  // The value with RFC 3862 §2.3 escapes decoded (validated by the parser).
  std::string Decoded() const;
};

// One content (MIME) header.
struct MimeHeaderView {
  std::string_view name;
  std::string_view value;  // raw: a folded value keeps its line breaks
  std::string Unfolded() const;
};

struct CpimMessage;

// A parsed body. Zero-copy: every string_view points into the buffer given
// to ParseCpim, which must outlive the view (copy with ToOwned() to keep it).
struct CpimView {
  std::vector<CpimHeaderView> headers;  // message headers in order
  std::vector<MimeHeaderView> content_headers;
  int64_t datetime_ms = 0;          // DateTime as Unix ms (when present)
  std::string_view content_type;    // Content-Type value, trimmed
  std::string_view content;         // byte-exact
  static constexpr size_t kNone = SIZE_MAX;
  size_t from_index = kNone;        // into `headers`
  size_t datetime_index = kNone;

  const CpimHeaderView* From() const { return from_index == kNone ? nullptr : &headers[from_index]; }
  const CpimHeaderView* DateTime() const { return datetime_index == kNone ? nullptr : &headers[datetime_index]; }
  // Every address of one kind (kTo, kCc; kFrom gives at most one).
  std::vector<CpimAddressView> Addresses(CpimHeaderKind kind) const;
  // The first header with this namespace URN and name (case-sensitive, as
  // RFC 3862 §3.1 says), nullptr when none.
  const CpimHeaderView* Find(std::string_view ns, std::string_view name) const;
  // The first content header with this name (case-insensitive), nullptr when none.
  const MimeHeaderView* ContentHeader(std::string_view name) const;
  // An owning copy with escapes decoded and content headers unfolded.
  CpimMessage ToOwned() const;
};

// Errors: 400 "CPIM: <reason>" for syntax, 413 for a limit.
Result<CpimView> ParseCpim(std::string_view body, const CpimLimits& limits = {});

// ---- Owning model and builder ----

struct CpimAddress {
  std::string display_name;  // decoded; "" when none
  std::string uri;
  bool operator==(const CpimAddress&) const = default;
};

struct CpimSubject {
  std::string lang;  // "" when none
  std::string text;  // decoded
  bool operator==(const CpimSubject&) const = default;
};

struct CpimNamespace {
  std::string prefix;  // "" declares the default namespace of unprefixed extension headers
  std::string urn;
  bool operator==(const CpimNamespace&) const = default;
};

// Any other message header ("imdn.Message-ID").
struct CpimExtension {
  std::string prefix;  // "" when none
  std::string name;
  std::string value;   // decoded
  std::string params;  // as written (";a=b"), "" when none
  bool operator==(const CpimExtension&) const = default;
};

struct MimeHeader {
  std::string name;
  std::string value;  // one line
  bool operator==(const MimeHeader&) const = default;
};

struct CpimMessage {
  std::optional<CpimAddress> from;
  std::vector<CpimAddress> to;
  std::vector<CpimAddress> cc;
  std::string datetime;  // RFC 3339; "" when none
  std::vector<CpimSubject> subjects;
  std::vector<CpimNamespace> namespaces;
  std::vector<std::string> require;  // header names as written ("imdn.Disposition-Notification")
  std::vector<CpimExtension> extensions;
  std::vector<MimeHeader> content_headers;  // Content-Type among them
  std::string content;

  bool operator==(const CpimMessage&) const = default;

  // Declares `prefix` for `urn` unless it is declared already.
  void DeclareNamespace(std::string_view prefix, std::string_view urn);
  void AddExtension(std::string_view prefix, std::string_view name, std::string_view value);
  // The decoded value of the first extension header prefix.name, "" when none.
  std::string Extension(std::string_view prefix, std::string_view name) const;
  // Replaces or adds a content header (case-insensitive name).
  void SetContentHeader(std::string_view name, std::string_view value);
  std::string ContentHeader(std::string_view name) const;
};

// The body: From, To, cc, DateTime, Subject, NS, Require, extensions in
// order, CRLF, content headers, CRLF, content. Values are escaped; a formal
// name that is not a run of tokens is written as a quoted String. Error 400
// naming the field when the message cannot be written as valid CPIM (bad
// URI, header name, prefix, DateTime, a content header value with a line
// break, no Content-Type), so ParseCpim(BuildCpim(m))->ToOwned() == m.
Result<std::string> BuildCpim(const CpimMessage& message);

// ---- Escapes (RFC 3862 §2.3) ----

// Decodes \" \' \\ \b \t \n \r and \uXXXX (UTF-16, surrogate pairs joined)
// into UTF-8. Error 400 naming the bad escape.
Result<std::string> DecodeCpimEscapes(std::string_view raw);
// Escapes backslash and control characters so that a header value is one
// line of HEADERCHARs; with `quote` also '"' (inside a String).
std::string EncodeCpimEscapes(std::string_view text, bool quote = false);

}  // namespace parley::im
