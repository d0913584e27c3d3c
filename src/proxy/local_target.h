#pragma once
// Decides whether a Request-URI names this server or one of its domains.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"
#include "sip/uri.h"
#include "transport/address.h"

namespace parley::proxy {

// The token a Record-Route URI of ours carries for a dialog (its Call-ID),
// so that only Route values we issued count as routing through us; "" when
// the server signs none.
using RouteTokenFn = std::function<std::string(std::string_view call_id)>;

class LocalTarget {
 public:
  LocalTarget(std::vector<std::string> domains, std::vector<transport::SocketAddress> addresses,
              RouteTokenFn route_token = nullptr);

  // The host is one of our domains (any port) or one of our addresses (with
  // a matching port; an absent port means 5060, or 5061 for sips).
  bool IsLocal(const sip::Uri& uri) const;
  // Local and without a user part: the request is for the server itself.
  bool IsSelf(const sip::Uri& uri) const { return IsLocal(uri) && !uri.has_user; }
  const std::vector<std::string>& domains() const { return domains_; }

  // The `rrt` parameter value for a Record-Route we insert into a request
  // with this Call-ID ("" when not signing).
  std::string RouteToken(std::string_view call_id) const { return route_token_ ? route_token_(call_id) : ""; }
  // Whose the first Route of `m` is (§16.4): not ours (or none, or
  // malformed), ours, or ours with the token of m's Call-ID — a
  // Record-Route we put in its dialog, the only proof that an in-dialog
  // request or an ACK really comes through us.
  enum class RouteOwner { kNotOurs, kOurs, kOursSigned };
  RouteOwner FirstRouteOwner(const sip::Message& m) const;

 private:
  // Whether `route` (one of ours) carries the token for `call_id`: a
  // Record-Route we put in that dialog. Always true when not signing.
  bool RouteTokenValid(const sip::Uri& route, std::string_view call_id) const;

  std::vector<std::string> domains_;  // lower-case
  std::vector<transport::SocketAddress> addresses_;
  RouteTokenFn route_token_;
};

inline constexpr std::string_view kRouteTokenParam = "rrt";

}  // namespace parley::proxy
