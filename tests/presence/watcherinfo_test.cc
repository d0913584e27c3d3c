// WatcherinfoDocument (RFC 3858): exact bytes, escaping, determinism, the
// watcher id, partial documents, and the client's parser
// (ua::WatcherInfoState) reading full and partial documents.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "presence/winfo/watcherinfo.h"
#include "ua/presence_formats.h"

namespace parley::presence {
namespace {

WatcherEntry Entry(std::string id, WatcherStatus s, WatcherEvent e, std::string uri, uint32_t duration = 0) {
  WatcherEntry w;
  w.id = std::move(id);
  w.status = s;
  w.event = e;
  w.uri = std::move(uri);
  w.duration_subscribed = duration;
  return w;
}

// The two watchers of the RFC 3858 §5 example.
std::vector<WatcherList> Rfc3858Example() {
  WatcherList l{"sip:professor@example.net", "presence", {}};
  l.watchers.push_back(Entry("8ajksjda7s", WatcherStatus::kActive, WatcherEvent::kApproved,
                             "sip:userA@example.net", 509));
  WatcherEntry b = Entry("hh8juja87s997-ass7", WatcherStatus::kPending, WatcherEvent::kSubscribe,
                         "sip:userB@example.org");
  b.display_name = "Mr. Subscriber";
  l.watchers.push_back(b);
  return {l};
}

TEST(Watcherinfo, Rfc3858ExampleExactBytes) {
  auto lists = Rfc3858Example();
  EXPECT_EQ(WatcherinfoDocument(0, WinfoState::kFull, lists),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"0\" state=\"full\">\n"
            "  <watcher-list resource=\"sip:professor@example.net\" package=\"presence\">\n"
            "    <watcher id=\"8ajksjda7s\" status=\"active\" event=\"approved\" duration-subscribed=\"509\">"
            "sip:userA@example.net</watcher>\n"
            "    <watcher id=\"hh8juja87s997-ass7\" status=\"pending\" event=\"subscribe\" "
            "display-name=\"Mr. Subscriber\" duration-subscribed=\"0\">sip:userB@example.org</watcher>\n"
            "  </watcher-list>\n"
            "</watcherinfo>\n");
}

TEST(Watcherinfo, EscapedAndDeterministic) {
  WatcherList a{"sip:b@x", "presence", {}};
  WatcherEntry w = Entry("z", WatcherStatus::kWaiting, WatcherEvent::kTimeout, "sip:a&b@x");
  w.display_name = "\"Q\" <&>";
  w.expiration = 3600;
  a.watchers = {w, Entry("a", WatcherStatus::kTerminated, WatcherEvent::kNoresource, "sip:c@x")};
  WatcherList b{"sip:a@x", "presence", {Entry("m", WatcherStatus::kActive, WatcherEvent::kProbation, "sip:d@x")}};
  std::vector<WatcherList> one{a, b}, other{b, a};
  std::reverse(other[1].watchers.begin(), other[1].watchers.end());
  std::string doc = WatcherinfoDocument(7, WinfoState::kFull, one);
  EXPECT_EQ(doc, WatcherinfoDocument(7, WinfoState::kFull, other));
  EXPECT_NE(doc.find("display-name=\"&quot;Q&quot; &lt;&amp;&gt;\" expiration=\"3600\""), std::string::npos) << doc;
  EXPECT_NE(doc.find(">sip:a&amp;b@x</watcher>"), std::string::npos);
  EXPECT_LT(doc.find("resource=\"sip:a@x\""), doc.find("resource=\"sip:b@x\""));
  EXPECT_LT(doc.find("id=\"a\""), doc.find("id=\"z\""));
  EXPECT_NE(doc.find("status=\"waiting\" event=\"timeout\""), std::string::npos);
  EXPECT_NE(doc.find("status=\"terminated\" event=\"noresource\""), std::string::npos);

  ua::WatcherInfoState state;
  ASSERT_TRUE(state.Apply(doc).ok());
  EXPECT_EQ(state.watchers().at("z").display_name, "\"Q\" <&>");
  EXPECT_EQ(state.watchers().at("z").uri, "sip:a&b@x");
  EXPECT_EQ(state.watchers().at("m").resource, "sip:a@x");
}

TEST(Watcherinfo, EveryStatusAndEventName) {
  EXPECT_EQ(WatcherStatusName(WatcherStatus::kPending), "pending");
  EXPECT_EQ(WatcherStatusName(WatcherStatus::kActive), "active");
  EXPECT_EQ(WatcherStatusName(WatcherStatus::kWaiting), "waiting");
  EXPECT_EQ(WatcherStatusName(WatcherStatus::kTerminated), "terminated");
  const std::vector<std::string_view> events = {"subscribe", "approved", "deactivated", "probation",
                                                "rejected",  "timeout",  "giveup",      "noresource"};
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(WatcherEventName(static_cast<WatcherEvent>(i)), events[i]);
  }
}

TEST(Watcherinfo, WatcherIdIsStablePerSubscription) {
  std::string id = WatcherId("sip:bob@example.com", "call-1@host", "tag-a");
  EXPECT_EQ(id, WatcherId("sip:bob@example.com", "call-1@host", "tag-a"));
  EXPECT_EQ(id.size(), 17u);
  EXPECT_EQ(id[0], 'w');
  EXPECT_TRUE(std::all_of(id.begin() + 1, id.end(), [](char c) { return isxdigit(c) && !isupper(c); }));
  EXPECT_NE(id, WatcherId("sip:bob@example.com", "call-2@host", "tag-a"));
  EXPECT_NE(id, WatcherId("sip:bob@example.com", "call-1@host", "tag-b"));
  EXPECT_NE(id, WatcherId("sip:carol@example.com", "call-1@host", "tag-a"));
  EXPECT_NE(WatcherId("ab", "c", ""), WatcherId("a", "bc", ""));
  // Pinned: the id must not change between builds (clients keep it).
  EXPECT_EQ(WatcherId("", "", ""), "wf998341be47bae14");
}

TEST(Watcherinfo, ChangedWatchersForAPartialDocument) {
  auto before = Rfc3858Example();
  auto now = before;
  now[0].watchers[1].status = WatcherStatus::kActive;  // userB approved
  now[0].watchers[1].event = WatcherEvent::kApproved;
  now[0].watchers[0].duration_subscribed = 600;        // time passing is no change
  now[0].watchers.push_back(Entry("new1", WatcherStatus::kPending, WatcherEvent::kSubscribe, "sip:userC@x"));
  now.push_back(WatcherList{"sip:professor@example.net", "message-summary", {}});
  auto changed = ChangedWatchers(before, now);
  ASSERT_EQ(changed.size(), 1u);
  ASSERT_EQ(changed[0].watchers.size(), 2u);
  EXPECT_EQ(changed[0].watchers[0].id, "hh8juja87s997-ass7");
  EXPECT_EQ(changed[0].watchers[1].id, "new1");
  EXPECT_TRUE(ChangedWatchers(now, now).empty());
  // The same id in another package is another watcher.
  std::vector<WatcherList> other_package{{"sip:professor@example.net", "dialog", before[0].watchers}};
  EXPECT_EQ(ChangedWatchers(before, other_package)[0].watchers.size(), 2u);
}

TEST(Watcherinfo, FullThenPartialThroughTheClientParser) {
  auto lists = Rfc3858Example();
  ua::WatcherInfoState state;
  ASSERT_TRUE(state.Apply(WatcherinfoDocument(0, WinfoState::kFull, lists)).ok());
  EXPECT_EQ(state.version(), 0);
  ASSERT_EQ(state.watchers().size(), 2u);
  const ua::Watcher& a = state.watchers().at("8ajksjda7s");
  EXPECT_EQ(a.uri, "sip:userA@example.net");
  EXPECT_EQ(a.status, "active");
  EXPECT_EQ(a.event, "approved");
  EXPECT_EQ(a.package, "presence");
  EXPECT_EQ(a.resource, "sip:professor@example.net");
  ASSERT_EQ(state.Pending().size(), 1u);
  EXPECT_EQ(state.Pending()[0].display_name, "Mr. Subscriber");

  // The presentity approves userB; userC subscribes.
  auto now = lists;
  now[0].watchers[1].status = WatcherStatus::kActive;
  now[0].watchers[1].event = WatcherEvent::kApproved;
  now[0].watchers.push_back(Entry(WatcherId("sip:userC@example.com", "c1", "t1"), WatcherStatus::kPending,
                                  WatcherEvent::kSubscribe, "sip:userC@example.com"));
  std::string partial = WatcherinfoDocument(1, WinfoState::kPartial, ChangedWatchers(lists, now));
  EXPECT_EQ(partial.find("8ajksjda7s"), std::string::npos);  // unchanged: not listed
  ASSERT_TRUE(state.Apply(partial).ok());
  EXPECT_EQ(state.version(), 1);
  ASSERT_EQ(state.watchers().size(), 3u);
  EXPECT_EQ(state.watchers().at("8ajksjda7s").status, "active");  // kept from the full document
  EXPECT_EQ(state.watchers().at("hh8juja87s997-ass7").status, "active");
  ASSERT_EQ(state.Pending().size(), 1u);
  EXPECT_EQ(state.Pending()[0].uri, "sip:userC@example.com");

  // userA's subscription ends: reported as terminated.
  auto later = now;
  later[0].watchers[0].status = WatcherStatus::kTerminated;
  later[0].watchers[0].event = WatcherEvent::kTimeout;
  ASSERT_TRUE(state.Apply(WatcherinfoDocument(2, WinfoState::kPartial, ChangedWatchers(now, later))).ok());
  EXPECT_EQ(state.watchers().at("8ajksjda7s").status, "terminated");
  EXPECT_EQ(state.watchers().at("8ajksjda7s").event, "timeout");

  // A partial document out of sequence is refused; a newer full one resets.
  EXPECT_FALSE(state.Apply(WatcherinfoDocument(5, WinfoState::kPartial, later)).ok());
  ASSERT_TRUE(state.Apply(WatcherinfoDocument(6, WinfoState::kFull, {})).ok());
  EXPECT_TRUE(state.watchers().empty());
}

TEST(Watcherinfo, PartialLeavesOutListsWithoutChanges) {
  std::vector<WatcherList> lists{{"sip:a@x", "presence", {}}};
  EXPECT_EQ(WatcherinfoDocument(3, WinfoState::kPartial, lists),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<watcherinfo xmlns=\"urn:ietf:params:xml:ns:watcherinfo\" version=\"3\" state=\"partial\">\n"
            "</watcherinfo>\n");
  EXPECT_NE(WatcherinfoDocument(3, WinfoState::kFull, lists)
                .find("<watcher-list resource=\"sip:a@x\" package=\"presence\"/>"),
            std::string::npos);
}

}  // namespace
}  // namespace parley::presence
