#include "ua/pager.h"

#include "common/strings.h"
#include "sip/fields.h"
#include "sip/response.h"

namespace parley::ua {

namespace {

// "<sip:bob@example.com>" or "Bob <sip:bob@example.com>" -> the URI.
std::string UriOf(std::string_view name_addr, std::string* display = nullptr) {
  auto na = sip::ParseNameAddr(name_addr);
  if (!na.ok()) return std::string(name_addr);
  if (display) *display = na->DisplayName();
  return std::string(na->uri_text);
}

bool IsText(const sip::MediaType& t) { return IEquals(t.type, "text"); }

}  // namespace

Pager::Pager(Core& core, Listener listener) : core_(core), listener_(std::move(listener)) {
  core_.SetHandler(sip::Method::kMessage, [this](ServerRequest& req) { OnMessage(req); });
}

Pager::~Pager() {
  core_.SetHandler(sip::Method::kMessage, nullptr);
  for (auto id : requests_) core_.Abandon(id);
}

void Pager::SendRaw(const Aor& to, std::string_view content_type, const std::string& body,
                    std::function<void(const Outcome&)> done) {
  auto req = core_.NewRequest("MESSAGE", to.Uri(), "<" + to.Uri() + ">", core_.NewTag(), core_.NewCallId(), 1);
  req->SetBody(content_type, body);
  auto id = std::make_shared<Core::RequestId>(0);
  *id = core_.Send(std::move(req), [this, id, done = std::move(done)](const Outcome& o, const sip::Message&,
                                                                        const sip::Message&) {
    requests_.erase(*id);
    if (done) done(o);
  });
  requests_.insert(*id);
}

void Pager::Send(const Aor& to, const std::string& text, SendOptions options,
                 std::function<void(const SendResult&)> done) {
  auto result = std::make_shared<SendResult>();
  std::string content_type = "text/plain;charset=UTF-8";
  std::string body = text;
  if (options.cpim || options.request_imdn) {
    CpimMessage m;
    m.from = "<" + core_.aor().Uri() + ">";
    m.to = "<" + to.Uri() + ">";
    m.datetime = NowRfc3339();
    result->message_id = sip::RandomToken(8);
    m.headers.emplace_back("NS", "imdn <urn:ietf:params:imdn>");
    m.headers.emplace_back("imdn.Message-ID", result->message_id);
    if (options.request_imdn) m.headers.emplace_back("imdn.Disposition-Notification", "positive-delivery");
    m.content_type = "text/plain;charset=UTF-8";
    m.body = text;
    content_type = std::string(kCpimType);
    body = BuildCpim(m);
  }
  SendRaw(to, content_type, body, [result, done = std::move(done)](const Outcome& o) {
    result->outcome = o;
    if (done) done(*result);
  });
}

void Pager::SendComposing(const Aor& to, bool active, uint32_t refresh) {
  Composing c;
  c.active = active;
  c.refresh = active ? refresh : 0;
  if (!active) c.last_active = NowRfc3339();
  SendRaw(to, kComposingType, BuildComposing(c), nullptr);
}

void Pager::SendDeliveryNotification(const std::string& to_uri, const std::string& message_id,
                                     const std::string& original_recipient) {
  auto to = ParseAor(to_uri);
  if (!to.ok()) return;
  Imdn n;
  n.message_id = message_id;
  n.recipient = core_.aor().Uri();
  n.original_recipient = original_recipient;
  n.kind = "delivery-notification";
  n.status = "delivered";
  CpimMessage m;
  m.from = "<" + core_.aor().Uri() + ">";
  m.to = "<" + to->Uri() + ">";
  m.datetime = NowRfc3339();
  m.headers.emplace_back("NS", "imdn <urn:ietf:params:imdn>");
  m.headers.emplace_back("imdn.Message-ID", sip::RandomToken(8));
  m.content_type = std::string(kImdnType);
  m.content_headers.emplace_back("Content-Disposition", "notification");
  m.body = BuildImdn(n);
  SendRaw(*to, kCpimType, BuildCpim(m), nullptr);
}

void Pager::OnMessage(ServerRequest& req) {
  const sip::Message& m = *req.request;
  auto type = m.content_type();
  if (!m.body().empty() && !type) {
    return core_.Respond(req, 415, {}, {{sip::HeaderId::kAccept, "text/plain, message/cpim, " +
                                                                      std::string(kComposingType) + ", " +
                                                                      std::string(kImdnType)}});
  }
  ReceivedMessage rm;
  rm.from = UriOf(m.Value(sip::HeaderId::kFrom), &rm.from_display);
  rm.to = UriOf(m.Value(sip::HeaderId::kTo));
  rm.datetime = NowRfc3339();
  std::string content_type = type ? type->Essence() : "text/plain";
  std::string full_type = type ? std::string(TrimLws(m.Value(sip::HeaderId::kContentType))) : "text/plain";
  std::string body(m.body());
  std::string disposition;
  if (content_type == kCpimType) {
    auto cpim = ParseCpim(body);
    if (!cpim.ok()) return core_.Respond(req, 400, "Malformed CPIM Body");
    rm.cpim = true;
    // RFC 3862: the CPIM From/To name the originator end to end.
    if (!cpim->from.empty()) rm.from = UriOf(cpim->from, &rm.from_display);
    if (!cpim->to.empty()) rm.to = UriOf(cpim->to);
    if (!cpim->datetime.empty()) rm.datetime = cpim->datetime;
    rm.message_id = cpim->Header("imdn.Message-ID");
    disposition = cpim->Header("imdn.Disposition-Notification");
    full_type = cpim->content_type;
    auto inner = sip::ParseMediaType(cpim->content_type);
    content_type = inner.ok() ? inner->Essence() : "text/plain";
    body = std::move(cpim->body);
  }
  if (content_type == kComposingType) {
    auto c = ParseComposing(body);
    if (!c.ok()) return core_.Respond(req, 400, "Malformed isComposing Body");
    core_.Respond(req, 200);
    if (listener_.on_composing) listener_.on_composing(ComposingIndication{rm.from, *c});
    return;
  }
  if (content_type == kImdnType) {
    auto n = ParseImdn(body);
    if (!n.ok()) return core_.Respond(req, 400, "Malformed IMDN Body");
    core_.Respond(req, 200);
    if (listener_.on_delivery) listener_.on_delivery(DeliveryNotice{rm.from, *n});
    return;
  }
  auto media = sip::ParseMediaType(full_type);
  if (!body.empty() && (!media.ok() || !IsText(*media))) {
    return core_.Respond(req, 415, {}, {{sip::HeaderId::kAccept, "text/plain, message/cpim"}});
  }
  core_.Respond(req, 200);
  rm.content_type = full_type;
  rm.text = std::move(body);
  if (disposition.find("positive-delivery") != std::string::npos && !rm.message_id.empty()) {
    SendDeliveryNotification(rm.from, rm.message_id, rm.to);
  }
  if (listener_.on_message) listener_.on_message(rm);
}

}  // namespace parley::ua
