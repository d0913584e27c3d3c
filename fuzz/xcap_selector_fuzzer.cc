// XCAP node selectors (RFC 4825 §6.3, §6.4): arbitrary bytes are split at the
// first '?' into a node selector and an xmlns() query, at the first '\n'
// after that into the body of a PUT. A selector that parses is applied to a
// pres-rules document: GET, PUT and DELETE must keep their promises (a PUT
// that succeeds is selected afterwards, a DELETE that succeeds is not, the
// result is XML that loads again) and fail only with their documented codes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "xcap/node_selector.h"

using namespace parley::xcap;

namespace {

constexpr char kDoc[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">
  <!-- rules -->
  <rule id="a"><conditions><identity><one id="sip:bob@example.com"/><many domain="example.com"/></identity></conditions>
    <actions><pr:sub-handling>allow</pr:sub-handling></actions><transformations/></rule>
  <rule id="b" xml:lang="en"><actions><pr:sub-handling>block</pr:sub-handling></actions></rule>
  <rule id="c"/>
</ruleset>)";

void Load(pugi::xml_document& d) {
  if (!LoadDocument(d, kDoc).ok()) __builtin_trap();
}

void Reloads(const pugi::xml_document& d) {
  pugi::xml_document again;
  if (!LoadDocument(again, SaveDocument(d)).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t q = in.find('?');
  std::string_view selector = in.substr(0, q);
  std::string_view rest = q == std::string_view::npos ? std::string_view() : in.substr(q + 1);
  size_t nl = rest.find('\n');
  std::string_view query = rest.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view("<rule id=\"z\"/>") : rest.substr(nl + 1);

  auto ns = ParseNamespaceBindings(query);
  if (!ns.ok()) {
    if (ns.error().code != 400 && ns.error().code != 414) __builtin_trap();
    return 0;
  }
  auto sel = ParseNodeSelector(selector, *ns, "urn:ietf:params:xml:ns:common-policy");
  if (!sel.ok()) {
    int c = sel.error().code;
    if (c != 400 && c != 414 && c != 501) __builtin_trap();
    return 0;
  }
  if (sel->steps.empty() || sel->steps.size() > kMaxSelectorSteps) __builtin_trap();

  pugi::xml_document doc;
  Load(doc);
  auto got = ReadNode(doc, *sel);
  if (!got.ok() && got.error().code != 404) __builtin_trap();

  auto put = PutNode(doc, *sel, body);
  if (put.ok()) {
    if (!ReadNode(doc, *sel).ok()) __builtin_trap();  // §8.2.5
    Reloads(doc);
  } else if (put.error().code != 409 || SplitConflict(put.error()).first.empty()) {
    __builtin_trap();
  }

  pugi::xml_document doc2;
  Load(doc2);
  auto del = DeleteNode(doc2, *sel);
  if (del.ok()) {
    if (ReadNode(doc2, *sel).ok()) __builtin_trap();
    Reloads(doc2);
  } else if (del.error().code != 404 && del.error().code != 409) {
    __builtin_trap();
  }
  return 0;
}
