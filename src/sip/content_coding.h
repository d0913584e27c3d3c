#pragma once
// Content codings of message bodies (RFC 3261 §20.12): "identity" and
// "deflate" (RFC 9110 §8.4.1.2: the zlib format of RFC 1950; a raw
// RFC 1951 stream, which some implementations send, is taken too).
// Linphone deflates the resource list of its list SUBSCRIBEs and accepts
// deflated NOTIFYs. Pure and bounded: the decoded size is capped.

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::sip {

// Whether a Content-Encoding value names a coding DecodeBody undoes.
bool IsKnownCoding(std::string_view coding);

// The body with the codings of `content_encoding` (the header's value,
// a comma list applied in order; "" = identity) undone. Errors: 415 for a
// coding we do not know, 400 for a corrupt stream, 413 when the decoded
// body would exceed `max_bytes`.
Result<std::string> DecodeBody(std::string_view content_encoding, std::string_view body, size_t max_bytes);

// `body` deflated in the zlib format (RFC 1950), as a "deflate"
// Content-Encoding carries it.
std::string Deflate(std::string_view body);

}  // namespace parley::sip
