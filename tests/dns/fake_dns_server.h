#pragma once
// A DNS server for tests: answers A, AAAA, SRV and NAPTR questions over UDP
// on 127.0.0.1 from a zone the test fills, NXDOMAIN for names it does not
// hold, and counts the questions. Runs on its own thread; stops with the
// object.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::dns::testing {

class FakeDnsServer {
 public:
  static constexpr uint16_t kA = 1, kAaaa = 28, kSrv = 33, kNaptr = 35;

  FakeDnsServer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDnsServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  // "127.0.0.1:PORT", for ResolverConfig::servers.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int questions() const { return questions_.load(); }
  // While set, questions are read and never answered (a dead server).
  void set_silent(bool s) { silent_ = s; }
  // Questions of this type (0: none) are answered REFUSED.
  void set_refused_type(uint16_t t) { refused_type_ = t; }

  void AddA(const std::string& name, const std::string& ip) {
    std::string rdata(4, '\0');
    inet_pton(AF_INET, ip.c_str(), rdata.data());
    Add(name, kA, rdata);
  }
  void AddAaaa(const std::string& name, const std::string& ip) {
    std::string rdata(16, '\0');
    inet_pton(AF_INET6, ip.c_str(), rdata.data());
    Add(name, kAaaa, rdata);
  }
  void AddSrv(const std::string& name, uint16_t priority, uint16_t weight, uint16_t port, const std::string& target) {
    std::string rdata = U16(priority) + U16(weight) + U16(port) + Name(target);
    Add(name, kSrv, rdata);
  }
  void AddNaptr(const std::string& name, uint16_t order, uint16_t pref, const std::string& flags,
                const std::string& service, const std::string& replacement) {
    std::string rdata = U16(order) + U16(pref) + CharString(flags) + CharString(service) + CharString("") +
                        Name(replacement);
    Add(name, kNaptr, rdata);
  }

 private:
  static std::string U16(uint16_t v) { return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }
  static std::string CharString(const std::string& s) { return static_cast<char>(s.size()) + s; }
  static std::string Name(const std::string& dotted) {
    std::string out;
    size_t start = 0;
    while (start < dotted.size()) {
      size_t dot = dotted.find('.', start);
      if (dot == std::string::npos) dot = dotted.size();
      out += CharString(dotted.substr(start, dot - start));
      start = dot + 1;
    }
    return out + '\0';
  }
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  void Add(const std::string& name, uint16_t type, const std::string& rdata) {
    std::lock_guard<std::mutex> lock(mu_);
    zone_[Lower(name)].push_back({type, rdata});
  }

  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buf[1500];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 12) continue;
      ++questions_;
      if (silent_) continue;
      std::string reply = Answer(std::string(buf, static_cast<size_t>(n)));
      if (!reply.empty()) ::sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  std::string Answer(const std::string& q) {
    // The question: labels, then type and class.
    size_t i = 12;
    std::string name;
    while (i < q.size() && q[i] != 0) {
      size_t l = static_cast<unsigned char>(q[i]);
      if (!name.empty()) name += '.';
      name += q.substr(i + 1, l);
      i += 1 + l;
    }
    if (i + 5 > q.size()) return "";
    uint16_t type = static_cast<uint16_t>((static_cast<unsigned char>(q[i + 1]) << 8) | static_cast<unsigned char>(q[i + 2]));
    std::string question = q.substr(12, i + 5 - 12);
    std::vector<std::string> answers;
    bool known = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = zone_.find(Lower(name));
      if (it != zone_.end()) {
        known = true;
        for (const auto& [t, rdata] : it->second) {
          if (t != type) continue;
          answers.push_back(std::string("\xc0\x0c", 2) + U16(type) + U16(1) + U16(0) + U16(60) +
                            U16(static_cast<uint16_t>(rdata.size())) + rdata);
        }
      }
    }
    std::string r = q.substr(0, 2);  // id
    if (type == refused_type_.load()) {
      answers.clear();
      r += std::string("\x81\x85", 2);  // QR RD RA; REFUSED
    } else {
      r += known ? std::string("\x85\x80", 2) : std::string("\x85\x83", 2);  // QR AA RD RA; NXDOMAIN
    }
    r += U16(1) + U16(static_cast<uint16_t>(answers.size())) + U16(0) + U16(0);
    r += question;
    for (const auto& a : answers) r += a;
    return r;
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_{false};
  std::atomic<uint16_t> refused_type_{0};
  std::atomic<int> questions_{0};
  std::mutex mu_;
  std::map<std::string, std::vector<std::pair<uint16_t, std::string>>> zone_;
};

}  // namespace parley::dns::testing
