#pragma once
// A real parleyd (in process, port 0) with users alice, bob and carol of
// example.com in its SQLite store, driven by raw SIP over UDP and TCP.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "auth/digest.h"
#include "common/strings.h"
#include "http_client.h"
#include "digest_client.h"
#include "server/server.h"
#include "sip/response.h"
#include "sip_client.h"
#include "store/store.h"

namespace parley::server {

using testing::SipClient;
namespace fs = std::filesystem;

class ServerFixture : public ::testing::Test {
 protected:
  // Adjusts the server's configuration before each start.
  virtual void Configure(ServerConfig&) {}

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley-hsp-" + sip::RandomToken(4));
    fs::create_directories(dir_);
    auto st = store::OpenStore({store::DefaultStoreUrl(dir_.string()), true});
    ASSERT_TRUE(st.ok()) << st.error().message;
    store_ = std::move(*st);
    ASSERT_TRUE(store_->Migrate().ok());
    ASSERT_TRUE(store_->AddDomain("example.com").ok());
    for (const char* u : {"alice", "bob", "carol"}) AddUser(u, std::string(u) + "-pw");
    Start();
  }
  void TearDown() override {
    server_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }

  void AddUser(const std::string& user, const std::string& pw) {
    store::UserRecord r;
    r.user = user;
    r.domain = "example.com";
    r.aor = user + "@example.com";
    r.ha1_md5 = auth::ComputeHa1(auth::Algorithm::kMd5, user, "example.com", pw);
    r.ha1_sha256 = auth::ComputeHa1(auth::Algorithm::kSha256, user, "example.com", pw);
    ASSERT_TRUE(store_->AddUser(r).ok());
  }

  void Start() {
    ServerConfig c;
    c.listen = {*ListenSpec::Parse("udp:127.0.0.1:0"), *ListenSpec::Parse("tcp:127.0.0.1:0")};
    c.domains = {"example.com"};
    c.data_dir = dir_.string();
    c.threads = 2;
    c.http_listen = "127.0.0.1:0";
    const char* lvl = std::getenv("PARLEY_TEST_LOG");
    c.log_level = lvl ? lvl : "off";
    c.auth_algorithms = {"md5", "sha-256"};  // both challenges (the default offers MD5 only)
    c.change_poll_ms = 50;
    Configure(c);
    server_ = std::make_unique<Server>(c);
    auto r = server_->Start();
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const auto& b : server_->bound()) {
      if (b.protocol == transport::Protocol::kUdp) udp_ = b.address.port();
      if (b.protocol == transport::Protocol::kTcp) tcp_ = b.address.port();
    }
  }
  void Restart() {
    server_.reset();
    Start();
  }

  // A request from `user`; extra headers and body optional.
  std::string Request(SipClient& c, std::string_view method, std::string_view ruri, std::string_view from_user,
                      std::string_view to, const std::string& call_id, int cseq, std::string_view extra = "",
                      std::string_view body = "") {
    std::string s;
    s.append(method).append(" ").append(ruri).append(" SIP/2.0\n");
    s.append("Via: SIP/2.0/$TRANSPORT 127.0.0.1:$PORT;branch=z9hG4bK").append(sip::RandomToken(6)).append(";rport\n");
    // `to` is a URI, or a whole name-addr with parameters ("<uri>;tag=x").
    s.append("Max-Forwards: 70\nTo: ");
    if (to.starts_with("<")) {
      s.append(to).append("\n");
    } else {
      s.append("<").append(to).append(">\n");
    }
    s.append("From: <sip:").append(from_user).append("@example.com>;tag=").append(from_user).append("t\n");
    s.append("Call-ID: ").append(call_id).append("\nCSeq: ").append(std::to_string(cseq)).append(" ").append(method);
    s.append("\n").append(extra);
    s.append("Content-Length: ").append(std::to_string(body.size())).append("\n\n");
    return c.Fill(testing::ToCrlf(s)) + std::string(body);  // the body byte for byte
  }

  // REGISTER through the challenge; returns the final response.
  sip::MessagePtr Register(SipClient& c, const std::string& user, const std::string& pw, int expires = 600,
                           std::string call_id = "") {
    if (call_id.empty()) call_id = "reg-" + user + "-" + sip::RandomToken(4);
    std::string contact = "Contact: <sip:" + user + "@127.0.0.1:$PORT>;expires=" + std::to_string(expires) + "\n";
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", user, "sip:" + user + "@example.com", call_id, 1, contact));
    auto ch = c.ReceiveResponse();
    if (!ch || ch->status() != 401) return ch;
    std::string auth = testing::AnswerChallenge(*ch, "REGISTER", "sip:example.com", user, pw);
    c.SendRaw(Request(c, "REGISTER", "sip:example.com", user, "sip:" + user + "@example.com", call_id, 2,
                      contact + "Authorization: " + auth + "\n"));
    // A stored message may be delivered before the 200 arrives.
    return c.ReceiveResponse();
  }

  // An authenticated MESSAGE from `user` to `target_uri`.
  sip::MessagePtr SendMessage(SipClient& c, const std::string& user, const std::string& pw,
                              const std::string& target_uri, const std::string& text, SipClient* receiver = nullptr) {
    std::string call_id = "msg-" + sip::RandomToken(6);
    std::string ct = "Content-Type: text/plain\n";
    c.SendRaw(Request(c, "MESSAGE", target_uri, user, target_uri, call_id, 1, ct, text));
    auto ch = c.Receive();
    if (!ch || ch->status() != 407) return ch;
    std::string auth = testing::AnswerChallenge(*ch, "MESSAGE", target_uri, user, pw);
    c.SendRaw(Request(c, "MESSAGE", target_uri, user, target_uri, call_id, 2, ct + "Proxy-Authorization: " + auth + "\n",
                      text));
    if (receiver) {
      auto in = receiver->Receive();
      if (in && in->method() == sip::Method::kMessage) {
        received_ = std::string(in->body());
        received_msg_ = std::move(in);
        receiver->Reply(sip::MakeResponse(*received_msg_, 200, "OK", "rcv")->Serialize());
      }
    }
    return c.Receive();
  }

  // Sends a request as `user` (password "<user>-pw") through the digest
  // challenge: the first try gets 401/407, the second (CSeq + 1) carries
  // credentials. Returns the challenge, or whatever came instead of one.
  sip::MessagePtr SendAuthed(SipClient& c, std::string_view method, const std::string& ruri, const std::string& user,
                             const std::string& to, const std::string& call_id, int cseq, const std::string& extra,
                             std::string_view body = "") {
    c.SendRaw(Request(c, method, ruri, user, to, call_id, cseq, extra, body));
    auto ch = c.Receive();
    if (!ch || (ch->status() != 401 && ch->status() != 407)) return ch;
    std::string auth = testing::AnswerChallenge(*ch, method, ruri, user, user + "-pw");
    std::string field = ch->status() == 401 ? "Authorization: " : "Proxy-Authorization: ";
    c.SendRaw(Request(c, method, ruri, user, to, call_id, cseq + 1, extra + field + auth + "\n", body));
    return ch;
  }

  struct HttpResult {
    int status = 0;
    std::string headers;  // raw, lower-cased names
    std::string body;
    std::string Header(const std::string& lower_name) const {
      size_t p = headers.find("\n" + lower_name + ":");
      if (p == std::string::npos) return {};
      p += lower_name.size() + 2;
      size_t e = headers.find('\r', p);
      return std::string(TrimLws(std::string_view(headers).substr(p, e - p)));
    }
  };

  // An HTTP request to parleyd as `user` (password "<user>-pw"; "" = none).
  HttpResult Http(const std::string& method, const std::string& path, const std::string& user,
                  const std::string& body = "", const std::string& content_type = "",
                  const std::string& extra_headers = "") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
    if (!user.empty()) req += "Authorization: Basic " + Base64Encode(user + "@example.com:" + user + "-pw") + "\r\n";
    if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
    req += extra_headers;
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string raw = testing::HttpRaw(server_->http_port(), req);
    HttpResult r;
    size_t end = raw.find("\r\n\r\n");
    if (raw.size() < 12 || end == std::string::npos) return r;
    r.status = std::stoi(raw.substr(9, 3));
    r.headers = ToLower(raw.substr(0, end + 2));
    r.body = raw.substr(end + 4);
    return r;
  }

  // Replaces the XCAP document at `path` as `user`, on the condition that it
  // is still the version a GET just read (If-Match); the PUT's status.
  int HttpReplace(const std::string& path, const std::string& user, const std::string& body,
                  const std::string& content_type) {
    auto current = Http("GET", path, user);
    if (current.status != 200) return current.status;
    return Http("PUT", path, user, body, content_type, "If-Match: " + current.Header("etag") + "\r\n").status;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Server> server_;
  uint16_t udp_ = 0, tcp_ = 0;
  std::string received_;
  sip::MessagePtr received_msg_;
};

// Receives until both the response to our request and a NOTIFY arrived
// (either may come first); answers the NOTIFY with 200.
inline std::pair<sip::MessagePtr, sip::MessagePtr> ResponseAndNotify(SipClient& c) {
  sip::MessagePtr resp, notify;
  for (int i = 0; i < 4 && !(resp && notify); ++i) {
    auto m = c.Receive();
    if (!m) break;
    if (m->is_response()) {
      resp = std::move(m);
    } else if (m->method() == sip::Method::kNotify) {
      c.Reply(sip::MakeResponse(*m, 200, "OK")->Serialize());
      notify = std::move(m);
    }
  }
  return {std::move(resp), std::move(notify)};
}

inline sip::MessagePtr NextNotify(SipClient& c) {
  auto m = c.Receive();
  if (m && m->method() == sip::Method::kNotify) c.Reply(sip::MakeResponse(*m, 200, "OK")->Serialize());
  return m;
}


}  // namespace parley::server
