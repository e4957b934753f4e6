// SPDX-License-Identifier: Apache-2.0
// The notification deliverer (onep/notify_deliverer.h) in Apache: one
// mod_watchdog singleton of this module's own, "onep-notify", so that of all
// the children exactly one runs it at a time (another takes over when that
// one exits). Its callback runs every 100 ms: a turn of each deliverer, one
// per distinct Redis and key prefix of the servers, waiting at most ~100 ms
// on its transfers. No request ever waits for it.
#ifndef ONEP_MOD_ONEP_NOTIFY_WORKER_H_
#define ONEP_MOD_ONEP_NOTIFY_WORKER_H_

#include "httpd.h"
#include "onep/secret_box.h"
#include "onep/status.h"

namespace onep::module {

// post_config, in the parent (still root): reads OnepSecretKeyFile, whose
// problems fail the start (the Status names them), and registers the
// deliverer with its watchdog. Without mod_watchdog, logs ONEP0400 once per
// start: no notification is sent.
Status RegisterNotifyWorker(apr_pool_t* pconf, server_rec* main_server);

// What the admin API needs to add an endpoint, as post_config read it: the
// key of OnepSecretKeyFile (null when none is configured) and
// OnepNotifyAllowHttp. Set before the children are forked and never changed
// after: safe to read from any request thread; the file is not read again.
struct NotifySettings {
  const SecretKey* key = nullptr;  // owned by the configuration pool
  bool allow_http = false;
};
NotifySettings NotifySettingsOf(const server_rec* s);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_NOTIFY_WORKER_H_
