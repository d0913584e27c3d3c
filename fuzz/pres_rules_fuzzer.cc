// pres-rules: parse arbitrary bytes; a ruleset that parses is evaluated for
// a few watchers, spheres and times, and each combined transformation is
// applied to a rich presence document, which must stay valid PIDF. Setting
// (then removing) a watcher's rule must give a document that parses, with
// every other rule as it was.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "presence/doc/pidf.h"
#include "presence/rules/edit.h"
#include "presence/rules/rules.h"
#include "presence/rules/transform.h"

using namespace parley::presence;
using namespace parley::presence::rules;

namespace {

constexpr char kSample[] = R"(<presence xmlns="urn:ietf:params:xml:ns:pidf"
    xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"
    xmlns:cipid="urn:ietf:params:xml:ns:pidf:cipid" xmlns:foo="urn:vendor-specific:foo-namespace"
    entity="sip:alice@example.com">
  <tuple id="t1"><status><basic>open</basic></status><dm:deviceID>mac:1</dm:deviceID>
    <rpid:service-class><rpid:electronic/></rpid:service-class><rpid:relationship><rpid:self/></rpid:relationship>
    <rpid:user-input idle-threshold="60" last-input="2024-01-01T00:00:00Z">idle</rpid:user-input>
    <rpid:class>work</rpid:class><rpid:status-icon>http://x/i.png</rpid:status-icon><cipid:card>http://x/c</cipid:card>
    <foo:foo>x</foo:foo><contact priority="0.5">sip:alice@192.0.2.1</contact><note>n</note></tuple>
  <tuple id="t2"><status><foo:im>away</foo:im></status><contact>mailto:alice@example.com</contact></tuple>
  <tuple id="t3"><status><basic>closed</basic></status><contact>tel:+1234</contact></tuple>
  <note>presence note</note>
  <dm:person id="p1"><rpid:activities><rpid:note>a</rpid:note><rpid:busy/></rpid:activities>
    <rpid:mood><rpid:happy/></rpid:mood><rpid:place-is><rpid:audio><rpid:noisy/></rpid:audio></rpid:place-is>
    <rpid:place-type><rpid:other>office</rpid:other></rpid:place-type><rpid:privacy><rpid:quiet/></rpid:privacy>
    <rpid:sphere><rpid:work/></rpid:sphere><rpid:time-offset>60</rpid:time-offset>
    <rpid:user-input>active</rpid:user-input><rpid:class>c</rpid:class><cipid:display-name>A</cipid:display-name>
    <foo:foo>y</foo:foo><dm:note>p</dm:note></dm:person>
  <dm:device id="d1"><rpid:user-input>active</rpid:user-input><rpid:class>work</rpid:class>
    <dm:deviceID>mac:1</dm:deviceID><dm:note>d</dm:note></dm:device>
  <dm:person id="p2"/>
  <foo:bar>z</foo:bar>
</presence>)";

const PresenceDoc& Sample() {
  static const PresenceDoc doc = [] {
    auto d = ParsePidf(kSample, "");
    if (!d.ok()) __builtin_trap();
    return *d;
  }();
  return doc;
}

// The rules of `rs` that are not single-watcher rules about `watcher`.
std::vector<Rule> Others(const Ruleset& rs, const IdentityRef& watcher) {
  std::vector<Rule> out;
  for (const auto& r : rs.rules) {
    const IdentityRef* one = SingleWatcher(r);
    if (!one || !SameIdentity(*one, watcher)) out.push_back(r);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto rs = ParseRuleset(body);
  if (!rs.ok()) {
    if (rs.error().code != 400 && rs.error().code != 413) __builtin_trap();
    return 0;
  }
  for (const char* who : {"sip:alice@example.com", "sip:bob@example.com", "tel:+1234", "bob@example.org"}) {
    for (const char* sphere : {"", "work"}) {
      for (int64_t now : {int64_t{0}, int64_t{1700000000}}) {
        for (bool authenticated : {true, false}) {
          Decision d = Evaluate(*rs, Watcher{who, authenticated}, now, sphere);
          if (d.matched != !d.matched_rules.empty()) __builtin_trap();
          if (!d.matched && (d.sub_handling || !(d.transformations == Transformations{}))) __builtin_trap();
          PresenceDoc view = ApplyTransformations(Sample(), d.transformations);
          auto back = ParsePidf(SerializePidf(view), "");
          if (!back.ok() || !(*back == view)) __builtin_trap();
        }
      }
    }
  }
  (void)ListRules(*rs);

  const IdentityRef bob = *MakeIdentityRef("sip:bob@example.com");
  auto edited = SetWatcherRule(body, "sip:bob@example.com", SubHandling::kAllow);
  if (!edited.ok()) {
    if (edited.error().code != 413) __builtin_trap();  // the input parsed: only a limit may refuse
    return 0;
  }
  auto after = ParseRuleset(*edited);
  if (!after.ok()) __builtin_trap();
  Decision d = Evaluate(*after, Watcher{"sip:bob@example.com"}, 0, "");
  if (d.sub_handling != SubHandling::kAllow || !d.transformations.all_attributes) __builtin_trap();
  if (Others(*after, bob) != Others(*rs, bob)) __builtin_trap();  // every other rule as it was
  auto removed = RemoveWatcherRule(*edited, "sip:bob@example.com");
  if (!removed.ok()) __builtin_trap();
  auto final_rules = ParseRuleset(*removed);
  if (!final_rules.ok() || final_rules->rules != Others(*rs, bob)) __builtin_trap();
  return 0;
}
