#pragma once
// A ua::Core wired to ManualTimers and a FakeSender, with helpers to answer
// what the UA sent and to inject requests from "the server".

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/fake_sender.h"
#include "common/manual_timers.h"
#include "sip/parser.h"
#include "sip/response.h"
#include "ua/core.h"

namespace parley::ua::testing {

using namespace std::chrono_literals;
using parley::testing::FakeSender;
using parley::testing::ManualTimers;

inline std::string Crlf(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

class UaHarness {
 public:
  explicit UaHarness(transport::Protocol protocol = transport::Protocol::kUdp) : sender(&timers) {
    CoreConfig c;
    c.account.aor = Aor{"alice", "example.com", std::nullopt};
    c.account.password = "secret";
    c.proxy.protocol = protocol;
    c.proxy.address = *transport::SocketAddress::Parse("192.0.2.1", 5060);
    c.local_host = "192.0.2.10";
    c.local_port = 5060;
    c.instance_id = "urn:uuid:00000000-0000-4000-8000-000000000001";
    config = c;
    core = std::make_unique<Core>(c, timers, sender);
  }

  // The i-th message the UA sent, parsed.
  sip::MessagePtr Sent(size_t i) const { return sender.Parsed(i); }
  sip::MessagePtr Last() const { return sender.Last(); }
  size_t count() const { return sender.count(); }
  // The sent requests with this method (retransmissions counted once).
  std::vector<sip::MessagePtr> SentRequests(std::string_view method) const {
    std::vector<sip::MessagePtr> out;
    for (size_t i = 0; i < sender.count(); ++i) {
      bool repeat = false;
      for (size_t j = 0; j < i && !repeat; ++j) repeat = sender.sent()[j].bytes == sender.sent()[i].bytes;
      if (repeat) continue;
      auto m = sender.Parsed(i);
      if (m && m->is_request() && m->method_text() == method) out.push_back(std::move(m));
    }
    return out;
  }

  // Answers `request` with `status` and extra header lines ("Name: value\n").
  void Answer(const sip::Message& request, int status, const std::string& extra = "", const std::string& body = "",
              const std::string& content_type = "") {
    auto r = sip::MakeResponse(request, status, {}, status > 100 ? "srvtag" : "");
    std::string text = r->Serialize();
    // Insert extra headers before Content-Length.
    size_t cl = text.find("Content-Length:");
    std::string hdrs = Crlf(extra);
    if (!content_type.empty()) hdrs += "Content-Type: " + content_type + "\r\n";
    text.insert(cl, hdrs);
    if (!body.empty()) {
      size_t start = text.find("Content-Length:");
      size_t end = text.find("\r\n", start);
      text.replace(start, end - start, "Content-Length: " + std::to_string(body.size()));
      text += body;
    }
    Deliver(text);
  }
  void AnswerLast(int status, const std::string& extra = "") { Answer(*Last(), status, extra); }

  // Feeds raw SIP (LF line ends fine) as if received from the proxy.
  void Deliver(const std::string& text, transport::FlowId flow = 0) {
    // CRLF for the header section only: the body is as given.
    size_t split = text.find("\n\n");
    size_t crlf_split = text.find("\r\n\r\n");
    std::string bytes;
    if (crlf_split != std::string::npos && (split == std::string::npos || crlf_split < split)) {
      bytes = text;
    } else if (split != std::string::npos) {
      bytes = Crlf(text.substr(0, split + 2)) + text.substr(split + 2);
    } else {
      bytes = Crlf(text);
    }
    auto m = sip::ParseDatagram(bytes, sip::ParserLimits());
    ASSERT_TRUE(m) << text;
    transport::IncomingMessage in;
    in.message = std::move(m);
    in.source.protocol = config.proxy.protocol;
    in.source.remote = config.proxy.address;
    in.source.local = *transport::SocketAddress::Parse("192.0.2.10", 5060);
    in.source.flow = flow;
    core->OnMessage(std::move(in));
  }

  // Lets zero-delay timers run.
  void Settle() { timers.Advance(1ms); }

  ManualTimers timers;
  FakeSender sender;
  CoreConfig config;
  std::unique_ptr<Core> core;
};

inline std::string Challenge(bool proxy, const std::string& nonce, bool stale = false,
                             const std::string& extra_params = ", qop=\"auth\"") {
  return std::string(proxy ? "Proxy-Authenticate" : "WWW-Authenticate") + ": Digest realm=\"example.com\", nonce=\"" +
         nonce + "\", algorithm=MD5" + extra_params + (stale ? ", stale=true" : "") + "\n";
}

}  // namespace parley::ua::testing
