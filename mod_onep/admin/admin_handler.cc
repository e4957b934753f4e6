// SPDX-License-Identifier: Apache-2.0
// The HTTP side of onep-admin: who is asking (Apache's authenticated user,
// or nobody: 403), the CSRF defence of every change, the inputs of a route
// (query parameters, or a JSON body), the security headers, and the
// console's files, compiled into the module.
#include "admin/admin_handler.h"

#include <openssl/rand.h>

#include <cstring>
#include <exception>
#include <string>

#include "admin/admin_routes.h"
#include "admin/console_files.h"
#include "apr_strings.h"
#include "apr_uri.h"
#include "http_core.h"
#include "http_io.h"
#include "http_log.h"
#include "http_protocol.h"
#include "mod_onep.h"
#include "mounts.h"
#include "onep/clock.h"
#include "onep/csrf.h"
#include "onep/layout.h"

APLOG_USE_MODULE(onep);

namespace onep::module {
namespace {

// The most a change's JSON body may be: a name, an app, two durations, a URL.
constexpr uint64_t kMaxAdminBody = 16 * 1024;

constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

unsigned char g_secret[32];  // see InitAdminSecret
bool g_secret_set = false;

std::string_view Secret() {
  return std::string_view(reinterpret_cast<const char*>(g_secret), sizeof(g_secret));
}

// Whom, where and under which realm a CSRF token is for (onep/csrf.h).
CsrfScope Scope(request_rec* r) {
  std::optional<MountMatch> match = FindMount(r, kAdminHandlerName);
  const char* realm = ap_auth_name(r);
  return {r->user, match ? match->mount : std::string_view(), realm != nullptr ? realm : ""};
}

// Sends an error answer now; logged at debug level (ONEP0112).
int SendErrorAnswer(request_rec* r, int status, const char* code, const std::string& message) {
  ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "ONEP0112: %s %s -> %d %s", r->method,
                ap_escape_logitem(r->pool, r->uri), status, code);
  return SendError(r, status, code, message);
}

// The request's log id: the one Apache's ErrorLogFormat prints as %L, made
// now if nothing has made it yet (mod_unique_id's UNIQUE_ID when that module
// is loaded, else httpd's own).
const char* RequestLogId(request_rec* r) {
  if (r->log_id == nullptr) ap_run_generate_log_id(r->connection, r, &r->log_id);
  return r->log_id != nullptr ? r->log_id : "-";
}

// A server-side failure: the client is told what kind, which log line and
// which request to look for, never the cause (it may name a Redis address,
// a key or a reply); the error log has the cause, with the same request id.
// `log_id` is the id of the line the caller has logged (or logs here).
int SendServerError(request_rec* r, int status, const char* code, const char* log_id) {
  if (status == HTTP_SERVICE_UNAVAILABLE) apr_table_setn(r->headers_out, "Retry-After", "1");
  const std::string what =
      status == HTTP_SERVICE_UNAVAILABLE ? "the store is unavailable" : "an internal error";
  return SendErrorAnswer(
      r, status, code,
      what + "; see the server's error log (" + log_id + ", request " + RequestLogId(r) + ")");
}

// A change must come from a page of this origin, carrying the token that
// GET api/session gave this user.
bool CsrfOk(request_rec* r) {
  const char* sent = apr_table_get(r->headers_in, "X-CSRF-Token");
  if (sent == nullptr || !CsrfTokenAccepted(Secret(), Scope(r), sent, NowMs())) return false;
  if (const char* site = apr_table_get(r->headers_in, "Sec-Fetch-Site")) {
    if (strcmp(site, "same-origin") != 0) return false;
  }
  if (const char* origin = apr_table_get(r->headers_in, "Origin")) {
    const char* host = apr_table_get(r->headers_in, "Host");
    if (host == nullptr) return false;
    if (std::string(ap_http_scheme(r)) + "://" + host != origin) return false;
  }
  return true;
}

// The request's path below its onep-admin <Location> ("" for the location
// itself with its trailing slash), or nullopt when it is the location
// without that slash.
std::optional<std::string_view> PathBelowLocation(const request_rec* r) {
  std::optional<MountMatch> match = FindMount(r, kAdminHandlerName);
  std::string_view rest = match ? match->rest : std::string_view(r->uri);
  if (rest.empty()) return std::nullopt;
  rest.remove_prefix(1);  // the '/' after the location
  return rest;
}

// The query string's parameters, or the refusal of a malformed one.
AdminAnswer ReadQuery(request_rec* r, std::map<std::string, std::string>* out) {
  if (r->args == nullptr) return {};
  for (std::string_view rest = r->args; !rest.empty();) {
    const std::size_t amp = std::min(rest.find('&'), rest.size());
    std::string pair(rest.substr(0, amp));
    rest.remove_prefix(std::min(amp + 1, rest.size()));
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string name = pair.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : pair.substr(eq + 1);
    char* n = apr_pstrdup(r->pool, name.c_str());
    char* v = apr_pstrdup(r->pool, value.c_str());
    if (ap_unescape_urlencoded(n) != OK || ap_unescape_urlencoded(v) != OK ||
        !out->emplace(n, v).second) {
      return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
                         "malformed or repeated query parameter " + QuoteForMessage(n));
    }
  }
  return {};
}

// The JSON body's fields (strings; "no_expiry": true), or the refusal. A
// PATCH's settings may also be whole numbers and true or false: their text.
AdminAnswer ReadBodyFields(request_rec* r, bool settings, std::map<std::string, std::string>* out) {
  std::string body;
  if (int read = ReadBody(r, kMaxAdminBody, &body); read != OK) {
    return read == HTTP_REQUEST_ENTITY_TOO_LARGE
               ? ErrorAnswer(read, "payload_too_large", "the body is larger than 16 KiB")
               : ErrorAnswer(HTTP_BAD_REQUEST, "invalid_json", "the body could not be read");
  }
  if (body.empty()) return {};
  if (!HasJsonContentType(r)) {
    return ErrorAnswer(HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                       "Content-Type must be application/json");
  }
  JsonPtr root(json_loadb(body.data(), body.size(), JSON_REJECT_DUPLICATES, nullptr));
  if (!json_is_object(root.get())) {
    return ErrorAnswer(HTTP_BAD_REQUEST, "invalid_json", "the body must be a JSON object");
  }
  const char* key = nullptr;
  json_t* value = nullptr;
  json_object_foreach(root.get(), key, value) {
    std::string name = key;
    if (name == "no_expiry" && json_is_true(value)) {
      (*out)["no-expiry"] = "";
    } else if (json_is_string(value) && name.find('-') == std::string::npos) {
      (*out)[name] = std::string(json_string_value(value), json_string_length(value));
    } else if (settings && json_is_integer(value) && name.find('-') == std::string::npos) {
      (*out)[name] = std::to_string(json_integer_value(value));
    } else if (settings && json_is_boolean(value) && name.find('-') == std::string::npos) {
      (*out)[name] = json_is_true(value) ? "true" : "false";
    } else if (!json_is_null(value)) {
      return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
                         "field " + QuoteForMessage(name) +
                             (settings ? " must be a string, a whole number or true or false"
                                       : " must be a string"));
    }
  }
  return {};
}

// Where this server's webhook routes are, for curl commands: OnepPublicURL
// when the location sets it; else the scheme, the configured ServerName and
// its port (or the port the request came in on), and the first <Location>
// of its "SetHandler onep". Never the request's Host header, which the
// client chooses (and ap_construct_url follows with UseCanonicalName Off).
std::string OwnWebhookUrl(const request_rec* r) {
  const DirConfig* conf = GetDirConfig(r);
  if (conf != nullptr && conf->public_url_set) return conf->public_url;
  const char* scheme = ap_http_scheme(r);
  std::string host = r->server->server_hostname != nullptr ? r->server->server_hostname : "";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  const apr_port_t port = r->server->port != 0 ? r->server->port : r->connection->local_addr->port;
  std::string url = std::string(scheme) + "://" + host;
  if (port != apr_uri_port_of_scheme(scheme)) url += ":" + std::to_string(port);
  const char* mount = FirstMount(r->server, kWebhookHandlerName);
  return url + (mount != nullptr ? mount : "/onep");
}

int HandleApi(request_rec* r, std::string_view path) {
  if (path == "session") {
    if (r->method_number != M_GET) {
      apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
      return SendErrorAnswer(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "api/session is read-only");
    }
    JsonPtr session(json_object());
    json_object_set_new(session.get(), "user", json_string(r->user));
    const std::string csrf = CsrfToken(Secret(), Scope(r), CsrfWindow(NowMs()));
    json_object_set_new(session.get(), "csrf", json_string(csrf.c_str()));
    return SendJson(r, HTTP_OK, JsonDump(session.get()));
  }
  AdminRequest request;
  std::string allow;
  const ApiRoute* route = FindApiRoute(path, r->method_number, &allow, &request);
  if (route == nullptr) {
    if (allow.empty()) {
      return SendErrorAnswer(r, HTTP_NOT_FOUND, "not_found",
                             "no such admin API route (docs/api.md)");
    }
    apr_table_setn(r->headers_out, "Allow", apr_pstrdup(r->pool, allow.c_str()));
    return SendErrorAnswer(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                           "this route accepts " + allow);
  }
  if (route->method != M_GET && !CsrfOk(r)) {
    return SendErrorAnswer(
        r, HTTP_FORBIDDEN, "csrf",
        "send the X-CSRF-Token header that GET api/session gives, from this site's "
        "own pages");
  }
  AdminAnswer inputs = route->method == M_POST || route->method == M_PATCH
                           ? ReadBodyFields(r, route->method == M_PATCH, &request.input)
                           : ReadQuery(r, &request.input);
  if (inputs.error_code != nullptr) {
    return SendErrorAnswer(r, inputs.status, inputs.error_code, inputs.body);
  }
  for (const auto& [name, value] : request.input) {
    bool known = false;
    for (std::string_view accepted : route->inputs) known = known || accepted == name;
    if (!known) {
      return SendErrorAnswer(
          r, HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
          std::string(route->method == M_POST || route->method == M_PATCH ? "unknown field "
                                                                          : "unknown parameter ") +
              QuoteForMessage(name == "no-expiry" ? "no_expiry" : name));
    }
  }

  ServerRuntime* runtime = GetServerConfig(r->server)->runtime;
  if (runtime == nullptr) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                  "ONEP0114: admin %s %s: no Redis client in this process (request %s)", r->method,
                  ap_escape_logitem(r->pool, r->uri), RequestLogId(r));
    return SendServerError(r, HTTP_INTERNAL_SERVER_ERROR, "internal_error", "ONEP0114");
  }
  if (!runtime->layout_checked.load(std::memory_order_acquire)) {
    if (Status usable = CheckLayout(*runtime->redis, runtime->keys); !usable.ok()) {
      ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0111: admin API: %s (request %s)",
                    ap_escape_logitem(r->pool, usable.message().c_str()), RequestLogId(r));
      return SendServerError(r, HTTP_SERVICE_UNAVAILABLE, "store_unavailable", "ONEP0111");
    }
    runtime->layout_checked.store(true, std::memory_order_release);
  }
  request.r = r;
  request.actor = r->user;
  request.redis = runtime->redis.get();
  request.keys = &runtime->keys;
  request.base_url = OwnWebhookUrl(r);
  AdminAnswer answer = route->run(request);
  if (route->method != M_GET) {
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "ONEP0110: admin %s: %s %s -> %d%s%s",
                  ap_escape_logitem(r->pool, r->user), r->method,
                  ap_escape_logitem(r->pool, r->uri), answer.status, answer.error_code ? " " : "",
                  answer.error_code ? answer.error_code : "");
  }
  if (answer.status == HTTP_SERVICE_UNAVAILABLE) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0115: admin %s %s: %s (request %s)", r->method,
                  ap_escape_logitem(r->pool, r->uri),
                  ap_escape_logitem(r->pool, answer.log_detail.c_str()), RequestLogId(r));
    return SendServerError(r, answer.status, answer.error_code, "ONEP0115");
  }
  if (answer.status >= 500) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "ONEP0114: admin %s %s: %s (request %s)", r->method,
                  ap_escape_logitem(r->pool, r->uri),
                  ap_escape_logitem(r->pool, answer.log_detail.c_str()), RequestLogId(r));
    return SendServerError(r, answer.status, "internal_error", "ONEP0114");
  }
  if (answer.error_code != nullptr)
    return SendError(r, answer.status, answer.error_code, answer.body);
  if (answer.status == HTTP_NO_CONTENT) {
    r->status = HTTP_NO_CONTENT;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return OK;
  }
  return SendJson(r, answer.status, answer.body);
}

int HandleAdmin(request_rec* r) {
  // Every answer, errors included: no framing, no sniffing, no inline code.
  apr_table_setn(r->err_headers_out, "Content-Security-Policy", kContentSecurityPolicy);
  apr_table_setn(r->err_headers_out, "X-Frame-Options", "DENY");
  apr_table_setn(r->err_headers_out, "X-Content-Type-Options", "nosniff");
  apr_table_setn(r->err_headers_out, "Referrer-Policy", "no-referrer");
  if (r->user == nullptr || r->user[0] == '\0') {
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                  "ONEP0113: onep-admin at %s has no authenticated user: refused; protect the "
                  "<Location> with Apache authentication (AuthType, Require)",
                  ap_escape_logitem(r->pool, r->uri));
    return SendErrorAnswer(
        r, HTTP_FORBIDDEN, "forbidden",
        "this location must be protected by Apache authentication (AuthType and "
        "Require valid-user, LDAP, OpenID Connect...): it serves no one without it");
  }
  std::optional<std::string_view> path = PathBelowLocation(r);
  if (!path) {
    // As mod_dir does: the path escaped again, the query kept, an absolute URL.
    const char* escaped = ap_escape_uri(r->pool, r->uri);
    const char* target = r->args != nullptr ? apr_pstrcat(r->pool, escaped, "/?", r->args, nullptr)
                                            : apr_pstrcat(r->pool, escaped, "/", nullptr);
    apr_table_setn(r->headers_out, "Location", ap_construct_url(r->pool, target, r));
    return HTTP_MOVED_PERMANENTLY;
  }
  if (path->rfind("api/", 0) == 0) return HandleApi(r, path->substr(4));
  const std::string_view name = path->empty() ? std::string_view("index.html") : *path;
  for (const ConsoleFile& file : ConsoleFiles()) {
    if (file.name != name) continue;
    if (r->method_number != M_GET) {
      apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
      return SendErrorAnswer(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                             "the console is read-only");
    }
    return SendStatic(r, file.content_type, file.content);
  }
  return SendErrorAnswer(r, HTTP_NOT_FOUND, "not_found", "no such page or admin API route");
}

}  // namespace

bool OrgAllowed(const request_rec* r, std::string_view org) {
  const DirConfig* conf = GetDirConfig(r);
  if (conf == nullptr || !conf->admin_orgs_set || conf->admin_orgs == nullptr) return true;
  for (int i = 0; i < conf->admin_orgs->nelts; ++i) {
    const char* allowed = APR_ARRAY_IDX(conf->admin_orgs, i, const char*);
    if (strcmp(allowed, "*") == 0 || org == allowed) return true;
  }
  return false;
}

Status InitAdminSecret() {
  if (RAND_bytes(g_secret, sizeof(g_secret)) != 1) {
    return Status::Internal("no random bytes for the admin API's CSRF secret");
  }
  g_secret_set = true;
  return Status::Ok();
}

int AdminHandler(request_rec* r) {
  if (r->handler == nullptr || strcmp(r->handler, kAdminHandlerName) != 0) return DECLINED;
  if (!g_secret_set) return SendInternalError(r);
  return RunGuarded(r, HandleAdmin);
}

}  // namespace onep::module
