#include "ua/pager.h"

#include "common/strings.h"
#include "sip/fields.h"
#include "sip/response.h"
#include "ua/now.h"

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
    im::CpimMessage m;
    m.from = im::CpimAddress{"", core_.aor().Uri()};
    m.to.push_back({"", to.Uri()});
    m.datetime = NowRfc3339();
    result->message_id = sip::RandomToken(8);
    m.DeclareNamespace(im::kImdnPrefix, im::kImdnNs);
    m.AddExtension(im::kImdnPrefix, "Message-ID", result->message_id);
    if (options.request_imdn) m.AddExtension(im::kImdnPrefix, "Disposition-Notification", "positive-delivery");
    m.SetContentHeader("Content-Type", "text/plain;charset=UTF-8");
    m.content = text;
    auto built = im::BuildCpim(m);
    if (!built.ok()) {
      result->outcome = Outcome{400, built.error().message, Failure::kRejected, {}, true};
      if (done) done(*result);
      return;
    }
    content_type = std::string(im::kCpimType);
    body = std::move(*built);
  }
  SendRaw(to, content_type, body, [result, done = std::move(done)](const Outcome& o) {
    result->outcome = o;
    if (done) done(*result);
  });
}

void Pager::SendComposing(const Aor& to, bool active, uint32_t refresh) {
  im::IsComposing c;
  c.active = active;
  c.content_type = "text/plain";
  c.refresh = active ? refresh : 0;
  if (!active) c.last_active = NowRfc3339();
  auto body = im::BuildIsComposing(c);
  if (body.ok()) SendRaw(to, im::kIsComposingType, *body, nullptr);
}

void Pager::SendDeliveryNotification(const im::CpimView& message) {
  auto to = ParseAor(std::string(message.From()->address.uri));
  if (!to.ok()) return;
  im::ImdnReply reply;
  reply.kind = im::ImdnKind::kDelivery;
  reply.status = im::ImdnStatus::kDelivered;
  reply.message_id = sip::RandomToken(8);
  reply.now_ms = NowUnixMs() / 1000 * 1000;
  reply.from = im::CpimAddress{"", core_.aor().Uri()};
  auto m = im::BuildImdnReply(message, reply);
  if (!m.ok()) return;
  auto body = im::BuildCpim(*m);
  if (body.ok()) SendRaw(*to, im::kCpimType, *body, nullptr);
}

void Pager::OnMessage(ServerRequest& req) {
  const sip::Message& m = *req.request;
  auto type = m.content_type();
  const std::string accept = "text/plain, message/cpim, " + std::string(im::kIsComposingType) + ", " +
                             std::string(im::kImdnType);
  if (!m.body().empty() && !type) return core_.Respond(req, 415, {}, {{sip::HeaderId::kAccept, accept}});
  ReceivedMessage rm;
  rm.from = UriOf(m.Value(sip::HeaderId::kFrom), &rm.from_display);
  rm.to = UriOf(m.Value(sip::HeaderId::kTo));
  rm.datetime = NowRfc3339();
  std::string content_type = type ? type->Essence() : "text/plain";
  std::string full_type = type ? std::string(TrimLws(m.Value(sip::HeaderId::kContentType))) : "text/plain";
  const std::string raw(m.body());
  std::string_view body = raw;  // the CPIM content, once unwrapped (views into `raw`)
  std::optional<im::CpimView> cpim;
  bool wants_delivery = false;
  if (content_type == im::kCpimType) {
    auto parsed = im::ParseCpim(raw);
    if (!parsed.ok()) return core_.Respond(req, 400, "Malformed CPIM Body");
    cpim = std::move(*parsed);
    rm.cpim = true;
    // RFC 3862: the CPIM From/To name the originator end to end.
    if (const auto* from = cpim->From()) {
      rm.from = std::string(from->address.uri);
      rm.from_display = from->address.DisplayName();
    }
    if (auto to = cpim->Addresses(im::CpimHeaderKind::kTo); !to.empty()) rm.to = std::string(to.front().uri);
    if (const auto* dt = cpim->DateTime()) rm.datetime = std::string(dt->value);
    rm.message_id = im::ImdnMessageId(*cpim);
    auto wanted = im::RequestedDispositions(*cpim);
    wants_delivery = wanted.ok() && wanted->positive_delivery;
    full_type = std::string(cpim->content_type);
    auto inner = sip::ParseMediaType(full_type);
    content_type = inner.ok() ? inner->Essence() : "text/plain";
    body = cpim->content;
  }
  if (content_type == im::kIsComposingType) {
    auto c = im::ParseIsComposing(body);
    if (!c.ok()) return core_.Respond(req, 400, "Malformed isComposing Body");
    core_.Respond(req, 200);
    if (listener_.on_composing) listener_.on_composing(ComposingIndication{rm.from, *c});
    return;
  }
  if (content_type == im::kImdnType) {
    auto n = im::ParseImdn(body);
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
  rm.text = std::string(body);
  if (wants_delivery && !rm.message_id.empty() && cpim->From()) SendDeliveryNotification(*cpim);
  if (listener_.on_message) listener_.on_message(rm);
}

}  // namespace parley::ua
