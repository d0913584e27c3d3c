#include "sip/content_coding.h"

#include <utility>  // before Boost (C++20 mode, Boost 1.74)

#include <boost/beast/zlib/deflate_stream.hpp>
#include <boost/beast/zlib/inflate_stream.hpp>

#include <vector>

#include "common/strings.h"

namespace parley::sip {

namespace {

namespace zlib = boost::beast::zlib;

// RFC 1950 §2.2: CMF (method 8, window ≤ 32K), FLG (no preset
// dictionary), (CMF*256 + FLG) a multiple of 31.
bool IsZlibHeader(std::string_view in) {
  if (in.size() < 2) return false;
  auto cmf = static_cast<unsigned char>(in[0]), flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (flg & 0x20) == 0 && (cmf * 256 + flg) % 31 == 0;
}

uint32_t Adler32(std::string_view data) {
  uint32_t a = 1, b = 0;
  for (unsigned char c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

// One raw deflate stream; `used` gets the input bytes it took.
Result<std::string> InflateRaw(std::string_view in, size_t max_bytes, size_t* used) {
  zlib::inflate_stream stream;
  std::string out;
  char buf[16384];
  zlib::z_params zs;
  zs.next_in = in.data();
  zs.avail_in = in.size();
  for (;;) {
    zs.next_out = buf;
    zs.avail_out = sizeof(buf);
    boost::system::error_code ec;
    size_t before = zs.avail_in;
    stream.write(zs, zlib::Flush::sync, ec);
    size_t produced = sizeof(buf) - zs.avail_out;
    if (out.size() + produced > max_bytes) {
      return Error(413, "deflated body larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, produced);
    if (ec == zlib::error::end_of_stream) break;
    if (ec && ec != zlib::error::need_buffers) return Error(400, "corrupt deflate body (" + ec.message() + ")");
    if (produced == 0 && zs.avail_in == before) return Error(400, "truncated deflate body");
  }
  *used = in.size() - zs.avail_in;
  return out;
}

Result<std::string> Inflate(std::string_view in, size_t max_bytes) {
  size_t used = 0;
  if (!IsZlibHeader(in)) return InflateRaw(in, max_bytes, &used);
  auto out = InflateRaw(in.substr(2), max_bytes, &used);
  if (!out.ok()) return out;
  std::string_view trailer = in.substr(2 + used);
  if (trailer.size() < 4) return Error(400, "deflate body without its checksum");
  uint32_t want = 0;
  for (int i = 0; i < 4; ++i) want = (want << 8) | static_cast<unsigned char>(trailer[i]);
  if (want != Adler32(*out)) return Error(400, "deflate body checksum mismatch");
  return out;
}

}  // namespace

bool IsKnownCoding(std::string_view coding) {
  coding = TrimLws(coding);
  return IEquals(coding, "identity") || IEquals(coding, "deflate");
}

Result<std::string> DecodeBody(std::string_view content_encoding, std::string_view body, size_t max_bytes) {
  std::string out(body);
  if (out.size() > max_bytes) return Error(413, "body larger than " + std::to_string(max_bytes) + " bytes");
  // Applied in the order listed: undone from the last.
  std::vector<std::string_view> codings;
  std::string_view rest = content_encoding;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    codings.push_back(TrimLws(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    std::string_view coding = *it;
    if (coding.empty() || IEquals(coding, "identity")) continue;
    if (!IEquals(coding, "deflate")) return Error(415, "unsupported content coding " + std::string(coding));
    auto inflated = Inflate(out, max_bytes);
    if (!inflated.ok()) return inflated;
    out = std::move(*inflated);
  }
  return out;
}

std::string Deflate(std::string_view body) {
  zlib::deflate_stream stream;
  std::string out = "\x78\x9c";  // RFC 1950: deflate, 32K window, default level
  char buf[16384];
  zlib::z_params zs;
  zs.next_in = body.data();
  zs.avail_in = body.size();
  for (;;) {
    zs.next_out = buf;
    zs.avail_out = sizeof(buf);
    boost::system::error_code ec;
    stream.write(zs, zlib::Flush::finish, ec);
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (ec == zlib::error::end_of_stream || (ec && ec != zlib::error::need_buffers)) break;
  }
  const uint32_t sum = Adler32(body);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((sum >> shift) & 0xff));
  return out;
}

}  // namespace parley::sip
