// The HTTP listener's routes: health, metrics, XCAP, the message API and the
// user's own settings (invisibility, reception policy, registrations).

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "server/server.h"
#include "store/names.h"

namespace parley::server {

namespace {

HttpResponse StoreUnavailable() { return HttpResponse::Json(503, R"({"error":"store unavailable"})"); }

}  // namespace

void Server::RegisterHttpRoutes() {
  http_->Route("GET", "/healthz", [this](const HttpRequest&, HttpReply reply) {
    reply(shutdown_requested_ ? HttpResponse::Text(503, "draining\n") : HttpResponse::Text(200, "ok\n"));
  });
  http_->Route("GET", "/metrics", [this](const HttpRequest&, HttpReply reply) { RenderMetrics(std::move(reply)); });
  http_auth_ = std::make_unique<HttpAuthenticator>(*store_);
  xcap_ = std::make_unique<xcap::XcapServer>(*store_);
  xcap_->AddUsage(xcap::PresRulesUsage());
  // Users' hard state (RFC 4827): a PIDF document about the user, composed
  // with what the user's devices publish.
  xcap::ApplicationUsage hard;
  hard.auid = std::string(presence::kPidfManipulationAuid);
  hard.mime_type = "application/pidf+xml";
  hard.default_ns = "urn:ietf:params:xml:ns:pidf";
  hard.validate = [](std::string_view body) -> Result<void> {
    auto r = presence::ParsePidf(body, "");
    if (!r.ok()) return r.error();
    return Ok();
  };
  hard.constrain = [](store::Store&, const std::string& xui, std::string_view body) -> Result<void> {
    // About the user whose document it is (RFC 4827 §4: the presentity).
    auto r = presence::ParsePidf(body, "sip:" + xui);
    if (!r.ok()) return Error(409, r.error().message);
    return Ok();
  };
  hard.constraint_element = "constraint-failure";
  xcap_->AddUsage(std::move(hard));
  // Users' own presence lists (RFC 4826 §4), served by the resource list server.
  xcap::ApplicationUsage rls;
  rls.auid = std::string(presence::kRlsServicesAuid);
  rls.mime_type = std::string(presence::kRlsServicesType);
  rls.default_ns = std::string(presence::kNsRlsServices);
  rls.namespaces = {std::string(presence::kNsResourceLists)};
  rls.validate = [](std::string_view body) -> Result<void> {
    auto r = presence::ParseRlsServices(body);
    if (!r.ok()) return r.error();
    return Ok();
  };
  rls.constrain = presence::CheckServiceUris;
  xcap_->AddUsage(std::move(rls));
  // Users' resource lists (RFC 4826 §3), which their services may name.
  xcap::ApplicationUsage lists;
  lists.auid = std::string(presence::kResourceListsAuid);
  lists.mime_type = std::string(presence::kResourceListsType);
  lists.default_ns = std::string(presence::kNsResourceLists);
  lists.validate = [](std::string_view body) -> Result<void> {
    auto r = presence::ParseResourceListsDocument(body);
    if (!r.ok()) return r.error();
    return Ok();
  };
  xcap_->AddUsage(std::move(lists));
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    http_->Route(method, "/xcap/", [this](const HttpRequest& req, HttpReply reply) { ServeXcap(req, std::move(reply)); });
  }
  message_api_ = std::make_unique<im::MessageApi>(*store_);
  auto serve = [this](const HttpRequest& req, HttpReply reply) { ServeMessages(req, std::move(reply)); };
  http_->Route("GET", "/v1/messages", serve);
  http_->Route("DELETE", "/v1/messages/", serve);
  http_->Route("GET", "/v1/history", serve);
  auto invisible = [this](const HttpRequest& req, HttpReply reply) { ServeInvisible(req, std::move(reply)); };
  http_->Route("GET", "/v1/presence/invisible", invisible);
  http_->Route("PUT", "/v1/presence/invisible", invisible);
  auto policy = [this](const HttpRequest& req, HttpReply reply) { ServePolicy(req, std::move(reply)); };
  http_->Route("GET", "/v1/policy", policy);
  http_->Route("PUT", "/v1/policy", policy);
  auto registrations = [this](const HttpRequest& req, HttpReply reply) { ServeRegistrations(req, std::move(reply)); };
  http_->Route("GET", "/v1/registrations", registrations);
  http_->Route("DELETE", "/v1/registrations", registrations);
}

// Runs `fn` with the user the request authenticates as, or answers with
// the challenge (401).
void Server::AsUser(const HttpRequest& req, const HttpReply& reply, std::function<void(std::string aor)> fn) {
  std::string realm = config_.domains.empty() ? "parley" : config_.domains[0];
  http_auth_->Authenticate(req, [reply, realm, fn = std::move(fn)](std::string aor) {
    if (aor.empty()) return reply(HttpAuthenticator::Challenge(realm));
    fn(std::move(aor));
  });
}

namespace {

nlohmann::json PolicyJson(const store::UserPolicy& p) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : p.entries) {
    entries.push_back({{"pattern", e.pattern}, {"action", std::string(store::PolicyActionName(e.action))}});
  }
  return {{"mode", std::string(store::BlockModeName(p.mode))}, {"entries", std::move(entries)}};
}

// {"mode": "reject"|"discard", "entries": [{"pattern": AOR|domain|"*", "action": "allow"|"block"}]}:
// the policy, or 400 with the fault.
Result<store::UserPolicy> ParsePolicyJson(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error(400, "expected a JSON object");
  store::UserPolicy p;
  if (j.contains("mode")) {
    if (!j["mode"].is_string()) return Error(400, "mode: reject or discard");
    auto m = store::ParseBlockMode(j["mode"].get<std::string>());
    if (!m.ok()) return Error(400, "mode: " + m.error().message);
    p.mode = *m;
  }
  if (j.contains("entries")) {
    if (!j["entries"].is_array()) return Error(400, "entries: an array");
    if (j["entries"].size() > 1000) return Error(413, "entries: at most 1000");
    for (const auto& e : j["entries"]) {
      if (!e.is_object() || !e.contains("pattern") || !e["pattern"].is_string() || !e.contains("action") ||
          !e["action"].is_string()) {
        return Error(400, "an entry is {\"pattern\": ..., \"action\": \"allow\"|\"block\"}");
      }
      auto pattern = store::NormalizePattern(e["pattern"].get<std::string>());
      if (!pattern.ok()) return Error(400, "pattern: " + pattern.error().message);
      const std::string action = e["action"].get<std::string>();
      if (action != "allow" && action != "block") return Error(400, "action: allow or block");
      p.entries.push_back({*pattern, action == "allow" ? store::PolicyAction::kAllow : store::PolicyAction::kBlock});
    }
  }
  return p;
}

}  // namespace

// The authenticated user's reception policy (seed 003 §7.3.5), the same
// one `parleyctl policy` edits: GET → its JSON; PUT replaces it whole.
void Server::ServePolicy(const HttpRequest& req, HttpReply reply) {
  AsUser(req, reply, [this, req, reply](std::string aor) {
    if (req.method == "GET") {
      store_->ReadCommitted([aor, reply](store::Store& s) {
        auto p = s.GetPolicy(aor);
        if (!p.ok()) return reply(StoreUnavailable());
        reply(HttpResponse::Json(200, PolicyJson(*p).dump()));
      });
      return;
    }
    auto wanted = ParsePolicyJson(req.body);
    if (!wanted.ok()) {
      return reply(HttpResponse::Json(wanted.error().code, nlohmann::json{{"error", wanted.error().message}}.dump()));
    }
    store_->Write([this, aor, p = *wanted, reply](store::Store& s) -> store::StoreExecutor::Completion {
      // One transaction: the old entries out, the new ones in.
      Result<void> r = Ok();
      auto old = s.GetPolicy(aor);
      if (!old.ok()) r = old.error();
      for (size_t i = 0; r.ok() && i < old->entries.size(); ++i) {
        if (auto d = s.RemovePolicyEntry(aor, old->entries[i].pattern); !d.ok()) r = d.error();
      }
      if (r.ok()) r = s.SetPolicyMode(aor, p.mode);
      for (size_t i = 0; r.ok() && i < p.entries.size(); ++i) r = s.SetPolicyEntry(aor, p.entries[i]);
      auto written = std::make_shared<Result<void>>(std::move(r));
      return [this, aor, p, written, reply](const Result<void>& committed) {
        if (!committed.ok() || !written->ok()) {
          return reply(StoreUnavailable());
        }
        // The owner's cache now; the other nodes through the change feed.
        policies_->OnOwner(aor, [aor](proxy::PolicyCache& c) { c.Invalidate(aor); });
        reply(HttpResponse::Json(200, PolicyJson(p).dump()));
      };
    });
  });
}

// The authenticated user's registrations, as stored: GET lists them;
// DELETE (`?contact=URI`, or all) ends them at once — a lost phone logged
// out — as `parleyctl user unregister` does (reg event: deactivated).
void Server::ServeRegistrations(const HttpRequest& req, HttpReply reply) {
  AsUser(req, reply, [this, req, reply](std::string aor) {
    if (req.method == "GET") {
      store_->ReadCommitted([aor, reply](store::Store& s) {
        auto bindings = s.LoadBindingsOf(aor);
        if (!bindings.ok()) return reply(StoreUnavailable());
        const int64_t now = UnixNow();
        nlohmann::json list = nlohmann::json::array();
        for (const auto& b : *bindings) {
          if (b.expires_at <= now) continue;
          nlohmann::json j = {{"contact", b.contact_uri}, {"expires_in", b.expires_at - now}, {"source", b.source}};
          if (!b.instance.empty()) j["instance"] = b.instance;
          if (!b.user_agent.empty()) j["user_agent"] = b.user_agent;
          list.push_back(std::move(j));
        }
        reply(HttpResponse::Json(200, nlohmann::json{{"registrations", std::move(list)}}.dump()));
      });
      return;
    }
    std::string contact = req.QueryParam("contact");
    store_->Write([this, aor, contact, reply](store::Store& s) -> store::StoreExecutor::Completion {
      auto n = std::make_shared<Result<size_t>>(s.EvictBindings(aor, contact));
      return [this, aor, contact, n, reply](const Result<void>& committed) {
        if (!committed.ok() || !n->ok()) return reply(StoreUnavailable());
        if (**n == 0) return reply(HttpResponse::Json(404, "{\"error\":\"no such registration\"}"));
        // This node at once; the others through the change feed.
        registrar_->Evict(aor, contact, registrar::ChangeKind::kDeactivated);
        reply(HttpResponse::Json(200, nlohmann::json{{"removed", **n}}.dump()));
      };
    });
  });
}

// Invisible mode (seed 003 §17.1) for the authenticated user:
// GET → {"invisible": bool}; PUT {"invisible": bool}.
void Server::ServeInvisible(const HttpRequest& req, HttpReply reply) {
  AsUser(req, reply, [this, req, reply](std::string aor) {
    if (req.method == "GET") {
      store_->ReadCommitted([aor, reply](store::Store& s) {
        auto o = s.GetOptions(aor);
        if (!o.ok()) return reply(StoreUnavailable());
        bool on = false;
        for (const auto& e : *o) on |= e.name == presence::kOptionInvisible && e.value == "1";
        reply(HttpResponse::Json(200, std::string("{\"invisible\":") + (on ? "true" : "false") + "}"));
      });
      return;
    }
    auto j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("invisible") || !j["invisible"].is_boolean()) {
      return reply(HttpResponse::Json(400, R"({"error":"expected {\"invisible\": true|false}"})"));
    }
    bool on = j["invisible"].get<bool>();
    store_->Write([this, aor, on, reply](store::Store& s) -> store::StoreExecutor::Completion {
      auto r = std::make_shared<Result<void>>(s.SetOption({aor, presence::kOptionInvisible, on ? "1" : ""}));
      return [this, aor, r, on, reply](const Result<void>& committed) {
        if (!committed.ok() || !r->ok()) return reply(StoreUnavailable());
        RulesChanged(aor);
        reply(HttpResponse::Json(200, std::string("{\"invisible\":") + (on ? "true" : "false") + "}"));
      };
    });
  });
}

// The message store's API (im/service/api.h) for the authenticated user.
void Server::ServeMessages(const HttpRequest& req, HttpReply reply) {
  AsUser(req, reply, [this, req, reply](std::string aor) {
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
  AsUser(req, reply, [this, req, reply](std::string aor) {
    xcap::XcapRequest x;
    x.method = req.method;
    x.path = req.path.substr(std::string_view("/xcap").size());
    x.query = req.query;
    x.user = std::move(aor);
    x.content_type = req.Header("content-type");
    x.if_match = req.Header("if-match");
    x.if_none_match = req.Header("if-none-match");
    x.body = req.body;
    bool rules_edit = x.method != "GET" && x.path.starts_with("/pres-rules/");
    std::string user = x.user;
    xcap_->Handle(std::move(x), [this, reply, rules_edit, user](xcap::XcapResponse r) {
      // Applied before the answer (the change feed would be later): a
      // SUBSCRIBE sent after the 2xx is decided on the new rules.
      if (rules_edit && r.status >= 200 && r.status < 300) RulesChanged(user);
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
