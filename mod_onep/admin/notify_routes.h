// SPDX-License-Identifier: Apache-2.0
// The admin API's notification routes (docs/api.md, "Notification
// endpoints"): an org's endpoints, adding one (its secret shown once),
// removing and testing one, and the deliveries; the same JSON objects as
// `onepctl notify ... --json` and `onepctl deliveries --json`.
#ifndef ONEP_MOD_ONEP_ADMIN_NOTIFY_ROUTES_H_
#define ONEP_MOD_ONEP_ADMIN_NOTIFY_ROUTES_H_

#include "admin/admin_routes.h"

namespace onep::module {

AdminAnswer ListNotifyEndpoints(AdminRequest& request);   // GET orgs/:org/notify
AdminAnswer AddNotifyEndpoint(AdminRequest& request);     // POST orgs/:org/notify
AdminAnswer RemoveNotifyEndpoint(AdminRequest& request);  // DELETE notify/:id
AdminAnswer TestNotifyEndpoint(AdminRequest& request);    // POST notify/:id/test
AdminAnswer Deliveries(AdminRequest& request);            // GET orgs/:org/deliveries

}  // namespace onep::module

#endif  // ONEP_MOD_ONEP_ADMIN_NOTIFY_ROUTES_H_
