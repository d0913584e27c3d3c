#include "xcap/xcap.h"

#include <algorithm>

#include "auth/digest.h"
#include "common/strings.h"
#include "common/timer.h"
#include "presence/rules/rules.h"
#include "xcap/node_selector.h"
#include "sip/lex.h"
#include "store/errors.h"
#include "store/names.h"

namespace parley::xcap {

namespace {

constexpr std::string_view kErrorType = "application/xcap-error+xml";
constexpr std::string_view kElementType = "application/xcap-el+xml";
constexpr std::string_view kAttributeType = "application/xcap-att+xml";

std::string NewEtag() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : auth::RandomBytes(12)) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string Quote(const std::string& etag) { return "\"" + etag + "\""; }

// An entity tag from If-Match / If-None-Match: "*", "\"tag\"" or W/"tag".
std::string Unquote(std::string_view v) {
  v = TrimLws(v);
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return std::string(v);
}

XcapResponse Error(int status, std::string_view element = {}, std::string_view phrase = {}) {
  XcapResponse r;
  r.status = status;
  if (!element.empty()) {
    r.content_type = std::string(kErrorType);
    r.body = ErrorBody(element, phrase);
  }
  return r;
}

// A 400/414/501 about the node selector or its query, with the reason.
XcapResponse SelectorProblem(const parley::Error& e) {
  XcapResponse r;
  r.status = e.code;
  r.content_type = "text/plain; charset=utf-8";
  r.body = e.message + "\n";
  return r;
}

// A usage's constraint refused a write: 409 with the usage's error element
// and the reason; anything else is the store's (503).
XcapResponse ConstraintProblem(const parley::Error& e, const std::string& element) {
  return e.code == 409 ? Error(409, element, e.message) : Error(503);
}

// An error of a node operation: 409 with its XCAP error element, else the code.
XcapResponse NodeProblem(const parley::Error& e) {
  if (e.code != 409) return Error(e.code);
  auto [element, phrase] = SplitConflict(e);
  return Error(409, element, phrase);
}

// A node PUT or DELETE inside the store's transaction: the document is read,
// changed, validated and written back on the condition that it is still the
// version read (so no concurrent change is lost).
XcapResponse RewriteNode(store::Store& s, const DocumentSelector& sel, const NodeSelector& node,
                         const std::string& method, std::string_view body, const std::string& if_match,
                         const std::string& if_none_match, const ApplicationUsage& usage) {
  auto d = s.GetXcapDocument(sel.auid, sel.xui, sel.document);
  if (!d.ok()) return Error(503);
  const std::optional<store::XcapDocument>& current = *d;
  if (!if_match.empty() && (!current || (if_match != "*" && if_match != current->etag))) return Error(412);
  if (current && !if_none_match.empty() && (if_none_match == "*" || if_none_match == current->etag)) {
    return Error(412);
  }
  if (!current) return method == "PUT" ? Error(409, "no-parent", "the document does not exist") : Error(404);
  pugi::xml_document dom;
  if (!LoadDocument(dom, current->content).ok()) return Error(500);
  bool created = false;
  if (method == "PUT") {
    auto put = PutNode(dom, node, body);
    if (!put.ok()) return NodeProblem(put.error());
    created = *put;
  } else {
    auto del = DeleteNode(dom, node);
    if (!del.ok()) return NodeProblem(del.error());
  }
  std::string content = SaveDocument(dom);
  if (auto v = usage.validate(content); !v.ok()) {
    if (v.error().code == 413) return Error(413);
    return Error(409, "schema-validation-error", v.error().message);
  }
  if (usage.constrain) {
    if (auto c = usage.constrain(s, sel.xui, content); !c.ok()) {
      return ConstraintProblem(c.error(), usage.constraint_element);
    }
  }
  store::XcapDocument next{sel.auid, sel.xui, sel.document, NewEtag(), std::move(content), UnixNow()};
  auto w = s.PutXcapDocument(next, current->etag, false);
  if (!w.ok()) return Error(503);
  if (*w == store::XcapOutcome::kPreconditionFailed) return Error(412);
  XcapResponse r;
  r.status = created ? 201 : 200;
  r.etag = Quote(next.etag);
  return r;
}

}  // namespace

std::string ErrorBody(std::string_view element, std::string_view phrase) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xcap-error xmlns=\"urn:ietf:params:xml:ns:xcap-error\">";
  out.append("<").append(element);
  if (!phrase.empty()) {
    out.append(" phrase=\"");
    for (char c : phrase) {
      switch (c) {
        case '&': out.append("&amp;"); break;
        case '<': out.append("&lt;"); break;
        case '"': out.append("&quot;"); break;
        default: out.push_back(c);
      }
    }
    out.append("\"");
  }
  out.append("/></xcap-error>\n");
  return out;
}

Result<DocumentSelector> ParseDocumentSelector(std::string_view path) {
  DocumentSelector sel;
  if (size_t ns = path.find("/~~/"); ns != std::string_view::npos) {
    sel.node_selector = true;
    sel.node = sip::PercentDecode(path.substr(ns + 4));
    path = path.substr(0, ns);
  }
  std::vector<std::string> parts;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    parts.push_back(sip::PercentDecode(path.substr(0, slash)));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  auto bad = [] { return parley::Error(404, "not an XCAP document"); };
  if (parts.size() < 3 || parts[0].empty()) return bad();
  sel.auid = parts[0];
  size_t doc_at;
  if (parts[1] == "global") {
    sel.xui = "global";
    doc_at = 2;
  } else if (parts[1] == "users" && parts.size() >= 4) {
    auto aor = store::NormalizeAor(parts[2]);
    if (!aor.ok()) return bad();
    sel.xui = *aor;
    doc_at = 3;
  } else {
    return bad();
  }
  // Documents live directly under the user's (or global) directory.
  if (parts.size() != doc_at + 1 || parts[doc_at].empty()) return bad();
  sel.document = parts[doc_at];
  return sel;
}

XcapServer::XcapServer(store::StoreExecutor& store) : store_(store) {}

void XcapServer::AddUsage(ApplicationUsage u) { usages_.push_back(std::move(u)); }

const ApplicationUsage* XcapServer::Find(std::string_view auid) const {
  for (const auto& u : usages_) {
    if (u.auid == auid) return &u;
  }
  return nullptr;
}

XcapResponse XcapServer::Caps() const {
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xcap-caps xmlns=\"urn:ietf:params:xml:ns:xcap-caps\">\n<auids>";
  x.append("<auid>xcap-caps</auid>");
  for (const auto& u : usages_) x.append("<auid>").append(u.auid).append("</auid>");
  x.append("</auids>\n<extensions/>\n<namespaces><namespace>urn:ietf:params:xml:ns:xcap-caps</namespace>");
  x.append("<namespace>urn:ietf:params:xml:ns:xcap-error</namespace>");
  std::vector<std::string> listed;
  for (const auto& u : usages_) {
    for (const std::string& ns : u.namespaces) listed.push_back(ns);
    listed.push_back(u.default_ns);
  }
  for (size_t i = 0; i < listed.size(); ++i) {
    if (std::find(listed.begin(), listed.begin() + i, listed[i]) != listed.begin() + i) continue;
    x.append("<namespace>").append(listed[i]).append("</namespace>");
  }
  x.append("</namespaces>\n</xcap-caps>\n");
  return {200, "application/xcap-caps+xml", std::move(x), {}};
}

void XcapServer::Handle(XcapRequest req, std::function<void(XcapResponse)> done) {
  auto sel = ParseDocumentSelector(req.path);
  if (!sel.ok()) return done(Error(404));
  if (sel->auid == "xcap-caps") {
    if (sel->xui != "global" || sel->document != "index") return done(Error(404));
    if (req.method != "GET") return done(Error(405));
    return done(Caps());
  }
  const ApplicationUsage* usage = Find(sel->auid);
  if (!usage) return done(Error(404));
  // Users reach their own documents only; global documents are read-only.
  if (sel->xui == "global") {
    if (req.method != "GET") return done(Error(403));
  } else if (sel->xui != req.user) {
    return done(Error(403));
  }
  if (sel->node_selector) return HandleNode(std::move(req), *sel, *usage, std::move(done));
  if (req.method == "PUT") {
    std::string_view ct = TrimLws(std::string_view(req.content_type).substr(0, req.content_type.find(';')));
    if (!IEquals(ct, usage->mime_type)) return done(Error(415));
    if (auto v = usage->validate(req.body); !v.ok()) {
      if (v.error().code == 413) return done(Error(413));
      bool xml = v.error().message.find("well-formed") != std::string::npos;
      return done(Error(409, xml ? "not-well-formed" : "schema-validation-error", v.error().message));
    }
  } else if (req.method != "GET" && req.method != "DELETE") {
    return done(Error(405));
  }
  std::string if_match = req.if_match.empty() ? "" : Unquote(req.if_match);
  std::string if_none_match = req.if_none_match.empty() ? "" : Unquote(req.if_none_match);
  if (req.method == "GET") {
    store_.ReadCommitted([sel = *sel, if_match, if_none_match, done, mime = usage->mime_type](store::Store& s) {
      auto d = s.GetXcapDocument(sel.auid, sel.xui, sel.document);
      if (!d.ok()) return done(Error(503));
      if (!*d) return done(Error(404));
      const store::XcapDocument& doc = **d;
      if (!if_none_match.empty() && (if_none_match == "*" || if_none_match == doc.etag)) {
        XcapResponse r = Error(304);
        r.etag = Quote(doc.etag);
        return done(std::move(r));
      }
      if (!if_match.empty() && if_match != "*" && if_match != doc.etag) return done(Error(412));
      done({200, mime, doc.content, Quote(doc.etag)});
    });
    return;
  }
  store_.Write([sel = *sel, method = req.method, body = std::move(req.body), if_match, if_none_match,
                constrain = usage->constrain, element = usage->constraint_element,
                done](store::Store& s) -> store::StoreExecutor::Completion {
    auto pending = std::make_shared<XcapResponse>();
    Result<void> allowed = Ok();
    if (method == "PUT" && constrain) allowed = constrain(s, sel.xui, body);
    if (!allowed.ok()) {
      *pending = ConstraintProblem(allowed.error(), element);
    } else if (method == "PUT") {
      store::XcapDocument doc{sel.auid, sel.xui, sel.document, NewEtag(), body, UnixNow()};
      // Only "*" is meaningful in If-None-Match for a write (RFC 7232 §3.2).
      auto w = s.PutXcapDocument(doc, if_match, if_none_match == "*");
      if (!w.ok()) {
        *pending = Error(503);
      } else if (*w == store::XcapOutcome::kPreconditionFailed) {
        *pending = Error(412);
      } else {
        *pending = {*w == store::XcapOutcome::kCreated ? 201 : 200, {}, {}, Quote(doc.etag)};
      }
    } else {
      auto w = s.DeleteXcapDocument(sel.auid, sel.xui, sel.document, if_match);
      if (!w.ok()) {
        *pending = Error(503);
      } else if (*w == store::XcapOutcome::kPreconditionFailed) {
        *pending = Error(412);
      } else {
        *pending = Error(*w == store::XcapOutcome::kDeleted ? 200 : 404);
      }
    }
    // Answered once the change is durable.
    return [pending, done](const Result<void>& committed) {
      if (!committed.ok()) *pending = Error(503);
      done(std::move(*pending));
    };
  });
}

void XcapServer::HandleNode(XcapRequest req, const DocumentSelector& sel, const ApplicationUsage& usage,
                            std::function<void(XcapResponse)> done) {
  auto bindings = ParseNamespaceBindings(sip::PercentDecode(req.query));
  if (!bindings.ok()) return done(SelectorProblem(bindings.error()));
  auto parsed = ParseNodeSelector(sel.node, *bindings, usage.default_ns);
  if (!parsed.ok()) return done(SelectorProblem(parsed.error()));
  auto node = std::make_shared<const NodeSelector>(std::move(*parsed));
  std::string if_match = req.if_match.empty() ? "" : Unquote(req.if_match);
  std::string if_none_match = req.if_none_match.empty() ? "" : Unquote(req.if_none_match);
  if (req.method == "GET") {
    store_.ReadCommitted([sel, node, if_match, if_none_match, done](store::Store& s) {
      auto d = s.GetXcapDocument(sel.auid, sel.xui, sel.document);
      if (!d.ok()) return done(Error(503));
      if (!*d) return done(Error(404));
      const store::XcapDocument& doc = **d;
      if (!if_none_match.empty() && (if_none_match == "*" || if_none_match == doc.etag)) {
        XcapResponse r = Error(304);
        r.etag = Quote(doc.etag);
        return done(std::move(r));
      }
      if (!if_match.empty() && if_match != "*" && if_match != doc.etag) return done(Error(412));
      pugi::xml_document dom;
      if (!LoadDocument(dom, doc.content).ok()) return done(Error(500));
      auto got = ReadNode(dom, *node);
      if (!got.ok()) return done(Error(404));
      done({200, std::string(node->selects_attribute() ? kAttributeType : kElementType), std::move(*got),
            Quote(doc.etag)});
    });
    return;
  }
  if (req.method == "PUT") {
    std::string_view ct = TrimLws(std::string_view(req.content_type).substr(0, req.content_type.find(';')));
    if (!IEquals(ct, node->selects_attribute() ? kAttributeType : kElementType)) return done(Error(415));
  } else if (req.method != "DELETE") {
    return done(Error(405));
  }
  store_.Write([sel, node, method = req.method, body = std::move(req.body), if_match, if_none_match, usage,
                done](store::Store& s) -> store::StoreExecutor::Completion {
    auto pending = std::make_shared<XcapResponse>(
        RewriteNode(s, sel, *node, method, body, if_match, if_none_match, usage));
    return [pending, done](const Result<void>& committed) {
      if (!committed.ok()) *pending = Error(503);
      done(std::move(*pending));
    };
  });
}

ApplicationUsage PresRulesUsage() {
  ApplicationUsage u;
  u.auid = "pres-rules";
  u.mime_type = "application/auth-policy+xml";
  u.default_ns = "urn:ietf:params:xml:ns:common-policy";
  u.namespaces = {"urn:ietf:params:xml:ns:pres-rules"};
  u.validate = [](std::string_view body) -> Result<void> {
    auto r = presence::rules::ParseRuleset(body);
    if (!r.ok()) return r.error();
    return Ok();
  };
  return u;
}

}  // namespace parley::xcap
