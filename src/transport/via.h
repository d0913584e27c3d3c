#pragma once
// What a server records in the top Via of a request it receives (RFC 3261
// §18.2.1, RFC 3581 §4). Pure: shared by every transport, WebSockets too.

#include "sip/message.h"
#include "transport/address.h"

namespace parley::transport {

// Adds received=<source IP> to the top Via value when its sent-by host is
// not that IP; when the top Via carries an empty rport parameter, sets it to
// the source port and adds received even if the host matches. Only the first
// Via value changes, even when one field holds several. Returns true when
// the message was changed; a missing or malformed top Via is left alone (the
// validation layer rejects it).
bool StampVia(sip::Message& request, const SocketAddress& source);

}  // namespace parley::transport
