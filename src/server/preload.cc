#include "server/preload.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "aaa/credential_snapshot.h"
#include "common/log.h"

namespace parley::server {
namespace {

constexpr size_t kPage = 5000;

struct PreloadRun {
  store::StoreExecutor& store;
  proxy::Sharded<aaa::AaaShard>& users;
  proxy::Sharded<proxy::PolicyCache>& policies;
  size_t max_users;
  std::string after;  // the last AOR read
  size_t count = 0;
  // Every user read, built here on the store's reader thread, read-only once
  // shared: the owners' directories answer from it (they get no pages of
  // their own), the other shards check their users' requests against it.
  std::shared_ptr<aaa::CredentialSnapshot> snapshot;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};
using RunPtr = std::shared_ptr<PreloadRun>;

void Finish(const RunPtr& run, bool complete) {
  std::shared_ptr<const aaa::CredentialSnapshot> snapshot;
  if (complete) snapshot = std::move(run->snapshot);
  run->snapshot.reset();
  for (size_t i = 0; i < run->users.size(); ++i) {
    run->users.On(i, [snapshot](aaa::AaaShard& a) {
      a.users.EndPreload(snapshot);
      a.replica.SetSnapshot(snapshot);
    });
    run->policies.On(i, [complete](proxy::PolicyCache& p) { p.EndPreload(complete); });
  }
  if (!complete) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - run->started);
  PLOG_INFO("users_preloaded", {{"users", run->count},
                                {"shared", snapshot ? snapshot->size() : 0},
                                {"ms", static_cast<int64_t>(ms.count())}});
}

void LoadPolicies(const RunPtr& run, store::Store& s) {
  auto aors = s.AorsWithPolicyEntries();
  if (!aors.ok()) {
    PLOG_WARN("users_not_preloaded", {{"error", aors.error().message}});
    return Finish(run, false);
  }
  proxy::ShardRouter& router = run->policies.router();
  std::vector<std::vector<std::string>> per(run->policies.size());
  for (auto& a : *aors) per[router.ShardOf(a)].push_back(std::move(a));
  for (size_t i = 0; i < per.size(); ++i) {
    auto batch = std::make_shared<std::vector<std::string>>(std::move(per[i]));
    run->policies.On(i, [batch](proxy::PolicyCache& p) { p.AddPolicyHolders(*batch); });
  }
  Finish(run, true);
}

void LoadPage(const RunPtr& run) {
  run->store.ReadCommitted([run](store::Store& s) {
    auto page = s.UsersAfter(run->after, kPage);
    if (!page.ok()) {
      PLOG_WARN("users_not_preloaded", {{"error", page.error().message}});
      return Finish(run, false);
    }
    run->count += page->size();
    if (run->count > run->max_users) {
      // Grew past the limit since it was counted.
      PLOG_INFO("users_not_preloaded", {{"users", run->count}, {"max", run->max_users}});
      return Finish(run, false);
    }
    if (!page->empty()) run->after = page->back().aor;
    bool last = page->size() < kPage;
    for (const auto& u : *page) {
      if (!run->snapshot->Add(u.aor, aaa::UserCredentials(u))) {
        PLOG_WARN("users_not_preloaded", {{"error", "credential snapshot full"}});
        return Finish(run, false);
      }
    }
    // The next page queues behind the reads requests made meanwhile.
    if (last) return LoadPolicies(run, s);
    LoadPage(run);
  });
}

}  // namespace

void PreloadDirectories(store::StoreExecutor& store, proxy::Sharded<aaa::AaaShard>& users,
                        proxy::Sharded<proxy::PolicyCache>& policies, size_t max_users) {
  auto run = std::make_shared<PreloadRun>(PreloadRun{store, users, policies, max_users, {}, 0, nullptr});
  if (max_users == 0) return Finish(run, false);
  store.ReadCommitted([run](store::Store& s) {
    auto n = s.CountUsers();
    if (!n.ok()) {
      PLOG_WARN("users_not_preloaded", {{"error", n.error().message}});
      return Finish(run, false);
    }
    if (*n > run->max_users) {
      PLOG_INFO("users_not_preloaded", {{"users", *n}, {"max", run->max_users}});
      return Finish(run, false);
    }
    run->snapshot = std::make_shared<aaa::CredentialSnapshot>(static_cast<size_t>(*n));
    LoadPage(run);
  });
}

}  // namespace parley::server
