// SPDX-License-Identifier: Apache-2.0
// The list of a process's clients lives in the configuration pool (pconf),
// like the module's code: freed by a cleanup of pconf, which runs before the
// module is unloaded (a cleanup registered on the process pool would run
// after, and call code that is gone). In a child, the watchdog thread is
// joined when mod_watchdog's pool goes, a subpool of the process pool made
// after pconf and so destroyed before it; in the parent no watchdog thread
// runs, and each graceful restart makes a new list with the new
// configuration. The child's pool, a subpool of pconf, empties the list first.
#include "upkeep.h"

#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "http_core.h"
#include "http_log.h"
#include "mod_watchdog.h"
#include "watchdog_task.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

constexpr const char* kWatchdogName = "onep-upkeep";
constexpr const char* kListKey = "onep-upkeep-list";

class UpkeepList {
 public:
  // The main server of the current configuration, for the log.
  void set_server(server_rec* s) { server_ = s; }

  void Add(std::shared_ptr<RedisClient> client) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& known : clients_) {
      if (known == client) return;
    }
    clients_.push_back(std::move(client));
  }

  void Clear() {
    std::vector<std::shared_ptr<RedisClient>> gone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      gone.swap(clients_);
    }
    // Freed here, outside the lock (a client closes its connections).
  }

  // The watchdog thread: each client's upkeep, one after another, on copies
  // of the list, so that the lock is never held across the network.
  void RunOnce() {
    std::vector<std::shared_ptr<RedisClient>> clients;
    {
      std::lock_guard<std::mutex> lock(mu_);
      clients = clients_;
    }
    for (const auto& client : clients) {
      try {
        client->Upkeep();
      } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, server_, "ONEP0011: the upkeep of Redis %s: %s",
                     client->Describe().c_str(), e.what());
      } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, server_, "ONEP0011: the upkeep of Redis %s failed",
                     client->Describe().c_str());
      }
    }
  }

  // Whether the watchdog runs RunOnce: set in post_config, before any child
  // exists; read by the children.
  bool background() const { return background_; }
  void set_background(bool background) { background_ = background; }

 private:
  bool background_ = false;
  server_rec* server_ = nullptr;
  std::mutex mu_;
  std::vector<std::shared_ptr<RedisClient>> clients_;  // guarded by mu_
};

UpkeepList* ListOf(server_rec* main_server) {
  return ConfigurationObject<UpkeepList>(main_server, kListKey);
}

apr_status_t UpkeepCallback(int state, void* data, apr_pool_t*) {
  if (state == AP_WATCHDOG_STATE_STOPPING) return APR_SUCCESS;
  try {
    static_cast<UpkeepList*>(data)->RunOnce();
  } catch (...) {
    // Copying the list ran out of memory: the next turn tries again.
  }
  return APR_SUCCESS;  // anything else would stop the callback for good
}

}  // namespace

void RegisterUpkeep(apr_pool_t* pconf, server_rec* main_server) {
  UpkeepList* list = ListOf(main_server);
  list->set_server(main_server);  // the parent's, before any child exists
  list->set_background(false);
  const apr_status_t rv = RegisterWatchdogCallback(pconf, kWatchdogName, false /* each child */,
                                                   AP_WD_TM_SLICE, list, UpkeepCallback);
  if (rv != APR_SUCCESS && rv != APR_EEXIST) {
    if (!FirstConfigurationPass()) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, rv == APR_ENOTIMPL ? 0 : rv, main_server,
                   rv == APR_ENOTIMPL
                       ? "ONEP0010: mod_watchdog is not loaded: Redis Cluster slot-map refreshes "
                         "and Sentinel checks run inside requests (LoadModule watchdog_module)"
                       : "ONEP0010: mod_watchdog refused the upkeep callback: Redis Cluster "
                         "slot-map refreshes and Sentinel checks run inside requests");
    }
    return;
  }
  list->set_background(true);
}

RedisUpkeep ChildUpkeepMode(server_rec* main_server) {
  return ListOf(main_server)->background() ? RedisUpkeep::kBackground : RedisUpkeep::kInline;
}

void AddToUpkeep(server_rec* main_server, std::shared_ptr<RedisClient> client) {
  ListOf(main_server)->Add(std::move(client));
}

void StopUpkeep(server_rec* main_server) { ListOf(main_server)->Clear(); }

}  // namespace onep::module
