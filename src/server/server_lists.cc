// Resource list servers (RFC 4662): presence lists, and busy-lamp lists
// when the dialog package runs; their lists are the groups and users'
// rls-services services.

#include <algorithm>
#include <utility>

#include "server/server.h"

namespace parley::server {

namespace {

// Lists of `package` (RFC 4662): the groups - a member, or any of our
// users when the group is open to them, subscribes to its members' state -
// and the services of users' rls-services documents (RFC 4826) that serve
// the package, for their owners.
presence::ListSource ListsOf(const im::GroupDirectory& groups, const presence::ServiceDirectory& services,
                             std::function<bool(size_t, const std::string&)> ours, std::string package) {
  presence::ListSource lists;
  lists.ours = std::move(ours);
  lists.exists = [&groups, &services, package](size_t shard, const std::string& uri) {
    if (groups.On(shard).count(uri) != 0) return true;
    const presence::ServiceMap& own = services.On(shard);
    auto s = own.find(uri);
    return s != own.end() && s->second.Serves(package);
  };
  lists.resolve = [&groups, &services, package](size_t shard, const std::string& uri, const std::string& subscriber)
      -> std::optional<presence::ListSource::Resolved> {
    presence::ListSource::Resolved r;
    const im::GroupMap& map = groups.On(shard);
    if (auto g = map.find(uri); g != map.end()) {
      r.members = im::ExpandGroup(map, uri);
      r.allowed = g->second.posting == store::GroupPosting::kUsers ||
                  std::binary_search(r.members.begin(), r.members.end(), subscriber);
      return r;
    }
    const presence::ServiceMap& own = services.On(shard);
    auto s = own.find(uri);
    if (s == own.end() || !s->second.Serves(package)) return std::nullopt;
    r.members = s->second.members;
    r.allowed = s->second.owner == subscriber;
    return r;
  };
  return lists;
}

}  // namespace

void Server::StartLists(size_t n) {
  auto ours = [this](size_t shard, const std::string& aor) { return IsOurAor(shard, aor); };
  presence::MemberViews presence_views;
  presence_views.view = [p = presence_.get()](const std::string& subscriber, const std::string& aor,
                                              std::function<void(events::Grant, std::string)> done) {
    p->ViewFor(subscriber, aor, std::move(done));
  };
  lists_ = std::make_unique<presence::ResourceListServer>(
      list_config_, std::move(presence_views), *notifiers_, ListsOf(*groups_, *services_, ours, "presence"),
      winfo_.get());
  presence_->AddChangeListener([l = lists_.get()](const std::string& aor) { l->OnMemberChanged(aor); });
  if (dialogs_) {
    // Busy-lamp lists: the calls of each member, as its presence rules let
    // the subscriber see them (RFC 4662 with RFC 4235).
    presence::MemberViews dialog_views;
    dialog_views.package = std::string(dialogs_->name());
    dialog_views.part_type = std::string(dialogs_->content_type());
    dialog_views.view = [d = dialogs_.get()](const std::string& subscriber, const std::string& aor,
                                             std::function<void(events::Grant, std::string)> done) {
      d->ViewFor(subscriber, aor, std::move(done));
    };
    dialog_views.part = [](const std::string& body, uint32_t version) {
      return dialoginfo::WithVersion(body, version);
    };
    dialog_lists_ = std::make_unique<presence::ResourceListServer>(
        list_config_, std::move(dialog_views), *notifiers_,
        ListsOf(*groups_, *services_, ours, std::string(dialogs_->name())), dialog_winfo_.get());
    dialogs_->AddChangeListener([l = dialog_lists_.get()](const std::string& aor) { l->OnMemberChanged(aor); });
    dialogs_->SetWatchedElsewhere([l = dialog_lists_.get()](const std::string& aor) { return l->Feeds(aor); });
    presence_->AddUserRulesListener([l = dialog_lists_.get()](const std::string& aor) { l->OnMemberChanged(aor); });
  }
  const std::pair<presence::ResourceListServer*, presence::WinfoPackage*> list_servers[] = {
      {lists_.get(), winfo_.get()}, {dialog_lists_.get(), dialog_winfo_.get()}};
  for (auto [l, w] : list_servers) {
    if (!l) continue;
    w->SetExtraWatchers([l](const std::string& aor) { return l->WatchersOf(aor); });
    presence_->AddRulesListener([l](size_t shard, const std::string& domain) { l->OnRulesChanged(shard, domain); });
    groups_->AddListener([l](size_t shard) { l->OnListsChanged(shard); });
    services_->AddListener([l](size_t shard) { l->OnListsChanged(shard); });
    for (size_t i = 0; i < n; ++i) {
      notifiers_->At(i).AddObserver([l](const events::Subscription& s, events::WatcherChange c) {
        l->OnSubscriptionChange(s, c);
      });
    }
  }
}

}  // namespace parley::server
