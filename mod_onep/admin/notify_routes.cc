// SPDX-License-Identifier: Apache-2.0
// Adding an endpoint seals its secret with the key post_config read from
// OnepSecretKeyFile (notify_worker.h): the key file is never read on a
// request. An endpoint of an org this location does not serve is not
// found, as a credential of one is.
#include "admin/notify_routes.h"

#include <string>

#include "admin/admin_handler.h"
#include "http_protocol.h"
#include "notify_worker.h"
#include "onep/admin.h"
#include "onep/notify_store.h"
#include "onep/text.h"

namespace onep::module {
namespace {

AdminAnswer Json(int status, const JsonPtr& value) { return {status, JsonDump(value.get()), {}}; }

NotifyStore StoreOf(const AdminRequest& request) { return NotifyStore(*request.keys); }

// The endpoint of the path, when this location serves its org.
Result<NotifyEndpoint> PathEndpoint(const AdminRequest& request) {
  auto endpoint = StoreOf(request).Get(*request.redis, request.id);
  if (!endpoint.ok()) return endpoint.status();
  if (!OrgAllowed(request.r, endpoint->org)) {
    return Status::NotFound("no notification endpoint " + QuoteForMessage(request.id));
  }
  return endpoint;
}

}  // namespace

AdminAnswer ListNotifyEndpoints(AdminRequest& request) {
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  auto list = StoreOf(request).List(*request.redis, request.org);
  if (!list.ok()) return ErrorAnswer(list.status());
  return Json(HTTP_OK, admin::JsonArrayOf(*list, admin::NotifyEndpointJson));
}

AdminAnswer AddNotifyEndpoint(AdminRequest& request) {
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  const std::string* url = request.Inputs().Get("url");
  if (url == nullptr || url->empty()) return ErrorAnswer(Status::InvalidArgument("missing url"));
  const NotifySettings settings = NotifySettingsOf(request.r->server);
  if (settings.key == nullptr) {
    return ErrorAnswer(HTTP_CONFLICT, "conflict",
                       "this server has no OnepSecretKeyFile: an endpoint's secret is stored "
                       "sealed with that key, so no endpoint can be added until the server's "
                       "administrator configures one");
  }
  if (Status s = ValidateNotifyUrl(*url, settings.allow_http); !s.ok()) {
    // The core's message also names onepctl's option, which means nothing here.
    if (!settings.allow_http && ValidateNotifyUrl(*url, true).ok()) {
      return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
                         "url must be https: this server accepts http:// endpoints only with "
                         "OnepNotifyAllowHttp On");
    }
    return ErrorAnswer(s);
  }
  auto added = StoreOf(request).Add(*request.redis, *settings.key, request.org, *url,
                                    settings.allow_http, request.actor);
  if (!added.ok()) return ErrorAnswer(added.status());
  return Json(HTTP_CREATED, admin::NewNotifyEndpointJson(*added));
}

AdminAnswer RemoveNotifyEndpoint(AdminRequest& request) {
  if (auto endpoint = PathEndpoint(request); !endpoint.ok()) return ErrorAnswer(endpoint.status());
  auto removed = StoreOf(request).Remove(*request.redis, request.id, request.actor);
  if (!removed.ok()) return ErrorAnswer(removed.status());
  return {HTTP_NO_CONTENT, "", nullptr};
}

AdminAnswer TestNotifyEndpoint(AdminRequest& request) {
  if (auto endpoint = PathEndpoint(request); !endpoint.ok()) return ErrorAnswer(endpoint.status());
  auto entry = StoreOf(request).Test(*request.redis, request.id, request.actor);
  if (!entry.ok()) return ErrorAnswer(entry.status());
  JsonPtr object(json_object());
  json_object_set_new(object.get(), "outbox_id", json_string(entry->c_str()));
  return Json(HTTP_ACCEPTED, object);
}

AdminAnswer Deliveries(AdminRequest& request) {
  auto query = admin::DeliveryQueryInput(request.Inputs());
  if (!query.ok()) return ErrorAnswer(query.status());
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  query->org = request.org;
  auto deliveries = StoreOf(request).Deliveries(*request.redis, *query);
  if (!deliveries.ok()) return ErrorAnswer(deliveries.status());
  return Json(HTTP_OK, admin::JsonArrayOf(*deliveries, admin::DeliveryJson));
}

}  // namespace onep::module
