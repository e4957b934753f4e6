// SPDX-License-Identifier: Apache-2.0
// Each child's background work on its Redis clients (RedisClient::Upkeep: a
// Cluster's slot map read again after a MOVED or an unreachable node, a
// Sentinel master checked with the sentinels every second), run by a thread
// of mod_watchdog in each child, as mod_proxy_hcheck runs its health checks,
// so that no request ever waits for it.
#ifndef ONEP_MOD_ONEP_UPKEEP_H_
#define ONEP_MOD_ONEP_UPKEEP_H_

#include <memory>

#include "httpd.h"
#include "onep/redis_client.h"

namespace onep::module {

// post_config, in the parent: registers the upkeep with a watchdog of this
// module's own (one thread per child). Without mod_watchdog (it is built
// into Debian's apache2; elsewhere a LoadModule), or when it refuses, logs
// ONEP0010 once per start, and the children's clients do their upkeep
// inline, on the requests' time. Never fails the configuration.
void RegisterUpkeep(apr_pool_t* pconf, server_rec* main_server);

// child_init: how the child's clients are to do their upkeep: kBackground
// when RegisterUpkeep succeeded.
RedisUpkeep ChildUpkeepMode(server_rec* main_server);

// child_init: the watchdog runs `client`'s Upkeep() every 100 ms from now on,
// until StopUpkeep. Each client once, however many servers share it.
void AddToUpkeep(server_rec* main_server, std::shared_ptr<RedisClient> client);

// When the child's runtimes go: no Upkeep() starts after this returns; one
// under way keeps its client alive until it ends.
void StopUpkeep(server_rec* main_server);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_UPKEEP_H_
