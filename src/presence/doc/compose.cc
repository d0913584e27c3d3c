#include "presence/doc/compose.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/strings.h"
#include "presence/doc/timestamp.h"

namespace parley::presence {

namespace {

constexpr std::string_view kOfflineTupleId = "offline";
constexpr std::string_view kOnThePhone = "on-the-phone";

// Hands out ids unique in the document: the first holder of an id keeps it,
// later ones get "-2", "-3" … appended.
class IdAllocator {
 public:
  std::string Take(const std::string& id, std::string_view fallback) {
    std::string base = id.empty() ? std::string(fallback) : id;
    if (used_.insert(base).second) return base;
    for (int n = 2;; ++n) {
      std::string candidate = base + "-" + std::to_string(n);
      if (used_.insert(candidate).second) return candidate;
    }
  }

 private:
  std::set<std::string, std::less<>> used_;
};

bool Expired(const std::string& until, int64_t now) {
  if (until.empty()) return false;
  auto t = ParseDateTime(until);
  return t && *t <= now;
}

template <typename T>
void DropIfExpired(std::optional<T>& v, int64_t now) {
  if (v && Expired(v->until, now)) v.reset();
}

// One note per language (compared case-insensitively): the first one wins.
void AddByLanguage(std::vector<Note>& into, const std::vector<Note>& notes) {
  for (const auto& n : notes) {
    bool seen = std::any_of(into.begin(), into.end(), [&](const Note& o) { return IEquals(o.lang, n.lang); });
    if (!seen) into.push_back(n);
  }
}

void OnePerLanguage(std::vector<Note>& notes) {
  std::vector<Note> kept;
  AddByLanguage(kept, notes);
  notes = std::move(kept);
}

std::string RegistrationTupleId(std::string_view uri) {
  uint32_t h = 2166136261u;  // FNV-1a: stable across runs and builds
  for (char c : uri) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char buf[16];
  std::snprintf(buf, sizeof buf, "r%08x", h);
  return buf;
}

Tuple OfflineTuple(std::string id) {
  Tuple t;
  t.id = std::move(id);
  t.basic = Basic::kClosed;
  return t;
}

}  // namespace

PresenceDoc Compose(std::string_view entity, std::span<const Publication> publications,
                    std::span<const RegisteredContact> registrations, int64_t now, const PresenceDoc* hard_state,
                    bool on_the_phone) {
  std::vector<const Publication*> order;  // oldest first
  order.reserve(publications.size() + 1);
  bool published_tuples = false;
  for (const auto& p : publications) {
    order.push_back(&p);
    published_tuples |= !p.doc.tuples.empty();
  }
  std::sort(order.begin(), order.end(), [](const Publication* a, const Publication* b) {
    return a->published_at != b->published_at ? a->published_at < b->published_at : a->etag < b->etag;
  });
  Publication hard;
  if (hard_state != nullptr) {
    hard.doc = *hard_state;
    order.insert(order.begin(), &hard);  // older than every publication
  }

  PresenceDoc out;
  out.entity = std::string(entity);
  IdAllocator ids;

  // The person of the newest publication that has one.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!(*it)->doc.person) continue;
    Person& p = out.person.emplace(*(*it)->doc.person);
    p.id = ids.Take(p.id, "p");
    for (auto* v : {&p.activities, &p.mood, &p.place_type, &p.privacy, &p.sphere}) DropIfExpired(*v, now);
    DropIfExpired(p.place_is, now);
    DropIfExpired(p.time_offset, now);
    OnePerLanguage(p.notes);
    break;
  }
  if (on_the_phone) {
    // The call is a source of the person's activities: beside what was
    // published (RPID allows several), or a person of its own.
    Person& p = out.person ? *out.person : out.person.emplace();
    if (p.id.empty()) p.id = ids.Take("", "p");
    if (!p.activities) p.activities.emplace();
    if (!p.activities->Has(kOnThePhone)) p.activities->values.emplace_back(kOnThePhone);
  }

  // Tuples and devices of every publication; ids handed out oldest first so
  // the first publisher of an id keeps it.
  std::vector<std::vector<Tuple>> tuples(order.size());
  std::vector<std::vector<Device>> devices(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    for (const auto& src : order[i]->doc.tuples) {
      Tuple& t = tuples[i].emplace_back(src);
      t.id = ids.Take(t.id, "t");
      DropIfExpired(t.service_class, now);
      DropIfExpired(t.relationship, now);
      OnePerLanguage(t.notes);
    }
    for (const auto& src : order[i]->doc.devices) {
      Device& d = devices[i].emplace_back(src);
      d.id = ids.Take(d.id, "d");
      OnePerLanguage(d.notes);
    }
  }
  // Output newest publication first.
  for (size_t i = order.size(); i-- > 0;) {
    for (auto& t : tuples[i]) out.tuples.push_back(std::move(t));
    for (auto& d : devices[i]) out.devices.push_back(std::move(d));
    AddByLanguage(out.notes, order[i]->doc.notes);
    for (const auto& e : order[i]->doc.extensions) {
      if (std::find(out.extensions.begin(), out.extensions.end(), e) == out.extensions.end()) {
        out.extensions.push_back(e);
      }
    }
  }

  // Registration as the implicit source of the service layer, unless
  // publications say what the services are.
  if (!published_tuples) {
    if (registrations.empty()) {
      if (out.tuples.empty()) out.tuples.push_back(OfflineTuple(ids.Take(std::string(kOfflineTupleId), "t")));
    } else {
      std::vector<const RegisteredContact*> regs;
      for (const auto& r : registrations) regs.push_back(&r);
      std::sort(regs.begin(), regs.end(), [](const RegisteredContact* a, const RegisteredContact* b) {
        uint16_t qa = a->q.value_or(1000), qb = b->q.value_or(1000);
        return qa != qb ? qa > qb : a->uri < b->uri;
      });
      for (const auto* r : regs) {
        Tuple& t = out.tuples.emplace_back();
        t.id = ids.Take(RegistrationTupleId(r->uri), "t");
        t.basic = Basic::kOpen;
        t.contact = r->uri;
        t.priority = r->q;
      }
    }
  }
  return out;
}

PresenceDoc Offline(std::string_view entity) {
  PresenceDoc doc;
  doc.entity = std::string(entity);
  doc.tuples.push_back(OfflineTuple(std::string(kOfflineTupleId)));
  return doc;
}

PresenceDoc PoliteBlock(std::string_view entity) { return Offline(entity); }

PresenceDoc Invisible(std::string_view entity) { return Offline(entity); }

}  // namespace parley::presence
