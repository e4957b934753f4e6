// SPDX-License-Identifier: Apache-2.0
// The worker lives in pconf, as the upkeep list does (upkeep.cc): its
// deliverers are made in the child that runs the singleton, on the
// watchdog's first turn there, and freed when the watchdog stops (the child
// exits) or when pconf goes, whichever is first. A transfer cut short by
// that is sent again by the next deliverer once its lease is over, under the
// same webhook-id.
#include "notify_worker.h"

#include <unistd.h>

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "http_core.h"
#include "http_log.h"
#include "metrics/metrics.h"
#include "mod_onep.h"
#include "mod_watchdog.h"
#include "onep/notify_deliverer.h"
#include "onep/redis_url.h"
#include "onep/secret_box.h"
#include "watchdog_task.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

constexpr const char* kWatchdogName = "onep-notify";
constexpr const char* kWorkerKey = "onep-notify-worker";
// A turn's wait on its transfers: the watchdog calls again 100 ms after a
// turn ends.
constexpr std::chrono::milliseconds kTurnWait{100};

// What a deliverer needs from one server's configuration.
struct Source {
  std::string redis_url;
  std::shared_ptr<const RedisTls> tls;
  int64_t timeout_ms;
  std::string key_prefix;
};

class NotifyWorker {
 public:
  // post_config, in the parent: one source per distinct Redis and prefix.
  void Configure(server_rec* main_server) {
    server_ = main_server;
    sources_.clear();
    key_.reset();
    const ServerConfig* main_conf = GetServerConfig(main_server);
    policy_.allow_private = main_conf->notify_allow_private_set && main_conf->notify_allow_private;
    policy_.allow_http = main_conf->notify_allow_http_set && main_conf->notify_allow_http;
    retry_base_ms_ = main_conf->notify_retry_base_set ? main_conf->notify_retry_base_ms
                                                      : kDefaultNotifyRetryBaseMs;
    std::map<std::tuple<std::string, const RedisTls*, std::string>, bool> seen;
    for (server_rec* s = main_server; s != nullptr; s = s->next) {
      const ServerConfig* conf = GetServerConfig(s);
      Source source{EffectiveRedisUrl(conf), EffectiveRedisTls(conf), EffectiveTimeoutMs(conf),
                    EffectiveKeyPrefix(conf)};
      if (seen[{source.redis_url, source.tls.get(), source.key_prefix}]) continue;
      seen[{source.redis_url, source.tls.get(), source.key_prefix}] = true;
      sources_.push_back(std::move(source));
    }
  }

  // The watchdog thread of the child that holds the singleton.
  void Turn() {
    if (deliverers_.empty()) Start();
    for (auto& running : deliverers_) {
      running.deliverer->Turn(kTurnWait / static_cast<int>(deliverers_.size()));
    }
  }

  void set_key(SecretKey key) { key_.emplace(std::move(key)); }
  NotifySettings settings() const { return {key_ ? &*key_ : nullptr, policy_.allow_http}; }

  // The watchdog stops (the child exits): transfers in flight are dropped.
  void Stop() {
    deliverers_.clear();
    clients_.clear();
  }

 private:
  struct Running {
    std::shared_ptr<RedisClient> redis;
    std::unique_ptr<NotifyDeliverer> deliverer;
  };

  void Start() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::string consumer = std::string(host) + ":" + std::to_string(getpid());
    for (const Source& source : sources_) {
      auto target = ParseRedisTarget(source.redis_url);
      if (!target.ok()) continue;
      RedisClientOptions options;
      options.timeout = std::chrono::milliseconds(source.timeout_ms);
      options.tls = source.tls;
      options.log.write = [this](int level, const std::string& line) {
        if (level <= RedisLog::kWarning) {
          ap_log_error(APLOG_MARK, APLOG_WARNING, 0, server_, "%s", line.c_str());
        }
      };
      auto client = ConnectRedis(*target, std::move(options));
      if (!client.ok()) continue;
      Running running;
      running.redis = std::move(client).value();
      NotifyDelivererOptions d;
      d.consumer = consumer;
      d.policy = policy_;
      d.retry_base = std::chrono::milliseconds(retry_base_ms_);
      d.user_agent = std::string("onep/") + ONEP_VERSION;
      d.open_secret = [this](const std::string& endpoint_id, const std::string& sealed,
                             const std::string& key_id) {
        return OpenSecret(endpoint_id, sealed, key_id);
      };
      d.on_attempt = [this](const NotifyAttempt& a) { Report(a); };
      d.on_error = [this](const std::string& what) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, server_, "ONEP0403: notifications: %s",
                     what.c_str());
      };
      running.deliverer = std::make_unique<NotifyDeliverer>(
          *running.redis, KeySpace(source.key_prefix), std::move(d));
      ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, server_,
                   "ONEP0405: this child delivers the notifications of Redis %s, key prefix "
                   "\"%s\", as consumer %s",
                   running.redis->Describe().c_str(), source.key_prefix.c_str(), consumer.c_str());
      deliverers_.push_back(std::move(running));
    }
  }

  Result<std::string> OpenSecret(const std::string& endpoint_id, const std::string& sealed,
                                 const std::string& key_id);

  void Report(const NotifyAttempt& a) {
    CountNotification(a.outcome);
    const std::string status = a.status > 0 ? std::to_string(a.status) : "none";
    // "HTTP 500" says no more than the status does.
    const std::string error = a.error.empty() || a.error.rfind("HTTP ", 0) == 0 ? "-" : a.error;
    if (a.outcome == "delivered") {
      ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, server_,
                   "ONEP0404: notification %s delivered to endpoint %s of org %s (attempt %d, "
                   "HTTP %s)",
                   a.webhook_id.c_str(), a.endpoint.c_str(), a.org.c_str(), a.attempt,
                   status.c_str());
    } else if (a.outcome == "retry") {
      ap_log_error(APLOG_MARK, APLOG_WARNING, 0, server_,
                   "ONEP0401: notification %s to endpoint %s of org %s: attempt %d failed (HTTP "
                   "%s, %s); retried in %ld ms",
                   a.webhook_id.c_str(), a.endpoint.c_str(), a.org.c_str(), a.attempt,
                   status.c_str(), error.c_str(),
                   static_cast<long>(a.next_retry_ms - apr_time_as_msec(apr_time_now())));
    } else {
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, server_,
                   "ONEP0402: notification %s to endpoint %s of org %s failed for good after "
                   "attempt %d (HTTP %s, %s)",
                   a.webhook_id.c_str(), a.endpoint.c_str(), a.org.c_str(), a.attempt,
                   status.c_str(), error.c_str());
    }
  }

  server_rec* server_ = nullptr;
  std::optional<SecretKey> key_;
  WebhookPolicy policy_;
  int64_t retry_base_ms_ = kDefaultNotifyRetryBaseMs;
  std::vector<Source> sources_;
  std::vector<Running> deliverers_;  // the watchdog thread's only
  std::vector<std::shared_ptr<RedisClient>> clients_;
};

Result<std::string> NotifyWorker::OpenSecret(const std::string& endpoint_id,
                                             const std::string& sealed, const std::string& key_id) {
  if (!key_) return Status::FailedPrecondition("no OnepSecretKeyFile to open it with");
  if (!key_id.empty() && key_id != key_->key_id()) {
    return Status::FailedPrecondition("sealed with key " + key_id +
                                      ", OnepSecretKeyFile holds key " + key_->key_id());
  }
  return Open(*key_, sealed, endpoint_id);
}

NotifyWorker* WorkerOf(server_rec* main_server) {
  return ConfigurationObject<NotifyWorker>(main_server, kWorkerKey);
}

const NotifyWorker* FoundWorker(const server_rec* s) {
  void* worker = nullptr;
  apr_pool_userdata_get(&worker, kWorkerKey, s->process->pconf);
  return static_cast<const NotifyWorker*>(worker);
}

apr_status_t NotifyCallback(int state, void* data, apr_pool_t*) {
  auto* worker = static_cast<NotifyWorker*>(data);
  try {
    if (state == AP_WATCHDOG_STATE_STOPPING) {
      worker->Stop();
    } else {
      worker->Turn();
    }
  } catch (...) {
    // Out of memory: the next turn tries again.
  }
  return APR_SUCCESS;  // anything else would stop the callback for good
}

}  // namespace

Status RegisterNotifyWorker(apr_pool_t* pconf, server_rec* main_server) {
  NotifyWorker* worker = WorkerOf(main_server);
  worker->Configure(main_server);
  const ServerConfig* main_conf = GetServerConfig(main_server);
  if (main_conf->secret_key_file_set) {
    auto key = ReadSecretKeyFile(main_conf->secret_key_file);
    if (!key.ok()) return key.status();
    worker->set_key(std::move(key).value());
  }
  const apr_status_t rv = RegisterWatchdogCallback(
      pconf, kWatchdogName, true /* one child at a time */, AP_WD_TM_SLICE, worker, NotifyCallback);
  if (rv != APR_SUCCESS && rv != APR_EEXIST && !FirstConfigurationPass()) {
    ap_log_error(APLOG_MARK, APLOG_WARNING, rv == APR_ENOTIMPL ? 0 : rv, main_server,
                 rv == APR_ENOTIMPL ? "ONEP0400: mod_watchdog is not loaded: no notification is "
                                      "sent (LoadModule watchdog_module)"
                                    : "ONEP0400: mod_watchdog refused the notification deliverer: "
                                      "no notification is sent");
  }
  return Status::Ok();
}

NotifySettings NotifySettingsOf(const server_rec* s) {
  const NotifyWorker* worker = FoundWorker(s);
  return worker != nullptr ? worker->settings() : NotifySettings{};
}

}  // namespace onep::module
