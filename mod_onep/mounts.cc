// SPDX-License-Identifier: Apache-2.0
#include "mounts.h"

#include <strings.h>

#include <cstring>
#include <string>

#include "admin/admin_handler.h"
#include "ap_expr.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_core.h"
#include "http_request.h"
#include "mod_onep.h"
#include "util_cfgtree.h"

namespace onep::module {

std::optional<std::string_view> PathBelowMount(std::string_view uri, std::string_view mount) {
  if (mount.empty() || uri.compare(0, mount.size(), mount) != 0) return std::nullopt;
  if (mount.back() == '/') return uri.substr(mount.size() - 1);
  if (uri.size() > mount.size() && uri[mount.size()] != '/') return std::nullopt;
  return uri.substr(mount.size());
}

namespace {

const apr_array_header_t* MountsOf(const server_rec* s, const char* handler) {
  const ServerConfig* conf = GetServerConfig(s);
  if (conf == nullptr) return nullptr;
  return strcmp(handler, kAdminHandlerName) == 0 ? conf->admin_mounts : conf->webhook_mounts;
}

// The longest of `mounts` that `uri` is below.
std::optional<MountMatch> LongestMount(std::string_view uri, const apr_array_header_t* mounts) {
  std::optional<MountMatch> best;
  for (int i = 0; mounts != nullptr && i < mounts->nelts; ++i) {
    std::string_view mount = APR_ARRAY_IDX(mounts, i, const char*);
    if (best && best->mount.size() >= mount.size()) continue;
    if (auto rest = PathBelowMount(uri, mount)) best = MountMatch{mount, *rest};
  }
  return best;
}

}  // namespace

std::optional<MountMatch> FindMount(const request_rec* r, const char* handler) {
  if (r->uri == nullptr) return std::nullopt;
  const std::string_view uri = r->uri;
  if (auto match = LongestMount(uri, MountsOf(r->server, handler))) return match;
  // Regex sections give no mount: a plain-path <Location> is the supported one.
  const auto* core =
      static_cast<const core_dir_config*>(ap_get_core_module_config(r->per_dir_config));
  if (core == nullptr || core->d == nullptr || core->r != nullptr || core->d_is_fnmatch) {
    return std::nullopt;
  }
  if (auto rest = PathBelowMount(uri, core->d)) return MountMatch{core->d, *rest};
  return std::nullopt;
}

const char* FirstMount(const server_rec* s, const char* handler) {
  const apr_array_header_t* mounts = MountsOf(s, handler);
  return mounts != nullptr && mounts->nelts > 0 ? APR_ARRAY_IDX(mounts, 0, const char*) : nullptr;
}

// ---------------------------------------------------------------------------
// Mount discovery

namespace {

// The first word of a directive's arguments, unquoted ("<Location" args keep
// their closing '>').
std::string FirstWord(apr_pool_t* p, const char* args) {
  if (args == nullptr) return "";
  const char* rest = args;
  std::string word = ap_getword_conf(p, &rest);
  if (!word.empty() && word.back() == '>') word.pop_back();
  return word;
}

// The virtual host that a <VirtualHost> node of the tree defines: Apache
// records where each one was written.
server_rec* ServerDefinedAt(server_rec* main_server, const ap_directive_t* node) {
  for (server_rec* s = main_server->next; s != nullptr; s = s->next) {
    if (s->defn_name != nullptr && node->filename != nullptr &&
        strcmp(s->defn_name, node->filename) == 0 &&
        s->defn_line_number == static_cast<unsigned>(node->line_num)) {
      return s;
    }
  }
  return nullptr;
}

void AddMount(apr_pool_t* p, server_rec* s, const char* handler, const std::string& path) {
  ServerConfig* conf = GetServerConfig(s);
  auto*& mounts =
      strcmp(handler, kAdminHandlerName) == 0 ? conf->admin_mounts : conf->webhook_mounts;
  if (mounts == nullptr) mounts = apr_array_make(p, 2, sizeof(const char*));
  APR_ARRAY_PUSH(mounts, const char*) = apr_pstrdup(p, path.c_str());
}

struct Walk {
  apr_pool_t* p;
  server_rec* main_server;
  const char* handler;
};

// Records the path of every <Location "/path"> whose body (at any depth, e.g.
// inside <If> or <IfModule>) says "SetHandler <handler>", for `server`, or for
// every server when `server` is null (outside any <VirtualHost>). `location`
// is the path of the enclosing <Location>, or empty outside one (or inside a
// regex one).
void CollectFrom(const Walk& walk, const ap_directive_t* node, server_rec* server,
                 const std::string& location) {
  for (; node != nullptr; node = node->next) {
    const char* name = node->directive;
    if (strcasecmp(name, "<VirtualHost") == 0) {
      if (server_rec* vhost = ServerDefinedAt(walk.main_server, node)) {
        CollectFrom(walk, node->first_child, vhost, "");
      }
    } else if (strcasecmp(name, "<Location") == 0) {
      std::string path = FirstWord(walk.p, node->args);
      if (path == "~" || path.empty()) path.clear();  // regex: not a supported mount
      CollectFrom(walk, node->first_child, server, path);
    } else if (strcasecmp(name, "<LocationMatch") == 0 || strcasecmp(name, "<Directory") == 0 ||
               strcasecmp(name, "<DirectoryMatch") == 0 || strcasecmp(name, "<Files") == 0 ||
               strcasecmp(name, "<FilesMatch") == 0) {
      CollectFrom(walk, node->first_child, server, "");
    } else if (strcasecmp(name, "SetHandler") == 0) {
      if (location.empty() ||
          strcasecmp(FirstWord(walk.p, node->args).c_str(), walk.handler) != 0) {
        continue;
      }
      if (server != nullptr) {
        AddMount(walk.p, server, walk.handler, location);
      } else {
        for (server_rec* s = walk.main_server; s != nullptr; s = s->next) {
          AddMount(walk.p, s, walk.handler, location);
        }
      }
    } else if (node->first_child != nullptr) {
      CollectFrom(walk, node->first_child, server, location);
    }
  }
}

}  // namespace

void CollectMounts(apr_pool_t* pconf, server_rec* main_server) {
  for (server_rec* s = main_server; s != nullptr; s = s->next) {
    ServerConfig* conf = GetServerConfig(s);
    conf->webhook_mounts = apr_array_make(pconf, 2, sizeof(const char*));
    conf->admin_mounts = apr_array_make(pconf, 2, sizeof(const char*));
  }
  for (const char* handler : {kWebhookHandlerName, kAdminHandlerName}) {
    CollectFrom(Walk{pconf, main_server, handler}, ap_conftree, nullptr, "");
  }
}

// ---------------------------------------------------------------------------
// The URL hooks

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

// Set by TranslateName on a request whose handler is this module's.
constexpr const char* kNoFileNote = "onep-no-file";

bool IsBelowAWebhookMount(const request_rec* r, const char* uri) {
  return uri != nullptr && LongestMount(uri, MountsOf(r->server, kWebhookHandlerName)).has_value();
}

// True when the request's path, as sent or as Apache will normalise it
// (decoded, dot segments and repeated slashes removed), is below a webhook
// mount of the request's server.
bool RequestIsBelowAWebhookMount(request_rec* r) {
  if (r->uri == nullptr) return false;
  if (IsBelowAWebhookMount(r, r->uri)) return true;
  char* normalised = apr_pstrdup(r->pool, r->uri);
  if (ap_unescape_url(normalised) != OK) return false;
  ap_getparents(normalised);
  ap_no2slash(normalised);
  return IsBelowAWebhookMount(r, normalised);
}

// Whether the sections merged into r->per_dir_config make `name` the
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

}  // namespace

// The Authorization header of a request for the handler carries a token.
// Apache writes every request header to the error log at LogLevel trace4
// ("Headers received from client"), right after this hook, and an access log
// may use %{Authorization}i: so the header is taken out of r->headers_in here
// and kept where only RequestAuthorization() finds it. r->server is already
// the request's virtual host: another virtual host's mounts do not count, so
// its own authentication at the same path still sees the header.
int PostReadRequest(request_rec* r) {
  const char* authorization = apr_table_get(r->headers_in, "Authorization");
  if (authorization == nullptr || !RequestIsBelowAWebhookMount(r)) return DECLINED;
  ap_set_module_config(r->request_config, &onep_module, const_cast<char*>(authorization));
  apr_table_unset(r->headers_in, "Authorization");
  return DECLINED;
}

// translate_name runs with the <Location> and <If> sections of the request's
// virtual host merged, before Apache maps the URL to a file: the one moment
// at which the module can tell that the request will be its own. Hooked last,
// so a module that rewrote or answered the URL first (mod_rewrite, mod_alias)
// wins; the URL must still be below a mount.
int TranslateName(request_rec* r) {
  for (const char* handler : {kWebhookHandlerName, kAdminHandlerName}) {
    if (r->uri != nullptr && LongestMount(r->uri, MountsOf(r->server, handler)) &&
        HandlerIs(r, handler)) {
      apr_table_setn(r->notes, kNoFileNote, "1");
    }
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
  if (r->method_number == M_TRACE && IsBelowAWebhookMount(r, r->uri)) return OK;
  return DECLINED;
}

}  // namespace onep::module
