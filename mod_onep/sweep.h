// SPDX-License-Identifier: Apache-2.0
// The silence sweep (onep/silence_sweep.h), run every OnepSweepInterval by a
// singleton watchdog of mod_watchdog: one child of the Apache server sweeps,
// the others' threads wait for the watchdog's mutex. Several Apache servers
// on one Redis may sweep at once: each org's turn is one atomic script.
#ifndef ONEP_MOD_ONEP_SWEEP_H_
#define ONEP_MOD_ONEP_SWEEP_H_

#include "httpd.h"

namespace onep::module {

struct ServerRuntime;

// post_config, in the parent: registers the sweep with a singleton child
// watchdog of its own, every OnepSweepInterval. Without mod_watchdog, or
// when it refuses, logs ONEP0013 once per start: then nothing opens
// silence incidents and timed pauses end only on reads. Never fails the
// configuration.
void RegisterSweep(apr_pool_t* pconf, server_rec* main_server);

// child_init: `server`'s runtime is to be swept (once per Redis client and
// key prefix, however many servers share them).
void AddToSweep(server_rec* main_server, server_rec* server, ServerRuntime* runtime);

// When the child's runtimes go: no sweep starts after this returns; one
// under way finishes first.
void StopSweep(server_rec* main_server);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_SWEEP_H_
