#pragma once
// Requests to our temporary GRUUs (RFC 5627 §7.1). Runs after the
// authenticator (whose digest checks the Request-URI as sent): a
// temporary GRUU this server minted is retargeted to the public GRUU of
// the same instance, so reception policy, presence and the router see the
// user it belongs to; the router then reaches that instance only, and only
// while it keeps the registration's Call-ID (RequestContext::temp_gruu).
// Anything else passes untouched (a user part that merely looks like one
// is an ordinary, probably unknown, user).

#include <memory>

#include "proxy/processor.h"
#include "registrar/gruu.h"

namespace parley::registrar {

std::unique_ptr<proxy::Processor> MakeTempGruuProcessor(const GruuCodec& codec);

}  // namespace parley::registrar
