// SPDX-License-Identifier: Apache-2.0
// mod_onep: the configuration records shared by the module's translation units.
//
// Server config (OnepRedis, OnepRedisTLS, OnepRedisTimeout, OnepKeyPrefix, ...) is per virtual
// host; directory config (OnepMaxBodySize, OnepRateLimit) is per <Location>.
// Both are plain structs allocated from Apache pools; every field has an
// explicit "was set" flag so merging never compares against a default.
#ifndef ONEP_MOD_ONEP_H_
#define ONEP_MOD_ONEP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

// httpd.h first: the other Apache headers depend on it.
// clang-format off
#include "httpd.h"
#include "apr_tables.h"
#include "http_config.h"
// clang-format on
#include "onep/event_store.h"
#include "onep/keys.h"
#include "onep/record_batcher.h"
#include "onep/redis_client.h"
#include "onep/refusal_cache.h"

extern "C" {
extern module AP_MODULE_DECLARE_DATA onep_module;
}

namespace onep::module {

inline constexpr const char* kWebhookHandlerName = "onep";
inline constexpr int64_t kDefaultTimeoutMs = 500;
inline constexpr int64_t kMaxTimeoutMs = 60 * 1000;
inline constexpr uint64_t kDefaultMaxBodySize = 64 * 1024;
inline constexpr uint64_t kMaxMaxBodySize = 16 * 1024 * 1024;
inline constexpr uint64_t kMaxRateLimit = 1000000;
inline constexpr int64_t kDefaultBodyTimeoutMs = 10 * 1000;
inline constexpr int64_t kMaxBodyTimeoutMs = 10 * 60 * 1000;
// Unknown tokens an address may present per minute (OnepInvalidTokenLimit).
inline constexpr uint32_t kDefaultInvalidTokenLimit = 60;
inline constexpr uint64_t kMaxInvalidTokenLimit = 1000000;
inline constexpr uint64_t kMaxWaitReplicas = 64;
inline constexpr int64_t kDefaultNotifyRetryBaseMs = 5000;
inline constexpr int64_t kMaxNotifyRetryBaseMs = 3600 * 1000;
// Events per record call at most (group commit).
inline constexpr std::size_t kMaxBatch = 64;
inline constexpr int64_t kDefaultSweepIntervalMs = 10 * 1000;

// What one child process needs to serve one server config: built in
// child_init, destroyed with the child's pool.
struct ServerRuntime {
  ServerRuntime(std::shared_ptr<RedisClient> redis_client, const char* key_prefix,
                EventRetention retention, std::function<void(std::size_t)> on_batch)
      : redis(std::move(redis_client)),
        keys(key_prefix),
        events(keys, retention),
        batcher(events, kMaxBatch, std::move(on_batch)) {}

  // Thread-safe; shared by servers with the same Redis URL and timeout.
  std::shared_ptr<RedisClient> redis;
  KeySpace keys;
  EventStore events;
  // Group commit of this child's concurrent webhook events (record_batcher.h).
  RecordBatcher batcher;
  // Set once the keyspace's layout was found usable (layout.h); until then
  // each request checks it first.
  std::atomic<bool> layout_checked{false};
  // /health's last judgement of Redis (health.h), reused for a second so
  // that probes cost Redis one INFO per second and child at most.
  std::mutex health_mu;
  int64_t health_checked_ms = 0;  // guarded by health_mu; 0: never
  Status health;                  // guarded by health_mu
  // What this child learnt from Redis' verdicts on tokens (unknown, known,
  // over the rate limit), to refuse again without Redis (refusal_cache.h).
  RefusalCache refusals;
};

struct ServerConfig {
  const char* redis_url;  // as written; validated when read
  bool redis_url_set;
  // OnepRedisTLS: its files read when the directive was (owned by the
  // configuration pool); used when the URL is a rediss* one.
  const std::shared_ptr<const RedisTls>* redis_tls;
  bool redis_tls_set;
  int64_t timeout_ms;
  bool timeout_set;
  const char* key_prefix;
  bool key_prefix_set;
  int64_t retention_ms;  // OnepRetention
  bool retention_set;
  uint64_t max_events;  // OnepMaxEvents
  bool max_events_set;
  uint64_t max_idempotency_keys;  // OnepMaxIdempotencyKeys
  bool max_idempotency_keys_set;
  uint64_t max_deploy_ids;  // OnepMaxDeployIds
  bool max_deploy_ids_set;
  uint64_t max_apps;  // OnepMaxApps
  bool max_apps_set;
  int wait_replicas;        // OnepRedisWait N
  int64_t wait_timeout_ms;  // OnepRedisWait N TIMEOUT; 0: half of the Redis timeout
  bool wait_set;
  uint32_t invalid_token_limit;  // OnepInvalidTokenLimit; 0: off
  bool invalid_token_limit_set;
  int64_t sweep_interval_ms;  // OnepSweepInterval (main server only)
  bool sweep_interval_set;
  // The notification deliverer's (main server only): OnepNotifyAllowPrivate,
  // OnepNotifyAllowHttp, OnepNotifyRetryBase.
  bool notify_allow_private;
  bool notify_allow_private_set;
  bool notify_allow_http;
  bool notify_allow_http_set;
  const char* secret_key_file;  // OnepSecretKeyFile, absolute
  bool secret_key_file_set;
  int64_t notify_retry_base_ms;
  bool notify_retry_base_set;
  ServerRuntime* runtime;  // set in each child by child_init; null in the parent
  int metrics_slot;        // this server's counters in metrics.cc (1-based; 0: none)
  // This server's table of unknown tokens per client address, in shared
  // memory (webhook/address_budget.h); null when it could not be created.
  struct AddressBudgetTable* address_budget;
  // The paths of this server's <Location> sections with "SetHandler onep" and
  // "SetHandler onep-admin" (const char*), from mounts.cc at post_config.
  apr_array_header_t* webhook_mounts;
  apr_array_header_t* admin_mounts;
};

struct DirConfig {
  uint64_t max_body_size;
  bool max_body_size_set;
  uint32_t rate_limit;
  bool rate_limit_set;
  int64_t body_timeout_ms;  // OnepBodyTimeout
  bool body_timeout_set;
  uint64_t max_field_length;  // OnepMaxFieldLength
  bool max_field_length_set;
  uint64_t max_event_size;  // OnepMaxEventSize
  bool max_event_size_set;
  apr_array_header_t* admin_orgs;  // OnepAdminOrgs (const char*; "*": all)
  bool admin_orgs_set;
  const char* public_url;  // OnepPublicURL: the webhook routes' URL in curl commands
  bool public_url_set;
};

inline ServerConfig* GetServerConfig(const server_rec* s) {
  return static_cast<ServerConfig*>(ap_get_module_config(s->module_config, &onep_module));
}

inline DirConfig* GetDirConfig(const request_rec* r) {
  return static_cast<DirConfig*>(ap_get_module_config(r->per_dir_config, &onep_module));
}

// Effective values, defaults applied.
const char* EffectiveRedisUrl(const ServerConfig* conf);
// OnepRedisTLS's context; null without the directive (ConnectRedis then
// trusts the system's CAs).
std::shared_ptr<const RedisTls> EffectiveRedisTls(const ServerConfig* conf);
int64_t EffectiveTimeoutMs(const ServerConfig* conf);
const char* EffectiveKeyPrefix(const ServerConfig* conf);
// Replicas that must acknowledge an accepted event (0: none) and for how long
// to wait for them.
int EffectiveWaitReplicas(const ServerConfig* conf);
EventRetention EffectiveRetention(const ServerConfig* conf);
int64_t EffectiveWaitTimeoutMs(const ServerConfig* conf);
uint64_t EffectiveMaxBodySize(const DirConfig* conf);
uint32_t EffectiveRateLimit(const DirConfig* conf);
int64_t EffectiveBodyTimeoutMs(const DirConfig* conf);
uint32_t EffectiveInvalidTokenLimit(const ServerConfig* conf);
EventLimits EffectiveEventLimits(const DirConfig* conf);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_H_
