#pragma once
// The XCAP server (RFC 4825) the group directory and authorization rules
// live in. This layer knows documents, application usages and their
// rules; the HTTP listener (server/) authenticates the caller and hands the
// request over. Whole documents: GET, PUT (create or replace) and DELETE,
// with entity tags and If-Match / If-None-Match. Elements and attributes
// through node selectors (RFC 4825 §6.3, §6.4 xmlns() query; see
// node_selector.h and README.md): GET (application/xcap-el+xml,
// application/xcap-att+xml), PUT (create or replace, the whole document
// validated again, §8.2.5 idempotency) and DELETE, each a conditional
// rewrite of the document version read.
//
// Application usages:
//   pres-rules   application/auth-policy+xml   RFC 5025 (validated by the rules parser)
//   xcap-caps    application/xcap-caps+xml     RFC 4825 §12 (global, read-only)

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/executor.h"

namespace parley::xcap {

// The document an XCAP URI path names (RFC 4825 §6): after the XCAP root,
// "<auid>/users/<xui>/<document>" or "<auid>/global/<document>".
struct DocumentSelector {
  std::string auid;
  std::string xui;       // normalized AOR ("alice@example.com"), or "global"
  std::string document;  // "index"
  bool node_selector = false;  // "/~~/…" followed
  std::string node;            // the node selector after "/~~/", percent-decoded
};
// `path` is the part after the root ("/pres-rules/users/sip:alice@example.com/index").
// Errors: 404 (not an XCAP document path).
Result<DocumentSelector> ParseDocumentSelector(std::string_view path);

struct XcapRequest {
  std::string method;        // GET, PUT, DELETE
  std::string path;          // after the XCAP root
  std::string query;         // after '?', undecoded: xmlns() bindings (§6.4)
  std::string user;          // authenticated AOR
  std::string content_type;  // of a PUT
  std::string if_match, if_none_match;
  std::string body;
};

struct XcapResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string etag;  // quoted entity tag for the ETag header, "" if none
};

struct ApplicationUsage {
  std::string auid;
  std::string mime_type;
  // Unprefixed element names in node selectors are in this namespace (§5.2).
  std::string default_ns;
  // Namespaces its documents use (besides default_ns), for xcap-caps.
  std::vector<std::string> namespaces;
  // Validates a document (RFC 4825 §8.2.5); the error's message is the
  // reason (409 with <schema-validation-error>), code 413 for a limit.
  std::function<Result<void>(std::string_view)> validate;
  // Optional: constraints across documents (RFC 4826 §4.4.2 uniqueness),
  // checked in the write's store transaction with the document as it would
  // be written; the error's message is the reason (409 with
  // `constraint_element`).
  std::function<Result<void>(store::Store&, const std::string& xui, std::string_view)> constrain;
  // The XCAP error element (RFC 4825 §11.2) a 409 of `constrain` names.
  std::string constraint_element = "uniqueness-failure";
};

class XcapServer {
 public:
  explicit XcapServer(store::StoreExecutor& store);
  void AddUsage(ApplicationUsage u);
  // Handles a request; `done` runs on the store executor's thread.
  void Handle(XcapRequest req, std::function<void(XcapResponse)> done);

 private:
  const ApplicationUsage* Find(std::string_view auid) const;
  XcapResponse Caps() const;
  // A request whose URI has a node selector (RFC 4825 §6.3).
  void HandleNode(XcapRequest req, const DocumentSelector& sel, const ApplicationUsage& usage,
                  std::function<void(XcapResponse)> done);
  store::StoreExecutor& store_;
  std::vector<ApplicationUsage> usages_;
};

// An application/xcap-error+xml body with one error element (RFC 4825 §11).
std::string ErrorBody(std::string_view element, std::string_view phrase = {});

// Usages this server provides.
ApplicationUsage PresRulesUsage();

}  // namespace parley::xcap
