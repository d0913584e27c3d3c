// Presentity URI comparison (RFC 3856: the PIDF entity of a sip: presentity
// may be written as its pres: equivalent, RFC 3859).

#include "common/strings.h"
#include "presence/doc/pidf.h"
#include "presence/doc/xml.h"
#include "sip/uri.h"

namespace parley::presence {

namespace {

bool PresentityScheme(sip::Scheme s) {
  return s == sip::Scheme::kSip || s == sip::Scheme::kSips || s == sip::Scheme::kPres;
}

}  // namespace

bool SamePresentity(std::string_view a, std::string_view b) {
  a = xml::Trim(a);
  b = xml::Trim(b);
  auto ua = sip::ParseUri(a);
  auto ub = sip::ParseUri(b);
  if (!ua.ok() || !ub.ok()) return false;
  if (PresentityScheme(ua->scheme) && PresentityScheme(ub->scheme)) {
    return ua->has_user && ub->has_user && sip::AorKey(*ua) == sip::AorKey(*ub);
  }
  return sip::UriEquivalent(*ua, *ub);
}

}  // namespace parley::presence
