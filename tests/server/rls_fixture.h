#pragma once
// Presence lists in tests (RFC 4662): a list NOTIFY taken apart, and a
// presence fixture that subscribes to lists and reads the list server's
// gauges.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <thread>

#include "http_client.h"
#include "presence_fixture.h"
#include "sip/fields.h"
#include "sip/multipart.h"

namespace parley::server {

inline constexpr const char* kListHeaders =
    "Supported: eventlist\nAccept: application/pidf+xml, application/rlmi+xml, multipart/related\n";

// A list NOTIFY taken apart: the RLMI document and each resource's
// document by the Content-ID the RLMI names.
struct ListBody {
  static std::string Aor(const std::string& user) {
    return user.find('@') == std::string::npos ? user + "@example.com" : user;
  }
  std::string rlmi;
  std::map<std::string, std::string> parts;  // Content-ID (without <>) -> body
  std::string Doc(const std::string& user) const {
    // The cid of `user`'s instance, from the RLMI.
    std::string res = "<resource uri=\"sip:" + Aor(user) + "\">";
    size_t at = rlmi.find(res);
    if (at == std::string::npos) return {};
    size_t end = rlmi.find("</resource>", at);
    size_t cid = rlmi.find("cid=\"", at);
    if (cid == std::string::npos || cid > end) return {};
    cid += 5;
    auto it = parts.find(rlmi.substr(cid, rlmi.find('"', cid) - cid));
    return it == parts.end() ? std::string() : it->second;
  }
  // The instance state of `user` ("" when the RLMI has no instance for it).
  std::string State(const std::string& user) const {
    std::string res = "<resource uri=\"sip:" + Aor(user) + "\">";
    size_t at = rlmi.find(res);
    if (at == std::string::npos) return "absent";
    size_t end = rlmi.find("</resource>", at);
    size_t st = rlmi.find("state=\"", at);
    if (st == std::string::npos || st > end) return {};
    st += 7;
    return rlmi.substr(st, rlmi.find('"', st) - st);
  }
  bool Full() const { return rlmi.find("fullState=\"true\"") != std::string::npos; }
  int Version() const {
    size_t v = rlmi.find("version=\"", rlmi.find("<list "));
    return v == std::string::npos ? -1 : std::atoi(rlmi.c_str() + v + 9);
  }
};

// `part_type`: the type of each resource's document (the list's package's).
inline std::optional<ListBody> Parse(const sip::MessagePtr& n, std::string_view part_type = "application/pidf+xml") {
  if (!n || n->method() != sip::Method::kNotify) return std::nullopt;
  auto ct = sip::ParseMediaType(n->Value(sip::HeaderId::kContentType));
  if (!ct.ok() || ct->type != "multipart" || ct->subtype != "related") return std::nullopt;
  std::string boundary(ct->params.GetUnquoted("boundary").value_or(""));
  std::string start(ct->params.GetUnquoted("start").value_or(""));
  std::string type(ct->params.GetUnquoted("type").value_or(""));
  if (type != "application/rlmi+xml") return std::nullopt;
  auto parts = sip::ParseMultipart(n->body(), boundary);
  if (!parts.ok() || parts->empty()) return std::nullopt;
  ListBody out;
  for (size_t i = 0; i < parts->size(); ++i) {
    const sip::BodyPart& p = (*parts)[i];
    std::string cid(p.Header("Content-ID"));
    // "<cid>" (RFC 2392), or bare as Linphone wants it.
    if (cid.starts_with("<") && cid.ends_with(">")) cid = cid.substr(1, cid.size() - 2);
    if (i == 0) {
      const bool rlmi = p.Header("Content-Type").starts_with("application/rlmi+xml");
      if ("<" + cid + ">" != start || !rlmi) return std::nullopt;
      out.rlmi = std::string(p.body);
    } else {
      if (!p.Header("Content-Type").starts_with(part_type)) return std::nullopt;
      out.parts[cid] = std::string(p.body);
    }
  }
  return out;
}

class PresenceLists : public Presence {
 protected:
  // `user` subscribes to `list` (Supported: eventlist): the final
  // response's status (0: none) and the first NOTIFY taken apart.
  struct ListSubscription {
    int status = 0;
    sip::MessagePtr response, notify;
    std::optional<ListBody> body;
  };
  ListSubscription SubscribeList(SipClient& c, const std::string& user, const std::string& list,
                                 const std::string& call_id, const std::string& headers = kListHeaders,
                                 const std::string& event = "presence",
                                 std::string_view part_type = "application/pidf+xml") {
    auto [r, n] = Subscribe(c, user, list, call_id, 600, headers, event);
    ListSubscription out;
    out.status = r ? r->status() : 0;
    out.body = Parse(n, part_type);
    out.response = std::move(r);
    out.notify = std::move(n);
    return out;
  }

  // The list server's gauges once they stop changing (its clean-up runs a
  // loop turn after a subscription ends).
  std::string ListMetricsWhenIdle() {
    auto read = [&] {
      std::string m = testing::HttpGet(server_->http_port(), "/metrics");
      auto value = [&](const std::string& name) {
        size_t p = m.find("\n" + name + " ");
        return p == std::string::npos ? std::string("?") : m.substr(p + name.size() + 2, m.find('\n', p + 1) - p - name.size() - 2);
      };
      return "views=" + value("parley_presence_list_views") + " feeds=" + value("parley_presence_list_feeds");
    };
    std::string last = read();
    for (int i = 0; i < 40 && last != "views=0 feeds=0"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      last = read();
    }
    return last;
  }

  // team@example.com = alice, bob, carol (loaded at start).
  void MakeTeam(store::GroupPosting posting = store::GroupPosting::kMembers) {
    ASSERT_TRUE(store_->SaveGroup({.aor = "team@example.com", .ack = store::GroupAck::kSingle, .posting = posting,
                                   .members = {}})
                    .ok());
    for (const char* m : {"alice", "bob", "carol"}) {
      ASSERT_TRUE(store_->AddGroupMember("team@example.com", std::string(m) + "@example.com").ok());
    }
    Restart();
  }
};

}  // namespace parley::server
