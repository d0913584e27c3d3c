#pragma once
// Requests and responses the transaction layer builds itself. Exposed so
// TUs and tests can use the same construction rules.

#include <string>

#include "sip/message.h"

namespace parley::transaction {

// A fresh RFC 3261 branch: the magic cookie and 128 random bits.
std::string NewBranch();

// §17.1.1.3: the ACK for a non-2xx final response to `invite`: same
// Request-URI, Call-ID, From and CSeq number (method ACK), the single top Via
// of the INVITE, its Route fields and Max-Forwards, and To from `response`.
sip::MessagePtr BuildAck(const sip::Message& invite, const sip::Message& response);

// §9.1: a CANCEL for `invite`: same Request-URI, Call-ID, To, From, CSeq
// number (method CANCEL), single top Via (same branch), Route fields.
sip::MessagePtr BuildCancel(const sip::Message& invite);

// A response made up locally for a client transaction that got none (408
// timeout, 503 transport error, 487 cancelled).
sip::MessagePtr SynthesizeResponse(const sip::Message& request, int status);

}  // namespace parley::transaction
