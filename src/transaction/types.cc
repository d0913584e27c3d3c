#include "transaction/types.h"

namespace parley::transaction {

std::string_view TxnKindName(TxnKind k) {
  switch (k) {
    case TxnKind::kInviteServer: return "invite_server";
    case TxnKind::kNonInviteServer: return "non_invite_server";
    case TxnKind::kInviteClient: return "invite_client";
    case TxnKind::kNonInviteClient: return "non_invite_client";
  }
  return "unknown";
}

std::string_view TxnStateName(TxnState s) {
  switch (s) {
    case TxnState::kCalling: return "calling";
    case TxnState::kTrying: return "trying";
    case TxnState::kProceeding: return "proceeding";
    case TxnState::kCompleted: return "completed";
    case TxnState::kConfirmed: return "confirmed";
    case TxnState::kAccepted: return "accepted";
    case TxnState::kTerminated: return "terminated";
  }
  return "unknown";
}

}  // namespace parley::transaction
