#pragma once
// Instant Message Disposition Notification (RFC 5438): the imdn.* CPIM
// headers, the message/imdn+xml document, and the notification a server or
// recipient sends back for a message that asked for one. Pure: the time and
// the new message id come in as parameters.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "im/format/cpim.h"
#include "im/format/xml_load.h"

namespace parley::im {

inline constexpr std::string_view kImdnType = "message/imdn+xml";
inline constexpr std::string_view kImdnNs = "urn:ietf:params:imdn";          // CPIM header namespace
inline constexpr std::string_view kImdnXmlNs = "urn:ietf:params:xml:ns:imdn";  // document namespace
inline constexpr std::string_view kImdnPrefix = "imdn";

enum class ImdnKind : uint8_t { kDelivery, kDisplay, kProcessing };
enum class ImdnStatus : uint8_t { kDelivered, kFailed, kForbidden, kError, kDisplayed, kProcessed, kStored };

std::string_view ToString(ImdnKind kind);      // "delivery-notification" …
std::string_view ToString(ImdnStatus status);  // "delivered" …
std::optional<ImdnKind> ParseImdnKind(std::string_view element);
std::optional<ImdnStatus> ParseImdnStatus(std::string_view element);
// RFC 5438 §7.3: delivered/failed/forbidden/error for delivery,
// displayed/forbidden/error for display, processed/stored/forbidden/error
// for processing.
bool StatusFits(ImdnKind kind, ImdnStatus status);

// imdn.Disposition-Notification (RFC 5438 §6.2).
struct DispositionRequest {
  bool positive_delivery = false;
  bool negative_delivery = false;
  bool display = false;
  bool processing = false;
  bool Any() const { return positive_delivery || negative_delivery || display || processing; }
  bool operator==(const DispositionRequest&) const = default;
  // Whether a notification of this kind and status was asked for: delivered
  // needs positive-delivery, failed negative-delivery, forbidden/error of a
  // delivery either; display and processing need theirs.
  bool Wants(ImdnKind kind, ImdnStatus status) const;
};
// Comma-separated tokens, case-insensitive; unknown tokens are ignored
// (extensions). Error 400 for an empty element or a non-token.
Result<DispositionRequest> ParseDispositionNotification(std::string_view value);
std::string FormatDispositionNotification(const DispositionRequest& request);  // "positive-delivery, display"

// What a CPIM message says about IMDN: its imdn.Message-ID ("" when none)
// and the notifications it requests (none when the header is absent).
std::string ImdnMessageId(const CpimView& message);
Result<DispositionRequest> RequestedDispositions(const CpimView& message);

// The message/imdn+xml document (RFC 5438 §7.3). Unknown elements in other
// namespaces are ignored.
struct Imdn {
  std::string message_id;              // the imdn.Message-ID of the message it reports on
  std::string datetime;                // that message's DateTime (RFC 3339)
  std::string recipient_uri;           // "" when absent
  std::string original_recipient_uri;  // "" when absent
  std::string subject;                 // "" when absent
  ImdnKind kind = ImdnKind::kDelivery;
  ImdnStatus status = ImdnStatus::kDelivered;
  bool operator==(const Imdn&) const = default;
};

// Errors: 413 for the XmlLimits, 400 "IMDN: <reason>": not XML, root not
// <imdn> in the IMDN namespace, a missing or repeated message-id/datetime,
// datetime not RFC 3339, no or more than one notification, a status that
// does not fit its notification, text over max_text_bytes.
Result<Imdn> ParseImdn(std::string_view xml, const XmlLimits& limits = {});
// Error 400 when a required field is empty, the datetime is not RFC 3339,
// or the status does not fit the kind.
Result<std::string> BuildImdn(const Imdn& imdn);

// What the notifier adds: who it is, the status, a fresh message id and
// the time.
struct ImdnReply {
  ImdnKind kind = ImdnKind::kDelivery;
  ImdnStatus status = ImdnStatus::kDelivered;
  std::string message_id;  // imdn.Message-ID of the notification itself
  int64_t now_ms = 0;      // its DateTime
  // The notification's From; when empty, the message's first To (the
  // recipient answers). A server answering for itself (stored, processed)
  // puts its own address here.
  std::optional<CpimAddress> from;
  // The <recipient-uri> when it is not the message's first To: a group
  // reports for each member (the first To, the group's URI, then becomes
  // the <original-recipient-uri>).
  std::string recipient;
  // Sent although the message asked for none (a group that acknowledges
  // per recipient does so for every message).
  bool unsolicited = false;
};

// The CPIM notification for `original` (RFC 5438 §7.2): From the notifier,
// To the original From, NS imdn, a new imdn.Message-ID, DateTime now,
// Content-Type message/imdn+xml, Content-Disposition notification, and an
// <imdn> with the original message id, DateTime, recipient (first To),
// original recipient (imdn.Original-To, else first To) and first Subject.
// reply.recipient and reply.unsolicited change this as they say.
// Errors 400: the original has no From, no To (and no reply.from), no
// imdn.Message-ID or no DateTime; 409 when it did not ask for this kind of
// notification (`Wants`); 400 for an invalid reply.
Result<CpimMessage> BuildImdnReply(const CpimView& original, const ImdnReply& reply);

}  // namespace parley::im
