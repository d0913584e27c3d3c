#pragma once
// The location service of one shard: the bindings of the AORs it owns
// (RFC 3261 §10.3), their expiry timers, and what changed at each update.
// Pure state: persistence and SIP live in the registrar around it. Used on
// its shard's loop only.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "common/timer.h"
#include "store/store.h"
#include "transport/types.h"

namespace parley::registrar {

// A binding as the shard keeps it: the stored record plus where to reach
// the contact now (the flow it registered over, while that lives).
struct Contact {
  store::Binding record;
  transport::Destination destination;
  TimerId expiry = 0;
};

// One Contact of a REGISTER, already checked and with its expiry decided.
struct ContactUpdate {
  std::string uri;
  std::string params;  // header params to keep (+sip.instance, reg-id, q …) without expires
  std::string instance;
  std::string reg_id;
  double q = -1;
  uint32_t expires = 0;  // 0: remove
};

struct RegisterOp {
  std::string aor;
  std::string call_id;
  uint32_t cseq = 0;
  bool remove_all = false;  // Contact: * with Expires: 0
  std::vector<ContactUpdate> contacts;
  std::string path;          // Path values, comma-joined
  std::string source;        // "udp:1.2.3.4:5060"
  transport::Destination destination;
  std::string user_agent;
  int64_t now = 0;           // unix seconds
  size_t max_contacts = 0;   // bindings an AOR may have afterwards (0: no limit)
};

// kRemoved: by the UA (expires 0); kDeactivated: by an administrator (the
// UA may register again); kRejected: its user was deleted (RFC 3680 §5.1).
enum class ChangeKind { kCreated, kRefreshed, kShortened, kRemoved, kExpired, kDeactivated, kRejected };
// Whether the binding is gone after the change.
inline bool IsGone(ChangeKind k) {
  return k == ChangeKind::kRemoved || k == ChangeKind::kExpired || k == ChangeKind::kDeactivated ||
         k == ChangeKind::kRejected;
}

struct BindingChange {
  ChangeKind kind;
  store::Binding binding;
};

struct ApplyResult {
  std::vector<BindingChange> changes;  // what to persist and notify
  std::vector<store::Binding> current;  // every binding of the AOR afterwards
};

class LocationTable {
 public:
  // `on_expired` runs when a binding expires by itself (persist + notify).
  LocationTable(TimerService& timers, std::function<void(const BindingChange&)> on_expired);
  ~LocationTable();

  // Applies a REGISTER (§10.3 steps 6–8). Error 400 "out of order": the
  // request's CSeq is not above a binding's with the same Call-ID; error
  // 403: the AOR would have more than `op.max_contacts` bindings. Either
  // refuses the whole update (nothing changes).
  Result<ApplyResult> Apply(const RegisterOp& op);

  // Takes `aor`'s binding of `contact_uri` (every one when "") out of the
  // table: an administrator's removal, `why` kDeactivated or kRejected.
  std::vector<BindingChange> Evict(const std::string& aor, std::string_view contact_uri, ChangeKind why);

  // The live bindings of `aor`, best q first (ties: newest first).
  std::vector<const Contact*> Lookup(const std::string& aor) const;
  std::vector<store::Binding> Bindings(const std::string& aor) const;

  // Loads a stored binding at startup (skipped if already expired).
  void Restore(const store::Binding& b, int64_t now, transport::Destination destination);

  size_t aor_count() const { return aors_.size(); }
  size_t binding_count() const;

 private:
  using ContactMap = std::map<std::string, Contact>;  // by contact key
  static std::string KeyOf(const std::string& uri, const std::string& instance, const std::string& reg_id);
  void Arm(Contact& c, int64_t now);
  void Expire(Contact& c);

  TimerService& timers_;
  std::function<void(const BindingChange&)> on_expired_;
  std::unordered_map<std::string, ContactMap> aors_;
};

// "udp:1.2.3.4:5060" and back (flows are not persisted).
std::string SourceString(const transport::Source& s);
std::optional<transport::Destination> DestinationFromSource(const std::string& source);

// Where requests for a contact go: the registration's connection when the
// UA asked for it (RFC 5626 ";ob" or reg-id) or the Contact is that very
// connection; the registration's source when the Contact is a private
// address other than the source (the UA is behind a NAT) or a name we
// cannot resolve; otherwise the Contact URI itself.
transport::Destination BindingDestination(std::string_view contact_uri, const transport::Destination& source,
                                          bool wants_flow);
// The same for a registration that came with a Path (comma-joined values;
// "" = none): requests for it go to the first Path URI, the Path being
// their route set (RFC 3327 §5.4), over the connection the REGISTER came
// on when that URI is its peer. A first URI with a host name (no DNS here)
// is taken to be the proxy that sent the REGISTER: it added that Path
// value, or routes by it.
transport::Destination BindingDestination(std::string_view contact_uri, std::string_view path,
                                          const transport::Destination& source, bool wants_flow);

}  // namespace parley::registrar
