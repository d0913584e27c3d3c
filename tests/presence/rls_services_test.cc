// rls-services documents (RFC 4826 §4): what a user's presence list services parse to, and
// what is refused.

#include <gtest/gtest.h>

#include "presence/rls/services.h"
#include "presence/rls/services_doc.h"

namespace parley::presence {
namespace {

std::string Doc(const std::string& services) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"\n"
         "    xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\">\n" +
         services + "</rls-services>";
}

TEST(RlsServices, ServicesWithNestedListsFlattened) {
  auto s = ParseRlsServices(Doc(R"(
  <service uri="sip:alice-buddies@Example.COM">
    <rl:list name="friends">
      <rl:display-name>Friends</rl:display-name>
      <rl:entry uri="sip:bob@example.com"><rl:display-name>Bob</rl:display-name></rl:entry>
      <rl:list name="work"><rl:entry uri="sips:carol@EXAMPLE.com"/><rl:entry uri="sip:bob@example.com"/></rl:list>
    </rl:list>
    <packages><package>presence</package></packages>
  </service>
  <service uri="sip:alice-calls@example.com">
    <list xmlns="urn:ietf:params:xml:ns:resource-lists"><entry uri="sip:dave@example.com;transport=tcp"/></list>
    <packages><package>dialog</package></packages>
  </service>)"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0].uri, "alice-buddies@example.com");
  EXPECT_EQ((*s)[0].members, (std::vector<std::string>{"bob@example.com", "carol@example.com"}));  // bob once
  EXPECT_TRUE((*s)[0].Serves("presence"));
  EXPECT_FALSE((*s)[0].Serves("dialog"));
  EXPECT_EQ((*s)[1].members, (std::vector<std::string>{"dave@example.com"}));
  EXPECT_FALSE((*s)[1].Serves("presence"));  // a service for another event package
  EXPECT_TRUE((*s)[1].Serves("dialog"));
  // Without <packages>, every package we serve (RFC 4826 §4.2).
  auto any = ParseRlsServices(Doc(R"(<service uri="sip:all@example.com"><rl:list><rl:entry uri="sip:bob@example.com"/></rl:list></service>)"));
  ASSERT_TRUE(any.ok() && any->size() == 1u);
  EXPECT_TRUE((*any)[0].Serves("presence"));
  EXPECT_TRUE((*any)[0].Serves("dialog"));
  EXPECT_TRUE(ParseRlsServices(Doc(""))->empty());
}

TEST(RlsServices, WhatIsRefused) {
  struct Case {
    const char* name;
    std::string doc;
    int code;
  };
  const std::string ok_list = "<rl:list><rl:entry uri=\"sip:bob@example.com\"/></rl:list>";
  const Case cases[] = {
      {"not XML", "<rls-services", 400},
      {"wrong root", "<ruleset xmlns=\"urn:ietf:params:xml:ns:common-policy\"/>", 400},
      {"no uri", Doc("<service>" + ok_list + "</service>"), 400},
      {"tel service", Doc("<service uri=\"tel:+1234\">" + ok_list + "</service>"), 400},
      {"twice", Doc("<service uri=\"sip:l@example.com\">" + ok_list + "</service><service uri=\"sip:l@EXAMPLE.com\">" +
                    ok_list + "</service>"),
       400},
      {"no list", Doc("<service uri=\"sip:l@example.com\"/>"), 400},
      {"entry-ref without ref", Doc("<service uri=\"sip:l@example.com\"><rl:list><rl:entry-ref/></rl:list></service>"),
       400},
      {"external without anchor",
       Doc("<service uri=\"sip:l@example.com\"><rl:list><rl:external anchor=\" \"/></rl:list></service>"), 400},
      {"bad entry", Doc("<service uri=\"sip:l@example.com\"><rl:list><rl:entry uri=\"mailto:a@b\"/></rl:list></service>"),
       400},
      {"doctype", "<!DOCTYPE x []>" + Doc(""), 400},
  };
  for (const Case& c : cases) {
    auto r = ParseRlsServices(c.doc);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, c.code) << c.name << ": " << r.error().message;
  }
  // Limits: 413.
  RlsServicesLimits small;
  small.max_resources = 1;
  auto many = ParseRlsServices(
      Doc("<service uri=\"sip:l@example.com\"><rl:list><rl:entry uri=\"sip:a@example.com\"/>"
          "<rl:entry uri=\"sip:b@example.com\"/></rl:list></service>"),
      small);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, 413);
  std::string deep = "<rl:entry uri=\"sip:a@example.com\"/>";
  for (int i = 0; i < 20; ++i) deep = "<rl:list>" + deep + "</rl:list>";
  auto nested = ParseRlsServices(Doc("<service uri=\"sip:l@example.com\">" + deep + "</service>"));
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().code, 400);
}

// References (RFC 4826 §3.2) are kept as written, in document order, each
// once, and count against the resource limit; resolving them is the
// service directory's (services.h).
TEST(RlsServices, ListReferencesAreKeptForTheDirectory) {
  const std::string entry_ref =
      "resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5b@name=%22friends%22%5d/"
      "entry%5b@uri=%22sip:bob@example.com%22%5d";
  const std::string external =
      "http://xcap.example.com/xcap/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/"
      "list%5b@name=%22work%22%5d";
  const std::string list = "<rl:list><rl:entry uri=\"sip:carol@example.com\"/><rl:list><rl:external anchor=\"" + external +
                           "\"/></rl:list><rl:entry-ref ref=\"" + entry_ref + "\"/><rl:external anchor=\"" + external +
                           "\"/></rl:list>";
  auto s = ParseRlsServices(Doc("<service uri=\"sip:l@example.com\">" + list + "</service>"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)[0].members, (std::vector<std::string>{"carol@example.com"}));
  EXPECT_EQ((*s)[0].refs, (std::vector<ListReference>{{false, external}, {true, entry_ref}}));
  RlsServicesLimits two;
  two.max_resources = 2;
  EXPECT_EQ(ParseRlsServices(Doc("<service uri=\"sip:l@example.com\">" + list + "</service>"), two).error().code, 413);

  // In a resource-lists document too (OMA's buddy list names the groups so);
  // an entry that is no SIP AOR is no presence resource.
  auto doc = ParseResourceListsDocument(
      "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\"><list name=\"buddies\"><external anchor=\"" +
      external + "\"/><entry uri=\"tel:+15551234\"/><entry uri=\"sip:dave@example.com\"/></list></resource-lists>");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ((*doc)[0].members, (std::vector<std::string>{"dave@example.com"}));
  EXPECT_EQ((*doc)[0].refs, (std::vector<ListReference>{{false, external}}));

  // What they name.
  EXPECT_EQ(ParseListRef(external), (ListRef{"alice@example.com", "index", "work", ""}));
  EXPECT_EQ(ParseEntryRef(entry_ref), (ListRef{"alice@example.com", "index", "friends", "bob@example.com"}));
  EXPECT_EQ(ParseEntryRef("/xcap/" + entry_ref), ParseEntryRef(entry_ref));
  EXPECT_FALSE(ParseListRef(entry_ref));
  EXPECT_FALSE(ParseEntryRef(external));
  for (const char* bad : {"resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/"
                          "entry[@uri=\"tel:+1555\"]",
                          "resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/"
                          "entry[1]",
                          "resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/"
                          "entry[@uri=\"sip:b@example.com\"]/display-name",
                          "resource-lists/global/index/~~/resource-lists/list[@name=\"a\"]/"
                          "entry[@uri=\"sip:b@example.com\"]",
                          "xresource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/"
                          "entry[@uri=\"sip:b@example.com\"]"}) {
    EXPECT_FALSE(ParseEntryRef(bad)) << bad;
  }
}

// The list a SUBSCRIBE carries (RFC 5367), shaped as Linphone sends its friend list.
TEST(ResourceLists, EveryListsEntriesOnceInOrder) {
  auto r = ParseResourceLists(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
      "  <list>\n"
      "    <entry uri=\"sip:bob@example.com\"><display-name>Bob</display-name></entry>\n"
      "    <entry uri=\"sip:Carol@Example.com;transport=tcp\"/>\n"
      "    <list><entry uri=\"sip:bob@example.com\"/><entry uri=\"sips:dave@example.org\"/></list>\n"
      "  </list>\n"
      "  <list><entry uri=\"sip:erin@example.com\"/></list>\n"
      "</resource-lists>\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (std::vector<std::string>{"bob@example.com", "Carol@example.com", "dave@example.org",
                                          "erin@example.com"}));
}

TEST(ResourceLists, BadOrEmptyListsAndLimits) {
  const std::string ns = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">";
  EXPECT_EQ(ParseResourceLists("<resource-lists").error().code, 400);
  EXPECT_EQ(ParseResourceLists(ns + "</resource-lists>").error().code, 400);  // nothing to watch
  EXPECT_EQ(ParseResourceLists("<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"/>").error().code, 400);
  EXPECT_EQ(ParseResourceLists(ns + "<list><entry-ref ref=\"x\"/></list></resource-lists>").error().code, 400);
  EXPECT_EQ(ParseResourceLists(ns + "<list><entry uri=\"tel:+1555\"/></list></resource-lists>").error().code, 400);
  RlsServicesLimits small;
  small.max_resources = 1;
  auto many = ParseResourceLists(
      ns + "<list><entry uri=\"sip:a@example.com\"/></list><list><entry uri=\"sip:b@example.com\"/></list>"
           "</resource-lists>",
      small);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, 413);
  small.max_body_bytes = 10;
  EXPECT_EQ(ParseResourceLists(ns + "</resource-lists>", small).error().code, 413);
}

TEST(RlsServices, AServiceMayNameATopLevelListOfAResourceListsDocument) {
  const std::string friends =
      "http://xcap.example.com/xcap/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/"
      "list%5b@name=%22friends%22%5d";
  auto r = ParseRlsServices(Doc("<service uri=\"sip:a@example.com\"><resource-list> " + friends +
                                " </resource-list></service>"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].list_ref, friends);
  EXPECT_TRUE((*r)[0].members.empty());
  EXPECT_EQ(ParseRlsServices(Doc("<service uri=\"sip:a@example.com\"><resource-list/></service>")).error().code, 400);

  EXPECT_EQ(ParseListRef(friends), (ListRef{"alice@example.com", "index", "friends", ""}));
  EXPECT_EQ(ParseListRef("/xcap/resource-lists/users/sip%3Aalice%40example.com/buddies/~~/resource-lists/"
                         "list[@name='work']"),
            (ListRef{"alice@example.com", "buddies", "work", ""}));
  // A list nested in named ones: its path.
  EXPECT_EQ(ParseListRef("/xcap/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/"
                         "list[@name=\"b\"]"),
            (ListRef{"alice@example.com", "index", std::string("a") + kListPathSeparator + "b", ""}));
  // What is no list of a user's document here.
  for (const char* bad : {"http://x/rl", "/xcap/resource-lists/users/sip:alice@example.com/index",
                          "/xcap/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[1]",
                          "/xcap/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/list"
                          "[2]",
                          "/xcap/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name=\"a\"]/@name",
                          "/xcap/resource-lists/global/index/~~/resource-lists/list[@name=\"a\"]",
                          "/xcap/resource-lists/users/mailto:a@b/index/~~/resource-lists/list[@name=\"a\"]"}) {
    EXPECT_FALSE(ParseListRef(bad)) << bad;
  }
}

TEST(ResourceLists, ADocumentsTopLevelListsByName) {
  auto r = ParseResourceListsDocument(
      "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
      "<list name=\"friends\"><entry uri=\"sip:bob@example.com\"/><list name=\"old\">"
      "<entry uri=\"sip:carol@example.com\"/></list></list><list name=\"work\"/><list/></resource-lists>");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->size(), 3u);
  EXPECT_EQ((*r)[0].name, "friends");
  EXPECT_EQ((*r)[0].members, (std::vector<std::string>{"bob@example.com", "carol@example.com"}));
  EXPECT_TRUE((*r)[1].members.empty());
  EXPECT_EQ((*r)[2].name, "");
  // Then the named lists nested in named ones, by path.
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[3].name, std::string("friends") + kListPathSeparator + "old");
  EXPECT_EQ((*r)[3].members, (std::vector<std::string>{"carol@example.com"}));
  EXPECT_EQ(ParseResourceListsDocument("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
                                       "<list name=\"a\"/><list name=\"a\"/></resource-lists>")
                .error()
                .code,
            400);
  // Sibling names are unique at every depth.
  EXPECT_EQ(ParseResourceListsDocument("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
                                       "<list name=\"a\"><list name=\"x\"/><list name=\"x\"/></list></resource-lists>")
                .error()
                .code,
            400);
  RlsServicesLimits small;
  small.max_lists = 1;
  EXPECT_EQ(ParseResourceListsDocument("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
                                       "<list name=\"a\"/><list name=\"b\"/></resource-lists>",
                                       small)
                .error()
                .code,
            413);
  std::string nested;
  for (int i = 0; i < 5; ++i) nested += "<list name=\"n" + std::to_string(i) + "\"/>";
  EXPECT_EQ(ParseResourceListsDocument("<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"
                                       "<list name=\"a\">" + nested + "</list></resource-lists>",
                                       small)
                .error()
                .code,
            413);  // max_lists 1: four lists in all, nested ones included
}

}  // namespace
}  // namespace parley::presence
