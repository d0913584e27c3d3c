// /metrics: the shards' counters, read on their own loops, rendered in the
// Prometheus text format.

#include "common/metrics.h"
#include "common/strings.h"
#include "server/server.h"
#include "store/sql.h"

namespace parley::server {

void Server::RenderMetrics(HttpReply reply) {
  // Shard counters are read on their own loops, then rendered here.
  struct Snapshot {
    std::vector<proxy::CoreStats> cores;
    std::vector<transaction::TransactionStats> txns;
    std::vector<events::NotifierStats> notifiers;
    std::vector<size_t> subscriptions, publications, hard_states, list_views, list_feeds;
    std::vector<presence::AgentStats> presence;
    std::vector<im::MessageServiceStats> messages;
    std::vector<dialoginfo::DialogStats> dialogs;
    std::vector<uint64_t> user_loads;
    std::vector<uint64_t> replica_hits, snapshot_hits;
    std::vector<size_t> users_cached;
    std::vector<uint8_t> users_complete;
    std::vector<Handoffs> handoffs;
    std::vector<uint64_t> dns_queries, dns_hits;
    int64_t change_seq = 0;  // read on loop 0, which applies the change feed
  };
  auto snap = std::make_shared<Snapshot>();
  size_t n = cores_.size();
  snap->cores.resize(n);
  snap->txns.resize(n);
  snap->notifiers.resize(n);
  snap->subscriptions.resize(n);
  snap->publications.resize(n);
  snap->hard_states.resize(n);
  snap->list_views.resize(n);
  snap->list_feeds.resize(n);
  snap->presence.resize(n);
  snap->messages.resize(n);
  snap->dialogs.resize(n);
  snap->user_loads.resize(n);
  snap->replica_hits.resize(n);
  snap->snapshot_hits.resize(n);
  snap->users_cached.resize(n);
  snap->users_complete.resize(n);
  snap->handoffs.resize(n);
  snap->dns_queries.resize(n);
  snap->dns_hits.resize(n);
  ForEachShard(
      [this, snap](size_t i, proxy::Core& core) {
        snap->cores[i] = core.stats();
        snap->txns[i] = core.layer().stats();
        snap->notifiers[i] = notifiers_->At(i).stats();
        snap->subscriptions[i] = notifiers_->At(i).size();
        snap->publications[i] = presence_->PublicationsOf(i);
        snap->hard_states[i] = presence_->HardStatesOf(i);
        snap->list_views[i] = lists_->ViewsOn(i) + (dialog_lists_ ? dialog_lists_->ViewsOn(i) : 0);
        snap->list_feeds[i] = lists_->FeedsOn(i) + (dialog_lists_ ? dialog_lists_->FeedsOn(i) : 0);
        snap->presence[i] = presence_->StatsOf(i);
        snap->messages[i] = messages_->StatsOf(i);
        if (dialogs_) snap->dialogs[i] = dialogs_->StatsOf(i);
        snap->user_loads[i] = aaa_->At(i).users.loads();
        snap->replica_hits[i] = aaa_->At(i).replica_hits;
        snap->snapshot_hits[i] = aaa_->At(i).snapshot_hits;
        snap->users_cached[i] = aaa_->At(i).users.cached();
        snap->users_complete[i] = aaa_->At(i).users.complete() && policies_->At(i).complete();
        snap->handoffs[i] = handoffs_[i];
        if (i < hop_locators_.size() && hop_locators_[i]) {
          snap->dns_queries[i] = hop_locators_[i]->resolver().queries_sent();
          snap->dns_hits[i] = hop_locators_[i]->resolver().cache_hits();
        }
        if (i == 0) snap->change_seq = last_change_;
      },
      [this, snap, reply] {
        std::string out;
        auto line = [&](const std::string& name, const std::string& labels, uint64_t v) {
          out.append(name);
          if (!labels.empty()) out.append("{").append(labels).append("}");
          out.append(" ").append(std::to_string(v)).append("\n");
        };
        auto header = [&](const std::string& name, const char* type, const char* help) {
          out.append("# HELP ").append(name).append(" ").append(help).append("\n");
          out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
        };
        proxy::CoreStats c{};
        transaction::TransactionStats t{};
        for (size_t i = 0; i < snap->cores.size(); ++i) {
          const auto& s = snap->cores[i];
          for (size_t m = 0; m < c.requests_by_method.size(); ++m) c.requests_by_method[m] += s.requests_by_method[m];
          for (size_t k = 0; k < c.responses_by_class.size(); ++k) c.responses_by_class[k] += s.responses_by_class[k];
          c.requests_rejected += s.requests_rejected;
          c.requests_shed += s.requests_shed;
          c.responses_dropped += s.responses_dropped;
          c.stateless_answers += s.stateless_answers;
          const auto& x = snap->txns[i];
          for (size_t k = 0; k < transaction::kTxnKinds; ++k) {
            t.created[k] += x.created[k];
            t.timeouts[k] += x.timeouts[k];
            t.transport_errors[k] += x.transport_errors[k];
            for (size_t st = 0; st < transaction::kTxnStates; ++st) t.live[k][st] += x.live[k][st];
          }
          t.retransmissions_sent += x.retransmissions_sent;
          t.retransmissions_absorbed += x.retransmissions_absorbed;
        }
        header("parley_sip_requests_received_total", "counter", "SIP requests received, by method");
        for (size_t m = 0; m < c.requests_by_method.size(); ++m) {
          if (m > static_cast<size_t>(sip::Method::kUpdate)) break;
          auto name = m == 0 ? std::string_view("other") : sip::MethodName(static_cast<sip::Method>(m));
          line("parley_sip_requests_received_total", "method=\"" + std::string(name) + "\"", c.requests_by_method[m]);
        }
        header("parley_sip_requests_rejected_total", "counter", "Requests that failed the syntax gate");
        line("parley_sip_requests_rejected_total", "", c.requests_rejected);
        header("parley_sip_requests_shed_total", "counter", "New requests answered 503 while overloaded");
        line("parley_sip_requests_shed_total", "", c.requests_shed);
        header("parley_sip_responses_dropped_total", "counter", "Malformed responses dropped");
        line("parley_sip_responses_dropped_total", "", c.responses_dropped);
        header("parley_sip_responses_sent_total", "counter", "Responses sent by this server, by class");
        for (size_t k = 1; k < c.responses_by_class.size(); ++k) {
          line("parley_sip_responses_sent_total", "class=\"" + std::to_string(k) + "xx\"", c.responses_by_class[k]);
        }
        header("parley_sip_stateless_answers_total", "counter", "Requests answered without transaction state");
        line("parley_sip_stateless_answers_total", "", c.stateless_answers);
        auto kind_of = [](size_t k) {
          return "kind=\"" + std::string(transaction::TxnKindName(static_cast<transaction::TxnKind>(k))) + "\"";
        };
        header("parley_sip_transactions_created_total", "counter", "Transactions created, by kind");
        for (size_t k = 0; k < transaction::kTxnKinds; ++k) line("parley_sip_transactions_created_total", kind_of(k), t.created[k]);
        header("parley_sip_transactions_live", "gauge", "Live transactions, by kind and state");
        for (size_t k = 0; k < transaction::kTxnKinds; ++k) {
          for (size_t st = 0; st + 1 < transaction::kTxnStates; ++st) {
            if (t.live[k][st] == 0) continue;
            line("parley_sip_transactions_live",
                 kind_of(k) + ",state=\"" + std::string(transaction::TxnStateName(static_cast<transaction::TxnState>(st))) + "\"",
                 t.live[k][st]);
          }
        }
        header("parley_sip_transaction_timeouts_total", "counter", "Transactions that timed out, by kind");
        for (size_t k = 0; k < transaction::kTxnKinds; ++k) line("parley_sip_transaction_timeouts_total", kind_of(k), t.timeouts[k]);
        header("parley_sip_retransmissions_sent_total", "counter", "Retransmissions sent");
        line("parley_sip_retransmissions_sent_total", "", t.retransmissions_sent);
        header("parley_sip_retransmissions_absorbed_total", "counter", "Retransmissions absorbed");
        line("parley_sip_retransmissions_absorbed_total", "", t.retransmissions_absorbed);
        // One group per metric (the exposition format wants a family's
        // samples together), one sample per protocol in each.
        using transport::Protocol;
        using transport::ProtocolStats;
        struct Family {
          const char* name;
          const char* type;
          const char* help;
          const char* dir;  // label value, or nullptr
          uint64_t ProtocolStats::*field;
          bool udp, streams;
        };
        static constexpr Family kFamilies[] = {
            {"parley_transport_messages_total", "counter", "SIP messages by protocol and direction", "in",
             &ProtocolStats::messages_in, true, true},
            {"parley_transport_messages_total", nullptr, nullptr, "out", &ProtocolStats::messages_out, true, true},
            {"parley_transport_bytes_total", "counter", "Bytes by protocol and direction", "in",
             &ProtocolStats::bytes_in, true, true},
            {"parley_transport_bytes_total", nullptr, nullptr, "out", &ProtocolStats::bytes_out, true, true},
            {"parley_transport_parse_drops_total", "counter", "Input that could not be framed or parsed", nullptr,
             &ProtocolStats::parse_drops, true, true},
            {"parley_transport_connections_open", "gauge", "Open connections by protocol", nullptr,
             &ProtocolStats::connections_open, false, true},
            {"parley_transport_keepalive_pings_total", "counter", "CRLFCRLF keep-alive pings answered", nullptr,
             &ProtocolStats::keepalive_pings, false, true},
            {"parley_transport_stun_answers_total", "counter", "STUN requests answered on SIP UDP ports", nullptr,
             &ProtocolStats::stun_answers, true, false},
        };
        auto ts = transport_->Stats();
        for (const Family& f : kFamilies) {
          if (f.type != nullptr) header(f.name, f.type, f.help);
          for (auto p : {Protocol::kUdp, Protocol::kTcp, Protocol::kTls, Protocol::kWs, Protocol::kWss}) {
            if (!(p == Protocol::kUdp ? f.udp : f.streams)) continue;
            std::string labels = "proto=\"" + ToLower(transport::ProtocolName(p)) + "\"";
            if (f.dir != nullptr) labels += std::string(",dir=\"") + f.dir + "\"";
            line(f.name, labels, ts[p].*f.field);
          }
        }
        // Presence and messaging, summed over the shards.
        uint64_t subs = 0, pubs = 0, hard = 0, views = 0, feeds = 0;
        events::NotifierStats ns{};
        presence::AgentStats ps{};
        dialoginfo::DialogStats ds{};
        im::MessageServiceStats ms{};
        for (size_t i = 0; i < snap->cores.size(); ++i) {
          subs += snap->subscriptions[i];
          pubs += snap->publications[i];
          hard += snap->hard_states[i];
          views += snap->list_views[i];
          feeds += snap->list_feeds[i];
          const auto& a = snap->notifiers[i];
          ns.notifies_sent += a.notifies_sent;
          ns.notifies_failed += a.notifies_failed;
          ns.notifies_coalesced += a.notifies_coalesced;
          ns.subscriptions_created += a.subscriptions_created;
          ns.subscriptions_replaced += a.subscriptions_replaced;
          ns.subscriptions_restored += a.subscriptions_restored;
          ns.subscriptions_terminated += a.subscriptions_terminated;
          ds.trying += snap->dialogs[i].trying;
          ds.early += snap->dialogs[i].early;
          ds.confirmed += snap->dialogs[i].confirmed;
          ds.ended += snap->dialogs[i].ended;
          const auto& p = snap->presence[i];
          ps.publications_created += p.publications_created;
          ps.publications_refreshed += p.publications_refreshed;
          ps.publications_modified += p.publications_modified;
          ps.publications_removed += p.publications_removed;
          ps.publications_expired += p.publications_expired;
          ps.publications_rejected += p.publications_rejected;
          ps.publications_patched += p.publications_patched;
          ps.notifies_full += p.notifies_full;
          ps.notifies_diff += p.notifies_diff;
          const auto& m = snap->messages[i];
          ms.stored += m.stored;
          ms.duplicates += m.duplicates;
          ms.refused_quota += m.refused_quota;
          ms.delivered += m.delivered;
          ms.delivery_failures += m.delivery_failures;
          ms.notifications += m.notifications;
          ms.group_messages += m.group_messages;
          ms.group_copies += m.group_copies;
          ms.retries_on_presence += m.retries_on_presence;
        }
        header("parley_change_feed_seq", "gauge", "The last change of the store's feed this node has applied");
        line("parley_change_feed_seq", "", static_cast<uint64_t>(snap->change_seq));
        header("parley_subscriptions", "gauge", "Live subscriptions (all event packages)");
        line("parley_subscriptions", "", subs);
        header("parley_subscription_events_total", "counter", "Subscriptions created, replaced, restored, ended");
        line("parley_subscription_events_total", "event=\"created\"", ns.subscriptions_created);
        line("parley_subscription_events_total", "event=\"replaced\"", ns.subscriptions_replaced);
        line("parley_subscription_events_total", "event=\"restored\"", ns.subscriptions_restored);
        line("parley_subscription_events_total", "event=\"terminated\"", ns.subscriptions_terminated);
        header("parley_notifies_total", "counter", "NOTIFYs sent, failed, and changes coalesced");
        line("parley_notifies_total", "result=\"sent\"", ns.notifies_sent);
        line("parley_notifies_total", "result=\"failed\"", ns.notifies_failed);
        line("parley_notifies_total", "result=\"coalesced\"", ns.notifies_coalesced);
        header("parley_presence_list_views", "gauge",
               "Resource list views held, presence and busy-lamp lists (one per list, package and subscriber)");
        line("parley_presence_list_views", "", views);
        header("parley_presence_list_feeds", "gauge", "Links from list members to the views they feed");
        line("parley_presence_list_feeds", "", feeds);
        header("parley_publications", "gauge", "Live presence publications");
        line("parley_publications", "", pubs);
        header("parley_presence_hard_states", "gauge", "Users' hard states held (RFC 4827 pidf-manipulation documents)");
        line("parley_presence_hard_states", "", hard);
        header("parley_publish_total", "counter", "PUBLISH outcomes");
        line("parley_publish_total", "result=\"created\"", ps.publications_created);
        line("parley_publish_total", "result=\"refreshed\"", ps.publications_refreshed);
        line("parley_publish_total", "result=\"modified\"", ps.publications_modified);
        line("parley_publish_total", "result=\"removed\"", ps.publications_removed);
        line("parley_publish_total", "result=\"expired\"", ps.publications_expired);
        line("parley_publish_total", "result=\"rejected\"", ps.publications_rejected);
        header("parley_presence_partial_total", "counter",
               "Partial presence: pidf-diff PUBLISHes applied (RFC 5264), pidf-full and pidf-diff NOTIFYs (RFC 5263)");
        line("parley_presence_partial_total", "kind=\"publish_patched\"", ps.publications_patched);
        line("parley_presence_partial_total", "kind=\"notify_full\"", ps.notifies_full);
        line("parley_presence_partial_total", "kind=\"notify_diff\"", ps.notifies_diff);
        header("parley_dialogs", "gauge", "Dialogs of our users held for the dialog event package (RFC 4235)");
        line("parley_dialogs", "state=\"trying\"", ds.trying);
        line("parley_dialogs", "state=\"early\"", ds.early);
        line("parley_dialogs", "state=\"confirmed\"", ds.confirmed);
        header("parley_dialogs_ended_total", "counter", "Dialogs of our users seen to end");
        line("parley_dialogs_ended_total", "", ds.ended);
        header("parley_messages_total", "counter", "Message store: stored, duplicates, refused, delivered, failed");
        line("parley_messages_total", "result=\"stored\"", ms.stored);
        line("parley_messages_total", "result=\"duplicate\"", ms.duplicates);
        line("parley_messages_total", "result=\"over_quota\"", ms.refused_quota);
        line("parley_messages_total", "result=\"delivered\"", ms.delivered);
        line("parley_messages_total", "result=\"delivery_failed\"", ms.delivery_failures);
        line("parley_messages_total", "result=\"imdn_sent\"", ms.notifications);
        header("parley_group_messages_total", "counter", "MESSAGEs to groups, and the members' copies stored");
        line("parley_group_messages_total", "kind=\"sent\"", ms.group_messages);
        line("parley_group_messages_total", "kind=\"copies\"", ms.group_copies);
        header("parley_message_retries_on_presence_total", "counter",
               "Deliveries waiting for their retry time that ran early: the user published an open presence");
        line("parley_message_retries_on_presence_total", "", ms.retries_on_presence);
        uint64_t user_loads = 0, users_cached = 0, replica_hits = 0, snapshot_hits = 0;
        bool complete = true;
        for (size_t i = 0; i < snap->user_loads.size(); ++i) {
          user_loads += snap->user_loads[i];
          replica_hits += snap->replica_hits[i];
          snapshot_hits += snap->snapshot_hits[i];
          users_cached += snap->users_cached[i];
          complete = complete && snap->users_complete[i];
        }
        header("parley_users_preloaded", "gauge",
               "1 when every user's credentials are in memory (preload_users), so no request waits for the store for them");
        line("parley_users_preloaded", "", complete ? 1 : 0);
        header("parley_user_cache_loads_total", "counter", "Users the AAA cache read from the store (its misses)");
        line("parley_user_cache_loads_total", "", user_loads);
        header("parley_auth_replica_hits_total", "counter",
               "Credentials checked against a loop's copy of another loop's user (no hop to the owner)");
        line("parley_auth_replica_hits_total", "", replica_hits);
        header("parley_auth_snapshot_hits_total", "counter",
               "Credentials of another loop's user checked against the start-up snapshot of every user (no hop to the owner)");
        line("parley_auth_snapshot_hits_total", "", snapshot_hits);
        header("parley_user_cache_entries", "gauge", "Users and unknown names the AAA cache holds");
        line("parley_user_cache_entries", "", users_cached);
        header("parley_store_pending", "gauge", "Store reads and writes queued or running");
        line("parley_store_pending", "", store_->pending());
        header("parley_store_writer_wakeups_total", "counter",
               "Submissions that signalled the store's writer (a write-behind rides with the next write instead)");
        line("parley_store_writer_wakeups_total", "", store_->wakeups());
        auto ckpt = store::SqliteCheckpoints();
        header("parley_store_wal_checkpoints_total", "counter",
               "SQLite WAL checkpoints: by the checkpointer thread, or by a commit (the thread fell behind)");
        line("parley_store_wal_checkpoints_total", "by=\"thread\"", ckpt.background);
        line("parley_store_wal_checkpoints_total", "by=\"commit\"", ckpt.inline_);
        Handoffs handed{};
        for (const auto& h : snap->handoffs) {
          handed.requests += h.requests;
          handed.responses += h.responses;
        }
        header("parley_dispatch_handoffs_total", "counter",
               "Messages received on one loop and handled on another's (a cross-thread post each)");
        line("parley_dispatch_handoffs_total", "kind=\"request\"", handed.requests);
        line("parley_dispatch_handoffs_total", "kind=\"response\"", handed.responses);
        uint64_t dns_queries = 0, dns_hits = 0;
        for (size_t i = 0; i < snap->dns_queries.size(); ++i) {
          dns_queries += snap->dns_queries[i];
          dns_hits += snap->dns_hits[i];
        }
        header("parley_dns_lookups_total", "counter",
               "DNS lookups for next hops named by host names (RFC 3263): sent to a server, or answered without one (cached, or under way)");
        line("parley_dns_lookups_total", "result=\"queried\"", dns_queries);
        line("parley_dns_lookups_total", "result=\"cached\"", dns_hits);
        out.append(metrics::Registry::Global().RenderPrometheus());
        HttpResponse r = HttpResponse::Text(200, std::move(out));
        r.content_type = "text/plain; version=0.0.4";
        reply(std::move(r));
      });
}

}  // namespace parley::server
