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

apr_status_t DeleteList(void* list) {
  delete static_cast<UpkeepList*>(list);
  return APR_SUCCESS;
}

UpkeepList* ListOf(server_rec* main_server) {
  apr_pool_t* pconf = main_server->process->pconf;
  void* list = nullptr;
  apr_pool_userdata_get(&list, kListKey, pconf);
  if (list == nullptr) {
    list = new UpkeepList();
    apr_pool_userdata_set(list, kListKey, apr_pool_cleanup_null, pconf);
    apr_pool_cleanup_register(pconf, list, DeleteList, apr_pool_cleanup_null);
  }
  return static_cast<UpkeepList*>(list);
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
  auto get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
  auto register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
  const bool first_pass = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG;
  if (get_instance == nullptr || register_callback == nullptr) {
    if (!first_pass) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server,
                   "ONEP0010: mod_watchdog is not loaded: Redis Cluster slot-map refreshes and "
                   "Sentinel checks run inside requests (LoadModule watchdog_module)");
    }
    return;
  }
  ap_watchdog_t* watchdog = nullptr;
  apr_status_t rv =
      get_instance(&watchdog, kWatchdogName, 0 /* in each child */, 0 /* not a singleton */, pconf);
  if (rv == APR_SUCCESS) {
    rv = register_callback(watchdog, AP_WD_TM_SLICE, list, UpkeepCallback);
  }
  if (rv != APR_SUCCESS && rv != APR_EEXIST) {
    if (!first_pass) {
      ap_log_error(APLOG_MARK, APLOG_WARNING, rv, main_server,
                   "ONEP0010: mod_watchdog refused the upkeep callback: Redis Cluster slot-map "
                   "refreshes and Sentinel checks run inside requests");
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
