// SPDX-License-Identifier: Apache-2.0
// Where the handlers are mounted, per server, and how a request's URL is
// matched against those mounts.
//
// A mount is the path of a <Location "/path"> whose body says
// "SetHandler onep" (or "onep-admin"). Apache creates no per-directory config
// for a section that holds none of this module's directives, so the mounts
// are read from the configuration tree at post_config, once per server: a
// <Location> at the top level belongs to every server (Apache merges it into
// each virtual host), one inside <VirtualHost> to that virtual host only.
// Written by the single-threaded parent while it reads the configuration,
// read-only in the children afterwards.
//
// The URL hooks that act before the handler runs live here too:
// post_read_request keeps a webhook request's Authorization header out of
// r->headers_in (only below a webhook mount of the request's own server),
// translate_name and map_to_storage skip the filesystem for the handlers'
// requests.
#ifndef ONEP_MOD_ONEP_MOUNTS_H_
#define ONEP_MOD_ONEP_MOUNTS_H_

#include <optional>
#include <string_view>

#include "httpd.h"

namespace onep::module {

// The one matcher: what follows `mount` in `uri` when `uri` is `mount` or
// below it, from the '/' that separates them ("/hits" for /onep/hits below
// /onep or /onep/; "" for /onep itself below /onep); nullopt otherwise
// (/onephits is not below /onep).
std::optional<std::string_view> PathBelowMount(std::string_view uri, std::string_view mount);

struct MountMatch {
  std::string_view mount;
  std::string_view rest;  // as PathBelowMount says
};

// The longest of r->server's mounts of `handler` that r->uri is below; else
// the innermost plain-path section merged into the request, if r->uri is
// below it (SetHandler may come from elsewhere); else nullopt.
std::optional<MountMatch> FindMount(const request_rec* r, const char* handler);

// The first mount of `handler` on server `s`, or null when it has none.
const char* FirstMount(const server_rec* s, const char* handler);

// Records every server's mounts of both handlers (post_config). Allocates
// from `pconf`; a later configuration pass replaces them.
void CollectMounts(apr_pool_t* pconf, server_rec* main_server);

// The request's Authorization header, null when absent. For requests below a
// webhook mount, mod_onep moves it out of r->headers_in as soon as the
// request is read, so that what dumps request headers later (LogLevel
// trace4, an access log with %{Authorization}i) cannot write a token down;
// this finds it.
const char* RequestAuthorization(const request_rec* r);

// The hooks (registered in mod_onep.cc).
int PostReadRequest(request_rec* r);
int TranslateName(request_rec* r);
int MapToStorage(request_rec* r);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_MOUNTS_H_
