// SPDX-License-Identifier: Apache-2.0
// mod_onep: accepts authenticated webhooks (hits, failures, deploys) and
// records them in Redis through onep_core.
//
// This file reads top to bottom like an httpd module: configuration records
// and their merging, directive handlers, the command table, the hooks, hook
// registration and the module record. The mounts and the URL hooks are in
// mounts.cc, effective values and each child's Redis clients in runtime.cc,
// the webhook handler in webhook/, the admin API and the console in admin/,
// the metrics in metrics/, each child's background work on its Redis clients
// (a mod_watchdog callback) in upkeep.cc, the Redis connection pools in core.
//
// Log ids: ONEP00xx configuration and process life, ONEP01xx requests,
// ONEP02xx metrics, ONEP03xx the connection pool, ONEP04xx notifications
// (docs/operations.md lists them all).
#include "mod_onep.h"

#include <exception>
#include <string>

#include "admin/admin_handler.h"
#include "apr_strings.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "metrics/metrics.h"
#include "metrics/metrics_status.h"
#include "mod_status.h"
#include "mounts.h"
#include "notify_worker.h"
#include "onep/admin.h"
#include "onep/parse.h"
#include "onep/redis_tls.h"
#include "onep/redis_url.h"
#include "runtime.h"
#include "sweep.h"
#include "upkeep.h"
#include "webhook/address_budget.h"
#include "webhook/webhook_handler.h"

APLOG_USE_MODULE(onep);

namespace onep::module {

namespace {

// ---------------------------------------------------------------------------
// Configuration records

void* CreateServerConfig(apr_pool_t* p, server_rec*) {
  // Zeroed: nothing set, no runtime.
  return apr_pcalloc(p, sizeof(ServerConfig));
}

void* MergeServerConfig(apr_pool_t* p, void* base_v, void* add_v) {
  auto* base = static_cast<ServerConfig*>(base_v);
  auto* add = static_cast<ServerConfig*>(add_v);
  auto* conf = static_cast<ServerConfig*>(apr_pcalloc(p, sizeof(ServerConfig)));
  conf->redis_url_set = add->redis_url_set || base->redis_url_set;
  conf->redis_url = add->redis_url_set ? add->redis_url : base->redis_url;
  conf->redis_tls_set = add->redis_tls_set || base->redis_tls_set;
  conf->redis_tls = add->redis_tls_set ? add->redis_tls : base->redis_tls;
  conf->timeout_set = add->timeout_set || base->timeout_set;
  conf->timeout_ms = add->timeout_set ? add->timeout_ms : base->timeout_ms;
  conf->key_prefix_set = add->key_prefix_set || base->key_prefix_set;
  conf->key_prefix = add->key_prefix_set ? add->key_prefix : base->key_prefix;
  conf->retention_set = add->retention_set || base->retention_set;
  conf->retention_ms = add->retention_set ? add->retention_ms : base->retention_ms;
  conf->max_events_set = add->max_events_set || base->max_events_set;
  conf->max_events = add->max_events_set ? add->max_events : base->max_events;
  conf->max_idempotency_keys_set = add->max_idempotency_keys_set || base->max_idempotency_keys_set;
  conf->max_idempotency_keys =
      add->max_idempotency_keys_set ? add->max_idempotency_keys : base->max_idempotency_keys;
  conf->max_deploy_ids_set = add->max_deploy_ids_set || base->max_deploy_ids_set;
  conf->max_deploy_ids = add->max_deploy_ids_set ? add->max_deploy_ids : base->max_deploy_ids;
  conf->max_apps_set = add->max_apps_set || base->max_apps_set;
  conf->max_apps = add->max_apps_set ? add->max_apps : base->max_apps;
  conf->wait_set = add->wait_set || base->wait_set;
  conf->wait_replicas = add->wait_set ? add->wait_replicas : base->wait_replicas;
  conf->wait_timeout_ms = add->wait_set ? add->wait_timeout_ms : base->wait_timeout_ms;
  conf->invalid_token_limit_set = add->invalid_token_limit_set || base->invalid_token_limit_set;
  conf->invalid_token_limit =
      add->invalid_token_limit_set ? add->invalid_token_limit : base->invalid_token_limit;
  conf->sweep_interval_set = add->sweep_interval_set || base->sweep_interval_set;
  conf->sweep_interval_ms =
      add->sweep_interval_set ? add->sweep_interval_ms : base->sweep_interval_ms;
  conf->notify_allow_private_set = add->notify_allow_private_set || base->notify_allow_private_set;
  conf->notify_allow_private =
      add->notify_allow_private_set ? add->notify_allow_private : base->notify_allow_private;
  conf->notify_allow_http_set = add->notify_allow_http_set || base->notify_allow_http_set;
  conf->notify_allow_http =
      add->notify_allow_http_set ? add->notify_allow_http : base->notify_allow_http;
  conf->secret_key_file_set = add->secret_key_file_set || base->secret_key_file_set;
  conf->secret_key_file = add->secret_key_file_set ? add->secret_key_file : base->secret_key_file;
  conf->notify_retry_base_set = add->notify_retry_base_set || base->notify_retry_base_set;
  conf->notify_retry_base_ms =
      add->notify_retry_base_set ? add->notify_retry_base_ms : base->notify_retry_base_ms;
  return conf;
}

// Apache creates this config only for sections that hold one of our
// directives, so a <Location> with just "SetHandler onep" never shows its path
// here: the router's mount points come from the configuration tree instead
// (mounts.cc).
void* CreateDirConfig(apr_pool_t* p, char*) { return apr_pcalloc(p, sizeof(DirConfig)); }

void* MergeDirConfig(apr_pool_t* p, void* base_v, void* add_v) {
  auto* base = static_cast<DirConfig*>(base_v);
  auto* add = static_cast<DirConfig*>(add_v);
  auto* conf = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
  conf->max_body_size_set = add->max_body_size_set || base->max_body_size_set;
  conf->max_body_size = add->max_body_size_set ? add->max_body_size : base->max_body_size;
  conf->rate_limit_set = add->rate_limit_set || base->rate_limit_set;
  conf->rate_limit = add->rate_limit_set ? add->rate_limit : base->rate_limit;
  conf->body_timeout_set = add->body_timeout_set || base->body_timeout_set;
  conf->body_timeout_ms = add->body_timeout_set ? add->body_timeout_ms : base->body_timeout_ms;
  conf->max_field_length_set = add->max_field_length_set || base->max_field_length_set;
  conf->max_field_length =
      add->max_field_length_set ? add->max_field_length : base->max_field_length;
  conf->max_event_size_set = add->max_event_size_set || base->max_event_size_set;
  conf->max_event_size = add->max_event_size_set ? add->max_event_size : base->max_event_size;
  conf->admin_orgs_set = add->admin_orgs_set || base->admin_orgs_set;
  conf->admin_orgs = add->admin_orgs_set ? add->admin_orgs : base->admin_orgs;
  conf->public_url_set = add->public_url_set || base->public_url_set;
  conf->public_url = add->public_url_set ? add->public_url : base->public_url;
  return conf;
}

// ---------------------------------------------------------------------------
// Directive handlers: each value is validated here, so `apachectl -t` refuses
// a bad one with a message that names the directive.

const char* DirectiveError(cmd_parms* cmd, const std::string& problem) {
  return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, problem.c_str());
}

// Runs a directive handler body; no exception escapes into Apache.
template <typename Body>
const char* Guarded(cmd_parms* cmd, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return DirectiveError(cmd, std::string("internal error: ") + e.what());
  } catch (...) {
    return DirectiveError(cmd, "internal error");
  }
}

const char* SetRedis(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto target = ParseRedisTarget(arg);  // its errors never echo the password
    if (!target.ok()) return DirectiveError(cmd, target.status().message());
    if (Status tls = CheckRedisTlsSupport(*target); !tls.ok()) {
      return DirectiveError(cmd, tls.message());
    }
    auto* conf = GetServerConfig(cmd->server);
    conf->redis_url = apr_pstrdup(cmd->pool, arg);
    conf->redis_url_set = true;
    return nullptr;
  });
}

apr_status_t DeleteRedisTls(void* tls) {
  delete static_cast<std::shared_ptr<const RedisTls>*>(tls);
  return APR_SUCCESS;
}

// OnepRedisTLS CAFILE [CERTFILE KEYFILE] [SNI]: the files are read here, so
// that one that cannot be used stops `apachectl -t`; the context lives as
// long as the configuration, and each child's clients share it.
const char* SetRedisTls(cmd_parms* cmd, void*, int argc, char* const argv[]) {
  return Guarded(cmd, [&]() -> const char* {
    if (argc < 1 || argc > 4) {
      return DirectiveError(cmd, "takes CAFILE [CERTFILE KEYFILE] [SNI]");
    }
    auto path = [&](const char* file) -> std::string {
      const char* full = ap_server_root_relative(cmd->pool, file);
      return full != nullptr ? full : file;
    };
    RedisTlsSettings settings;
    settings.ca_file = path(argv[0]);
    if (argc >= 3) {
      settings.cert_file = path(argv[1]);
      settings.key_file = path(argv[2]);
    }
    if (argc == 2 || argc == 4) settings.server_name = argv[argc - 1];
    if (settings.server_name.empty() && (argc == 2 || argc == 4)) {
      return DirectiveError(cmd, "the server name (SNI) is empty");
    }
    auto tls = RedisTls::Create(std::move(settings));
    if (!tls.ok()) return DirectiveError(cmd, tls.status().message());
    auto* held = new std::shared_ptr<const RedisTls>(std::move(tls).value());
    apr_pool_cleanup_register(cmd->pool, held, DeleteRedisTls, apr_pool_cleanup_null);
    auto* conf = GetServerConfig(cmd->server);
    conf->redis_tls = held;
    conf->redis_tls_set = true;
    return nullptr;
  });
}

const char* SetRedisTimeout(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto ms = ParseDurationMs(arg);
    if (!ms.ok()) return DirectiveError(cmd, ms.status().message());
    if (*ms > kMaxTimeoutMs) return DirectiveError(cmd, "must be at most 60s");
    auto* conf = GetServerConfig(cmd->server);
    conf->timeout_ms = *ms;
    conf->timeout_set = true;
    return nullptr;
  });
}

const char* SetKeyPrefix(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    Status valid = ValidateKeyPrefix(arg);
    if (!valid.ok()) return DirectiveError(cmd, valid.message());
    auto* conf = GetServerConfig(cmd->server);
    conf->key_prefix = apr_pstrdup(cmd->pool, arg);
    conf->key_prefix_set = true;
    return nullptr;
  });
}

const char* SetRetention(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto ms = ParseDurationMs(arg);
    if (!ms.ok()) return DirectiveError(cmd, ms.status().message());
    if (*ms < 3600LL * 1000 || *ms > kMaxRetentionAgeMs) {
      return DirectiveError(cmd, "must be from 1h to 3650d");
    }
    auto* conf = GetServerConfig(cmd->server);
    conf->retention_ms = *ms;
    conf->retention_set = true;
    return nullptr;
  });
}

const char* SetMaxEvents(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto n = ParseUint(arg, kMaxRetentionEvents);
    if (!n.ok() || *n < 1000) {
      return DirectiveError(
          cmd, "must be a whole number from 1000 to " + std::to_string(kMaxRetentionEvents));
    }
    auto* conf = GetServerConfig(cmd->server);
    conf->max_events = *n;
    conf->max_events_set = true;
    return nullptr;
  });
}

// OnepMaxIdempotencyKeys, OnepMaxDeployIds: a per-organization cap.
Result<uint64_t> ParseQuota(const char* arg) {
  auto n = ParseUint(arg, kMaxQuotaEntries);
  if (!n.ok() || *n < kMinQuotaEntries) {
    return Status::InvalidArgument("must be a whole number from " +
                                   std::to_string(kMinQuotaEntries) + " to " +
                                   std::to_string(kMaxQuotaEntries));
  }
  return n;
}

const char* SetMaxIdempotencyKeys(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto n = ParseQuota(arg);
    if (!n.ok()) return DirectiveError(cmd, n.status().message());
    auto* conf = GetServerConfig(cmd->server);
    conf->max_idempotency_keys = *n;
    conf->max_idempotency_keys_set = true;
    return nullptr;
  });
}

// OnepMaxApps: the applications an organization may have.
const char* SetMaxApps(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto n = ParseUint(arg, kMaxMaxApps);
    if (!n.ok() || *n < kMinMaxApps) {
      return DirectiveError(cmd, "must be a whole number from " + std::to_string(kMinMaxApps) +
                                     " to " + std::to_string(kMaxMaxApps));
    }
    auto* conf = GetServerConfig(cmd->server);
    conf->max_apps = *n;
    conf->max_apps_set = true;
    return nullptr;
  });
}

const char* SetSweepInterval(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    if (const char* context = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return context;
    auto ms = ParseDurationMs(arg);
    if (!ms.ok()) return DirectiveError(cmd, ms.status().message());
    if (*ms < 1000 || *ms > 3600LL * 1000) return DirectiveError(cmd, "must be from 1s to 1h");
    auto* conf = GetServerConfig(cmd->server);
    conf->sweep_interval_ms = *ms;
    conf->sweep_interval_set = true;
    return nullptr;
  });
}

const char* SetMaxDeployIds(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto n = ParseQuota(arg);
    if (!n.ok()) return DirectiveError(cmd, n.status().message());
    auto* conf = GetServerConfig(cmd->server);
    conf->max_deploy_ids = *n;
    conf->max_deploy_ids_set = true;
    return nullptr;
  });
}

const char* SetRedisWait(cmd_parms* cmd, void*, const char* replicas, const char* timeout) {
  return Guarded(cmd, [&]() -> const char* {
    auto n = ParseUint(replicas, kMaxWaitReplicas);
    if (!n.ok()) {
      return DirectiveError(cmd, "the number of replicas " + n.status().message());
    }
    auto* conf = GetServerConfig(cmd->server);
    conf->wait_replicas = static_cast<int>(*n);
    conf->wait_timeout_ms = 0;
    if (timeout != nullptr) {
      auto ms = ParseDurationMs(timeout);
      if (!ms.ok()) return DirectiveError(cmd, "the timeout: " + ms.status().message());
      if (*ms <= 0 || *ms > kMaxTimeoutMs) {
        return DirectiveError(cmd, "the timeout must be more than 0 and at most 60s");
      }
      conf->wait_timeout_ms = *ms;
    }
    conf->wait_set = true;
    return nullptr;
  });
}

const char* SetMaxBodySize(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto bytes = ParseByteSize(arg);
    if (!bytes.ok()) return DirectiveError(cmd, bytes.status().message());
    if (*bytes > kMaxMaxBodySize) return DirectiveError(cmd, "must be at most 16m");
    auto* conf = static_cast<DirConfig*>(dconf);
    conf->max_body_size = *bytes;
    conf->max_body_size_set = true;
    return nullptr;
  });
}

// OnepMaxFieldLength and OnepMaxEventSize: a size from 1 byte to `max`.
const char* SetEventBudget(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    const bool field = std::string_view(cmd->cmd->name) == "OnepMaxFieldLength";
    const uint64_t max = field ? kMaxFieldBytesLimit : kMaxEventBytesLimit;
    auto bytes = ParseByteSize(arg);
    if (!bytes.ok()) return DirectiveError(cmd, bytes.status().message());
    if (*bytes > max) {
      return DirectiveError(cmd, "must be at most " + std::to_string(max / 1024) + "k");
    }
    auto* conf = static_cast<DirConfig*>(dconf);
    (field ? conf->max_field_length : conf->max_event_size) = *bytes;
    (field ? conf->max_field_length_set : conf->max_event_size_set) = true;
    return nullptr;
  });
}

const char* SetRateLimit(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto limit = ParseUint(arg, kMaxRateLimit);
    if (!limit.ok()) return DirectiveError(cmd, limit.status().message());
    auto* conf = static_cast<DirConfig*>(dconf);
    conf->rate_limit = static_cast<uint32_t>(*limit);
    conf->rate_limit_set = true;
    return nullptr;
  });
}

const char* SetBodyTimeout(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto ms = ParseDurationMs(arg);
    if (!ms.ok()) return DirectiveError(cmd, ms.status().message());
    if (*ms <= 0 || *ms > kMaxBodyTimeoutMs) {
      return DirectiveError(cmd, "must be more than 0 and at most 10m");
    }
    auto* conf = static_cast<DirConfig*>(dconf);
    conf->body_timeout_ms = *ms;
    conf->body_timeout_set = true;
    return nullptr;
  });
}

// Server-wide rather than per <Location>: one count per client address
// covers every webhook location of the server, so one limit judges it.
const char* SetInvalidTokenLimit(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto limit = ParseUint(arg, kMaxInvalidTokenLimit);
    if (!limit.ok()) return DirectiveError(cmd, limit.status().message());
    auto* conf = GetServerConfig(cmd->server);
    conf->invalid_token_limit = static_cast<uint32_t>(*limit);
    conf->invalid_token_limit_set = true;
    return nullptr;
  });
}

// OnepNotifyAllowPrivate, OnepNotifyAllowHttp: On|Off, server-wide (the
// deliverer is one per Apache, notify_worker.h).
const char* SetNotifyFlag(cmd_parms* cmd, void*, int on) {
  return Guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto* conf = GetServerConfig(cmd->server);
    if (std::string_view(cmd->cmd->name) == "OnepNotifyAllowPrivate") {
      conf->notify_allow_private = on != 0;
      conf->notify_allow_private_set = true;
    } else {
      conf->notify_allow_http = on != 0;
      conf->notify_allow_http_set = true;
    }
    return nullptr;
  });
}

// OnepSecretKeyFile PATH: read at post_config, as root (notify_worker.cc).
const char* SetSecretKeyFile(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto* conf = GetServerConfig(cmd->server);
    conf->secret_key_file = ap_server_root_relative(cmd->pool, arg);
    if (conf->secret_key_file == nullptr) return DirectiveError(cmd, "not a valid path");
    conf->secret_key_file_set = true;
    return nullptr;
  });
}

// OnepNotifyRetryBase: the delay before a notification's first retry.
const char* SetNotifyRetryBase(cmd_parms* cmd, void*, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    auto ms = ParseDurationMs(arg);
    if (!ms.ok()) return DirectiveError(cmd, ms.status().message());
    if (*ms < 10 || *ms > kMaxNotifyRetryBaseMs) {
      return DirectiveError(cmd, "must be from 10ms to 1h");
    }
    auto* conf = GetServerConfig(cmd->server);
    conf->notify_retry_base_ms = *ms;
    conf->notify_retry_base_set = true;
    return nullptr;
  });
}

// OnepAdminOrgs org...|*: one call per argument (ITERATE); a later
// directive in the same section replaces the list.
const char* AddAdminOrg(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto* conf = static_cast<DirConfig*>(dconf);
    if (strcmp(arg, "*") != 0 && !IsValidSlug(arg)) {
      return DirectiveError(cmd, InvalidSlug("organization", arg).message() + ", or be *");
    }
    if (conf->admin_orgs == nullptr) conf->admin_orgs = apr_array_make(cmd->pool, 4, sizeof(char*));
    APR_ARRAY_PUSH(conf->admin_orgs, const char*) = apr_pstrdup(cmd->pool, arg);
    conf->admin_orgs_set = true;
    return nullptr;
  });
}

// OnepPublicURL URL: where the webhook routes are for the console's curl
// commands, instead of this server's ServerName.
const char* SetPublicUrl(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    if (Status s = admin::CheckBaseUrl("URL", arg); !s.ok())
      return DirectiveError(cmd, s.message());
    auto* conf = static_cast<DirConfig*>(dconf);
    conf->public_url = apr_pstrdup(cmd->pool, arg);
    conf->public_url_set = true;
    return nullptr;
  });
}

// Without designated initializers (C++), cmd_func is `const char* (*)()`;
// Apache calls it with the arguments TAKE1 implies. The detour through
// `void (*)()` is the documented way to tell GCC the cast is meant.
template <typename Fn>
cmd_func Directive(Fn* fn) {
  return reinterpret_cast<cmd_func>(reinterpret_cast<void (*)()>(fn));
}

// The command table. tests/integration/module_config_test.cc checks it against
// conf/onep.conf and docs/configuration.md.
const command_rec kCommands[] = {
    AP_INIT_TAKE1("OnepRedis", Directive(SetRedis), nullptr, RSRC_CONF,
                  "Redis URL: redis://[[user]:password@]host:port[/db], unix:///path[?db=N], "
                  "redis-cluster://[[user]:password@]host:port[,host:port...], "
                  "redis-sentinel://...; rediss*: the same over TLS"),
    AP_INIT_TAKE_ARGV("OnepRedisTLS", Directive(SetRedisTls), nullptr, RSRC_CONF,
                      "TLS to Redis (rediss*): CAFILE [CERTFILE KEYFILE] [SNI]"),
    AP_INIT_TAKE12("OnepRedisWait", Directive(SetRedisWait), nullptr, RSRC_CONF,
                   "Replicas that must acknowledge an event before 202, and for how long to "
                   "wait (default: half of OnepRedisTimeout)"),
    AP_INIT_TAKE1("OnepRedisTimeout", Directive(SetRedisTimeout), nullptr, RSRC_CONF,
                  "Redis connect and command timeout, e.g. 500ms or 2s"),
    AP_INIT_TAKE1("OnepKeyPrefix", Directive(SetKeyPrefix), nullptr, RSRC_CONF,
                  "Prefix of every Redis key, e.g. onep:"),
    AP_INIT_TAKE1("OnepRetention", Directive(SetRetention), nullptr, RSRC_CONF,
                  "How long an organization's events are kept, e.g. 30d"),
    AP_INIT_TAKE1("OnepMaxEvents", Directive(SetMaxEvents), nullptr, RSRC_CONF,
                  "How many events an organization keeps at most, e.g. 1000000"),
    AP_INIT_TAKE1("OnepMaxIdempotencyKeys", Directive(SetMaxIdempotencyKeys), nullptr, RSRC_CONF,
                  "How many Idempotency-Keys an organization remembers at most, e.g. 100000"),
    AP_INIT_TAKE1("OnepMaxDeployIds", Directive(SetMaxDeployIds), nullptr, RSRC_CONF,
                  "How many deploy_ids an organization remembers at most, e.g. 10000"),
    AP_INIT_TAKE1("OnepMaxApps", Directive(SetMaxApps), nullptr, RSRC_CONF,
                  "How many applications an organization may have, e.g. 1000"),
    AP_INIT_TAKE1("OnepSweepInterval", Directive(SetSweepInterval), nullptr, RSRC_CONF,
                  "How often one child sweeps for silent applications, e.g. 10s"),
    AP_INIT_TAKE1("OnepMaxBodySize", Directive(SetMaxBodySize), nullptr, ACCESS_CONF,
                  "Largest accepted request body, e.g. 64k"),
    AP_INIT_TAKE1("OnepRateLimit", Directive(SetRateLimit), nullptr, ACCESS_CONF,
                  "Accepted requests per second per credential; 0 turns the limit off"),
    AP_INIT_TAKE1("OnepBodyTimeout", Directive(SetBodyTimeout), nullptr, ACCESS_CONF,
                  "The most the whole body of an event may take to arrive, e.g. 10s"),
    AP_INIT_TAKE1("OnepInvalidTokenLimit", Directive(SetInvalidTokenLimit), nullptr, RSRC_CONF,
                  "Unknown tokens a client address may present per minute before it gets 429 "
                  "without Redis; 0 turns the limit off"),
    AP_INIT_TAKE1("OnepMaxFieldLength", Directive(SetEventBudget), nullptr, ACCESS_CONF,
                  "Largest free-text field (message, error, description) as stored, e.g. 4k"),
    AP_INIT_TAKE1("OnepMaxEventSize", Directive(SetEventBudget), nullptr, ACCESS_CONF,
                  "Largest event (all its fields) as stored in Redis, e.g. 6k"),
    AP_INIT_ITERATE("OnepAdminOrgs", Directive(AddAdminOrg), nullptr, ACCESS_CONF,
                    "Organizations an onep-admin location manages, or * for all (the default)"),
    AP_INIT_TAKE1("OnepPublicURL", Directive(SetPublicUrl), nullptr, ACCESS_CONF,
                  "Where the webhook routes are, for the curl commands an onep-admin location "
                  "shows (default: this server's ServerName and the first onep location)"),
    AP_INIT_TAKE1("OnepSecretKeyFile", Directive(SetSecretKeyFile), nullptr, RSRC_CONF,
                  "The file of 64 hex characters (openssl rand -hex 32, mode 0600) whose key "
                  "seals the notification endpoints' secrets"),
    AP_INIT_FLAG("OnepNotifyAllowPrivate", Directive(SetNotifyFlag), nullptr, RSRC_CONF,
                 "On: notifications may go to loopback, private and link-local addresses "
                 "(default Off)"),
    AP_INIT_FLAG("OnepNotifyAllowHttp", Directive(SetNotifyFlag), nullptr, RSRC_CONF,
                 "On: notifications may go to http:// URLs, unencrypted (default Off)"),
    AP_INIT_TAKE1("OnepNotifyRetryBase", Directive(SetNotifyRetryBase), nullptr, RSRC_CONF,
                  "The delay before a notification's first retry, doubled for each next one, "
                  "e.g. 5s (the default)"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};

// ---------------------------------------------------------------------------
// Hooks

// Apache lends the main server's config record to every virtual host that
// sets none of this module's directives. What post_config and child_init
// derive per server (mounts, metrics slot, runtime) needs a record of each
// server's own: such a host gets a copy.
void GiveEveryServerItsOwnConfig(apr_pool_t* pconf, server_rec* main_server) {
  const ServerConfig* main_conf = GetServerConfig(main_server);
  for (server_rec* s = main_server->next; s != nullptr; s = s->next) {
    if (GetServerConfig(s) != main_conf) continue;
    ap_set_module_config(s->module_config, &onep_module,
                         apr_pmemdup(pconf, main_conf, sizeof(ServerConfig)));
  }
}

int PostConfig(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
  try {
    GiveEveryServerItsOwnConfig(pconf, s);
    LogRedisDiagnosis(pconf, s);
    // Before mod_watchdog's post_config (APR_HOOK_LAST), which counts the
    // callbacks each child's watchdog is to run.
    RegisterUpkeep(pconf, s);
    RegisterSweep(pconf, s);
    if (Status notify = RegisterNotifyWorker(pconf, s); !notify.ok()) {
      ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ONEP0406: OnepSecretKeyFile: %s",
                   notify.message().c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    CollectMounts(pconf, s);
    if (Status secret = InitAdminSecret(); !secret.ok()) {
      ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ONEP0009: %s", secret.message().c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (server_rec* server = s; server != nullptr; server = server->next) {
      const apr_array_header_t* mounts = GetServerConfig(server)->webhook_mounts;
      for (int i = 0; i < mounts->nelts; ++i) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, server,
                     "ONEP0004: handler mounted at <Location %s>",
                     APR_ARRAY_IDX(mounts, i, const char*));
      }
    }
    // Before any child is forked, so that every child shares the counters.
    Status metrics = CreateMetrics(pconf, s);
    if (!metrics.ok()) {
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ONEP0006: %s; requests are served, not counted",
                   metrics.message().c_str());
    }
    Status budgets = CreateAddressBudgets(pconf, s);
    if (!budgets.ok()) {
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                   "ONEP0012: %s; unknown tokens are not counted per client address",
                   budgets.message().c_str());
    }
    return OK;
  } catch (const std::exception& e) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ONEP0005: cannot read the configuration: %s",
                 e.what());
  } catch (...) {
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ONEP0005: cannot read the configuration");
  }
  return HTTP_INTERNAL_SERVER_ERROR;
}

void RegisterHooks(apr_pool_t*) {
  ap_hook_post_config(PostConfig, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_child_init(ChildInit, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_translate_name(TranslateName, nullptr, nullptr, APR_HOOK_LAST);
  ap_hook_map_to_storage(MapToStorage, nullptr, nullptr, APR_HOOK_FIRST);
  ap_hook_post_read_request(PostReadRequest, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
  ap_hook_handler(WebhookHandler, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_handler(MetricsHandler, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_handler(AdminHandler, nullptr, nullptr, APR_HOOK_MIDDLE);
  // Called only when mod_status is loaded (an optional hook).
  APR_OPTIONAL_HOOK(ap, status_hook, StatusHook, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace
}  // namespace onep::module

// ---------------------------------------------------------------------------
// The module record

// Declared by hand rather than with AP_DECLARE_MODULE, whose APLOG_USE_MODULE
// this file already has at the top (C++ needs it before the first log call).
// clang-format off
module AP_MODULE_DECLARE_DATA onep_module = {
    STANDARD20_MODULE_STUFF,
    onep::module::CreateDirConfig,     /* dir config creator */
    onep::module::MergeDirConfig,      /* dir merger */
    onep::module::CreateServerConfig,  /* server config creator */
    onep::module::MergeServerConfig,   /* server merger */
    onep::module::kCommands,           /* command table */
    onep::module::RegisterHooks,       /* register hooks */
    AP_MODULE_FLAG_NONE,               /* flags */
};
// clang-format on
