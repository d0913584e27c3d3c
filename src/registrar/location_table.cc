#include "registrar/location_table.h"

#include <algorithm>

#include "common/strings.h"
#include "proxy/router.h"
#include "sip/fields.h"

namespace parley::registrar {

LocationTable::LocationTable(TimerService& timers, std::function<void(const BindingChange&)> on_expired)
    : timers_(timers), on_expired_(std::move(on_expired)) {}

LocationTable::~LocationTable() {
  for (auto& [aor, contacts] : aors_) {
    for (auto& [key, c] : contacts) timers_.Cancel(c.expiry);
  }
}

std::string LocationTable::KeyOf(const std::string& uri, const std::string& instance, const std::string& reg_id) {
  // RFC 5626 §6: with an instance, the binding is the instance (+ reg-id),
  // whatever its current Contact URI.
  if (!instance.empty()) return "i:" + instance + "/" + reg_id;
  return "u:" + uri;
}

size_t LocationTable::binding_count() const {
  size_t n = 0;
  for (const auto& [aor, c] : aors_) n += c.size();
  return n;
}

void LocationTable::Arm(Contact& c, int64_t now) {
  timers_.Cancel(c.expiry);
  int64_t left = std::max<int64_t>(c.record.expires_at - now, 0);
  // Two pointers: the closure fits in std::function without a heap block or
  // copies of the AOR and key (a few hundred bytes per binding). Every path
  // that takes a binding out of the table cancels its timer first, and map
  // nodes do not move, so `c` is alive when it fires.
  c.expiry = timers_.Schedule(std::chrono::seconds(left), [this, contact = &c] { Expire(*contact); });
}

void LocationTable::Expire(Contact& c) {
  auto a = aors_.find(c.record.aor);
  if (a == aors_.end()) return;
  auto it = std::find_if(a->second.begin(), a->second.end(), [&c](const auto& kv) { return &kv.second == &c; });
  if (it == a->second.end()) return;
  BindingChange change{ChangeKind::kExpired, it->second.record};
  a->second.erase(it);
  if (a->second.empty()) aors_.erase(a);
  if (on_expired_) on_expired_(change);
}

std::vector<BindingChange> LocationTable::Evict(const std::string& aor, std::string_view contact_uri, ChangeKind why) {
  std::vector<BindingChange> out;
  auto a = aors_.find(aor);
  if (a == aors_.end()) return out;
  for (auto it = a->second.begin(); it != a->second.end();) {
    if (!contact_uri.empty() && it->second.record.contact_uri != contact_uri) {
      ++it;
      continue;
    }
    timers_.Cancel(it->second.expiry);
    out.push_back({why, it->second.record});
    it = a->second.erase(it);
  }
  if (a->second.empty()) aors_.erase(a);
  return out;
}

Result<ApplyResult> LocationTable::Apply(const RegisterOp& op) {
  static const ContactMap kNone;
  auto found = aors_.find(op.aor);
  const ContactMap& existing = found == aors_.end() ? kNone : found->second;
  // §10.3 step 7: a binding with the same Call-ID and a CSeq not below the
  // request's refuses the whole update.
  auto stale = [&](const Contact& c) { return c.record.call_id == op.call_id && op.cseq <= c.record.cseq; };
  // Each contact's binding key, made once for the checks and the update.
  std::vector<std::string> keys;
  keys.reserve(op.contacts.size());
  for (const auto& u : op.contacts) keys.push_back(KeyOf(u.uri, u.instance, u.reg_id));
  if (op.remove_all) {
    for (const auto& [key, c] : existing) {
      if (stale(c)) return Error(400, "out of order");
    }
  } else {
    for (const auto& key : keys) {
      auto it = existing.find(key);
      if (it != existing.end() && stale(it->second)) return Error(400, "out of order");
    }
  }
  if (op.max_contacts > 0 && !op.remove_all) {
    // What the AOR would hold afterwards; refreshes and removals always pass.
    size_t count = existing.size();
    bool grows = false;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto here = keys.begin() + static_cast<ptrdiff_t>(i);
      if (std::find(keys.begin(), here, *here) != here) continue;  // named twice
      bool present = existing.count(keys[i]) != 0;
      if (op.contacts[i].expires == 0 && present) --count;
      if (op.contacts[i].expires != 0 && !present) {
        ++count;
        grows = true;
      }
    }
    if (grows && count > op.max_contacts) return Error(403, "too many contacts");
  }
  ContactMap& contacts = aors_[op.aor];
  ApplyResult result;
  if (op.remove_all) {
    for (auto& [key, c] : contacts) {
      timers_.Cancel(c.expiry);
      result.changes.push_back({ChangeKind::kRemoved, c.record});
    }
    contacts.clear();
  } else {
    for (size_t i = 0; i < op.contacts.size(); ++i) {
      const ContactUpdate& u = op.contacts[i];
      const std::string& key = keys[i];
      auto it = contacts.find(key);
      if (u.expires == 0) {
        if (it != contacts.end()) {
          timers_.Cancel(it->second.expiry);
          result.changes.push_back({ChangeKind::kRemoved, it->second.record});
          contacts.erase(it);
        }
        continue;
      }
      bool created = it == contacts.end();
      Contact& c = created ? contacts[key] : it->second;
      int64_t old_expiry = c.record.expires_at;
      store::Binding& b = c.record;
      b.aor = op.aor;
      b.contact_uri = u.uri;
      b.contact_params = u.params;
      b.instance = u.instance;
      b.reg_id = u.reg_id;
      b.q = u.q;
      b.expires_at = op.now + u.expires;
      // A binding stored before first_cseq was kept (0) starts counting
      // here: fewer of its temporary GRUUs are claimed valid, none wrongly.
      if (created || b.call_id != op.call_id || b.first_cseq == 0) b.first_cseq = op.cseq;
      b.call_id = op.call_id;
      b.cseq = op.cseq;
      b.path = op.path;
      b.source = op.source;
      b.user_agent = op.user_agent;
      b.updated_at = op.now;
      c.destination = BindingDestination(u.uri, op.path, op.destination,
                                         !u.reg_id.empty() || u.uri.find(";ob") != std::string::npos);
      Arm(c, op.now);
      ChangeKind kind = created ? ChangeKind::kCreated
                                : (b.expires_at < old_expiry ? ChangeKind::kShortened : ChangeKind::kRefreshed);
      result.changes.push_back({kind, b});
    }
  }
  if (contacts.empty()) aors_.erase(op.aor);
  result.current = Bindings(op.aor);
  return result;
}

std::vector<const Contact*> LocationTable::Lookup(const std::string& aor) const {
  std::vector<const Contact*> out;
  auto a = aors_.find(aor);
  if (a == aors_.end()) return out;
  for (const auto& [key, c] : a->second) out.push_back(&c);
  std::stable_sort(out.begin(), out.end(), [](const Contact* x, const Contact* y) {
    double qx = x->record.q < 0 ? 1.0 : x->record.q, qy = y->record.q < 0 ? 1.0 : y->record.q;
    if (qx != qy) return qx > qy;
    return x->record.updated_at > y->record.updated_at;
  });
  return out;
}

std::vector<store::Binding> LocationTable::Bindings(const std::string& aor) const {
  std::vector<store::Binding> out;
  for (const Contact* c : Lookup(aor)) out.push_back(c->record);
  return out;
}

void LocationTable::Restore(const store::Binding& b, int64_t now, transport::Destination destination) {
  if (b.expires_at <= now) return;
  std::string key = KeyOf(b.contact_uri, b.instance, b.reg_id);
  Contact& c = aors_[b.aor][key];
  c.record = b;
  c.destination = std::move(destination);
  Arm(c, now);
}

std::string SourceString(const transport::Source& s) {
  return ToLower(transport::ProtocolName(s.protocol)) + ":" + s.remote.ToString();
}

std::optional<transport::Destination> DestinationFromSource(const std::string& source) {
  size_t colon = source.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto proto = transport::ParseProtocol(source.substr(0, colon));
  auto addr = transport::SocketAddress::ParseHostPort(source.substr(colon + 1));
  if (!proto || !addr) return std::nullopt;
  transport::Destination d;
  d.protocol = *proto;
  d.address = *addr;
  return d;
}

}  // namespace parley::registrar

namespace parley::registrar {

namespace {
bool IsPrivate(const transport::SocketAddress& a) {
  if (a.is_v6()) {
    std::string ip = a.ip();
    return ip.starts_with("fc") || ip.starts_with("fd") || ip.starts_with("fe80");
  }
  std::string ip = a.ip();
  auto octet = [&](int i) {
    size_t pos = 0;
    for (int k = 0; k < i; ++k) pos = ip.find('.', pos) + 1;
    return std::atoi(ip.c_str() + pos);
  };
  int a0 = octet(0), a1 = octet(1);
  return a0 == 10 || (a0 == 172 && a1 >= 16 && a1 < 32) || (a0 == 192 && a1 == 168) ||
         (a0 == 100 && a1 >= 64 && a1 < 128);
}
}  // namespace

transport::Destination BindingDestination(std::string_view contact_uri, const transport::Destination& source,
                                          bool wants_flow) {
  auto target = proxy::TargetForUri(contact_uri);
  if (!target) return source;
  transport::Destination c = target->destination;
  bool same_peer = c.address == source.address;
  // RFC 5626: the UA asked for its flow (";ob", reg-id), or the Contact is
  // the connection itself.
  if (transport::IsReliable(source.protocol) && wants_flow) {
    transport::Destination flow = source;
    flow.flow_only = true;
    return flow;
  }
  if (transport::IsReliable(source.protocol) && same_peer) return source;
  if (!same_peer && IsPrivate(c.address) && c.address.ip() != source.address.ip()) return source;  // NAT
  // Over UDP, from the listen point the UA registered to.
  if (c.protocol == source.protocol) c.local = source.local;
  return c;
}

transport::Destination BindingDestination(std::string_view contact_uri, std::string_view path,
                                          const transport::Destination& source, bool wants_flow) {
  if (path.empty()) return BindingDestination(contact_uri, source, wants_flow);
  auto first = sip::ParseFirstNameAddr(path);
  auto hop = first.ok() ? proxy::TargetForUri(first->uri_text) : std::nullopt;
  if (!hop) return source;
  transport::Destination d = hop->destination;
  if (d.protocol == source.protocol && d.address == source.address) return source;  // its connection
  if (d.protocol == source.protocol) d.local = source.local;
  return d;
}

}  // namespace parley::registrar
