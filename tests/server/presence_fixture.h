#pragma once
// A parleyd for presence tests: PUBLISH and SUBSCRIBE helpers, the HTTP
// listener on (for XCAP), and a default presence rule per test class.

#include <gtest/gtest.h>

#include "presence/rules/edit.h"
#include "server_fixture.h"

namespace parley::server {

inline std::string Pidf(const std::string& user, const std::string& basic, const std::string& note) {
  // One line: the test client turns LF into CRLF in the whole message.
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
         "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:" +
         user + "@example.com\"><tuple id=\"t1\"><status><basic>" + basic + "</basic></status><note>" + note +
         "</note></tuple></presence>";
}

inline bool Has(const sip::MessagePtr& m, std::string_view text) {
  return m && m->body().find(text) != std::string_view::npos;
}

class Presence : public ServerFixture {
 protected:
  void Configure(ServerConfig& c) override {
    c.presence_default_rule = default_rule_;
    if (threads_ != 0) c.threads = threads_;
  }


  // PUBLISH by `user` for itself; returns the final response.
  sip::MessagePtr Publish(SipClient& c, const std::string& user, const std::string& if_match, int expires,
                          const std::string& body, const std::string& type = "application/pidf+xml",
                          const std::string& event = "presence") {
    std::string extra = "Event: " + event + "\nExpires: " + std::to_string(expires) + "\n";
    if (!if_match.empty()) extra += "SIP-If-Match: " + if_match + "\n";
    if (!body.empty()) extra += "Content-Type: " + type + "\n";
    std::string uri = "sip:" + user + "@example.com";
    auto ch = SendAuthed(c, "PUBLISH", uri, user, uri, "pub-" + sip::RandomToken(4), 1, extra, body);
    if (!ch || (ch->status() != 407 && ch->status() != 401)) return ch;
    return c.Receive();
  }

  // SUBSCRIBE by `watcher` to `target`'s presence; returns the response and
  // the first NOTIFY (answered 200).
  std::pair<sip::MessagePtr, sip::MessagePtr> Subscribe(SipClient& c, const std::string& watcher,
                                                        const std::string& target, const std::string& call_id,
                                                        int expires = 600, const std::string& extra = "",
                                                        const std::string& event = "presence") {
    std::string hdrs = "Event: " + event + "\nExpires: " + std::to_string(expires) + "\nContact: <sip:" + watcher +
                       "@127.0.0.1:$PORT>\n" + extra;
    std::string uri = "sip:" + target + "@example.com";
    auto ch = SendAuthed(c, "SUBSCRIBE", uri, watcher, uri, call_id, 1, hdrs);
    if (!ch || ch->status() != 407) return {std::move(ch), nullptr};
    return ResponseAndNotify(c);
  }

  // `owner`'s pres-rules with `watcher` set to `handling` (through XCAP).
  void SetRuleOf(const std::string& owner, const std::string& watcher, presence::rules::SubHandling handling) {
    const std::string path = "/xcap/pres-rules/users/sip:" + owner + "@example.com/index";
    auto current = Http("GET", path, owner);
    std::string doc = current.status == 200 ? current.body : "";
    auto edited = presence::rules::SetWatcherRule(doc, "sip:" + watcher + "@example.com", handling);
    ASSERT_TRUE(edited.ok()) << edited.error().message;
    std::string cond = current.status == 200 ? "If-Match: " + current.Header("etag") + "\r\n" : "If-None-Match: *\r\n";
    auto put = Http("PUT", path, owner, *edited, "application/auth-policy+xml", cond);
    ASSERT_EQ(put.status, current.status == 200 ? 200 : 201) << put.body;
  }

  // A message that is not expected: waits a little and returns what came.
  static sip::MessagePtr Quiet(SipClient& c) { return c.Receive(); }

  std::string default_rule_ = "allow";
  size_t threads_ = 0;  // 0: the fixture's
};

}  // namespace parley::server
