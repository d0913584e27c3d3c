// The change feed: edits other processes made to the store (parleyctl,
// other nodes, the HTTP API of another node) reach this server's caches
// and services, and the feed is kept to its retention.

#include <algorithm>

#include "common/log.h"
#include "common/timer.h"
#include "server/server.h"

namespace parley::server {

// Picks up edits other processes made to the store (parleyctl, other
// nodes): drops cached users and policies, reloads domains. Beside the
// writer (ReadCommitted): a poll every second must not split its groups.
void Server::PollChanges() {
  if (shutdown_requested_) return;
  int64_t since = last_change_;
  store_->ReadCommitted([this, since](store::Store& s) {
    auto changes = s.ChangesSince(since);
    // Read after the changes: a prune that took some of them before they
    // were read shows here.
    auto pruned = s.ChangesPrunedThrough();
    const bool lost = changes.ok() && pruned.ok() && *pruned > since;
    std::optional<std::vector<std::string>> domains;
    if (changes.ok()) {
      bool domain_changed = lost;
      for (const auto& c : *changes) domain_changed |= c.kind == "domain";
      if (domain_changed) {
        if (auto d = s.ListDomains(); d.ok()) domains = *d;
      }
    }
    int64_t pruned_through = pruned.ok() ? *pruned : 0;
    loops_->loop(0).Post([this, since, lost, pruned_through, changes = std::move(changes),
                          domains = std::move(domains)] {
      if (changes.ok()) {
        if (lost) {
          // This node was behind for longer than the feed keeps changes
          // (store.change_retention_s): what it missed is unknown.
          PLOG_WARN("change_feed_lost", {{"seen", since}, {"pruned_through", pruned_through}});
          last_change_ = std::max(last_change_, pruned_through);
          ForgetCachedState();
        }
        bool groups_changed = lost, services_changed = lost;
        const std::string services_key = std::string(presence::kRlsServicesAuid) + "/";
        const std::string lists_key = std::string(presence::kResourceListsAuid) + "/";
        for (const auto& c : *changes) {
          last_change_ = std::max(last_change_, c.seq);
          groups_changed |= c.kind == "group";  // one reload for the lot
          // A user or group may take a service's URI.
          const bool xcap_lists =
              c.kind == "xcap" && (c.key.starts_with(services_key) || c.key.starts_with(lists_key));
          services_changed |= xcap_lists || c.kind == "user" || c.kind == "group";
          if (!lost) OnChange(c);
        }
        if (groups_changed) groups_->Reload();
        if (services_changed) services_->Reload();
        if (domains) {
          store_domains_ = *domains;
          auto all = Domains();
          for (size_t i = 0; i < cores_.size(); ++i) {
            proxy::Core* core = cores_[i].get();
            loops_->loop(i).Post([core, all] { core->SetDomains(all); });
          }
          PLOG_INFO("domains_changed", {{"count", all.size()}});
        }
      } else {
        PLOG_WARN("change_poll_failed", {{"error", changes.error().message}});
      }
      loops_->loop(0).Schedule(std::chrono::milliseconds(config_.change_poll_ms), [this] { PollChanges(); });
    });
  });
}

// What every change kind of OnChange drops, for every subject at once.
void Server::ForgetCachedState() {
  for (size_t i = 0; i < cores_.size(); ++i) {
    aaa_->On(i, [](aaa::AaaShard& a) {
      a.users.Forget();
      a.replica.Clear();
    });
    policies_->On(i, [](proxy::PolicyCache& p) { p.Forget(); });
    shard_router_->Post(i, [this, i] { presence_->OnShardRulesChanged(i); });
  }
  messages_->OnAllHistoryChanged();
}

// Keeps the change feed to store.change_retention_s (every node does; the
// store makes sure a change stays that long whoever prunes). A long backlog
// goes a page at a time, one page a second.
void Server::PruneChanges() {
  if (shutdown_requested_ || config_.change_retention_s == 0) return;
  const int64_t retention_ms = int64_t{config_.change_retention_s} * 1000;
  store_->Write([this, retention_ms](store::Store& s) -> store::StoreExecutor::Completion {
    auto n = s.PruneChanges(UnixNowMs(), retention_ms, kPrunePage);
    size_t removed = n.ok() ? *n : 0;
    return [this, removed](const Result<void>& committed) {
      bool more = committed.ok() && removed == kPrunePage;
      if (committed.ok() && removed > 0) PLOG_INFO("changes_pruned", {{"count", removed}});
      if (!committed.ok()) PLOG_WARN("change_prune_failed", {{"error", committed.error().message}});
      auto next = more ? std::chrono::seconds(1) : kPruneEvery;
      loops_->loop(0).Post([this, next] { loops_->loop(0).Schedule(next, [this] { PruneChanges(); }); });
    };
  }, store::Durability::kCommit);
}

void Server::RulesChanged(const std::string& aor) {
  shard_router_->Post(shard_router_->ShardOf(aor), [this, aor] { presence_->OnRulesChanged(aor); });
}

// The owner reads the user again; every other shard drops its copy.
void Server::UserChanged(const std::string& aor) {
  aaa_->OnOwner(aor, [aor](aaa::AaaShard& a) { a.users.Invalidate(aor); });
  for (size_t i = 0; i < cores_.size(); ++i) {
    aaa_->On(i, [aor](aaa::AaaShard& a) { a.replica.Erase(aor); });
  }
}

// Whatever the server holds of a deleted user ends: its registrations
// (reg event: rejected), the subscriptions to it (noresource) and its own
// (rejected) on every shard, its publications.
void Server::UserDeleted(const std::string& aor) {
  // The registrations first, so that reg event watchers hear them rejected
  // before their subscription ends.
  registrar_->Evict(aor, "", registrar::ChangeKind::kRejected, [this, aor] {
    const size_t owner = shard_router_->ShardOf(aor);
    for (size_t i = 0; i < cores_.size(); ++i) {
      shard_router_->Post(i, [this, i, owner, aor] {
        notifiers_->At(i).EndSubscriptionsOf(aor);
        if (i == owner) presence_->OnUserDeleted(aor);
      });
    }
  });
}

void Server::OnChange(const store::Change& c) {
  if (c.kind == "user") {
    UserChanged(c.key);
  } else if (c.kind == "user_deleted") {
    UserDeleted(c.key);
  } else if (c.kind == "binding") {
    // "AOR" or "AOR CONTACT" (parleyctl user unregister).
    const size_t space = c.key.find(' ');
    registrar_->Evict(c.key.substr(0, space), space == std::string::npos ? "" : c.key.substr(space + 1),
                      registrar::ChangeKind::kDeactivated);
  } else if (c.kind == "policy") {
    policies_->OnOwner(c.key, [key = c.key](proxy::PolicyCache& p) { p.Invalidate(key); });
  } else if (c.kind == "history") {
    // The setting comes with the user's record too.
    UserChanged(c.key);
    messages_->OnHistoryChanged(c.key);
  } else if (c.kind == "xcap" && c.key.starts_with("pres-rules/")) {
    std::string aor = c.key.substr(c.key.find('/') + 1);
    RulesChanged(aor);
  } else if (c.kind == "xcap" && c.key.starts_with(std::string(presence::kPidfManipulationAuid) + "/")) {
    presence_->OnHardStateChanged(c.key.substr(c.key.find('/') + 1));
  } else if (c.kind == "option") {
    if (c.key.find('@') != std::string::npos) {
      RulesChanged(c.key);
    } else {
      for (size_t i = 0; i < cores_.size(); ++i) {
        shard_router_->Post(i, [this, i, domain = c.key] { presence_->OnDomainChanged(i, domain); });
      }
    }
  }
}

}  // namespace parley::server
