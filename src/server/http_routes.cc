// The HTTP listener's routes: health, metrics, XCAP and the message API.

#include "common/strings.h"
#include "server/server.h"

namespace parley::server {

void Server::RegisterHttpRoutes() {
  http_->Route("GET", "/healthz", [this](const HttpRequest&, HttpReply reply) {
    reply(shutdown_requested_ ? HttpResponse::Text(503, "draining\n") : HttpResponse::Text(200, "ok\n"));
  });
  http_->Route("GET", "/metrics", [this](const HttpRequest&, HttpReply reply) { RenderMetrics(std::move(reply)); });
  http_auth_ = std::make_unique<HttpAuthenticator>(*store_);
  xcap_ = std::make_unique<xcap::XcapServer>(*store_);
  xcap_->AddUsage(xcap::PresRulesUsage());
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    http_->Route(method, "/xcap/", [this](const HttpRequest& req, HttpReply reply) { ServeXcap(req, std::move(reply)); });
  }
  message_api_ = std::make_unique<im::MessageApi>(*store_);
  auto serve = [this](const HttpRequest& req, HttpReply reply) { ServeMessages(req, std::move(reply)); };
  http_->Route("GET", "/v1/messages", serve);
  http_->Route("DELETE", "/v1/messages/", serve);
  http_->Route("GET", "/v1/history", serve);
}

// The message store's API (im/service/api.h) for the authenticated user.
void Server::ServeMessages(const HttpRequest& req, HttpReply reply) {
  std::string realm = config_.domains.empty() ? "parley" : config_.domains[0];
  http_auth_->Authenticate(req, [this, req, reply, realm](std::string aor) {
    if (aor.empty()) return reply(HttpAuthenticator::Challenge(realm));
    im::ApiCall call;
    call.method = req.method;
    call.path = req.path;
    call.user = std::move(aor);
    for (const char* name : {"limit", "with", "from", "to", "q", "before"}) {
      std::string v = req.QueryParam(name);
      if (!v.empty()) call.query[name] = v;
    }
    message_api_->Handle(std::move(call), [reply](im::ApiReply r) {
      HttpResponse h = r.json.empty() ? HttpResponse::Text(r.status, "") : HttpResponse::Json(r.status, r.json);
      reply(std::move(h));
    });
  });
}

// XCAP (RFC 4825) at <http>/xcap: the caller authenticates as a user and
// reaches that user's documents.
void Server::ServeXcap(const HttpRequest& req, HttpReply reply) {
  std::string realm = config_.domains.empty() ? "parley" : config_.domains[0];
  http_auth_->Authenticate(req, [this, req, reply, realm](std::string aor) {
    if (aor.empty()) return reply(HttpAuthenticator::Challenge(realm));
    xcap::XcapRequest x;
    x.method = req.method;
    x.path = req.path.substr(std::string_view("/xcap").size());
    x.user = std::move(aor);
    x.content_type = req.Header("content-type");
    x.if_match = req.Header("if-match");
    x.if_none_match = req.Header("if-none-match");
    x.body = req.body;
    xcap_->Handle(std::move(x), [reply](xcap::XcapResponse r) {
      HttpResponse h;
      h.status = r.status;
      h.content_type = r.content_type.empty() ? "text/plain; charset=utf-8" : r.content_type;
      h.body = std::move(r.body);
      if (!r.etag.empty()) h.headers.emplace_back("ETag", r.etag);
      reply(std::move(h));
    });
  });
}

}  // namespace parley::server
