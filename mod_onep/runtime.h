// SPDX-License-Identifier: Apache-2.0
// Each server's runtime: the effective values of its configuration
// (defaults applied), the Redis clients and stores each child builds for it
// (child_init), and what the parent says about its Redis at start.
#ifndef ONEP_MOD_ONEP_RUNTIME_H_
#define ONEP_MOD_ONEP_RUNTIME_H_

#include "httpd.h"

namespace onep::module {

// post_config, in the parent: what `onepctl doctor` would say about each
// server's Redis, as warnings (ONEP0007, ONEP0008). Once per start, not in
// the first of Apache's two configuration passes.
void LogRedisDiagnosis(apr_pool_t* pconf, server_rec* main_server);

// The child_init hook: sets every server config's `runtime` (ONEP0001 when
// it cannot; that server's requests then get 500). Never throws.
void ChildInit(apr_pool_t* pchild, server_rec* main_server);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_RUNTIME_H_
