#include "im/format/imdn.h"

#include <array>

#include "common/strings.h"
#include "im/format/rfc3339.h"
#include "presence/doc/xml.h"

namespace parley::im {

namespace xml = presence::xml;

namespace {

constexpr std::array<std::string_view, 3> kKinds = {"delivery-notification", "display-notification",
                                                    "processing-notification"};
constexpr std::array<std::string_view, 7> kStatuses = {"delivered", "failed",    "forbidden", "error",
                                                       "displayed", "processed", "stored"};

Error BadImdn(std::string reason) { return Error(400, "IMDN: " + std::move(reason)); }

// The URI of an address header value ("Bob <im:bob@example.com>"), or the
// value itself when it has no angle brackets.
std::string_view UriOfAddress(std::string_view v) {
  size_t lt = v.rfind('<');
  size_t gt = v.rfind('>');
  if (lt == std::string_view::npos || gt == std::string_view::npos || gt < lt) return TrimLws(v);
  return v.substr(lt + 1, gt - lt - 1);
}

}  // namespace

std::string_view ToString(ImdnKind kind) { return kKinds[static_cast<size_t>(kind)]; }
std::string_view ToString(ImdnStatus status) { return kStatuses[static_cast<size_t>(status)]; }

std::optional<ImdnKind> ParseImdnKind(std::string_view element) {
  for (size_t i = 0; i < kKinds.size(); ++i) {
    if (kKinds[i] == element) return static_cast<ImdnKind>(i);
  }
  return std::nullopt;
}

std::optional<ImdnStatus> ParseImdnStatus(std::string_view element) {
  for (size_t i = 0; i < kStatuses.size(); ++i) {
    if (kStatuses[i] == element) return static_cast<ImdnStatus>(i);
  }
  return std::nullopt;
}

bool StatusFits(ImdnKind kind, ImdnStatus status) {
  if (status == ImdnStatus::kForbidden || status == ImdnStatus::kError) return true;
  switch (kind) {
    case ImdnKind::kDelivery:
      return status == ImdnStatus::kDelivered || status == ImdnStatus::kFailed;
    case ImdnKind::kDisplay:
      return status == ImdnStatus::kDisplayed;
    case ImdnKind::kProcessing:
      return status == ImdnStatus::kProcessed || status == ImdnStatus::kStored;
  }
  return false;
}

bool DispositionRequest::Wants(ImdnKind kind, ImdnStatus status) const {
  if (!StatusFits(kind, status)) return false;
  switch (kind) {
    case ImdnKind::kDelivery:
      if (status == ImdnStatus::kDelivered) return positive_delivery;
      if (status == ImdnStatus::kFailed) return negative_delivery;
      return positive_delivery || negative_delivery;
    case ImdnKind::kDisplay:
      return display;
    case ImdnKind::kProcessing:
      return processing;
  }
  return false;
}

Result<DispositionRequest> ParseDispositionNotification(std::string_view value) {
  DispositionRequest r;
  size_t i = 0;
  while (true) {
    size_t comma = value.find(',', i);
    std::string_view t = TrimLws(value.substr(i, comma == std::string_view::npos ? value.npos : comma - i));
    if (t.empty()) return BadImdn("empty element in Disposition-Notification");
    if (!IsToken(t)) return BadImdn("Disposition-Notification element is not a token");
    if (IEquals(t, "positive-delivery")) r.positive_delivery = true;
    else if (IEquals(t, "negative-delivery")) r.negative_delivery = true;
    else if (IEquals(t, "display")) r.display = true;
    else if (IEquals(t, "processing")) r.processing = true;
    if (comma == std::string_view::npos) return r;
    i = comma + 1;
  }
}

std::string FormatDispositionNotification(const DispositionRequest& r) {
  std::string out;
  auto add = [&](bool on, std::string_view t) {
    if (!on) return;
    if (!out.empty()) out += ", ";
    out += t;
  };
  add(r.positive_delivery, "positive-delivery");
  add(r.negative_delivery, "negative-delivery");
  add(r.display, "display");
  add(r.processing, "processing");
  return out;
}

std::string ImdnMessageId(const CpimView& m) {
  const CpimHeaderView* h = m.Find(kImdnNs, "Message-ID");
  return h ? h->Decoded() : std::string();
}

Result<DispositionRequest> RequestedDispositions(const CpimView& m) {
  const CpimHeaderView* h = m.Find(kImdnNs, "Disposition-Notification");
  if (!h) return DispositionRequest{};
  return ParseDispositionNotification(h->Decoded());
}

Result<Imdn> ParseImdn(std::string_view body, const XmlLimits& limits) {
  pugi::xml_document doc;
  auto root = LoadXml(doc, body, "IMDN", limits);
  if (!root.ok()) return root.take_error();
  auto rn = xml::ElementName(*root);
  if (!rn.ok()) return BadImdn("undeclared namespace prefix");
  if (!rn->Is(kImdnXmlNs, "imdn")) return BadImdn("root element is not <imdn> in " + std::string(kImdnXmlNs));
  Imdn out;
  bool have[5] = {};
  std::string* fields[5] = {&out.message_id, &out.datetime, &out.recipient_uri, &out.original_recipient_uri,
                            &out.subject};
  static constexpr std::string_view kFields[5] = {"message-id", "datetime", "recipient-uri",
                                                  "original-recipient-uri", "subject"};
  bool notified = false;
  for (pugi::xml_node c = root->first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    auto n = xml::ElementName(c);
    if (!n.ok()) return BadImdn("undeclared namespace prefix");
    if (n->ns != kImdnXmlNs) continue;  // extensions
    bool field = false;
    for (size_t i = 0; i < 5; ++i) {
      if (n->local != kFields[i]) continue;
      field = true;
      if (have[i]) return BadImdn("more than one <" + std::string(kFields[i]) + ">");
      have[i] = true;
      *fields[i] = xml::Text(c);
      if (fields[i]->size() > limits.max_text_bytes) {
        return Error(413, "IMDN: <" + std::string(kFields[i]) + "> longer than " +
                              std::to_string(limits.max_text_bytes) + " bytes");
      }
    }
    if (field) continue;
    auto kind = ParseImdnKind(n->local);
    if (!kind) continue;  // a future element of the IMDN namespace
    if (notified) return BadImdn("more than one notification");
    notified = true;
    out.kind = *kind;
    bool status_seen = false, value_seen = false;
    for (pugi::xml_node s = c.first_child(); s; s = s.next_sibling()) {
      if (s.type() != pugi::node_element) continue;
      auto sn = xml::ElementName(s);
      if (!sn.ok()) return BadImdn("undeclared namespace prefix");
      if (!sn->Is(kImdnXmlNs, "status")) continue;
      if (status_seen) return BadImdn("more than one <status> in <" + std::string(n->local) + ">");
      status_seen = true;
      for (pugi::xml_node v = s.first_child(); v; v = v.next_sibling()) {
        if (v.type() != pugi::node_element) continue;
        auto vn = xml::ElementName(v);
        if (!vn.ok()) return BadImdn("undeclared namespace prefix");
        if (vn->ns != kImdnXmlNs) continue;
        auto status = ParseImdnStatus(vn->local);
        if (!status) return BadImdn("unknown status <" + std::string(vn->local.substr(0, 64)) + ">");
        if (value_seen) return BadImdn("more than one status in <status>");
        value_seen = true;
        out.status = *status;
      }
    }
    if (!status_seen) return BadImdn("<" + std::string(n->local) + "> without <status>");
    if (!value_seen) return BadImdn("<status> without a status");
    if (!StatusFits(out.kind, out.status)) {
      return BadImdn("<" + std::string(ToString(out.status)) + "> is not a status of <" + std::string(n->local) + ">");
    }
  }
  if (out.message_id.empty()) return BadImdn("no <message-id>");
  if (out.datetime.empty()) return BadImdn("no <datetime>");
  if (auto t = ParseRfc3339(out.datetime); !t.ok()) return BadImdn("datetime is " + t.error().message);
  if (!notified) return BadImdn("no delivery-, display- or processing-notification");
  return out;
}

Result<std::string> BuildImdn(const Imdn& n) {
  if (xml::Trim(n.message_id).empty()) return BadImdn("no message-id");
  if (auto t = ParseRfc3339(n.datetime); !t.ok()) return BadImdn("datetime is " + t.error().message);
  if (!StatusFits(n.kind, n.status)) {
    return BadImdn("<" + std::string(ToString(n.status)) + "> is not a status of <" + std::string(ToString(n.kind)) + ">");
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<imdn xmlns=\"";
  out.append(kImdnXmlNs).append("\">\n");
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"message-id", &n.message_id},       {"datetime", &n.datetime}, {"recipient-uri", &n.recipient_uri},
      {"original-recipient-uri", &n.original_recipient_uri}, {"subject", &n.subject}};
  for (const auto& [name, value] : fields) {
    std::string_view v = xml::Trim(*value);
    if (v.empty()) continue;
    if (xml::FindInvalidChar(v)) return BadImdn(std::string(name) + " has a character XML cannot carry");
    out.append("  <").append(name).append(">");
    AppendXmlText(out, v);
    out.append("</").append(name).append(">\n");
  }
  out.append("  <").append(ToString(n.kind)).append(">\n    <status>\n      <");
  out.append(ToString(n.status)).append("/>\n    </status>\n  </").append(ToString(n.kind)).append(">\n</imdn>\n");
  return out;
}

Result<CpimMessage> BuildImdnReply(const CpimView& original, const ImdnReply& reply) {
  const CpimHeaderView* from = original.From();
  if (!from) return BadImdn("the message has no From");
  std::string id = ImdnMessageId(original);
  if (id.empty()) return BadImdn("the message has no imdn.Message-ID");
  const CpimHeaderView* dt = original.DateTime();
  if (!dt) return BadImdn("the message has no DateTime");
  auto wanted = RequestedDispositions(original);
  if (!wanted.ok()) return wanted.take_error();
  if (!StatusFits(reply.kind, reply.status)) {
    return BadImdn("<" + std::string(ToString(reply.status)) + "> is not a status of <" +
               std::string(ToString(reply.kind)) + ">");
  }
  if (!reply.unsolicited && !wanted->Wants(reply.kind, reply.status)) {
    return Error(409, "IMDN: the message did not ask for a " + std::string(ToString(reply.kind)) + " (" +
                          std::string(ToString(reply.status)) + ")");
  }
  if (reply.message_id.empty()) return BadImdn("the notification needs a Message-ID");
  auto tos = original.Addresses(CpimHeaderKind::kTo);
  if (tos.empty() && !reply.from) return BadImdn("the message has no To");

  Imdn doc;
  doc.message_id = id;
  doc.datetime = std::string(dt->value);
  std::string first_to = tos.empty() ? reply.from->uri : std::string(tos.front().uri);
  doc.recipient_uri = reply.recipient.empty() ? first_to : reply.recipient;
  const CpimHeaderView* original_to = original.Find(kImdnNs, "Original-To");
  doc.original_recipient_uri = original_to ? std::string(UriOfAddress(original_to->Decoded())) : first_to;
  for (const auto& h : original.headers) {
    if (h.kind == CpimHeaderKind::kSubject) {
      doc.subject = h.Decoded();
      break;
    }
  }
  doc.kind = reply.kind;
  doc.status = reply.status;
  auto xml_body = BuildImdn(doc);
  if (!xml_body.ok()) return xml_body.take_error();

  CpimMessage m;
  m.from = reply.from ? *reply.from : CpimAddress{tos.front().DisplayName(), std::string(tos.front().uri)};
  m.to.push_back({from->address.DisplayName(), std::string(from->address.uri)});
  m.datetime = FormatRfc3339(reply.now_ms);
  m.DeclareNamespace(kImdnPrefix, kImdnNs);
  m.AddExtension(kImdnPrefix, "Message-ID", reply.message_id);
  m.SetContentHeader("Content-Type", kImdnType);
  m.SetContentHeader("Content-Disposition", "notification");
  m.content = std::move(*xml_body);
  return m;
}

}  // namespace parley::im
