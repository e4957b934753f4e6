// SPDX-License-Identifier: Apache-2.0
// The admin API's routes (docs/api.md, "Admin API"): each turns an
// AdminRequest into an AdminAnswer, on onep/admin.h and the core services,
// as onepctl runs them. admin_handler.h is the HTTP side.
#ifndef ONEP_MOD_ONEP_ADMIN_ADMIN_ROUTES_H_
#define ONEP_MOD_ONEP_ADMIN_ADMIN_ROUTES_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "httpd.h"
#include "onep/admin.h"
#include "onep/keys.h"
#include "onep/redis_client.h"
#include "onep/status.h"

namespace onep::module {

// One admin API request, as a route sees it.
struct AdminRequest {
  request_rec* r = nullptr;
  std::string actor;                         // r->user: the audit trail's "who"
  std::map<std::string, std::string> input;  // query parameters, or body fields
  std::string org;                           // the path's ORG, if it has one
  std::string id;   // the path's credential or notification endpoint ID, if it has one
  std::string app;  // the path's APP, if it has one
  RedisClient* redis = nullptr;
  const KeySpace* keys = nullptr;
  std::string base_url;  // where the webhook routes are, for curl commands

  // The inputs for onep/admin.h: `input`, and the path's ORG as "org".
  admin::Inputs Inputs() const;
};

// An answer: a status and a JSON body (nothing for 204), or an error code
// with its message.
struct AdminAnswer {
  int status = 200;
  std::string body;                  // JSON, or the error's message
  const char* error_code = nullptr;  // non-null: an error
  // A 5xx's cause, for the error log only: the client is told only what
  // kind of failure it was, with the log line's id and the request's.
  std::string log_detail = {};
};

struct ApiRoute {
  int method;           // M_GET (serves HEAD too), M_POST, M_PATCH, M_DELETE
  const char* pattern;  // below "api/": "orgs/:org/credentials", "orgs/:org/apps/:app"
  std::vector<std::string_view> inputs;  // the query parameters or body fields it takes
  AdminAnswer (*run)(AdminRequest& request);
};

// The route for `path` (below "api/") and `method`, with the path's ORG,
// ID and APP in request->org, ->id and ->app; null when none, with the
// methods the path has in *allow (empty: no such path).
const ApiRoute* FindApiRoute(std::string_view path, int method, std::string* allow,
                             AdminRequest* request);

// OK (no error_code) when the path's ORG is a valid slug that this location
// serves (OnepAdminOrgs); else the 422 or 403 answer.
AdminAnswer CheckOrg(const AdminRequest& request);

// An error answer: `status`, the JSON error `code` and its message.
AdminAnswer ErrorAnswer(int status, const char* code, std::string message);
// The error answer for a failed core call: 422, 404, 409, 503 (Redis could
// not serve; Retry-After), or 500 internal_error for anything else (a bug or
// an unexpected reply). A 5xx's message stays in log_detail.
AdminAnswer ErrorAnswer(const Status& status);

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_ADMIN_ADMIN_ROUTES_H_
