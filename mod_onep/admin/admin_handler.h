// SPDX-License-Identifier: Apache-2.0
// The "onep-admin" handler: the admin JSON API and the web console, below a
// <Location> the site protects with Apache's own authentication
// (docs/api.md, "Admin API"; docs/console.md). The HTTP side: who is asking,
// CSRF, inputs, the console's files; the routes are in admin_routes.h.
#ifndef ONEP_MOD_ONEP_ADMIN_ADMIN_HANDLER_H_
#define ONEP_MOD_ONEP_ADMIN_ADMIN_HANDLER_H_

#include <string_view>

#include "httpd.h"
#include "onep/status.h"

namespace onep::module {

inline constexpr const char* kAdminHandlerName = "onep-admin";

// The handler hook. DECLINED unless r->handler is "onep-admin"; never throws.
int AdminHandler(request_rec* r);

// A fresh secret for this server generation's CSRF tokens (post_config, in
// the parent: every child inherits it). A restart makes a new one.
Status InitAdminSecret();

// Whether this location may manage `org` (OnepAdminOrgs).
bool OrgAllowed(const request_rec* r, std::string_view org);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_ADMIN_ADMIN_HANDLER_H_
