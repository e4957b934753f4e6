// SPDX-License-Identifier: Apache-2.0
// The list of what a child sweeps lives in the configuration pool, as the
// upkeep's list does (upkeep.cc), for the same reasons. The sweep holds the
// list's lock while it runs, so that StopSweep waits for a sweep under way
// before the runtimes it uses go: the watchdog thread is the only other user
// of the lock, and requests never take it.
#include "sweep.h"

#include <exception>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "http_core.h"
#include "http_log.h"
#include "metrics/metrics.h"
#include "mod_onep.h"
#include "mod_watchdog.h"
#include "onep/silence_sweep.h"
#include "watchdog_task.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

constexpr const char* kWatchdogName = "onep-sweep";
constexpr const char* kListKey = "onep-sweep-list";

class SweepList {
 public:
  void Add(server_rec* server, ServerRuntime* runtime) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Entry& known : entries_) {
      if (known.runtime->redis == runtime->redis &&
          known.runtime->keys.prefix() == runtime->keys.prefix()) {
        return;  // swept once, counted on the first server
      }
    }
    entries_.push_back({server, runtime});
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
  }

  // The watchdog thread: one sweep of each Redis and key prefix.
  void RunOnce() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Entry& entry : entries_) {
      SilenceSweep sweep(entry.runtime->keys, entry.runtime->events.retention());
      auto report = sweep.Run(*entry.runtime->redis);
      if (!report.ok()) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, entry.server,
                     "ONEP0014: the silence sweep of Redis %s could not run: %s",
                     entry.runtime->redis->Describe().c_str(), report.status().message().c_str());
        continue;
      }
      CountSweep(entry.server, report->opened);
      if (report->failed_orgs > 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, entry.server,
                     "ONEP0014: the silence sweep of Redis %s failed for %zu orgs (swept again "
                     "next time): %s",
                     entry.runtime->redis->Describe().c_str(), report->failed_orgs,
                     report->first_error.message().c_str());
      }
      if (report->opened > 0 || report->resumed > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, entry.server,
                     "ONEP0015: silence sweep: %zu orgs looked at, %lld incidents opened, %lld "
                     "pauses ended",
                     report->orgs, static_cast<long long>(report->opened),
                     static_cast<long long>(report->resumed));
      }
    }
  }

 private:
  struct Entry {
    server_rec* server;
    ServerRuntime* runtime;
  };
  std::mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_
};

SweepList* ListOf(server_rec* main_server) {
  return ConfigurationObject<SweepList>(main_server, kListKey);
}

apr_status_t SweepCallback(int state, void* data, apr_pool_t*) {
  if (state != AP_WATCHDOG_STATE_RUNNING) return APR_SUCCESS;
  try {
    static_cast<SweepList*>(data)->RunOnce();
  } catch (...) {
    // Out of memory in a sweep: the next one tries again.
  }
  return APR_SUCCESS;  // anything else would stop the callback for good
}

}  // namespace

void RegisterSweep(apr_pool_t* pconf, server_rec* main_server) {
  SweepList* list = ListOf(main_server);
  const ServerConfig* conf = GetServerConfig(main_server);
  const int64_t interval_ms =
      conf->sweep_interval_set ? conf->sweep_interval_ms : kDefaultSweepIntervalMs;
  const apr_status_t rv =
      RegisterWatchdogCallback(pconf, kWatchdogName, true /* one child at a time */,
                               apr_time_from_msec(interval_ms), list, SweepCallback);
  if (rv != APR_SUCCESS && rv != APR_EEXIST && !FirstConfigurationPass()) {
    ap_log_error(APLOG_MARK, APLOG_WARNING, rv, main_server,
                 "ONEP0013: mod_watchdog is not loaded or refused the silence sweep: no silence "
                 "incident opens and timed pauses end only as read (LoadModule watchdog_module)");
  }
}

void AddToSweep(server_rec* main_server, server_rec* server, ServerRuntime* runtime) {
  ListOf(main_server)->Add(server, runtime);
}

void StopSweep(server_rec* main_server) { ListOf(main_server)->Clear(); }

}  // namespace onep::module
