// Datagram parse of arbitrary bytes, then everything a server does with a
// message: validation, every lazy accessor, multipart split, response
// building, edit + serialize + reparse, and clones that outlive their original.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sip/checks.h"
#include "sip/multipart.h"
#include "sip/parser.h"
#include "sip/response.h"
#include "sip/validate.h"

using namespace parley::sip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ParserLimits limits;
  limits.max_body_bytes = 64 * 1024;
  auto m = ParseDatagram(std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!m) return 0;
  std::string out = m->Serialize();
  if (m->Clone()->Serialize() != out) __builtin_trap();  // a clone writes what its original does
  if (m->is_request()) {
    auto rej = ValidateRequest(*m);
    Capabilities caps;
    caps.methods = {Method::kOptions, Method::kMessage, Method::kRegister};
    caps.accepted_types = {"text/plain", "application/sdp"};
    (void)CheckAsUas(*m, caps, {"application/pidf+xml"});
    (void)CheckAsProxy(*m, caps);
    if (!rej) {
      auto r = MakeResponse(*m, 200, "", "tag");
      std::string bytes = r->Serialize();
      auto back = ParseDatagram(bytes, ParserLimits::Unlimited());
      if (!back || !ValidResponse(*back)) __builtin_trap();  // our own output must parse
    }
  } else {
    (void)ValidResponse(*m);
  }
  (void)m->request_uri();
  (void)m->from();
  (void)m->to();
  (void)m->cseq();
  (void)m->vias();
  (void)m->contacts();
  (void)m->expires();
  (void)m->max_forwards();
  if (auto ct = m->content_type(); ct && ct->Is("multipart", "mixed")) {
    if (auto b = ct->params.GetUnquoted("boundary")) (void)ParseMultipart(m->body(), *b);
  }
  for (const auto& h : m->headers()) {
    if (h.id == HeaderId::kAuthorization || h.id == HeaderId::kWwwAuthenticate) {
      auto a = ParseAuthField(h.value);
      if (a.ok()) (void)a->Param("nonce");
    }
  }
  // Editing must keep the message parseable.
  if (m->parse_error().ok()) {
    m->AddHeaderFront(HeaderId::kVia, "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKfuzz");
    m->RemoveFirstValue(HeaderId::kVia);
    m->RemoveFirstValue(HeaderId::kVia);
    std::string edited = m->Serialize();
    (void)ParseDatagram(edited, ParserLimits::Unlimited());
  }
  // A clone of the (edited) message owns everything it shows: read once the
  // original is gone.
  auto clone = m->Clone();
  const std::string before = m->Serialize();
  m.reset();
  if (clone->Serialize() != before) __builtin_trap();
  (void)clone->vias();
  (void)clone->from();
  (void)clone->request_uri();
  (void)clone->body();
  return 0;
}
