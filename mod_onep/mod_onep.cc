// mod_onep: accepts authenticated webhooks (hits, failures, deploys) and
// records them in Redis through onep_core.
//
// This file reads top to bottom like an httpd module: configuration records
// and their merging, directive handlers, the command table, the hooks, hook
// registration and the module record. The request handler is in handler.cc,
// the metrics in metrics.cc, the Redis connection pools in core.
//
// Log ids: ONEP00xx configuration and process life, ONEP01xx requests,
// ONEP02xx metrics, ONEP03xx the connection pool (docs/operations.md lists
// them all).
#include "mod_onep.h"

#include <strings.h>

#include <algorithm>
#include <exception>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "admin.h"
#include "ap_expr.h"
#include "ap_mpm.h"
#include "apr_strings.h"
#include "handler.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "metrics.h"
#include "mod_status.h"
#include "onep/doctor.h"
#include "onep/keys.h"
#include "onep/parse.h"
#include "onep/redis_url.h"
#include "util_cfgtree.h"

APLOG_USE_MODULE(onep);

namespace onep::module {

// ---------------------------------------------------------------------------
// Effective values

const char* EffectiveRedisUrl(const ServerConfig* conf) {
  return conf->redis_url_set ? conf->redis_url : kDefaultRedisUrl.data();
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

namespace {
const apr_array_header_t* g_mounts = nullptr;        // see HandlerMounts()
const apr_array_header_t* g_admin_mounts = nullptr;  // see AdminMounts()
}  // namespace

const apr_array_header_t* HandlerMounts() { return g_mounts; }
const apr_array_header_t* AdminMounts() { return g_admin_mounts; }

bool IsBelowMount(std::string_view uri, std::string_view mount) {
  if (mount.empty() || uri.compare(0, mount.size(), mount) != 0) return false;
  return uri.size() == mount.size() || mount.back() == '/' || uri[mount.size()] == '/';
}

const char* RequestAuthorization(const request_rec* r) {
  // Internal redirects and subrequests have request records of their own.
  for (const request_rec* q = r; q != nullptr; q = q->prev != nullptr ? q->prev : q->main) {
    if (const auto* kept =
            static_cast<const char*>(ap_get_module_config(q->request_config, &onep_module))) {
      return kept;
    }
  }
  return apr_table_get(r->headers_in, "Authorization");
}

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
  conf->timeout_set = add->timeout_set || base->timeout_set;
  conf->timeout_ms = add->timeout_set ? add->timeout_ms : base->timeout_ms;
  conf->key_prefix_set = add->key_prefix_set || base->key_prefix_set;
  conf->key_prefix = add->key_prefix_set ? add->key_prefix : base->key_prefix;
  conf->retention_set = add->retention_set || base->retention_set;
  conf->retention_ms = add->retention_set ? add->retention_ms : base->retention_ms;
  conf->max_events_set = add->max_events_set || base->max_events_set;
  conf->max_events = add->max_events_set ? add->max_events : base->max_events;
  conf->wait_set = add->wait_set || base->wait_set;
  conf->wait_replicas = add->wait_set ? add->wait_replicas : base->wait_replicas;
  conf->wait_timeout_ms = add->wait_set ? add->wait_timeout_ms : base->wait_timeout_ms;
  return conf;
}

// Apache creates this config only for sections that hold one of our
// directives, so a <Location> with just "SetHandler onep" never shows its path
// here: the router's mount points come from the configuration tree instead
// (CollectMounts below).
void* CreateDirConfig(apr_pool_t* p, char*) { return apr_pcalloc(p, sizeof(DirConfig)); }

void* MergeDirConfig(apr_pool_t* p, void* base_v, void* add_v) {
  auto* base = static_cast<DirConfig*>(base_v);
  auto* add = static_cast<DirConfig*>(add_v);
  auto* conf = static_cast<DirConfig*>(apr_pcalloc(p, sizeof(DirConfig)));
  conf->max_body_size_set = add->max_body_size_set || base->max_body_size_set;
  conf->max_body_size = add->max_body_size_set ? add->max_body_size : base->max_body_size;
  conf->rate_limit_set = add->rate_limit_set || base->rate_limit_set;
  conf->rate_limit = add->rate_limit_set ? add->rate_limit : base->rate_limit;
  conf->max_field_length_set = add->max_field_length_set || base->max_field_length_set;
  conf->max_field_length =
      add->max_field_length_set ? add->max_field_length : base->max_field_length;
  conf->max_event_size_set = add->max_event_size_set || base->max_event_size_set;
  conf->max_event_size = add->max_event_size_set ? add->max_event_size : base->max_event_size;
  conf->admin_orgs_set = add->admin_orgs_set || base->admin_orgs_set;
  conf->admin_orgs = add->admin_orgs_set ? add->admin_orgs : base->admin_orgs;
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
    auto* conf = GetServerConfig(cmd->server);
    conf->redis_url = apr_pstrdup(cmd->pool, arg);
    conf->redis_url_set = true;
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

// OnepAdminOrgs org...|*: one call per argument (ITERATE); a later
// directive in the same section replaces the list.
const char* AddAdminOrg(cmd_parms* cmd, void* dconf, const char* arg) {
  return Guarded(cmd, [&]() -> const char* {
    auto* conf = static_cast<DirConfig*>(dconf);
    if (strcmp(arg, "*") != 0 && !IsValidSlug(arg)) {
      return DirectiveError(cmd, "\"" + std::string(arg) +
                                     "\" is not an organization (^[a-z0-9][a-z0-9-]{0,62}$) or *");
    }
    if (conf->admin_orgs == nullptr) conf->admin_orgs = apr_array_make(cmd->pool, 4, sizeof(char*));
    APR_ARRAY_PUSH(conf->admin_orgs, const char*) = apr_pstrdup(cmd->pool, arg);
    conf->admin_orgs_set = true;
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
                  "Redis URL: redis://[[user]:password@]host:port[/db], unix:///path[?db=N] or "
                  "redis-cluster://[[user]:password@]host:port[,host:port...]"),
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
    AP_INIT_TAKE1("OnepMaxBodySize", Directive(SetMaxBodySize), nullptr, ACCESS_CONF,
                  "Largest accepted request body, e.g. 64k"),
    AP_INIT_TAKE1("OnepRateLimit", Directive(SetRateLimit), nullptr, ACCESS_CONF,
                  "Accepted requests per second per credential; 0 turns the limit off"),
    AP_INIT_TAKE1("OnepMaxFieldLength", Directive(SetEventBudget), nullptr, ACCESS_CONF,
                  "Largest free-text field (message, error, description) as stored, e.g. 4k"),
    AP_INIT_TAKE1("OnepMaxEventSize", Directive(SetEventBudget), nullptr, ACCESS_CONF,
                  "Largest event (all its fields) as stored in Redis, e.g. 6k"),
    AP_INIT_ITERATE("OnepAdminOrgs", Directive(AddAdminOrg), nullptr, ACCESS_CONF,
                    "Organizations an onep-admin location manages, or * for all (the default)"),
    {nullptr, nullptr, nullptr, 0, RAW_ARGS, nullptr},
};

// ---------------------------------------------------------------------------
// Hooks

// The first word of a directive's arguments, unquoted ("<Location" args keep
// their closing '>').
std::string FirstWord(apr_pool_t* p, const char* args) {
  if (args == nullptr) return "";
  const char* rest = args;
  std::string word = ap_getword_conf(p, &rest);
  if (!word.empty() && word.back() == '>') word.pop_back();
  return word;
}

// Records the path of every <Location "/path"> whose body (at any depth, e.g.
// inside <If> or <IfModule>) says "SetHandler <handler>". `location` is the
// path of the enclosing <Location>, or empty outside one (or inside a regex one).
void CollectMounts(apr_pool_t* p, const ap_directive_t* node, const std::string& location,
                   const char* handler, apr_array_header_t* mounts) {
  for (; node != nullptr; node = node->next) {
    const char* name = node->directive;
    if (strcasecmp(name, "<Location") == 0) {
      std::string path = FirstWord(p, node->args);
      if (path == "~" || path.empty()) path.clear();  // regex: not a supported mount
      CollectMounts(p, node->first_child, path, handler, mounts);
    } else if (strcasecmp(name, "<LocationMatch") == 0 || strcasecmp(name, "<Directory") == 0 ||
               strcasecmp(name, "<DirectoryMatch") == 0 || strcasecmp(name, "<Files") == 0 ||
               strcasecmp(name, "<FilesMatch") == 0) {
      CollectMounts(p, node->first_child, "", handler, mounts);
    } else if (strcasecmp(name, "SetHandler") == 0) {
      if (!location.empty() && strcasecmp(FirstWord(p, node->args).c_str(), handler) == 0) {
        APR_ARRAY_PUSH(mounts, const char*) = apr_pstrdup(p, location.c_str());
      }
    } else if (node->first_child != nullptr) {
      CollectMounts(p, node->first_child, location, handler, mounts);
    }
  }
}

// Once per start (not in the first of Apache's two configuration passes):
// what `onepctl doctor` would say about each server's Redis, as warnings,
// with this module's version. A Redis that cannot be reached is only noted:
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
    if (done[url + " " + EffectiveKeyPrefix(conf)]) continue;
    done[url + " " + EffectiveKeyPrefix(conf)] = true;
    auto target = ParseRedisTarget(url);
    if (!target.ok()) continue;
    RedisClientOptions options;
    options.timeout = std::chrono::milliseconds(EffectiveTimeoutMs(conf));
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

int PostConfig(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*, server_rec* s) {
  try {
    LogRedisDiagnosis(pconf, s);
    apr_array_header_t* mounts = apr_array_make(pconf, 2, sizeof(const char*));
    CollectMounts(pconf, ap_conftree, "", kHandlerName, mounts);
    g_mounts = mounts;
    apr_array_header_t* admin_mounts = apr_array_make(pconf, 2, sizeof(const char*));
    CollectMounts(pconf, ap_conftree, "", kAdminHandlerName, admin_mounts);
    g_admin_mounts = admin_mounts;
    if (Status secret = InitAdminSecret(); !secret.ok()) {
      ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "ONEP0005: %s", secret.message().c_str());
      return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (int i = 0; i < mounts->nelts; ++i) {
      ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "ONEP0004: handler mounted at <Location %s>",
                   APR_ARRAY_IDX(mounts, i, const char*));
    }
    // Before any child is forked, so that every child shares the counters.
    Status metrics = CreateMetrics(pconf, s);
    if (!metrics.ok()) {
      ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ONEP0006: %s; requests are served, not counted",
                   metrics.message().c_str());
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

bool IsBelowAMount(const char* uri, const apr_array_header_t* mounts = g_mounts) {
  if (uri == nullptr || mounts == nullptr) return false;
  for (int i = 0; i < mounts->nelts; ++i) {
    if (IsBelowMount(uri, APR_ARRAY_IDX(mounts, i, const char*))) return true;
  }
  return false;
}

// Set by TranslateName on a request whose handler is this module's.
constexpr const char* kNoFileNote = "onep-no-file";

// Whether the sections merged into r->per_dir_config make "onep" the
// request's handler, evaluated as the core does (SetHandler is an expression;
// its value is compared without case).
bool HandlerIs(request_rec* r, const char* name) {
  const auto* core =
      static_cast<const core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
  if (core == nullptr) return false;
  const char* handler = core->handler;
  if (core->expr_handler != nullptr) {
    const char* error = nullptr;
    handler = ap_expr_str_exec(r, core->expr_handler, &error);
    if (error != nullptr) return false;  // the core reports it at fixups
  }
  return handler != nullptr && strcasecmp(handler, name) == 0;
}

// translate_name runs with the <Location> and <If> sections of the request's
// virtual host merged, before Apache maps the URL to a file: the one moment
// at which the module can tell that the request will be its own. Hooked last,
// so a module that rewrote or answered the URL first (mod_rewrite, mod_alias)
// wins; the URL must still be below a mount.
int TranslateName(request_rec* r) {
  if ((IsBelowAMount(r->uri) && HandlerIs(r, kHandlerName)) ||
      (IsBelowAMount(r->uri, g_admin_mounts) && HandlerIs(r, kAdminHandlerName))) {
    apr_table_setn(r->notes, kNoFileNote, "1");
  }
  return DECLINED;
}

// There is no file behind the handler, so the module claims the mapping of
// its requests (as mod_proxy does for proxied ones): the core's walk of the
// filesystem (a stat per path segment, .htaccess look-ups, <Directory> and
// <Files> merging) is skipped. <Location> sections still apply.
//
// Apache's core also answers TRACE here, by echoing the request with its
// headers: "Authorization: Bearer <token>" would come back in a response
// body. Below a mount the module claims TRACE too, so the handler answers it
// like any other wrong method: 405 with the JSON error body.
int MapToStorage(request_rec* r) {
  if (apr_table_get(r->notes, kNoFileNote) != nullptr) return OK;
  if (r->method_number == M_TRACE && IsBelowAMount(r->uri)) return OK;
  return DECLINED;
}

// True when the request's path, as sent or as Apache will normalise it
// (decoded, dot segments and repeated slashes removed), is below a mount.
bool RequestIsBelowAMount(request_rec* r) {
  if (r->uri == nullptr || g_mounts == nullptr) return false;
  char* normalised = apr_pstrdup(r->pool, r->uri);
  const bool decoded = ap_unescape_url(normalised) == OK;
  if (decoded) {
    ap_getparents(normalised);
    ap_no2slash(normalised);
  }
  for (int i = 0; i < g_mounts->nelts; ++i) {
    const char* mount = APR_ARRAY_IDX(g_mounts, i, const char*);
    if (IsBelowMount(r->uri, mount) || (decoded && IsBelowMount(normalised, mount))) return true;
  }
  return false;
}

// The Authorization header of a request for the handler carries a token.
// Apache writes every request header to the error log at LogLevel trace4
// ("Headers received from client"), right after this hook, and an access log
// may use %{Authorization}i: so the header is taken out of r->headers_in here
// and kept where only RequestAuthorization() finds it.
int PostReadRequest(request_rec* r) {
  const char* authorization = apr_table_get(r->headers_in, "Authorization");
  if (authorization == nullptr || !RequestIsBelowAMount(r)) return DECLINED;
  ap_set_module_config(r->request_config, &onep_module, const_cast<char*>(authorization));
  apr_table_unset(r->headers_in, "Authorization");
  return DECLINED;
}

// Everything the child built for its servers, freed with the child's pool.
struct ChildState {
  std::vector<ServerConfig*> configs;
  std::vector<std::unique_ptr<ServerRuntime>> runtimes;
};

apr_status_t DestroyChildState(void* data) {
  auto* state = static_cast<ChildState*>(data);
  try {
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
  // Servers with the same Redis and timeout share one client (and its pools).
  std::map<std::pair<std::string, int64_t>, std::shared_ptr<RedisClient>> clients;
  for (server_rec* s = main_server; s != nullptr; s = s->next) {
    ServerConfig* conf = GetServerConfig(s);
    const std::string url = EffectiveRedisUrl(conf);
    const int64_t timeout_ms = EffectiveTimeoutMs(conf);
    auto& client = clients[{url, timeout_ms}];
    if (!client) {
      auto target = ParseRedisTarget(url);
      RedisClientOptions options;
      options.timeout = std::chrono::milliseconds(timeout_ms);
      options.max_idle_per_node = ThreadsPerChild();
      options.log.write = [main_server](int level, const std::string& line) {
        ap_log_error(APLOG_MARK, AprLevel(level), 0, main_server, "%s", line.c_str());
      };
      options.log.pool = CountPoolEvent;
      auto opened = target.ok() ? ConnectRedis(*target, std::move(options))
                                : Result<std::unique_ptr<RedisClient>>(target.status());
      if (!opened.ok()) {  // validated when read; cannot happen
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "ONEP0002: OnepRedis: %s",
                     opened.status().message().c_str());
        continue;
      }
      client = std::move(opened).value();
    }
    state->runtimes.push_back(std::make_unique<ServerRuntime>(
        client, EffectiveKeyPrefix(conf), EffectiveRetention(conf), CountBatch));
    conf->runtime = state->runtimes.back().get();
    state->configs.push_back(conf);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "ONEP0003: ready: Redis %s, timeout %ld ms, key prefix \"%s\"",
                 client->Describe().c_str(), static_cast<long>(timeout_ms),
                 EffectiveKeyPrefix(conf));
  }
  apr_pool_cleanup_register(pchild, state.release(), DestroyChildState, apr_pool_cleanup_null);
}

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

void RegisterHooks(apr_pool_t*) {
  ap_hook_post_config(PostConfig, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_child_init(ChildInit, nullptr, nullptr, APR_HOOK_MIDDLE);
  ap_hook_translate_name(TranslateName, nullptr, nullptr, APR_HOOK_LAST);
  ap_hook_map_to_storage(MapToStorage, nullptr, nullptr, APR_HOOK_FIRST);
  ap_hook_post_read_request(PostReadRequest, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
  ap_hook_handler(Handler, nullptr, nullptr, APR_HOOK_MIDDLE);
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
module AP_MODULE_DECLARE_DATA onep_module = {
    STANDARD20_MODULE_STUFF,         onep::module::CreateDirConfig,
    onep::module::MergeDirConfig,    onep::module::CreateServerConfig,
    onep::module::MergeServerConfig, onep::module::kCommands,
    onep::module::RegisterHooks,     AP_MODULE_FLAG_NONE,
};
