// SPDX-License-Identifier: Apache-2.0
// onep's section of mod_status' server-status page, from the same snapshot
// as the Prometheus text (metrics_snapshot.h).
#ifndef ONEP_MOD_ONEP_METRICS_METRICS_STATUS_H_
#define ONEP_MOD_ONEP_METRICS_METRICS_STATUS_H_

#include "httpd.h"

namespace onep::module {

// mod_status' hook: an "onep" section on the server-status page (and lines
// of "Onep...: N" in its ?auto form).
int StatusHook(request_rec* r, int flags);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_METRICS_METRICS_STATUS_H_
