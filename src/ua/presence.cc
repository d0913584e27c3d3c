#include "ua/presence.h"

#include <algorithm>

#include "common/strings.h"

namespace parley::ua {

Publication::Publication(Core& core, uint32_t expires, std::function<void(const Outcome&)> refresh_failed)
    : core_(core), expires_(expires), refresh_failed_(std::move(refresh_failed)) {}

Publication::~Publication() {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  core_.Abandon(request_);
}

void Publication::Publish(const PresenceDoc& doc, Done done) {
  PresenceDoc d = doc;
  if (d.entity.empty()) d.entity = core_.aor().Uri();
  body_ = BuildPidf(d);
  retried_412_ = false;
  SendPublish(etag_.empty() ? Kind::kInitial : Kind::kModify, std::move(done));
}

void Publication::Remove(Done done) {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  refresh_timer_ = 0;
  if (etag_.empty()) {
    Outcome o;
    o.status = 200;
    o.reason = "Nothing published";
    if (done) done(o);
    return;
  }
  SendPublish(Kind::kRemove, std::move(done));
}

void Publication::SendPublish(Kind kind, Done done) {
  core_.Abandon(request_);
  const Aor& aor = core_.aor();
  auto req = core_.NewRequest("PUBLISH", aor.Uri(), "<" + aor.Uri() + ">", core_.NewTag(), core_.NewCallId(), 1);
  req->AddHeader(sip::HeaderId::kEvent, "presence");
  req->AddHeader(sip::HeaderId::kExpires, kind == Kind::kRemove ? "0" : std::to_string(expires_));
  if (kind != Kind::kInitial) req->AddHeader(sip::HeaderId::kSipIfMatch, etag_);
  if (kind == Kind::kInitial || kind == Kind::kModify) req->SetBody("application/pidf+xml", body_);
  request_ = core_.Send(std::move(req), [this, kind, done = std::move(done)](
                                            const Outcome& o, const sip::Message& resp, const sip::Message&) mutable {
    request_ = 0;
    if (kind == Kind::kRemove) {
      etag_.clear();
      if (done) done(o);
      return;
    }
    if (o.status == 412 && kind != Kind::kInitial && !retried_412_) {
      // RFC 3903 §4.4: the server lost our publication: publish afresh.
      retried_412_ = true;
      etag_.clear();
      return SendPublish(Kind::kInitial, std::move(done));
    }
    if (o.status == 423) {
      auto min = ParseUint(TrimLws(resp.Value(sip::HeaderId::kMinExpires)), UINT32_MAX);
      if (min && *min > expires_) {
        expires_ = static_cast<uint32_t>(*min);
        return SendPublish(kind, std::move(done));
      }
    }
    if (!o.ok()) {
      if (kind == Kind::kRefresh) {
        etag_.clear();
        if (refresh_failed_) refresh_failed_(o);
      }
      if (done) done(o);
      return;
    }
    std::string_view etag = TrimLws(resp.Value(sip::HeaderId::kSipETag));
    if (!etag.empty()) etag_ = std::string(etag);
    uint32_t granted = resp.expires().value_or(expires_);
    granted_ = granted;
    ScheduleRefresh(granted);
    if (done) done(o);
  });
}

void Publication::ScheduleRefresh(uint32_t expires) {
  if (refresh_timer_) core_.timers().Cancel(refresh_timer_);
  refresh_timer_ = 0;
  if (expires == 0 || etag_.empty()) return;
  uint32_t after = expires > 1200 ? expires - 600 : std::max<uint32_t>(expires / 2, 1);
  refresh_timer_ = core_.timers().Schedule(std::chrono::seconds(after), [this] {
    refresh_timer_ = 0;
    SendPublish(Kind::kRefresh, nullptr);
  });
}

}  // namespace parley::ua
