#include "sip/validate.h"

#include "sip/lex.h"

namespace parley::sip {
namespace {

std::optional<Rejection> CheckSingleValued(const Message& m) {
  uint8_t seen[static_cast<size_t>(HeaderId::kCount)] = {};
  for (const auto& h : m.headers()) {
    if (h.id == HeaderId::kUnknown || !(Info(h.id).flags & kHfSingle)) continue;
    if (seen[static_cast<size_t>(h.id)]++) {
      switch (h.id) {
        case HeaderId::kTo: return Rejection{400, "Multiple To Header Fields"};
        case HeaderId::kFrom: return Rejection{400, "Multiple From Header Fields"};
        case HeaderId::kCallId: return Rejection{400, "Multiple Call-ID Header Fields"};
        case HeaderId::kCSeq: return Rejection{400, "Multiple CSeq Header Fields"};
        case HeaderId::kMaxForwards: return Rejection{400, "Multiple Max-Forwards Header Fields"};
        case HeaderId::kContentLength: return Rejection{400, "Multiple Content-Length Values"};
        case HeaderId::kContentType: return Rejection{400, "Multiple Content-Type Header Fields"};
        default: return Rejection{400, "Repeated Single-Valued Header Field"};
      }
    }
  }
  return std::nullopt;
}

bool ListParses(const Message& m, HeaderId id, NameAddrOptions opts) {
  return m.ForEachValue(id, [&](std::string_view e) { return ParseNameAddr(e, opts).ok(); });
}

// Checks shared by requests and responses: the dialog/transaction identity.
// `addresses`: From and To must parse too (requests); a response's are
// copies of the request's and parsed only by whoever reads them.
std::optional<Rejection> CheckIdentity(const Message& m, bool addresses) {
  if (!m.Find(HeaderId::kVia)) return Rejection{400, "Missing Via Header"};
  if (!m.Find(HeaderId::kTo)) return Rejection{400, "Missing To Header"};
  if (!m.Find(HeaderId::kFrom)) return Rejection{400, "Missing From Header"};
  if (!m.Find(HeaderId::kCallId)) return Rejection{400, "Missing Call-ID Header"};
  if (!m.Find(HeaderId::kCSeq)) return Rejection{400, "Missing CSeq Header"};
  if (auto r = CheckSingleValued(m)) return r;
  if (m.vias().empty()) return Rejection{400, "Malformed Via Header"};
  if (addresses && !m.from()) return Rejection{400, "Malformed From Header"};
  if (addresses && !m.to()) return Rejection{400, "Malformed To Header"};
  if (!ValidCallId(m.call_id())) return Rejection{400, "Malformed Call-ID Header"};
  if (!m.cseq()) {
    auto r = ParseCSeq(m.Value(HeaderId::kCSeq));
    return Rejection{400, r.error().message == "CSeq number out of range" ? "CSeq Number Out Of Range"
                                                                          : "Malformed CSeq Header"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Rejection> ValidateRequest(const Message& m) {
  if (!m.parse_error().ok()) return Rejection{m.parse_error().status, m.parse_error().reason};
  if (!m.is_request()) return Rejection{400, "Not A Request"};
  const Uri* ruri = m.request_uri();
  if (!ruri) return Rejection{400, "Malformed Request-URI"};
  // Escaped headers are meaningless in a Request-URI (RFC 4475 §3.1.2.11).
  if (ruri->is_sip() && !ruri->headers.empty()) return Rejection{400, "Request-URI Contains Headers"};
  if (auto r = CheckIdentity(m, /*addresses=*/true)) return r;
  if (m.cseq()->method_text != m.method_text()) return Rejection{400, "CSeq Method Mismatch"};
  if (m.Find(HeaderId::kMaxForwards) && !m.max_forwards()) return Rejection{400, "Malformed Max-Forwards Header"};
  if (m.Find(HeaderId::kExpires) && !m.expires()) return Rejection{400, "Malformed Expires Header"};
  if (m.Find(HeaderId::kContentType) && !m.content_type()) return Rejection{400, "Malformed Content-Type Header"};
  if (m.Find(HeaderId::kContact) && m.contacts().empty()) return Rejection{400, "Malformed Contact Header"};
  for (const auto& c : m.contacts()) {
    if (c.is_star && m.contacts().size() > 1) return Rejection{400, "Contact '*' Mixed With Addresses"};
  }
  if (!ListParses(m, HeaderId::kRoute, NameAddrOptions::kRequireAngle)) return Rejection{400, "Malformed Route Header"};
  if (!ListParses(m, HeaderId::kRecordRoute, NameAddrOptions::kRequireAngle)) {
    return Rejection{400, "Malformed Record-Route Header"};
  }
  if (const HeaderField* d = m.Find(HeaderId::kDate); d && !ParseSipDate(d->value).ok()) {
    return Rejection{400, "Malformed Date Header"};
  }
  for (HeaderId id : {HeaderId::kRequire, HeaderId::kProxyRequire, HeaderId::kSupported}) {
    for (const auto& h : m.headers()) {
      if (h.id == id && !h.value.empty() && !ValidTokenList(h.value)) {
        return Rejection{400, "Malformed Option Tag List"};
      }
    }
  }
  return std::nullopt;
}

bool ValidResponse(const Message& m) {
  if (!m.parse_error().ok() || m.is_request()) return false;
  if (CheckIdentity(m, /*addresses=*/false)) return false;
  return true;
}

}  // namespace parley::sip
