#pragma once
// Fills every shard's user directory and reception-policy cache from the
// store at start, so that they are complete (aaa::UserDirectory,
// proxy::PolicyCache): a request then never waits for a store read for its
// credentials or its target's policy. Users are read in pages on the
// store's reader thread into one aaa::CredentialSnapshot of every user,
// handed once the preload is complete to every shard's directory (which
// answers for its users from it) and CredentialReplica (which checks other
// shards' users against it); nullptr otherwise. With more than `max_users`
// users, nothing is preloaded and both stay caches of the active users.
//
// The caller has put every directory and cache in preload mode (their
// BeginPreload, the replicas' BeginSnapshot) before the change feed was
// first read, so a user changed while the pages are read is read again on
// its next use and never taken from the snapshot.

#include <cstddef>

#include "aaa/authenticator.h"
#include "proxy/policy.h"
#include "proxy/shards.h"
#include "store/executor.h"

namespace parley::server {

void PreloadDirectories(store::StoreExecutor& store, proxy::Sharded<aaa::AaaShard>& users,
                        proxy::Sharded<proxy::PolicyCache>& policies, size_t max_users);

}  // namespace parley::server
