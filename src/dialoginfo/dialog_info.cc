#include "dialoginfo/dialog_info.h"

#include <algorithm>

#include "common/strings.h"

namespace parley::dialoginfo {

std::string_view StateName(DialogState s) {
  switch (s) {
    case DialogState::kTrying: return "trying";
    case DialogState::kProceeding: return "proceeding";
    case DialogState::kEarly: return "early";
    case DialogState::kConfirmed: return "confirmed";
    case DialogState::kTerminated: return "terminated";
  }
  return "terminated";
}

std::string_view EventName(EndEvent e) {
  switch (e) {
    case EndEvent::kNone: return "";
    case EndEvent::kCancelled: return "cancelled";
    case EndEvent::kRejected: return "rejected";
    case EndEvent::kTimeout: return "timeout";
    case EndEvent::kLocalBye: return "local-bye";
    case EndEvent::kRemoteBye: return "remote-bye";
    case EndEvent::kError: return "error";
  }
  return "";
}

EndEvent EventForFailure(int status) {
  if (status == 487) return EndEvent::kCancelled;
  if (status == 408) return EndEvent::kTimeout;
  if (status == 500 || status == 503 || status == 504) return EndEvent::kError;
  return EndEvent::kRejected;
}

std::string DialogId(const Dialog& d) {
  uint64_t h = Mix64(ShardHash(d.call_id) ^ (uint64_t{ShardHash(d.local_tag)} << 32)) ^ ShardHash(d.from_trying ? std::string_view() : std::string_view(d.remote_tag));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "d";
  for (int i = 0; i < 16; ++i) id.push_back(kHex[(h >> (4 * i)) & 15]);
  return id;
}

namespace {

void AppendParty(std::string& x, const char* element, const Party& p) {
  x.append("    <").append(element).append("><identity");
  if (!p.display.empty()) x.append(" display=\"").append(XmlEscape(p.display)).append("\"");
  x.append(">").append(XmlEscape(p.identity)).append("</identity>");
  if (!p.target.empty()) x.append("<target uri=\"").append(XmlEscape(p.target)).append("\"/>");
  x.append("</").append(element).append(">\n");
}

// Every document starts so, its version next.
constexpr std::string_view kHead =
    "<?xml version=\"1.0\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"";

}  // namespace

std::string DialogInfoDocument(std::string_view entity, uint32_t version, bool full, std::span<const Dialog> dialogs,
                               int64_t now, bool with_duration) {
  std::string x(kHead);
  x.append(std::to_string(version)).append("\" state=\"").append(full ? "full" : "partial");
  x.append("\" entity=\"").append(XmlEscape(entity)).append("\">\n");
  for (const Dialog& d : dialogs) {
    x.append("  <dialog id=\"").append(DialogId(d)).append("\" call-id=\"").append(XmlEscape(d.call_id));
    x.append("\" local-tag=\"").append(XmlEscape(d.local_tag));
    if (!d.remote_tag.empty()) x.append("\" remote-tag=\"").append(XmlEscape(d.remote_tag));
    x.append("\" direction=\"").append(d.direction == Direction::kInitiator ? "initiator" : "recipient").append("\">\n");
    x.append("    <state");
    if (d.event != EndEvent::kNone) x.append(" event=\"").append(EventName(d.event)).append("\"");
    if (d.code != 0) x.append(" code=\"").append(std::to_string(d.code)).append("\"");
    x.append(">").append(StateName(d.state)).append("</state>\n");
    if (with_duration) {
      x.append("    <duration>").append(std::to_string(std::max<int64_t>(now - d.created_at, 0))).append("</duration>\n");
    }
    if (!d.replaces.call_id.empty()) {
      x.append("    <replaces call-id=\"").append(XmlEscape(d.replaces.call_id));
      x.append("\" local-tag=\"").append(XmlEscape(d.replaces.local_tag));
      x.append("\" remote-tag=\"").append(XmlEscape(d.replaces.remote_tag)).append("\"/>\n");
    }
    if (!d.referred_by.identity.empty() && !d.remote_hidden) {  // privacy: who sent the caller, too
      x.append("    <referred-by");
      if (!d.referred_by.display.empty()) x.append(" display=\"").append(XmlEscape(d.referred_by.display)).append("\"");
      x.append(">").append(XmlEscape(d.referred_by.identity)).append("</referred-by>\n");
    }
    AppendParty(x, "local", d.local);
    if (!d.remote_hidden) AppendParty(x, "remote", d.remote);
    x.append("  </dialog>\n");
  }
  x.append("</dialog-info>\n");
  return x;
}

std::string WithVersion(std::string_view document, uint32_t version) {
  if (!document.starts_with(kHead)) return std::string(document);
  const size_t end = document.find('"', kHead.size());
  if (end == std::string_view::npos) return std::string(document);
  std::string out(kHead);
  out.append(std::to_string(version)).append(document.substr(end));
  return out;
}

}  // namespace parley::dialoginfo
