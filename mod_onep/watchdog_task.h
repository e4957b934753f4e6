// SPDX-License-Identifier: Apache-2.0
// What the module's periodic work (upkeep.cc, sweep.cc, notify_worker.cc)
// shares: one object per configuration that a mod_watchdog callback works on,
// and the registration of that callback.
//
// The object lives in the configuration pool (pconf), like the module's code:
// freed by a cleanup of pconf, which runs before the module is unloaded (a
// cleanup registered on the process pool would run after, and call code that
// is gone). Each graceful restart makes a new one with the new configuration.
#ifndef ONEP_MOD_ONEP_WATCHDOG_TASK_H_
#define ONEP_MOD_ONEP_WATCHDOG_TASK_H_

#include "apr_pools.h"
#include "http_core.h"
#include "httpd.h"
#include "mod_watchdog.h"

namespace onep::module {

// The T of this configuration, kept under `key` in pconf: made (default
// constructed) by the first call, the same object for later calls.
template <class T>
T* ConfigurationObject(server_rec* main_server, const char* key) {
  apr_pool_t* pconf = main_server->process->pconf;
  void* object = nullptr;
  apr_pool_userdata_get(&object, key, pconf);
  if (object == nullptr) {
    object = new T();
    apr_pool_userdata_set(object, key, apr_pool_cleanup_null, pconf);
    apr_pool_cleanup_register(
        pconf, object,
        [](void* gone) -> apr_status_t {
          delete static_cast<T*>(gone);
          return APR_SUCCESS;
        },
        apr_pool_cleanup_null);
  }
  return static_cast<T*>(object);
}

// Registers `callback` with `data` on the child watchdog `name`: in each
// child, or with `singleton` in one child at a time of the server. APR_SUCCESS
// or APR_EEXIST (already registered by this configuration) when it will run;
// APR_ENOTIMPL without mod_watchdog; else mod_watchdog's refusal.
inline apr_status_t RegisterWatchdogCallback(apr_pool_t* pconf, const char* name, bool singleton,
                                             apr_interval_time_t interval, void* data,
                                             ap_watchdog_callback_fn_t* callback) {
  auto get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
  auto register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
  if (get_instance == nullptr || register_callback == nullptr) return APR_ENOTIMPL;
  ap_watchdog_t* watchdog = nullptr;
  apr_status_t rv = get_instance(&watchdog, name, 0 /* in a child */, singleton ? 1 : 0, pconf);
  if (rv == APR_SUCCESS) rv = register_callback(watchdog, interval, data, callback);
  return rv;
}

// Whether this is the first of Apache's two configuration passes, in which
// nothing is logged (the second says it again).
inline bool FirstConfigurationPass() {
  return ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG;
}

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_WATCHDOG_TASK_H_
