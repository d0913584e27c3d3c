#pragma once
// The one declarative list of SIP header fields Parley knows (RFC 3261 §20
// and the extensions the SIMPLE stack uses). Adding a header is one line
// here plus a test. Compact forms are from the IANA SIP parameters registry.

#include <cstdint>
#include <string_view>

namespace parley::sip {

// Flags describing how a header field's value is structured.
enum HeaderFlags : uint8_t {
  kHfNone = 0,
  kHfList = 1 << 0,    // comma-separated list; several lines may be combined
  kHfSingle = 1 << 1,  // may appear at most once (a second one is a 400)
};

// X(Enum, "Canonical-Name", 'c' compact or 0, flags)
#define PARLEY_SIP_HEADERS(X)                                          \
  X(Accept, "Accept", 0, kHfList)                                      \
  X(AcceptContact, "Accept-Contact", 'a', kHfList)                     \
  X(AcceptEncoding, "Accept-Encoding", 0, kHfList)                     \
  X(AcceptLanguage, "Accept-Language", 0, kHfList)                     \
  X(AlertInfo, "Alert-Info", 0, kHfList)                               \
  X(Allow, "Allow", 0, kHfList)                                        \
  X(AllowEvents, "Allow-Events", 'u', kHfList)                         \
  X(AuthenticationInfo, "Authentication-Info", 0, kHfNone)             \
  X(Authorization, "Authorization", 0, kHfNone)                        \
  X(CallId, "Call-ID", 'i', kHfSingle)                                 \
  X(CallInfo, "Call-Info", 0, kHfList)                                 \
  X(Contact, "Contact", 'm', kHfList)                                  \
  X(ContentDisposition, "Content-Disposition", 0, kHfSingle)           \
  X(ContentEncoding, "Content-Encoding", 'e', kHfList)                 \
  X(ContentId, "Content-ID", 0, kHfSingle)                             \
  X(ContentLanguage, "Content-Language", 0, kHfList)                   \
  X(ContentLength, "Content-Length", 'l', kHfSingle)                   \
  X(ContentTransferEncoding, "Content-Transfer-Encoding", 0, kHfSingle) \
  X(ContentType, "Content-Type", 'c', kHfSingle)                       \
  X(CSeq, "CSeq", 0, kHfSingle)                                        \
  X(Date, "Date", 0, kHfSingle)                                        \
  X(ErrorInfo, "Error-Info", 0, kHfList)                               \
  X(Event, "Event", 'o', kHfSingle)                                    \
  X(Expires, "Expires", 0, kHfSingle)                                  \
  X(FlowTimer, "Flow-Timer", 0, kHfSingle)                             \
  X(From, "From", 'f', kHfSingle)                                      \
  X(HistoryInfo, "History-Info", 0, kHfList)                           \
  X(Identity, "Identity", 'y', kHfNone)                                \
  X(IdentityInfo, "Identity-Info", 'n', kHfNone)                       \
  X(InReplyTo, "In-Reply-To", 0, kHfList)                              \
  X(MaxForwards, "Max-Forwards", 0, kHfSingle)                         \
  X(MimeVersion, "MIME-Version", 0, kHfSingle)                         \
  X(MinExpires, "Min-Expires", 0, kHfSingle)                           \
  X(MinSe, "Min-SE", 0, kHfSingle)                                     \
  X(Organization, "Organization", 0, kHfNone)                          \
  X(PAssertedIdentity, "P-Asserted-Identity", 0, kHfList)              \
  X(PPreferredIdentity, "P-Preferred-Identity", 0, kHfList)            \
  X(Path, "Path", 0, kHfList)                                          \
  X(Priority, "Priority", 0, kHfSingle)                                \
  X(Privacy, "Privacy", 0, kHfNone)                                    \
  X(ProxyAuthenticate, "Proxy-Authenticate", 0, kHfNone)               \
  X(ProxyAuthorization, "Proxy-Authorization", 0, kHfNone)             \
  X(ProxyRequire, "Proxy-Require", 0, kHfList)                         \
  X(RAck, "RAck", 0, kHfSingle)                                        \
  X(Reason, "Reason", 0, kHfList)                                      \
  X(RecordRoute, "Record-Route", 0, kHfList)                           \
  X(ReferTo, "Refer-To", 'r', kHfSingle)                               \
  X(ReferredBy, "Referred-By", 'b', kHfSingle)                         \
  X(RejectContact, "Reject-Contact", 'j', kHfList)                     \
  X(Replaces, "Replaces", 0, kHfSingle)                                \
  X(ReplyTo, "Reply-To", 0, kHfSingle)                                 \
  X(RequestDisposition, "Request-Disposition", 'd', kHfList)           \
  X(Require, "Require", 0, kHfList)                                    \
  X(RetryAfter, "Retry-After", 0, kHfSingle)                           \
  X(Route, "Route", 0, kHfList)                                        \
  X(RSeq, "RSeq", 0, kHfSingle)                                        \
  X(Server, "Server", 0, kHfNone)                                      \
  X(ServiceRoute, "Service-Route", 0, kHfList)                         \
  X(SessionExpires, "Session-Expires", 'x', kHfSingle)                 \
  X(SipETag, "SIP-ETag", 0, kHfSingle)                                 \
  X(SipIfMatch, "SIP-If-Match", 0, kHfSingle)                          \
  X(Subject, "Subject", 's', kHfNone)                                  \
  X(SubscriptionState, "Subscription-State", 0, kHfSingle)             \
  X(Supported, "Supported", 'k', kHfList)                              \
  X(Timestamp, "Timestamp", 0, kHfSingle)                              \
  X(To, "To", 't', kHfSingle)                                          \
  X(Unsupported, "Unsupported", 0, kHfList)                            \
  X(UserAgent, "User-Agent", 0, kHfNone)                               \
  X(Via, "Via", 'v', kHfList)                                          \
  X(Warning, "Warning", 0, kHfList)                                    \
  X(WwwAuthenticate, "WWW-Authenticate", 0, kHfNone)

enum class HeaderId : uint8_t {
  kUnknown = 0,
#define PARLEY_X(e, n, c, f) k##e,
  PARLEY_SIP_HEADERS(PARLEY_X)
#undef PARLEY_X
      kCount
};

struct HeaderInfo {
  HeaderId id;
  std::string_view name;
  char compact;
  uint8_t flags;
};

inline constexpr HeaderInfo kHeaderInfos[] = {
    {HeaderId::kUnknown, "", 0, kHfNone},
#define PARLEY_X(e, n, c, f) {HeaderId::k##e, n, c, f},
    PARLEY_SIP_HEADERS(PARLEY_X)
#undef PARLEY_X
};
static_assert(sizeof(kHeaderInfos) / sizeof(kHeaderInfos[0]) == static_cast<size_t>(HeaderId::kCount));

constexpr const HeaderInfo& Info(HeaderId id) { return kHeaderInfos[static_cast<size_t>(id)]; }
constexpr std::string_view CanonicalName(HeaderId id) { return Info(id).name; }

// Classifies a header field name as written (any case, long or compact
// form). Unknown names map to HeaderId::kUnknown.
HeaderId LookupHeader(std::string_view name);

// Case-fold hash used by the table: FNV-1a over (c | 0x20), exact for token
// characters. The scanner computes it while it validates a name.
constexpr uint32_t kHeaderHashSeed = 2166136261u;
constexpr uint32_t HeaderHashStep(uint32_t h, char c) {
  return (h ^ static_cast<unsigned char>(c | 0x20)) * 16777619u;
}
// LookupHeader for a name whose hash is already known.
HeaderId LookupHeaderHashed(std::string_view name, uint32_t hash);

}  // namespace parley::sip
