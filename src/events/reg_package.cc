#include "events/reg_package.h"

#include "common/strings.h"
#include "registrar/gruu.h"

namespace parley::events {

namespace {

// A stable id per contact (RFC 3680 §5.3: the same contact keeps its id).
std::string ContactId(const store::Binding& b) {
  uint64_t h = IHash(b.instance.empty() ? b.contact_uri : b.instance);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "c";
  for (int i = 0; i < 8; ++i) id.push_back(kHex[(h >> (4 * i)) & 15]);
  return id;
}

std::string EventName(registrar::ChangeKind k) {
  switch (k) {
    case registrar::ChangeKind::kCreated: return "registered";
    case registrar::ChangeKind::kRefreshed: return "refreshed";
    case registrar::ChangeKind::kShortened: return "shortened";
    case registrar::ChangeKind::kRemoved: return "unregistered";
    case registrar::ChangeKind::kExpired: return "expired";
    case registrar::ChangeKind::kDeactivated: return "deactivated";
    case registrar::ChangeKind::kRejected: return "rejected";
  }
  return "registered";
}

}  // namespace

std::string ReginfoDocument(const std::string& aor_uri, uint32_t version, bool full,
                            const std::vector<std::pair<store::Binding, std::string>>& contacts,
                            bool registration_active, int64_t now, const registrar::GruuCodec* gruu) {
  std::string x =
      "<?xml version=\"1.0\"?>\n<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\""
      " xmlns:gr=\"urn:ietf:params:xml:ns:gruuinfo\" version=\"";
  x.append(std::to_string(version)).append("\" state=\"").append(full ? "full" : "partial").append("\">\n");
  x.append("  <registration aor=\"").append(XmlEscape(aor_uri)).append("\" id=\"r");
  x.append(std::to_string(IHash(aor_uri) & 0xffffff)).append("\" state=\"");
  x.append(registration_active ? "active" : (contacts.empty() ? "init" : "terminated")).append("\">\n");
  for (const auto& [b, event] : contacts) {
    bool gone = event == "unregistered" || event == "expired" || event == "deactivated" || event == "rejected";
    x.append("    <contact id=\"").append(ContactId(b)).append("\" state=\"").append(gone ? "terminated" : "active");
    x.append("\" event=\"").append(event).append("\"");
    if (!gone) x.append(" expires=\"").append(std::to_string(std::max<int64_t>(b.expires_at - now, 0))).append("\"");
    if (b.q >= 0) {
      char q[16];
      std::snprintf(q, sizeof(q), "%.3g", b.q);
      x.append(" q=\"").append(q).append("\"");
    }
    x.append(" callid=\"").append(XmlEscape(b.call_id)).append("\" cseq=\"").append(std::to_string(b.cseq));
    x.append("\">\n      <uri>").append(XmlEscape(b.contact_uri)).append("</uri>\n");
    if (registrar::GruuInstance(b.instance)) {
      // RFC 5628: the contact's public GRUU, so a watcher can reach that device.
      x.append("      <gr:pub-gruu uri=\"").append(XmlEscape(registrar::PublicGruu(b.aor, b.instance))).append("\"/>\n");
      // And a temporary one of its registration (any we minted for that
      // Call-ID since first-cseq works as well). Not for a contact that is
      // gone, nor for one stored before first-cseq was kept and not
      // refreshed since.
      std::string temp = gruu != nullptr && !gone && b.first_cseq != 0 ? registrar::MintTempGruu(*gruu, b) : "";
      if (!temp.empty()) {
        x.append("      <gr:temp-gruu uri=\"").append(XmlEscape(temp)).append("\" first-cseq=\"");
        x.append(std::to_string(b.first_cseq)).append("\"/>\n");
      }
    }
    x.append("    </contact>\n");
  }
  x.append("  </registration>\n</reginfo>\n");
  return x;
}

RegPackage::RegPackage(registrar::Registrar& registrar, proxy::Sharded<proxy::PolicyCache>& policies,
                       proxy::Sharded<Notifier>& notifiers)
    : registrar_(registrar), policies_(policies), notifiers_(notifiers) {}

void RegPackage::Authorize(const std::string& subscriber, const std::string& resource,
                           std::function<void(Grant)> done) {
  if (subscriber == resource) {
    done(Grant{Authorization::kActive, 0});
    return;
  }
  // Other watchers only when the user lists them (by AOR) as allowed.
  policies_.Local().Get(resource, [subscriber, done](const store::UserPolicy* p) {
    bool allowed = false;
    if (p) {
      for (const auto& e : p->entries) {
        allowed |= e.action == store::PolicyAction::kAllow && IEquals(e.pattern, subscriber);
      }
    }
    done(Grant{allowed ? Authorization::kActive : Authorization::kReject, 0});
  });
}

const registrar::GruuCodec* RegPackage::TempGruusFor(const Subscription& s) const {
  // A temporary GRUU hides whose device it reaches: only the user learns
  // theirs, not the watchers they allow.
  return s.subscriber() == s.resource() ? registrar_.gruu() : nullptr;
}

std::string RegPackage::FullState(Subscription& sub) {
  const std::string resource(sub.resource());
  size_t shard = notifiers_.router().ShardOf(resource);
  auto bindings = registrar_.TableOf(shard).Bindings(resource);
  std::vector<std::pair<store::Binding, std::string>> contacts;
  for (auto& b : bindings) contacts.emplace_back(std::move(b), "registered");
  bool active = !contacts.empty();
  return ReginfoDocument(std::string(sub.local_uri()), sub.version++, true, contacts, active, UnixNow(),
                         TempGruusFor(sub));
}

void RegPackage::OnRegistration(const std::string& aor, const std::vector<registrar::BindingChange>& changes,
                                const registrar::BindingsFn& current) {
  if (!notifiers_.Local().Watched(aor)) return;
  std::vector<std::pair<store::Binding, std::string>> contacts;
  for (const auto& c : changes) contacts.emplace_back(c.binding, EventName(c.kind));
  bool active = !current().empty();
  int64_t now = UnixNow();
  notifiers_.Local().Changed(aor, "reg", [&](Subscription& s) {
    return ReginfoDocument(std::string(s.local_uri()), s.version++, false, contacts, active, now, TempGruusFor(s));
  });
}

}  // namespace parley::events
