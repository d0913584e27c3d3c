// Presence state in the store: publications, subscriptions, XCAP documents
// and options (migration 2). Same rules as sql_store.cc.

#include "store/errors.h"
#include "store/names.h"
#include "store/sql_store.h"
#include "store/sql_util.h"

namespace parley::store {
namespace {

const std::string kPublicationColumns =
    "etag, aor, event, content_type, body, published_at_ms, expires_at, partial_version";
const std::string kUpsertPublication =
    "INSERT INTO publications (" + kPublicationColumns +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (etag) DO UPDATE SET aor = excluded.aor, event = excluded.event,"
    " content_type = excluded.content_type, body = excluded.body, published_at_ms = excluded.published_at_ms,"
    " expires_at = excluded.expires_at, partial_version = excluded.partial_version";
const std::string kDeletePublication = "DELETE FROM publications WHERE etag = $1";
const std::string kLoadPublications = "SELECT " + kPublicationColumns + " FROM publications ORDER BY aor, etag";
const std::string kDeleteExpiredPublications = "DELETE FROM publications WHERE expires_at <= $1";
const std::string kDeleteUserPublications = "DELETE FROM publications WHERE aor = $1";
const std::string kDeleteUserCallDialogs = "DELETE FROM call_dialogs WHERE aor = $1";

const std::string kSubscriptionColumns =
    "id, package, event_id, resource, subscriber, state, expires_at, call_id, local_tag, remote_tag, local_uri,"
    " remote_party, remote_target, route, local_cseq, remote_cseq, destination, version, options, updated_at,"
    " package_state";
const std::string kUpsertSubscription =
    "INSERT INTO subscriptions (" + kSubscriptionColumns +
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
    " ON CONFLICT (id) DO UPDATE SET package = excluded.package, event_id = excluded.event_id,"
    " resource = excluded.resource, subscriber = excluded.subscriber, state = excluded.state,"
    " expires_at = excluded.expires_at, call_id = excluded.call_id, local_tag = excluded.local_tag,"
    " remote_tag = excluded.remote_tag, local_uri = excluded.local_uri, remote_party = excluded.remote_party,"
    " remote_target = excluded.remote_target, route = excluded.route, local_cseq = excluded.local_cseq,"
    " remote_cseq = excluded.remote_cseq, destination = excluded.destination, version = excluded.version,"
    " options = excluded.options, updated_at = excluded.updated_at, package_state = excluded.package_state";
const std::string kDeleteSubscription = "DELETE FROM subscriptions WHERE id = $1";
const std::string kLoadSubscriptions = "SELECT " + kSubscriptionColumns + " FROM subscriptions ORDER BY id";
const std::string kDeleteExpiredSubscriptions = "DELETE FROM subscriptions WHERE expires_at <= $1";
const std::string kDeleteUserSubscriptions = "DELETE FROM subscriptions WHERE resource = $1 OR subscriber = $1";

const std::string kGetXcap =
    "SELECT auid, xui, name, etag, content, updated_at FROM xcap_documents WHERE auid = $1 AND xui = $2 AND name = $3";
const std::string kListXcap =
    "SELECT auid, xui, name, etag, content, updated_at FROM xcap_documents WHERE auid = $1 ORDER BY xui, name";
const std::string kUpsertXcap =
    "INSERT INTO xcap_documents (auid, xui, name, etag, content, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (auid, xui, name) DO UPDATE SET etag = excluded.etag, content = excluded.content,"
    " updated_at = excluded.updated_at";
const std::string kDeleteXcap = "DELETE FROM xcap_documents WHERE auid = $1 AND xui = $2 AND name = $3";
const std::string kDeleteUserXcap = "DELETE FROM xcap_documents WHERE xui = $1";

const std::string kSetOption =
    "INSERT INTO options (scope, name, value) VALUES ($1, $2, $3)"
    " ON CONFLICT (scope, name) DO UPDATE SET value = excluded.value";
const std::string kDeleteOption = "DELETE FROM options WHERE scope = $1 AND name = $2";
const std::string kGetOptions = "SELECT scope, name, value FROM options WHERE scope = $1 ORDER BY name";
const std::string kDeleteScopeOptions = "DELETE FROM options WHERE scope = $1";

// "alice@example.com", "example.com" or "global".
Result<std::string> NormalizeScope(std::string_view scope) {
  if (scope == "global") return std::string(scope);
  if (scope.find('@') != std::string_view::npos) return NormalizeAor(scope);
  return NormalizeDomain(scope);
}

bool ValidXcapName(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<void> SqlStore::DeletePresenceState(const std::string& aor) {
  for (const std::string* sql : {&kDeleteUserPublications, &kDeleteUserSubscriptions, &kDeleteUserXcap,
                                 &kDeleteScopeOptions, &kDeleteUserCallDialogs}) {
    if (auto r = Run(*sql, {aor}); !r.ok()) return r.take_error();
  }
  return Ok();
}

Result<void> SqlStore::UpsertPublication(const Publication& p) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    if (p.etag.empty() || p.aor.empty() || p.event.empty()) {
      return Error(kErrInvalid, "publication needs an etag, an AOR and an event");
    }
    auto r = Run(kUpsertPublication,
                 {p.etag, p.aor, p.event, p.content_type, p.body, p.published_at_ms, p.expires_at, p.partial_version});
    if (!r.ok()) return r.take_error();
    return Ok();
  });
}

Result<bool> SqlStore::DeletePublication(const std::string& etag) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto n = Run(kDeletePublication, {etag});
    if (!n.ok()) return n.take_error();
    return *n > 0;
  });
}

Result<std::vector<Publication>> SqlStore::LoadPublications() {
  return Guarded<std::vector<Publication>>(Mode::kSingle, [&]() -> Result<std::vector<Publication>> {
    SqlRows rows;
    if (auto r = Run(kLoadPublications, {}, &rows); !r.ok()) return r.take_error();
    std::vector<Publication> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      Publication& p = out[i];
      p.etag = rows.at(i, 0);
      p.aor = rows.at(i, 1);
      p.event = rows.at(i, 2);
      p.content_type = rows.at(i, 3);
      p.body = rows.at(i, 4);
      p.published_at_ms = ToInt(rows.at(i, 5));
      p.expires_at = ToInt(rows.at(i, 6));
      p.partial_version = ToInt(rows.at(i, 7));
    }
    return out;
  });
}

Result<size_t> SqlStore::DeleteExpiredPublications(int64_t now) {
  return Guarded<size_t>(Mode::kSingle, [&]() -> Result<size_t> {
    auto n = Run(kDeleteExpiredPublications, {now});
    if (!n.ok()) return n.take_error();
    return static_cast<size_t>(*n);
  });
}

Result<void> SqlStore::UpsertSubscription(const SubscriptionRecord& s) {
  return Guarded<void>(Mode::kSingle, [&]() -> Result<void> {
    if (s.id <= 0 || s.package.empty() || s.resource.empty()) {
      return Error(kErrInvalid, "subscription needs an id, a package and a resource");
    }
    if (s.state != "active" && s.state != "pending") return Error(kErrInvalid, "subscription state " + s.state);
    auto r = Run(kUpsertSubscription,
                 {s.id, s.package, s.event_id, s.resource, s.subscriber, s.state, s.expires_at, s.call_id,
                  s.local_tag, s.remote_tag, s.local_uri, s.remote_party, s.remote_target, s.route, s.local_cseq,
                  s.remote_cseq, s.destination, s.version, s.options, s.updated_at, s.package_state});
    if (!r.ok()) return r.take_error();
    return Ok();
  });
}

Result<bool> SqlStore::DeleteSubscription(int64_t id) {
  return Guarded<bool>(Mode::kSingle, [&]() -> Result<bool> {
    auto n = Run(kDeleteSubscription, {id});
    if (!n.ok()) return n.take_error();
    return *n > 0;
  });
}

Result<std::vector<SubscriptionRecord>> SqlStore::LoadSubscriptions() {
  using Out = std::vector<SubscriptionRecord>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    SqlRows rows;
    if (auto r = Run(kLoadSubscriptions, {}, &rows); !r.ok()) return r.take_error();
    Out out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      SubscriptionRecord& s = out[i];
      s.id = ToInt(rows.at(i, 0));
      s.package = rows.at(i, 1);
      s.event_id = rows.at(i, 2);
      s.resource = rows.at(i, 3);
      s.subscriber = rows.at(i, 4);
      s.state = rows.at(i, 5);
      s.expires_at = ToInt(rows.at(i, 6));
      s.call_id = rows.at(i, 7);
      s.local_tag = rows.at(i, 8);
      s.remote_tag = rows.at(i, 9);
      s.local_uri = rows.at(i, 10);
      s.remote_party = rows.at(i, 11);
      s.remote_target = rows.at(i, 12);
      s.route = rows.at(i, 13);
      s.local_cseq = ToInt(rows.at(i, 14));
      s.remote_cseq = ToInt(rows.at(i, 15));
      s.destination = rows.at(i, 16);
      s.version = ToInt(rows.at(i, 17));
      s.options = rows.at(i, 18);
      s.updated_at = ToInt(rows.at(i, 19));
      s.package_state = rows.at(i, 20);
    }
    return out;
  });
}

Result<size_t> SqlStore::DeleteExpiredSubscriptions(int64_t now) {
  return Guarded<size_t>(Mode::kSingle, [&]() -> Result<size_t> {
    auto n = Run(kDeleteExpiredSubscriptions, {now});
    if (!n.ok()) return n.take_error();
    return static_cast<size_t>(*n);
  });
}

Result<std::optional<XcapDocument>> SqlStore::GetXcapDocument(const std::string& auid, const std::string& xui,
                                                              const std::string& name) {
  using Out = std::optional<XcapDocument>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    SqlRows rows;
    if (auto r = Run(kGetXcap, {auid, xui, name}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return Out{};
    return Out{XcapDocument{rows.at(0, 0), rows.at(0, 1), rows.at(0, 2), rows.at(0, 3), rows.at(0, 4),
                            ToInt(rows.at(0, 5))}};
  });
}

Result<std::vector<XcapDocument>> SqlStore::ListXcapDocuments(const std::string& auid) {
  using Out = std::vector<XcapDocument>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    SqlRows rows;
    if (auto r = Run(kListXcap, {auid}, &rows); !r.ok()) return r.take_error();
    Out out;
    out.reserve(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      out.push_back(XcapDocument{rows.at(i, 0), rows.at(i, 1), rows.at(i, 2), rows.at(i, 3), rows.at(i, 4),
                                 ToInt(rows.at(i, 5))});
    }
    return out;
  });
}

Result<XcapOutcome> SqlStore::PutXcapDocument(const XcapDocument& doc, const std::string& if_match,
                                              bool if_none_match) {
  return Guarded<XcapOutcome>(Mode::kFeed, [&]() -> Result<XcapOutcome> {
    if (!ValidXcapName(doc.auid) || !ValidXcapName(doc.name) || doc.etag.empty()) {
      return Error(kErrInvalid, "XCAP document needs an application usage, a name and an etag");
    }
    if (doc.xui != "global") {
      auto a = NormalizeAor(doc.xui);
      if (!a.ok() || *a != doc.xui) return Error(kErrInvalid, "XCAP user " + doc.xui + " is not a normalized AOR");
    }
    SqlRows rows;
    if (auto r = Run(kGetXcap, {doc.auid, doc.xui, doc.name}, &rows); !r.ok()) return r.take_error();
    bool exists = !rows.empty();
    if (if_none_match && exists) return XcapOutcome::kPreconditionFailed;
    if (!if_match.empty() && (!exists || (if_match != "*" && if_match != rows.at(0, 3)))) {
      return XcapOutcome::kPreconditionFailed;
    }
    auto w = Run(kUpsertXcap, {doc.auid, doc.xui, doc.name, doc.etag, doc.content, doc.updated_at});
    if (!w.ok()) return w.take_error();
    if (auto c = AppendChange("xcap", doc.auid + "/" + doc.xui); !c.ok()) return c.error();
    return exists ? XcapOutcome::kReplaced : XcapOutcome::kCreated;
  });
}

Result<XcapOutcome> SqlStore::DeleteXcapDocument(const std::string& auid, const std::string& xui,
                                                 const std::string& name, const std::string& if_match) {
  return Guarded<XcapOutcome>(Mode::kFeed, [&]() -> Result<XcapOutcome> {
    SqlRows rows;
    if (auto r = Run(kGetXcap, {auid, xui, name}, &rows); !r.ok()) return r.take_error();
    if (rows.empty()) return if_match.empty() ? XcapOutcome::kMissing : XcapOutcome::kPreconditionFailed;
    if (!if_match.empty() && if_match != "*" && if_match != rows.at(0, 3)) return XcapOutcome::kPreconditionFailed;
    if (auto d = Run(kDeleteXcap, {auid, xui, name}); !d.ok()) return d.take_error();
    if (auto c = AppendChange("xcap", auid + "/" + xui); !c.ok()) return c.error();
    return XcapOutcome::kDeleted;
  });
}

Result<void> SqlStore::SetOption(const OptionEntry& o) {
  return Guarded<void>(Mode::kFeed, [&]() -> Result<void> {
    auto scope = NormalizeScope(o.scope);
    if (!scope.ok()) return scope.take_error();
    if (!ValidXcapName(o.name)) return Error(kErrInvalid, "option name \"" + o.name + "\"");
    auto r = o.value.empty() ? Run(kDeleteOption, {*scope, o.name}) : Run(kSetOption, {*scope, o.name, o.value});
    if (!r.ok()) return r.take_error();
    return AppendChange("option", *scope);
  });
}

Result<std::vector<OptionEntry>> SqlStore::GetOptions(const std::string& scope) {
  using Out = std::vector<OptionEntry>;
  return Guarded<Out>(Mode::kSingle, [&]() -> Result<Out> {
    Out out;
    auto s = NormalizeScope(scope);
    if (!s.ok()) return out;
    SqlRows rows;
    if (auto r = Run(kGetOptions, {*s}, &rows); !r.ok()) return r.take_error();
    for (size_t i = 0; i < rows.size(); ++i) out.push_back({rows.at(i, 0), rows.at(i, 1), rows.at(i, 2)});
    return out;
  });
}

}  // namespace parley::store
