#pragma once
// The exit status of every parley command: one per thing a user can act on.

#include "ua/outcome.h"

namespace parley::cli {

enum ExitCode : int {
  kExitOk = 0,           // done (a message: delivered)
  kExitFailed = 1,       // refused with a SIP status (printed), or nothing happened in time
  kExitUsage = 2,        // bad flags, no account, unreadable config
  kExitStored = 3,       // message accepted for later delivery (202)
  kExitAuth = 4,         // wrong user name or password
  kExitUnreachable = 5,  // server unreachable: DNS, connection refused, no answer
  kExitTls = 6,          // the server's TLS certificate is not trusted
  kExitUnknownUser = 7,  // no such user (404/604)
};

inline int ExitFor(const ua::Outcome& o) {
  switch (o.failure) {
    case ua::Failure::kNone: return kExitOk;
    case ua::Failure::kAuth: return kExitAuth;
    case ua::Failure::kUnreachable: return kExitUnreachable;
    case ua::Failure::kTls: return kExitTls;
    case ua::Failure::kNotFound: return kExitUnknownUser;
    case ua::Failure::kRejected: return kExitFailed;
  }
  return kExitFailed;
}

}  // namespace parley::cli
