#pragma once
// Pager-mode instant messages (RFC 3428 MESSAGE): sending plain text or
// CPIM (RFC 3862) with IMDN requests (RFC 5438), isComposing indications
// (RFC 3994), and receiving all of these. Delivery notifications asked for
// by a sender are answered automatically.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "im/format/cpim.h"
#include "im/format/imdn.h"
#include "im/format/iscomposing.h"
#include "ua/core.h"

namespace parley::ua {

struct SendOptions {
  bool cpim = false;          // wrap in message/cpim
  bool request_imdn = false;  // ask for a positive delivery notification (implies cpim)
};

// A received instant message.
struct ReceivedMessage {
  std::string from;          // sender AOR URI ("sip:bob@example.com")
  std::string from_display;  // display name, if any
  std::string to;
  std::string content_type;  // of the text (inside CPIM, if wrapped)
  std::string text;
  std::string datetime;      // CPIM DateTime or Date header, else receipt time (RFC 3339 UTC)
  std::string message_id;    // imdn.Message-ID, if any
  bool cpim = false;
};

struct ComposingIndication {
  std::string from;
  im::IsComposing state;
};

struct DeliveryNotice {
  std::string from;  // who sent the notification
  im::Imdn imdn;
};

struct SendResult {
  Outcome outcome;
  std::string message_id;  // when sent as CPIM
  bool stored() const { return outcome.status == 202; }  // accepted for later delivery
};

class Pager {
 public:
  struct Listener {
    std::function<void(const ReceivedMessage&)> on_message;
    std::function<void(const ComposingIndication&)> on_composing;
    std::function<void(const DeliveryNotice&)> on_delivery;
  };

  // Registers itself as the core's MESSAGE handler.
  Pager(Core& core, Listener listener);
  ~Pager();
  Pager(const Pager&) = delete;
  Pager& operator=(const Pager&) = delete;

  void Send(const Aor& to, const std::string& text, SendOptions options, std::function<void(const SendResult&)> done);
  // An isComposing indication; `active` false sends idle.
  void SendComposing(const Aor& to, bool active, uint32_t refresh = 90);

 private:
  void OnMessage(ServerRequest& req);
  void SendRaw(const Aor& to, std::string_view content_type, const std::string& body,
               std::function<void(const Outcome&)> done);
  // Answers a CPIM message that asked for a positive delivery notification.
  void SendDeliveryNotification(const im::CpimView& message);

  Core& core_;
  Listener listener_;
  std::unordered_set<Core::RequestId> requests_;
};

}  // namespace parley::ua
