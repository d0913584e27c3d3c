#include "transaction/messages.h"

#include "sip/response.h"

namespace parley::transaction {

std::string NewBranch() {
  std::string b(sip::kMagicCookie);
  b.append(sip::RandomToken(16));
  return b;
}

namespace {

// The request shared by ACK and CANCEL; `to` is the To field value to use.
sip::MessagePtr HopByHopRequest(const sip::Message& invite, std::string_view method, std::string_view to) {
  auto m = sip::Message::NewRequest(method, invite.request_uri_text());
  if (const sip::Via* via = invite.top_via()) m->AddHeader(sip::HeaderId::kVia, via->text);
  std::string_view max_forwards = invite.Value(sip::HeaderId::kMaxForwards);
  m->AddHeader(sip::HeaderId::kMaxForwards, max_forwards.empty() ? std::string_view("70") : max_forwards);
  for (const auto& h : invite.headers()) {
    if (h.id == sip::HeaderId::kRoute) m->AddHeader(h.id, h.value);
  }
  m->AddHeader(sip::HeaderId::kFrom, invite.Value(sip::HeaderId::kFrom));
  m->AddHeader(sip::HeaderId::kTo, to);
  m->AddHeader(sip::HeaderId::kCallId, invite.call_id());
  const sip::CSeq* cseq = invite.cseq();
  std::string cseq_value = std::to_string(cseq ? cseq->number : 0);
  cseq_value.append(" ").append(method);
  m->AddHeader(sip::HeaderId::kCSeq, cseq_value);
  return m;
}

}  // namespace

sip::MessagePtr BuildAck(const sip::Message& invite, const sip::Message& response) {
  return HopByHopRequest(invite, "ACK", response.Value(sip::HeaderId::kTo));
}

sip::MessagePtr BuildCancel(const sip::Message& invite) {
  return HopByHopRequest(invite, "CANCEL", invite.Value(sip::HeaderId::kTo));
}

sip::MessagePtr SynthesizeResponse(const sip::Message& request, int status) {
  return sip::MakeResponse(request, status);
}

}  // namespace parley::transaction
