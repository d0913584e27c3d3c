#pragma once
// Documents shared by the presence authorization tests.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "presence/doc/pidf.h"
#include "presence/doc/timestamp.h"
#include "presence/rules/rules.h"

namespace parley::presence::rules::testing {

// The example document of RFC 5025 (prefixes are the RFC's own).
inline constexpr std::string_view kRfc5025Example = R"(<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules"
 xmlns:pr="urn:ietf:params:xml:ns:pres-rules"
 xmlns:cr="urn:ietf:params:xml:ns:common-policy">
 <cr:rule id="a">
  <cr:conditions>
   <cr:identity>
    <cr:one id="sip:user@example.com"/>
   </cr:identity>
   <cr:sphere value="work"/>
  </cr:conditions>
  <cr:actions>
   <pr:sub-handling>allow</pr:sub-handling>
  </cr:actions>
  <cr:transformations>
   <pr:provide-services>
     <pr:service-uri-scheme>sip</pr:service-uri-scheme>
     <pr:service-uri-scheme>mailto</pr:service-uri-scheme>
   </pr:provide-services>
   <pr:provide-persons>
     <pr:all-persons/>
   </pr:provide-persons>
   <pr:provide-activities>true</pr:provide-activities>
   <pr:provide-user-input>bare</pr:provide-user-input>
   <pr:provide-unknown-attribute
      ns="urn:vendor-specific:foo-namespace"
      name="foo">true</pr:provide-unknown-attribute>
  </cr:transformations>
 </cr:rule>
</cr:ruleset>
)";

// The first example of RFC 4745 (a rule with all three conditions).
inline constexpr std::string_view kRfc4745Example1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy">
  <rule id="f3g44r1">
    <conditions>
      <sphere value="work"/>
      <identity>
        <one id="sip:alice@example.com"/>
        <one id="tel:+1-212-555-1234" />
        <one id="mailto:bob@example.net" />
      </identity>
      <validity>
        <from>2003-12-24T17:00:00+01:00</from>
        <until>2003-12-24T19:00:00+01:00</until>
      </validity>
    </conditions>
    <actions/>
    <transformations/>
  </rule>
</ruleset>
)";

// The second example of RFC 4745 (a domain with exceptions).
inline constexpr std::string_view kRfc4745Example2 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ruleset xmlns="urn:ietf:params:xml:ns:common-policy">
  <rule id="y6y55r2">
    <conditions>
      <sphere value="work"/>
      <identity>
        <many domain="example.com">
          <except id="sip:alice@example.com"/>
          <except id="sip:bob@example.com"/>
        </many>
      </identity>
    </conditions>
    <actions/>
    <transformations/>
  </rule>
</ruleset>
)";

// A ruleset with the usual prefixes around `rules`.
inline std::string Rules(std::string_view rules) {
  return std::string(R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" )"
                     R"(xmlns:pr="urn:ietf:params:xml:ns:pres-rules">)") +
         std::string(rules) + "</cr:ruleset>";
}

inline Ruleset MustParse(std::string_view body) {
  auto r = ParseRuleset(body);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message) << "\n" << body;
  return r.ok() ? *r : Ruleset{};
}

inline int64_t T(std::string_view datetime) { return ParseDateTime(datetime).value_or(-1); }

// A presentity with something of everything, for the transformation tests.
inline constexpr std::string_view kRichDocument = R"(<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
    xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:cipid="urn:ietf:params:xml:ns:pidf:cipid"
    xmlns:foo="urn:vendor-specific:foo-namespace" xmlns:bar="urn:vendor-specific:bar-namespace"
    xmlns:lt="urn:ietf:params:xml:ns:location-type"
    entity="pres:alice@example.com">
  <tuple id="sip-phone">
    <status><basic>open</basic></status>
    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>
    <rpid:service-class><rpid:electronic/></rpid:service-class>
    <rpid:relationship><rpid:self/></rpid:relationship>
    <rpid:user-input idle-threshold="600" last-input="2024-05-01T11:50:00Z">active</rpid:user-input>
    <rpid:class>work</rpid:class>
    <rpid:status-icon>http://example.com/phone.png</rpid:status-icon>
    <cipid:card>http://example.com/alice.vcf</cipid:card>
    <foo:foo>tuple-foo</foo:foo>
    <bar:bar>tuple-bar</bar:bar>
    <contact priority="0.8">sip:alice@pc33.example.com</contact>
    <note>phone note</note>
    <timestamp>2024-05-01T12:00:00Z</timestamp>
  </tuple>
  <tuple id="mail">
    <status><basic>open</basic></status>
    <rpid:class>home</rpid:class>
    <contact>mailto:alice@example.com</contact>
  </tuple>
  <tuple id="pstn">
    <status><basic>closed</basic></status>
    <contact>tel:+1-212-555-1234</contact>
  </tuple>
  <tuple id="im-only">
    <status><foo:im>away</foo:im></status>
  </tuple>
  <note>presence note</note>
  <dm:person id="p1">
    <rpid:activities><rpid:note>in a meeting</rpid:note><rpid:meeting/></rpid:activities>
    <rpid:mood><rpid:happy/></rpid:mood>
    <rpid:place-is><rpid:audio><rpid:noisy/></rpid:audio></rpid:place-is>
    <rpid:place-type><lt:office/></rpid:place-type>
    <rpid:privacy><rpid:quiet/></rpid:privacy>
    <rpid:sphere><rpid:work/></rpid:sphere>
    <rpid:time-offset>120</rpid:time-offset>
    <rpid:user-input idle-threshold="300" last-input="2024-05-01T11:55:00Z">idle</rpid:user-input>
    <rpid:class>personal</rpid:class>
    <rpid:status-icon>http://example.com/alice.png</rpid:status-icon>
    <cipid:display-name>Alice</cipid:display-name>
    <cipid:homepage>http://example.com/alice</cipid:homepage>
    <foo:foo>person-foo</foo:foo>
    <dm:note>person note</dm:note>
    <dm:timestamp>2024-05-01T12:00:00Z</dm:timestamp>
  </dm:person>
  <dm:device id="d1">
    <rpid:user-input>active</rpid:user-input>
    <rpid:class>work</rpid:class>
    <foo:foo>device-foo</foo:foo>
    <dm:deviceID>mac:8asd7d7d70</dm:deviceID>
    <dm:note>device note</dm:note>
  </dm:device>
  <dm:device id="d2">
    <dm:deviceID>urn:uuid:2222</dm:deviceID>
  </dm:device>
  <foo:foo>presence-foo</foo:foo>
  <bar:bar>presence-bar</bar:bar>
</presence>
)";

inline PresenceDoc RichDocument() {
  auto d = ParsePidf(kRichDocument, "");
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().message);
  return d.ok() ? *d : PresenceDoc{};
}

// The result of a transformation must be a document like any other.
inline void ExpectValidPidf(const PresenceDoc& doc) {
  std::string body = SerializePidf(doc);
  auto back = ParsePidf(body, "");
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << body;
  EXPECT_TRUE(*back == doc) << body;
}

}  // namespace parley::presence::rules::testing
