// SPDX-License-Identifier: Apache-2.0
// The admin API's routes: each reads its inputs with onep/admin.h, calls
// the core services as onepctl does, and answers with the same JSON objects
// as `onepctl ... --json`.
#include "admin/admin_routes.h"

#include <algorithm>
#include <string>
#include <vector>

#include "admin/admin_handler.h"
#include "admin/notify_routes.h"
#include "http_protocol.h"
#include "onep/clock.h"
#include "onep/credential_service.h"
#include "onep/curl_command.h"
#include "onep/insights.h"
#include "onep/monitor_store.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/token.h"

namespace onep::module {
namespace {

using admin::JsonArrayOf;

AdminAnswer Json(int status, const JsonPtr& value) { return {status, JsonDump(value.get()), {}}; }

AdminAnswer NoSuchCredential(const std::string& id) {
  return ErrorAnswer(HTTP_NOT_FOUND, "not_found", "no credential " + QuoteForMessage(id));
}

// ... and one that exists (credentials or events).
AdminAnswer CheckExistingOrg(const AdminRequest& request, CredentialStore& store) {
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  auto exists = store.OrgExists(request.org);
  if (!exists.ok()) return ErrorAnswer(exists.status());
  if (!*exists) {
    return ErrorAnswer(HTTP_NOT_FOUND, "not_found",
                       "no organization " + QuoteForMessage(request.org));
  }
  return {};
}

// The credential of the path, when this location serves its org; one of
// another org is not found, as if it did not exist.
Result<Credential> PathCredential(const AdminRequest& request, CredentialStore& store,
                                  AdminAnswer* error) {
  if (ClassifyCredentialId(request.id) == CredentialIdForm::kMalformed) {
    *error = ErrorAnswer(admin::InvalidCredentialId(request.id));
    return Status::InvalidArgument("");
  }
  auto cred = store.Get(request.id);
  if (!cred.ok()) {
    *error = ErrorAnswer(cred.status());
    return cred.status();
  }
  if (!cred->has_value() || !OrgAllowed(request.r, (*cred)->org)) {
    *error = NoSuchCredential(request.id);
    return Status::NotFound("");
  }
  return std::move(**cred);
}

RedisCredentialStore StoreOf(const AdminRequest& request) {
  return RedisCredentialStore(*request.redis, *request.keys);
}

AdminAnswer Orgs(AdminRequest& request) {
  RedisCredentialStore store = StoreOf(request);
  auto orgs = store.Orgs();
  if (!orgs.ok()) return ErrorAnswer(orgs.status());
  std::vector<OrgSummary> served;
  for (auto& org : *orgs) {
    if (OrgAllowed(request.r, org.org)) served.push_back(std::move(org));
  }
  return Json(HTTP_OK, JsonArrayOf(served, admin::OrgJson));
}

AdminAnswer ListCredentials(AdminRequest& request) {
  RedisCredentialStore store = StoreOf(request);
  if (auto bad = admin::FilterCredentials(request.Inputs(), {}); !bad.ok()) {
    return ErrorAnswer(bad.status());
  }
  if (AdminAnswer bad = CheckExistingOrg(request, store); bad.error_code) return bad;
  auto all = store.List(request.org);
  if (!all.ok()) return ErrorAnswer(all.status());
  auto creds = admin::FilterCredentials(request.Inputs(), std::move(*all));
  const int64_t now = NowMs();
  return Json(HTTP_OK, JsonArrayOf(*creds, [now](const Credential& c) {
                return admin::CredentialJson(c, now);
              }));
}

AdminAnswer CreateCredential(AdminRequest& request) {
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  auto create = admin::CreateInput(request.Inputs());
  if (!create.ok()) return ErrorAnswer(create.status());
  auto base_url = admin::BaseUrlInput(request.Inputs(), request.base_url);
  if (!base_url.ok()) return ErrorAnswer(base_url.status());
  RedisCredentialStore store = StoreOf(request);
  auto issued = CredentialService(store, request.actor).Create(*create);
  if (!issued.ok()) return ErrorAnswer(issued.status());
  return Json(HTTP_CREATED,
              admin::IssuedJson(
                  *issued, CurlCommandsFor(issued->credential, issued->token, *base_url), NowMs()));
}

AdminAnswer ShowCredential(AdminRequest& request) {
  RedisCredentialStore store = StoreOf(request);
  AdminAnswer error;
  auto cred = PathCredential(request, store, &error);
  if (!cred.ok()) return error;
  return Json(HTTP_OK, admin::CredentialJson(*cred, NowMs()));
}

// rotate and rename: a new token (and a new name), shown once.
AdminAnswer Reissue(AdminRequest& request, bool rename) {
  const admin::Inputs in = request.Inputs();
  auto grace_ms = admin::GraceInput(in);
  if (!grace_ms.ok()) return ErrorAnswer(grace_ms.status());
  auto expires_in_ms = admin::ExpiryInput(in);
  if (!expires_in_ms.ok()) return ErrorAnswer(expires_in_ms.status());
  std::string name;
  if (rename) {
    if (!in.Has("name")) return ErrorAnswer(Status::InvalidArgument("missing name"));
    name = *in.Get("name");
    if (Status s = CheckCredentialName(name, "name"); !s.ok()) return ErrorAnswer(s);
  }
  RedisCredentialStore store = StoreOf(request);
  AdminAnswer error;
  if (!PathCredential(request, store, &error).ok()) return error;
  CredentialService service(store, request.actor);
  auto issued = rename ? service.Rename(request.id, name, *grace_ms, *expires_in_ms)
                       : service.Rotate(request.id, *grace_ms, *expires_in_ms);
  if (!issued.ok()) return ErrorAnswer(issued.status());
  const CurlCommands curls = CurlCommandsFor(issued->credential, issued->token, request.base_url);
  return Json(HTTP_OK, admin::IssuedJson(*issued, curls, NowMs(), *grace_ms));
}

AdminAnswer Rotate(AdminRequest& request) { return Reissue(request, false); }
AdminAnswer Rename(AdminRequest& request) { return Reissue(request, true); }

// A new expiry ("90d" from now, or "never"); the token stays.
AdminAnswer Expire(AdminRequest& request) {
  auto expires_in_ms = admin::ExpireInput(request.Inputs());
  if (!expires_in_ms.ok()) return ErrorAnswer(expires_in_ms.status());
  RedisCredentialStore store = StoreOf(request);
  AdminAnswer error;
  if (!PathCredential(request, store, &error).ok()) return error;
  auto cred = CredentialService(store, request.actor).SetExpiry(request.id, *expires_in_ms);
  if (!cred.ok()) {
    if (cred.status().code() == Code::kNotFound) return NoSuchCredential(request.id);
    return ErrorAnswer(cred.status());
  }
  return Json(HTTP_OK, admin::CredentialJson(*cred, NowMs()));
}

AdminAnswer DeleteCredential(AdminRequest& request) {
  RedisCredentialStore store = StoreOf(request);
  AdminAnswer error;
  if (!PathCredential(request, store, &error).ok()) return error;
  if (Status s = CredentialService(store, request.actor).Delete(request.id); !s.ok()) {
    return ErrorAnswer(s);
  }
  return {HTTP_NO_CONTENT, "", nullptr};
}

AdminAnswer Events(AdminRequest& request) {
  auto query = admin::EventQueryInput(request.Inputs(), NowMs());
  if (!query.ok()) return ErrorAnswer(query.status());
  RedisCredentialStore store = StoreOf(request);
  if (AdminAnswer bad = CheckExistingOrg(request, store); bad.error_code) return bad;
  query->org = request.org;
  EventStore events(*request.keys);
  auto page = admin::EventPage(*request.redis, events, *query);
  if (!page.ok()) return ErrorAnswer(page.status());
  return Json(HTTP_OK, JsonArrayOf(*page, admin::EventJson));
}

AdminAnswer Stats(AdminRequest& request) {
  const admin::Inputs in = request.Inputs();
  auto app = admin::AppFilter(in);
  if (!app.ok()) return ErrorAnswer(app.status());
  auto window_ms = admin::StatsWindowInput(in);
  if (!window_ms.ok()) return ErrorAnswer(window_ms.status());
  RedisCredentialStore store = StoreOf(request);
  if (AdminAnswer bad = CheckExistingOrg(request, store); bad.error_code) return bad;
  auto stats = EventStore(*request.keys).Stats(*request.redis, request.org, *app, *window_ms);
  if (!stats.ok()) return ErrorAnswer(stats.status());
  return Json(HTTP_OK, JsonArrayOf(*stats, admin::StatsJson));
}

AdminAnswer Audit(AdminRequest& request) {
  auto query = admin::AuditQueryInput(request.Inputs(), NowMs());
  if (!query.ok()) return ErrorAnswer(query.status());
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  RedisCredentialStore store = StoreOf(request);
  auto entries = store.Audit(request.org, *query);
  if (!entries.ok()) return ErrorAnswer(entries.status());
  // The trail outlives the org's last credential: only an org with neither is unknown.
  if (entries->empty()) {
    if (AdminAnswer bad = CheckExistingOrg(request, store); bad.error_code) return bad;
  }
  // Newest last, as onepctl prints it.
  std::vector<AuditEntry> ordered(entries->rbegin(), entries->rend());
  return Json(HTTP_OK, JsonArrayOf(ordered, admin::AuditJson));
}

// The path's app: a valid slug of an org this location serves. Whether
// the org and the app exist, MonitorStore says (NotFound).
AdminAnswer CheckApp(const AdminRequest& request) {
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  if (!IsValidSlug(request.app)) return ErrorAnswer(InvalidSlug("app", request.app));
  return {};
}

AdminAnswer Apps(AdminRequest& request) {
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  auto apps = MonitorStore(*request.keys).Apps(*request.redis, request.org);
  if (!apps.ok()) return ErrorAnswer(apps.status());
  admin::SortAppsDownFirst(&*apps);
  return Json(HTTP_OK, JsonArrayOf(*apps, admin::AppJson));
}

AdminAnswer ShowApp(AdminRequest& request) {
  if (AdminAnswer bad = CheckApp(request); bad.error_code) return bad;
  auto app = MonitorStore(*request.keys).App(*request.redis, request.org, request.app);
  if (!app.ok()) return ErrorAnswer(app.status());
  return Json(HTTP_OK, admin::AppJson(*app));
}

// The body's fields as MonitorChangeInput names them (the CLI's options):
// failures_to_open is failures-to-open, paused true or false is pause or
// resume, paused "2h" is pause 2h (a pause that ends by itself).
AdminAnswer PatchApp(AdminRequest& request) {
  if (AdminAnswer bad = CheckApp(request); bad.error_code) return bad;
  static const std::string kGiven;
  const std::string* paused = nullptr;
  if (auto it = request.input.find("paused"); it != request.input.end()) {
    const std::string& given = it->second;
    const bool duration = !given.empty() && given[0] >= '0' && given[0] <= '9';
    if (given != "true" && given != "false" && !duration) {
      return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
                         "field \"paused\" must be true, false or a duration such as \"2h\"");
    }
    paused = &it->second;
  }
  admin::Inputs in = request.Inputs();
  const admin::Inputs body = in;
  in.underscores = true;
  in.get = [&body, paused](std::string_view name) -> const std::string* {
    if (name == "pause") {
      if (paused == nullptr || *paused == "false") return nullptr;
      return *paused == "true" ? &kGiven : paused;
    }
    if (name == "resume") return paused != nullptr && *paused == "false" ? &kGiven : nullptr;
    std::string field(name);
    std::replace(field.begin(), field.end(), '-', '_');
    return body.Get(field);
  };
  auto change = admin::MonitorChangeInput(in);
  if (!change.ok()) return ErrorAnswer(change.status());
  if (change->empty()) {
    return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
                       "nothing to change: give failures_to_open, hits_to_close, severity, "
                       "expect_every, grace or paused");
  }
  auto app = MonitorStore(*request.keys)
                 .SetMonitor(*request.redis, request.org, request.app, *change, request.actor);
  if (!app.ok()) return ErrorAnswer(app.status());
  return Json(HTTP_OK, admin::AppJson(*app));
}

AdminAnswer Incidents(AdminRequest& request) {
  // "open" (as onepctl's --open), "open=true" or "open=1"; "false" and "0" are no filter.
  if (auto open = request.input.find("open"); open != request.input.end()) {
    if (open->second == "false" || open->second == "0") {
      request.input.erase(open);
    } else if (!open->second.empty() && open->second != "true" && open->second != "1") {
      return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request",
                         "invalid open " + QuoteForMessage(open->second) + ": use true or false");
    }
  }
  auto query = admin::IncidentQueryInput(request.Inputs(), NowMs());
  if (!query.ok()) return ErrorAnswer(query.status());
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  query->org = request.org;
  auto incidents = MonitorStore(*request.keys).Incidents(*request.redis, *query);
  if (!incidents.ok()) return ErrorAnswer(incidents.status());
  return Json(HTTP_OK, JsonArrayOf(*incidents, admin::IncidentJson));
}

// An app's counters hour by hour (the console's timeline), over "since"
// as stats takes it.
AdminAnswer Timeline(AdminRequest& request) {
  auto window_ms = admin::StatsWindowInput(request.Inputs());
  if (!window_ms.ok()) return ErrorAnswer(window_ms.status());
  if (AdminAnswer bad = CheckApp(request); bad.error_code) return bad;
  if (auto app = MonitorStore(*request.keys).App(*request.redis, request.org, request.app);
      !app.ok()) {
    return ErrorAnswer(app.status());
  }
  auto hours =
      EventStore(*request.keys).HourlyStats(*request.redis, request.org, request.app, *window_ms);
  if (!hours.ok()) return ErrorAnswer(hours.status());
  return Json(HTTP_OK, JsonArrayOf(*hours, admin::HourStatsJson));
}

AdminAnswer Insights(AdminRequest& request) {
  auto query = admin::InsightsQueryInput(request.Inputs(), NowMs());
  if (!query.ok()) return ErrorAnswer(query.status());
  if (AdminAnswer bad = CheckOrg(request); bad.error_code) return bad;
  query->org = request.org;
  auto insights = InsightsStore(*request.keys).Read(*request.redis, *query);
  if (!insights.ok()) return ErrorAnswer(insights.status());
  return Json(HTTP_OK, JsonArrayOf(*insights, admin::InsightsJson));
}

const std::vector<ApiRoute>& Routes() {
  static const std::vector<ApiRoute> routes = {
      {M_GET, "orgs", {}, Orgs},
      {M_GET, "orgs/:org/credentials", {"app", "type"}, ListCredentials},
      {M_POST,
       "orgs/:org/credentials",
       {"type", "name", "app", "expires", "url"},
       CreateCredential},
      {M_GET, "credentials/:id", {}, ShowCredential},
      {M_DELETE, "credentials/:id", {}, DeleteCredential},
      {M_POST, "credentials/:id/rotate", {"grace", "expires", "no-expiry"}, Rotate},
      {M_POST, "credentials/:id/rename", {"name", "grace", "expires", "no-expiry"}, Rename},
      {M_POST, "credentials/:id/expire", {"expires"}, Expire},
      {M_GET,
       "orgs/:org/events",
       {"app", "type", "credential", "since", "until", "after", "before", "limit"},
       Events},
      {M_GET, "orgs/:org/stats", {"app", "since"}, Stats},
      {M_GET, "orgs/:org/audit", {"limit", "since", "until", "credential"}, Audit},
      {M_GET, "orgs/:org/apps", {}, Apps},
      {M_GET, "orgs/:org/apps/:app", {}, ShowApp},
      {M_PATCH,
       "orgs/:org/apps/:app",
       {"failures_to_open", "hits_to_close", "severity", "expect_every", "grace", "paused"},
       PatchApp},
      {M_GET, "orgs/:org/apps/:app/timeline", {"since"}, Timeline},
      {M_GET, "orgs/:org/incidents", {"app", "open", "since", "limit"}, Incidents},
      {M_GET, "orgs/:org/insights", {"app", "since", "change_window"}, Insights},
      {M_GET, "orgs/:org/notify", {}, ListNotifyEndpoints},
      {M_POST, "orgs/:org/notify", {"url"}, AddNotifyEndpoint},
      {M_DELETE, "notify/:id", {}, RemoveNotifyEndpoint},
      {M_POST, "notify/:id/test", {}, TestNotifyEndpoint},
      {M_GET, "orgs/:org/deliveries", {"endpoint", "limit"}, Deliveries},
  };
  return routes;
}

// Whether `path` has the shape of `pattern`; the ":org", ":id" and ":app"
// segments are bound.
bool Matches(std::string_view pattern, std::string_view path, std::string* org, std::string* id,
             std::string* app) {
  while (true) {
    const std::size_t p_end = std::min(pattern.find('/'), pattern.size());
    const std::size_t s_end = std::min(path.find('/'), path.size());
    std::string_view want = pattern.substr(0, p_end);
    std::string_view have = path.substr(0, s_end);
    if (have.empty()) return false;
    if (want == ":org") {
      *org = std::string(have);
    } else if (want == ":id") {
      *id = std::string(have);
    } else if (want == ":app") {
      *app = std::string(have);
    } else if (want != have) {
      return false;
    }
    const bool pattern_done = p_end == pattern.size();
    const bool path_done = s_end == path.size();
    if (pattern_done || path_done) return pattern_done && path_done;
    pattern.remove_prefix(p_end + 1);
    path.remove_prefix(s_end + 1);
  }
}

const char* MethodName(int method) {
  return method == M_GET     ? "GET, HEAD"
         : method == M_POST  ? "POST"
         : method == M_PATCH ? "PATCH"
                             : "DELETE";
}

}  // namespace

AdminAnswer CheckOrg(const AdminRequest& request) {
  if (Status s = admin::OrgInput(request.Inputs()).status(); !s.ok()) return ErrorAnswer(s);
  if (!OrgAllowed(request.r, request.org)) {
    return ErrorAnswer(HTTP_FORBIDDEN, "forbidden",
                       "organization " + QuoteForMessage(request.org) +
                           " is not managed here (OnepAdminOrgs of this location)");
  }
  return {};
}

const ApiRoute* FindApiRoute(std::string_view path, int method, std::string* allow,
                             AdminRequest* request) {
  allow->clear();
  for (const ApiRoute& route : Routes()) {
    std::string route_org;
    std::string route_id;
    std::string route_app;
    if (!Matches(route.pattern, path, &route_org, &route_id, &route_app)) continue;
    if (route.method == method) {
      request->org = std::move(route_org);
      request->id = std::move(route_id);
      request->app = std::move(route_app);
      return &route;
    }
    *allow += (allow->empty() ? "" : ", ") + std::string(MethodName(route.method));
  }
  return nullptr;
}

admin::Inputs AdminRequest::Inputs() const {
  return {[this](std::string_view name) -> const std::string* {
            if (name == "org") return org.empty() ? nullptr : &org;
            auto it = input.find(std::string(name));
            return it == input.end() ? nullptr : &it->second;
          },
          ""};
}

AdminAnswer ErrorAnswer(int status, const char* code, std::string message) {
  return {status, std::move(message), code};
}

AdminAnswer ErrorAnswer(const Status& status) {
  switch (status.code()) {
    case Code::kInvalidArgument:
      return ErrorAnswer(HTTP_UNPROCESSABLE_ENTITY, "invalid_request", status.message());
    case Code::kNotFound:
      return ErrorAnswer(HTTP_NOT_FOUND, "not_found", status.message());
    case Code::kConflict:
      return ErrorAnswer(HTTP_CONFLICT, "conflict", status.message());
    case Code::kUnavailable:
    case Code::kFailedPrecondition: {
      // Its message may name the Redis address: for the error log only.
      AdminAnswer answer =
          ErrorAnswer(HTTP_SERVICE_UNAVAILABLE, "store_unavailable", "the store is unavailable");
      answer.log_detail = status.ToString();
      return answer;
    }
    default: {
      AdminAnswer answer = ErrorAnswer(HTTP_INTERNAL_SERVER_ERROR, "internal_error",
                                       "an internal error; the server's error log has its cause");
      answer.log_detail = status.ToString();
      return answer;
    }
  }
}

}  // namespace onep::module
