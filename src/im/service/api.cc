#include "im/service/api.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "im/format/cpim.h"
#include "im/format/rfc3339.h"
#include "store/text.h"

namespace parley::im {

namespace {

using nlohmann::json;

ApiReply Problem(int status, const std::string& message) {
  return {status, json{{"error", message}}.dump()};
}

bool IsText(std::string_view content_type) {
  std::string_view essence = TrimLws(content_type.substr(0, content_type.find(';')));
  return IStartsWith(essence, "text/");
}

// A body as JSON fields: the content of a CPIM wrapper, text as text.
void PutBody(json& j, std::string_view content_type, std::string_view body, std::string* from, std::string* time) {
  std::string_view essence = TrimLws(content_type.substr(0, content_type.find(';')));
  if (IEquals(essence, kCpimType)) {
    if (auto v = ParseCpim(body); v.ok()) {
      if (v->From()) *from = std::string(v->From()->address.uri);
      if (v->DateTime()) *time = std::string(v->DateTime()->value);
      content_type = v->content_type;
      body = v->content;
    }
  }
  j["content_type"] = std::string(content_type);
  // JSON strings are UTF-8: other bodies go base64.
  if (IsText(content_type) && store::IsUtf8(body)) {
    j["text"] = std::string(body);
  } else {
    j["body_base64"] = Base64Encode(body);
  }
}

// Peers are stored as normalized AORs when they are ours ("bob@example.com").
std::string PeerUri(const std::string& peer) { return peer.find(':') == std::string::npos ? "sip:" + peer : peer; }

std::optional<int64_t> TimeParam(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (auto n = ParseUint(v)) return static_cast<int64_t>(*n);
  auto t = ParseRfc3339(v);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::string Param(const ApiCall& c, const std::string& name) {
  auto it = c.query.find(name);
  return it == c.query.end() ? std::string() : it->second;
}

}  // namespace

void MessageApi::Handle(ApiCall call, std::function<void(ApiReply)> done) {
  const std::string& path = call.path;
  if (path == "/v1/messages" && call.method == "GET") {
    size_t limit = 100;
    if (auto l = ParseUint(Param(call, "limit"), 1000)) limit = std::max<size_t>(*l, 1);
    store_.ReadCommitted([user = call.user, limit, done](store::Store& s) {
      auto list = s.PendingMessages(user, 0, limit);
      if (!list.ok()) return done(Problem(503, "message store unavailable"));
      json out = json::array();
      for (const auto& m : *list) {
        std::string from = m.sender, time = m.datetime.empty() ? FormatRfc3339(m.received_at_ms) : m.datetime;
        json j = {{"id", std::to_string(m.id)}, {"to", "sip:" + m.recipient}, {"message_id", m.message_id}};
        PutBody(j, m.content_type, m.body, &from, &time);
        j["from"] = from;
        j["time"] = time;
        out.push_back(std::move(j));
      }
      done({200, json{{"messages", out}, {"count", out.size()}}.dump()});
    });
    return;
  }
  if (path.starts_with("/v1/messages/") && call.method == "DELETE") {
    auto id = ParseUint(std::string_view(path).substr(13));
    if (!id || *id == 0) return done(Problem(404, "no such message"));
    store_.Write([user = call.user, id = static_cast<int64_t>(*id), done](store::Store& s)
                     -> store::StoreExecutor::Completion {
      auto r = std::make_shared<Result<bool>>(s.DeleteMessage(user, id));
      return [r, done](const Result<void>& committed) {
        if (!committed.ok() || !r->ok()) return done(Problem(503, "message store unavailable"));
        done(**r ? ApiReply{204, ""} : Problem(404, "no such message"));
      };
    });
    return;
  }
  if (path == "/v1/history" && call.method == "GET") {
    store::HistoryQuery q;
    q.owner = call.user;
    q.peer = Param(call, "with");
    q.text = Param(call, "q");
    if (auto l = ParseUint(Param(call, "limit"), store::kMaxHistoryPage)) q.limit = std::max<size_t>(*l, 1);
    if (auto b = ParseUint(Param(call, "before"))) q.before_id = static_cast<int64_t>(*b);
    std::string from = Param(call, "from"), to = Param(call, "to");
    auto f = TimeParam(from), t = TimeParam(to);
    if ((!from.empty() && !f) || (!to.empty() && !t)) return done(Problem(400, "from/to: RFC 3339 or unix ms"));
    if (f) q.from_ms = *f;
    if (t) q.to_ms = *t;
    if (q.text.size() > store::kMaxHistorySearch) return done(Problem(400, "q is too long"));
    store_.ReadCommitted([q, done](store::Store& s) {
      auto list = s.QueryHistory(q);
      if (!list.ok()) return done(Problem(list.error().code == 22 ? 400 : 503, list.error().message));
      json out = json::array();
      for (const auto& e : *list) {
        bool in = e.direction == store::HistoryDirection::kIn;
        std::string peer = PeerUri(e.peer);
        std::string sender = in ? peer : "sip:" + e.owner, time = FormatRfc3339(e.time_ms);
        json j = {{"id", std::to_string(e.id)}, {"direction", in ? "in" : "out"}, {"peer", peer},
                  {"to", in ? "sip:" + e.owner : peer}, {"message_id", e.message_id}};
        PutBody(j, e.content_type, e.body, &sender, &time);
        j["from"] = sender;
        j["time"] = time;
        out.push_back(std::move(j));
      }
      json reply = {{"messages", out}};
      reply["next_before"] = list->size() == q.limit && !list->empty() ? json(std::to_string(list->back().id)) : json();
      done({200, reply.dump()});
    });
    return;
  }
  done(Problem(404, "no such API"));
}

}  // namespace parley::im
