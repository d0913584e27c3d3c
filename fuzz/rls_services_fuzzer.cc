// rls-services documents: parse arbitrary bytes; what parses has services
// with AOR keys, each once, members and references each once within the
// limits, and parses the same again. The same bytes as the resource-lists body of a list
// SUBSCRIBE (RFC 5367), plain and after undoing a deflate coding: the
// members are AORs, each once, within the limit; and as a resource-lists
// document (RFC 4826 §3). And as a list NOTIFY's body (RFC 4662, what a
// subscriber takes apart): the first line is the boundary, the rest the
// multipart/related body; what parses has at most the limit of resources,
// each with a URI, a body only for an active instance.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "presence/rls/rlmi.h"
#include "presence/rls/services_doc.h"
#include "sip/content_coding.h"

using namespace parley::presence;

namespace {

void CheckResourceLists(const std::string& body, const RlsServicesLimits& limits) {
  // As a user's document over XCAP: named lists, each within the limit,
  // names unique.
  auto doc = ParseResourceListsDocument(body, limits);
  if (doc.ok()) {
    std::set<std::string> names;
    for (const auto& l : *doc) {
      if (l.members.size() + l.refs.size() > limits.max_resources) __builtin_trap();
      for (const auto& r : l.refs) {
        if (r.uri.empty()) __builtin_trap();
      }
      if (!l.name.empty() && !names.insert(l.name).second) __builtin_trap();
    }
  } else if (doc.error().code != 400 && doc.error().code != 413) {
    __builtin_trap();
  }
  // As the body of a list SUBSCRIBE.
  auto r = ParseResourceLists(body, limits);
  if (!r.ok()) {
    if (r.error().code != 400 && r.error().code != 413) __builtin_trap();
    return;
  }
  if (r->empty() || r->size() > limits.max_resources) __builtin_trap();
  std::set<std::string> members(r->begin(), r->end());
  if (members.size() != r->size()) __builtin_trap();
  for (const auto& m : *r) {
    if (m.find('@') == std::string::npos) __builtin_trap();
  }
}

void CheckListBody(const std::string& input) {
  const size_t nl = input.find('\n');
  if (nl == std::string::npos) return;
  const std::string type = "multipart/related;type=\"application/rlmi+xml\";boundary=\"" + input.substr(0, nl) + "\"";
  constexpr size_t kMax = 64;
  auto list = ParseListBody(type, std::string_view(input).substr(nl + 1), kMax);
  if (!list.ok()) {
    if (list.error().code != 400 && list.error().code != 413) __builtin_trap();
    return;
  }
  if (list->resources.size() > kMax) __builtin_trap();
  for (const RlmiResource& r : list->resources) {
    if (r.uri.empty()) __builtin_trap();
    if (!r.body.empty() && r.state != InstanceState::kActive) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  CheckListBody(body);
  RlsServicesLimits limits;
  CheckResourceLists(body, limits);
  auto inflated = parley::sip::DecodeBody("deflate", body, limits.max_body_bytes);
  if (inflated.ok()) {
    if (inflated->size() > limits.max_body_bytes) __builtin_trap();
    CheckResourceLists(*inflated, limits);
  } else if (inflated.error().code != 400 && inflated.error().code != 413) {
    __builtin_trap();
  }
  auto s = ParseRlsServices(body, limits);
  if (!s.ok()) {
    if (s.error().code != 400 && s.error().code != 413) __builtin_trap();
    return 0;
  }
  if (s->size() > limits.max_services) __builtin_trap();
  std::set<std::string> uris;
  for (const RlsService& svc : *s) {
    if (svc.uri.find('@') == std::string::npos || !uris.insert(svc.uri).second) __builtin_trap();
    if (svc.members.size() + svc.refs.size() > limits.max_resources) __builtin_trap();
    for (const auto& r : svc.refs) {
      if (r.uri.empty()) __builtin_trap();
    }
    std::set<std::string> members(svc.members.begin(), svc.members.end());
    if (members.size() != svc.members.size()) __builtin_trap();
    for (const auto& m : svc.members) {
      if (m.find('@') == std::string::npos) __builtin_trap();
    }
  }
  auto again = ParseRlsServices(body, limits);
  if (!again.ok() || again->size() != s->size()) __builtin_trap();
  for (size_t i = 0; i < s->size(); ++i) {
    if ((*again)[i].uri != (*s)[i].uri || (*again)[i].members != (*s)[i].members || (*again)[i].refs != (*s)[i].refs) {
      __builtin_trap();
    }
  }
  return 0;
}
