#include "dns/sip_locator.h"

#include <algorithm>

#include "common/strings.h"
#include "transport/address.h"

namespace parley::dns {

using transport::Protocol;

struct SipLocator::Job {
  std::string host;  // lower case
  bool sips = false;
  std::optional<Protocol> transport;  // the URI's transport parameter
  std::optional<uint16_t> port;
  Callback done;
  std::vector<transport::Destination> out;
  std::optional<Error> failure;  // the last lookup that could not be answered
};

namespace {

uint16_t DefaultPort(Protocol p) { return transport::IsSecure(p) ? 5061 : 5060; }

const char* SrvPrefix(Protocol p) {
  switch (p) {
    case Protocol::kUdp:
      return "_sip._udp.";
    case Protocol::kTls:
      return "_sips._tcp.";
    default:
      return "_sip._tcp.";
  }
}

// The transport a NAPTR service field names (RFC 3263 §4.1), if one we know.
std::optional<Protocol> NaptrProtocol(std::string_view service) {
  if (IEquals(service, "SIP+D2U")) return Protocol::kUdp;
  if (IEquals(service, "SIP+D2T")) return Protocol::kTcp;
  if (IEquals(service, "SIPS+D2T")) return Protocol::kTls;
  return std::nullopt;
}

}  // namespace

SipLocator::SipLocator(Resolver& resolver, LocatorConfig config) : resolver_(resolver), config_(config) {}

bool SipLocator::Supports(Protocol p) const {
  switch (p) {
    case Protocol::kUdp:
      return config_.udp;
    case Protocol::kTcp:
      return config_.tcp;
    case Protocol::kTls:
      return config_.tls;
    default:
      return false;
  }
}

void SipLocator::Refuse(Callback done, std::string reason) {
  resolver_.Post([done = std::move(done), reason = std::move(reason)] { done(Error(kBadUri, reason)); });
}

void SipLocator::Locate(const sip::Uri& uri, Callback done) {
  if (!uri.is_sip()) return Refuse(std::move(done), "not a SIP URI");
  auto job = std::make_shared<Job>();
  job->sips = uri.scheme == sip::Scheme::kSips;
  job->host = ToLower(uri.Param("maddr").value_or(uri.host));
  job->done = std::move(done);
  if (auto t = uri.Param("transport")) {
    auto p = transport::ParseProtocol(*t);
    if (!p || (job->sips && *p == Protocol::kUdp)) return Refuse(std::move(job->done), "transport " + std::string(*t));
    job->transport = job->sips ? Protocol::kTls : *p;
  }
  if (uri.has_port) job->port = uri.port;
  Protocol fixed = job->transport.value_or(job->sips ? Protocol::kTls : Protocol::kUdp);
  if (!Supports(fixed) && (job->transport || job->port)) {
    return Refuse(std::move(job->done), "transport " + std::string(transport::ProtocolName(fixed)) + " not available");
  }
  // RFC 3263 §4.2: a numeric host, or a port, means no SRV.
  if (auto ip = transport::SocketAddress::Parse(job->host, job->port.value_or(DefaultPort(fixed)))) {
    transport::Destination d;
    d.protocol = fixed;
    d.address = *ip;
    job->out.push_back(std::move(d));
    return resolver_.Post([this, job] { Finish(job); });
  }
  if (job->port) return Addresses(job, {{Srv{0, 0, *job->port, job->host}, fixed}}, 0);
  if (job->transport) return SrvChain(job, {{SrvPrefix(fixed) + job->host, fixed}}, 0);
  Naptr(std::move(job));
}

void SipLocator::Naptr(std::shared_ptr<Job> job) {
  resolver_.QueryNaptr(job->host, [this, job](Result<std::vector<dns::Naptr>> r) {
    std::vector<std::pair<std::string, Protocol>> queries;
    if (!r.ok() && r.error().code == kUnavailable) {
      // The server does not answer: asking it more would only wait longer.
      job->failure = r.error();
      return Finish(job);
    }
    if (r.ok()) {
      std::vector<dns::Naptr> records = std::move(*r);
      std::stable_sort(records.begin(), records.end(), [](const dns::Naptr& a, const dns::Naptr& b) {
        return a.order != b.order ? a.order < b.order : a.preference < b.preference;
      });
      for (const auto& n : records) {
        auto p = NaptrProtocol(n.service);
        if (!IEquals(n.flags, "s") || !p || !Supports(*p) || n.replacement.empty() || n.replacement == ".") continue;
        if (job->sips && *p != Protocol::kTls) continue;
        queries.emplace_back(n.replacement, *p);
      }
    }
    if (queries.empty()) {
      // §4.1: no (usable) NAPTR: an SRV query per transport we support.
      if (job->sips) {
        queries.emplace_back(SrvPrefix(Protocol::kTls) + job->host, Protocol::kTls);
      } else {
        for (Protocol p : {Protocol::kUdp, Protocol::kTcp, Protocol::kTls}) {
          if (Supports(p)) queries.emplace_back(SrvPrefix(p) + job->host, p);
        }
      }
    }
    SrvChain(job, std::move(queries), 0);
  });
}

void SipLocator::SrvChain(std::shared_ptr<Job> job, std::vector<std::pair<std::string, Protocol>> queries, size_t i) {
  if (i == queries.size()) {
    // No SRV: the host's addresses on the default port (§4.2).
    Protocol p = job->transport.value_or(job->sips ? Protocol::kTls : Protocol::kUdp);
    if (!Supports(p)) p = Protocol::kTcp;
    return Addresses(job, {{Srv{0, 0, DefaultPort(p), job->host}, p}}, 0);
  }
  std::string name = queries[i].first;
  resolver_.QuerySrv(name, [this, job, queries = std::move(queries), i](Result<std::vector<Srv>> r) mutable {
    if (r.ok()) return FromSrv(job, std::move(*r), queries[i].second);
    if (r.error().code == kUnavailable) {
      job->failure = r.error();
      return Finish(job);
    }
    if (r.error().code != kNotFound) job->failure = r.error();
    SrvChain(job, std::move(queries), i + 1);
  });
}

std::vector<Srv> SipLocator::Order(std::vector<Srv> records) {
  std::stable_sort(records.begin(), records.end(),
                   [](const Srv& a, const Srv& b) { return a.priority < b.priority; });
  std::vector<Srv> out;
  out.reserve(records.size());
  for (size_t begin = 0; begin < records.size();) {
    size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    // RFC 2782: zero weights first, then pick by running sum of weights.
    std::vector<Srv> group(records.begin() + begin, records.begin() + end);
    std::stable_partition(group.begin(), group.end(), [](const Srv& s) { return s.weight == 0; });
    while (!group.empty()) {
      uint32_t total = 0;
      for (const auto& s : group) total += s.weight;
      uint32_t pick = total == 0 ? 0 : std::uniform_int_distribution<uint32_t>(0, total)(rng_);
      size_t k = 0;
      for (uint32_t sum = 0; k < group.size(); ++k) {
        sum += group[k].weight;
        if (sum >= pick) break;
      }
      if (k == group.size()) k = group.size() - 1;
      out.push_back(std::move(group[k]));
      group.erase(group.begin() + static_cast<std::ptrdiff_t>(k));
    }
    begin = end;
  }
  return out;
}

void SipLocator::FromSrv(std::shared_ptr<Job> job, std::vector<Srv> records, Protocol protocol) {
  std::vector<std::pair<Srv, Protocol>> hosts;
  for (auto& s : Order(std::move(records))) {
    if (s.target.empty() || s.target == ".") continue;
    hosts.emplace_back(std::move(s), protocol);
  }
  Addresses(std::move(job), std::move(hosts), 0);
}

void SipLocator::Addresses(std::shared_ptr<Job> job, std::vector<std::pair<Srv, Protocol>> hosts, size_t i) {
  if (i == hosts.size() || job->out.size() >= config_.max_destinations) return Finish(job);
  const auto& [srv, protocol] = hosts[i];
  auto add = [job, protocol = protocol, port = srv.port, this](const std::string& ip) {
    auto a = transport::SocketAddress::Parse(ip, port);
    if (!a || job->out.size() >= config_.max_destinations) return;
    transport::Destination d;
    d.protocol = protocol;
    d.address = *a;
    // RFC 5922 §4: the certificate must name the URI's domain, not the SRV target.
    if (transport::IsSecure(protocol)) d.tls_server_name = job->host;
    job->out.push_back(std::move(d));
  };
  if (transport::SocketAddress::Parse(srv.target, srv.port)) {
    add(srv.target);
    return Addresses(std::move(job), std::move(hosts), i + 1);
  }
  std::string target = srv.target;
  resolver_.QueryAddresses(target, [this, job, hosts = std::move(hosts), i, add](Result<std::vector<std::string>> r) mutable {
    if (r.ok()) {
      for (const auto& ip : *r) add(ip);
    } else if (r.error().code != kNotFound) {
      job->failure = r.error();
    }
    Addresses(std::move(job), std::move(hosts), i + 1);
  });
}

void SipLocator::Finish(const std::shared_ptr<Job>& job) {
  Callback done = std::move(job->done);
  if (!job->out.empty()) return done(std::move(job->out));
  if (job->failure) return done(*job->failure);
  done(Error(kNotFound, job->host + " does not resolve to a SIP server"));
}

}  // namespace parley::dns
