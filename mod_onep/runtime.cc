// SPDX-License-Identifier: Apache-2.0
#include "runtime.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ap_mpm.h"
#include "http_log.h"
#include "metrics/metrics.h"
#include "mod_onep.h"
#include "onep/doctor.h"
#include "onep/event_store.h"
#include "onep/redis_url.h"
#include "sweep.h"
#include "upkeep.h"

APLOG_USE_MODULE(onep);

namespace onep::module {

// ---------------------------------------------------------------------------
// Effective values

const char* EffectiveRedisUrl(const ServerConfig* conf) {
  return conf->redis_url_set ? conf->redis_url : kDefaultRedisUrl.data();
}

std::shared_ptr<const RedisTls> EffectiveRedisTls(const ServerConfig* conf) {
  return conf->redis_tls_set && conf->redis_tls != nullptr ? *conf->redis_tls : nullptr;
}

int64_t EffectiveTimeoutMs(const ServerConfig* conf) {
  return conf->timeout_set ? conf->timeout_ms : kDefaultTimeoutMs;
}

const char* EffectiveKeyPrefix(const ServerConfig* conf) {
  return conf->key_prefix_set ? conf->key_prefix : kDefaultKeyPrefix.data();
}

EventRetention EffectiveRetention(const ServerConfig* conf) {
  EventRetention retention;
  if (conf->retention_set) retention.max_age_ms = conf->retention_ms;
  if (conf->max_events_set) retention.max_events = conf->max_events;
  if (conf->max_idempotency_keys_set) retention.max_idempotency_keys = conf->max_idempotency_keys;
  if (conf->max_deploy_ids_set) retention.max_deploy_ids = conf->max_deploy_ids;
  if (conf->max_apps_set) retention.max_apps = conf->max_apps;
  return retention;
}

int EffectiveWaitReplicas(const ServerConfig* conf) {
  return conf->wait_set ? conf->wait_replicas : 0;
}

int64_t EffectiveWaitTimeoutMs(const ServerConfig* conf) {
  if (conf->wait_set && conf->wait_timeout_ms > 0) return conf->wait_timeout_ms;
  return std::max<int64_t>(EffectiveTimeoutMs(conf) / 2, 1);
}

uint64_t EffectiveMaxBodySize(const DirConfig* conf) {
  return conf->max_body_size_set ? conf->max_body_size : kDefaultMaxBodySize;
}

EventLimits EffectiveEventLimits(const DirConfig* conf) {
  EventLimits limits;
  if (conf->max_field_length_set) limits.max_field_bytes = conf->max_field_length;
  if (conf->max_event_size_set) limits.max_event_bytes = conf->max_event_size;
  return limits;
}

uint32_t EffectiveRateLimit(const DirConfig* conf) {
  return conf->rate_limit_set ? conf->rate_limit : 0;
}

int64_t EffectiveBodyTimeoutMs(const DirConfig* conf) {
  return conf->body_timeout_set ? conf->body_timeout_ms : kDefaultBodyTimeoutMs;
}

uint32_t EffectiveInvalidTokenLimit(const ServerConfig* conf) {
  return conf->invalid_token_limit_set ? conf->invalid_token_limit : kDefaultInvalidTokenLimit;
}

// With this module's version. A Redis that cannot be reached is only noted:
// the children retry on their own.
void LogRedisDiagnosis(apr_pool_t* pconf, server_rec* main_server) {
  void* seen = nullptr;
  apr_pool_userdata_get(&seen, "onep-diagnosed", main_server->process->pool);
  if (seen == nullptr) {
    apr_pool_userdata_set(reinterpret_cast<void*>(1), "onep-diagnosed", apr_pool_cleanup_null,
                          main_server->process->pool);
    return;
  }
  std::map<std::string, bool> done;
  for (server_rec* s = main_server; s != nullptr; s = s->next) {
    const ServerConfig* conf = GetServerConfig(s);
    const std::string url = EffectiveRedisUrl(conf);
    std::shared_ptr<const RedisTls> tls = EffectiveRedisTls(conf);
    const std::string seen_key = url + " " + EffectiveKeyPrefix(conf) + " " +
                                 std::to_string(reinterpret_cast<std::uintptr_t>(tls.get()));
    if (done[seen_key]) continue;
    done[seen_key] = true;
    auto target = ParseRedisTarget(url);
    if (!target.ok()) continue;
    RedisClientOptions options;
    options.timeout = std::chrono::milliseconds(EffectiveTimeoutMs(conf));
    options.tls = std::move(tls);
    auto client = ConnectRedis(*target, std::move(options));
    if (!client.ok()) continue;
    int failed = 0;
    for (const Check& check : Diagnose(**client, KeySpace(EffectiveKeyPrefix(conf)))) {
      if (check.ok) continue;
      ++failed;
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "ONEP0008: mod_onep %s: Redis %s: %s: %s",
                   ONEP_VERSION, target->Redacted().c_str(), check.name.c_str(),
                   check.detail.c_str());
    }
    if (failed == 0) {
      ap_log_error(APLOG_MARK, APLOG_INFO, 0, s,
                   "ONEP0007: mod_onep %s: Redis %s passes every check", ONEP_VERSION,
                   target->Redacted().c_str());
    }
  }
  (void)pconf;
}

// ---------------------------------------------------------------------------
// Each child's runtimes

namespace {

// Everything the child built for its servers, freed with the child's pool.
struct ChildState {
  server_rec* main_server;
  std::vector<ServerConfig*> configs;
  std::vector<std::unique_ptr<ServerRuntime>> runtimes;
};

apr_status_t DestroyChildState(void* data) {
  auto* state = static_cast<ChildState*>(data);
  try {
    StopUpkeep(state->main_server);
    StopSweep(state->main_server);
    for (ServerConfig* conf : state->configs) conf->runtime = nullptr;
    delete state;
  } catch (...) {
    // Destructors close sockets; nothing here is expected to throw.
  }
  return APR_SUCCESS;
}

std::size_t ThreadsPerChild() {
  int threads = 0;
  if (ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads) != APR_SUCCESS || threads < 1) return 1;
  return static_cast<std::size_t>(threads);
}

int AprLevel(int level) {
  switch (level) {
    case RedisLog::kWarning:
      return APLOG_WARNING;
    case RedisLog::kInfo:
      return APLOG_INFO;
    default:
      return APLOG_DEBUG;
  }
}

void BuildRuntimes(apr_pool_t* pchild, server_rec* main_server) {
  auto state = std::make_unique<ChildState>();
  state->main_server = main_server;
  const RedisUpkeep upkeep = ChildUpkeepMode(main_server);
  // Servers with the same Redis, TLS settings and timeout share one client
  // (and its pools).
  std::map<std::tuple<std::string, const RedisTls*, int64_t>, std::shared_ptr<RedisClient>> clients;
  for (server_rec* s = main_server; s != nullptr; s = s->next) {
    ServerConfig* conf = GetServerConfig(s);
    const std::string url = EffectiveRedisUrl(conf);
    std::shared_ptr<const RedisTls> tls = EffectiveRedisTls(conf);
    const int64_t timeout_ms = EffectiveTimeoutMs(conf);
    auto& client = clients[{url, tls.get(), timeout_ms}];
    if (!client) {
      auto target = ParseRedisTarget(url);
      RedisClientOptions options;
      options.timeout = std::chrono::milliseconds(timeout_ms);
      options.tls = std::move(tls);
      options.max_idle_per_node = ThreadsPerChild();
      options.preload = EventStore::Scripts();
      options.log.write = [main_server](int level, const std::string& line) {
        ap_log_error(APLOG_MARK, AprLevel(level), 0, main_server, "%s", line.c_str());
      };
      options.log.pool = CountPoolEvent;
      // Slot-map refreshes and Sentinel checks: this child's watchdog thread
      // (upkeep.h), never a request, when mod_watchdog runs it.
      options.upkeep = upkeep;
      auto opened = target.ok() ? ConnectRedis(*target, std::move(options))
                                : Result<std::unique_ptr<RedisClient>>(target.status());
      if (!opened.ok()) {  // validated when read; cannot happen
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ONEP0002: OnepRedis: %s",
                     opened.status().message().c_str());
        continue;
      }
      client = std::move(opened).value();
      if (upkeep == RedisUpkeep::kBackground) AddToUpkeep(main_server, client);
    }
    state->runtimes.push_back(std::make_unique<ServerRuntime>(
        client, EffectiveKeyPrefix(conf), EffectiveRetention(conf), CountBatch));
    conf->runtime = state->runtimes.back().get();
    AddToSweep(main_server, s, conf->runtime);
    state->configs.push_back(conf);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "ONEP0003: ready: Redis %s, timeout %ld ms, key prefix \"%s\"",
                 client->Describe().c_str(), static_cast<long>(timeout_ms),
                 EffectiveKeyPrefix(conf));
  }
  apr_pool_cleanup_register(pchild, state.release(), DestroyChildState, apr_pool_cleanup_null);
}

}  // namespace

void ChildInit(apr_pool_t* pchild, server_rec* s) {
  try {
    BuildRuntimes(pchild, s);
  } catch (const std::exception& e) {
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 "ONEP0001: cannot prepare the Redis connection pools: %s; requests will get 500",
                 e.what());
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 "ONEP0001: cannot prepare the Redis connection pools; requests will get 500");
  }
}

}  // namespace onep::module
