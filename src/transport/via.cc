#include "transport/via.h"

#include <optional>
#include <string>

#include "sip/fields.h"
#include "sip/lex.h"

namespace parley::transport {

namespace {

bool HostIsIp(const sip::Via& via, const SocketAddress& ip) {
  auto host = SocketAddress::Parse(via.host, ip.port());
  return host && *host == ip;  // compares addresses, not spellings
}

}  // namespace

bool StampVia(sip::Message& request, const SocketAddress& source) {
  const auto& headers = request.headers();
  size_t index = 0;
  while (index < headers.size() && headers[index].id != sip::HeaderId::kVia) ++index;
  if (index == headers.size()) return false;
  std::string_view value = headers[index].value;
  size_t end = sip::FindTopLevel(value, 0, ',');
  if (end == std::string_view::npos) return false;
  std::string_view top = TrimLws(value.substr(0, end));
  // The message's own parse of its Vias, which the layers above read anyway;
  // a parse of the top value alone when that failed (a bad Via further down).
  const sip::Via* via = request.top_via();
  std::optional<sip::Via> parsed;
  if (via == nullptr || via->text != top) {
    auto v = sip::ParseVia(top);
    if (!v.ok()) return false;
    parsed = std::move(*v);
    via = &*parsed;
  }

  auto rport = via->rport();
  const bool fill_rport = rport.has_value() && rport->empty();
  // RFC 3581 §4: with rport, received is added even when the host matches.
  const bool add_received = fill_rport || !HostIsIp(*via, source);
  if (!add_received) return false;

  const std::string ip = source.ip();  // RFC 5118 §4.5: no brackets
  std::string_view params = via->params.text();
  std::string out(params.empty() ? top : top.substr(0, static_cast<size_t>(params.data() - top.data())));
  bool wrote_received = false;
  via->params.ForEach([&](std::string_view name, std::string_view v, bool has_value) {
    out += ';';
    if (fill_rport && IEquals(name, "rport")) {
      out += "rport=" + std::to_string(source.port());
    } else if (IEquals(name, "received")) {
      out += "received=" + ip;
      wrote_received = true;
    } else {
      out += name;
      if (has_value) {
        out += '=';
        out += v;
      }
    }
    return true;
  });
  if (!wrote_received) out += ";received=" + ip;
  out += value.substr(end);  // ", <the other values>" as written
  request.SetHeaderValue(index, out);
  return true;
}

}  // namespace parley::transport
