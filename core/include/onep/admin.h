// SPDX-License-Identifier: Apache-2.0
// What onepctl and the admin API (mod_onep's onep-admin handler) share: the
// reading of an admin request's named inputs (onepctl's options, the API's
// query parameters and body fields: the same names), and the JSON objects
// both answer with (docs/cli.md, docs/api.md).
//
// Every input is checked here, once, with one message per mistake; the
// message names the input as the caller spells it ("--limit" for onepctl,
// "limit" for the API).
//
// Thread-safety: pure functions, except EventPage (one RedisClient call).
#ifndef ONEP_ADMIN_H_
#define ONEP_ADMIN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onep/credential.h"
#include "onep/event_store.h"
#include "onep/insights.h"
#include "onep/json.h"
#include "onep/monitor_store.h"
#include "onep/notify_store.h"
#include "onep/redis_client.h"
#include "onep/status.h"
#include "onep/text.h"

namespace onep::admin {

// Largest --limit / limit of events and audit; the default.
inline constexpr uint64_t kMaxLimit = 10000;
inline constexpr std::size_t kDefaultLimit = 100;
// stats: the window by default, and the longest one the counters keep.
inline constexpr int64_t kDefaultStatsWindowMs = 24LL * 3600 * 1000;
inline constexpr int64_t kMaxStatsWindowMs = 30LL * 24 * 3600 * 1000;

// An admin request's named inputs. `get(name)` is the value of input `name`
// ("org", "limit", ...), nullptr when it was not given; `prefix` is how the
// caller spells names in messages ("--" for onepctl, "" for the API).
struct Inputs {
  std::function<const std::string*(std::string_view name)> get;
  std::string_view prefix;
  // Messages spell "failures-to-open" as "failures_to_open" (a JSON body's
  // field names).
  bool underscores = false;

  const std::string* Get(std::string_view name) const { return get(name); }
  bool Has(std::string_view name) const { return get(name) != nullptr; }
  // "--limit" or "limit"
  std::string Label(std::string_view name) const;
  // InvalidArgument "invalid <label> \"<text>\": <why>"
  Status Invalid(std::string_view name, std::string_view text, std::string_view why) const;
};

// The messages for an org, app or credential id that is not well formed.
Status InvalidOrg(std::string_view org);
Status InvalidCredentialId(std::string_view id);

// "org": present and a valid slug.
Result<std::string> OrgInput(const Inputs& in);
// "app" when given (a valid slug), else "".
Result<std::string> AppFilter(const Inputs& in);

// create: org, type, name, app, expires.
Result<CreateRequest> CreateInput(const Inputs& in);
// "grace": the old token's grace period (0 when absent), at most 7 days.
Result<int64_t> GraceInput(const Inputs& in);
// "expires" / "no-expiry": nullopt (keep the expiry), 0 (none) or a duration.
Result<std::optional<int64_t>> ExpiryInput(const Inputs& in);

// "url", where the webhook routes are mounted (for curl commands), else
// `fallback`: an http:// or https:// URL (CheckBaseUrl).
Result<std::string> BaseUrlInput(const Inputs& in, const std::string& fallback);
// The same check of a URL from elsewhere, named `label` in the message:
// InvalidArgument unless `url` is printable ASCII without spaces, with the
// scheme http or https (any case), a host (a DNS name, an IPv4 address or
// an [IPv6] literal), an optional port from 1 to 65535, and no user name or
// password, query or fragment.
Status CheckBaseUrl(std::string_view label, const std::string& url);

// list: "app" and "type" filters applied to `creds`.
Result<std::vector<Credential>> FilterCredentials(const Inputs& in, std::vector<Credential> creds);

// events: app, type, credential, since, until, after, before, limit (org
// left empty, for the caller). `unlimited`: the limit is kNoEventLimit unless
// "limit" is given (onepctl --all).
Result<EventQuery> EventQueryInput(const Inputs& in, int64_t now_ms, bool unlimited = false);
// stats: "since" as a window, default 24h, at most 30d.
Result<int64_t> StatsWindowInput(const Inputs& in);
// audit: limit, since, until, credential.
Result<AuditQuery> AuditQueryInput(const Inputs& in, int64_t now_ms);

// monitor: failures-to-open, hits-to-close (1..100), severity (sev1..sev5,
// none), expect-every (a duration from 1m to 30d, or off), grace (1m to
// 30d), pause / resume (not both). Nothing given: an empty change.
Result<MonitorChange> MonitorChangeInput(const Inputs& in);
// incidents: app, open, since (a duration ago or a time), limit (org left
// empty, for the caller).
Result<IncidentQuery> IncidentQueryInput(const Inputs& in, int64_t now_ms);

// apps and GET api/orgs/ORG/apps list the apps in this order: down first,
// then late, then the others, each group by name (as MonitorStore gives them).
void SortAppsDownFirst(std::vector<AppMonitor>* apps);

// insights: app, since (a duration ago or a time, within the last 30d,
// before now; default: 30d ago), change-window (the API: change_window; a
// duration up to 7d, default 1h). The org is left empty, for the caller.
Result<InsightsQuery> InsightsQueryInput(const Inputs& in, int64_t now_ms);

// "500ms", "30s", "15m", "24h", "7d": the largest unit that divides `ms`.
std::string FormatDuration(int64_t ms);
// The grace a monitor applies: its own, else a fifth of expect_every, at
// least 1 minute; 0 when expect_every is off.
int64_t EffectiveGraceMs(const MonitorSettings& settings);

// The events of a bounded query, oldest first: the first `limit` after
// query.after when given (the next page), else the newest `limit`.
Result<std::vector<StoredEvent>> EventPage(RedisClient& redis, const EventStore& store,
                                           const EventQuery& query);

// JSON objects (docs/cli.md, "--json").

// {id, org, type, name, app, token_hint, created_at, rotated_at,
//  last_used_at, expires_at, state, previous_token_valid_until}; app and
// absent times are null.
JsonPtr CredentialJson(const Credential& cred, int64_t now_ms);

// CredentialJson plus token and curl; for a rotation or rename (`grace_ms`
// given) also old_token_valid_until (null when the old token stopped now).
JsonPtr IssuedJson(const IssuedCredential& issued, const std::string& curl, int64_t now_ms,
                   std::optional<int64_t> grace_ms = std::nullopt);

// {id, type, credential, app, time} plus the event's own fields; the five
// base keys win over a field of the same name. A flip (incident_opened,
// incident_resolved): {id, type, credential, app, time, incident}, incident
// as IncidentJson.
JsonPtr EventJson(const StoredEvent& event);

// {app, hits, failures, failure_rate, deploys}; failure_rate is a fraction
// from 0 to 1, null when there were neither hits nor failures.
JsonPtr StatsJson(const AppStats& stats);

// {at, hits, failures, deploys}: one hour of an app's timeline, `at` the
// hour's start.
JsonPtr HourStatsJson(const HourStats& hour);

// {time, action, credential, actor, name, previous_name, grace_ms, expires_at,
//  app, changes}; app and changes (the settings set, with paused) only for
// action monitor, else null.
JsonPtr AuditJson(const AuditEntry& entry);

// {app, since, until, uptime, downtime_s, incidents, mttr_s, mtbf_s, hits,
//  failures, failure_rate, deploys, deploys_per_day, change_failure_rate,
//  recovery_time_s, lead_time_s}: times RFC 3339 (since null without
// events), durations in seconds (ms precision), null where ComputeInsights
// has no value.
JsonPtr InsightsJson(const Insights& insights);

// {org, credentials, events}
JsonPtr OrgJson(const OrgSummary& summary);

// {app, state, since, open_incident, last_event_at, last_deploy,
//  failures_to_open, hits_to_close, severity, expect_every, grace, paused};
// last_deploy is {id, version, at} or null; expect_every is a duration
// ("5m") or "off", grace a duration or null while expect_every is off.
JsonPtr AppJson(const AppMonitor& app);

// {id, org, app, cause, severity, opened_at, detected_at, resolved_at,
//  duration_s, failures, first_error, deploy}; resolved_at and duration_s
// are null while open, first_error null when the failure had none.
JsonPtr IncidentJson(const Incident& incident);

// deliveries: endpoint (an endpoint id, when given), limit (default 50, at
// most kMaxDeliveriesRead). The org is left empty, for the caller.
Result<DeliveryQuery> DeliveryQueryInput(const Inputs& in);

// {id, org, url, created_at, last_delivery}; last_delivery is {time,
// outcome, status} or null; status is the HTTP status (a number) or null.
// Never a secret.
JsonPtr NotifyEndpointJson(const NotifyEndpoint& endpoint);

// {id, org, url, created_at, secret}: an endpoint just added, the only time
// its secret is shown.
JsonPtr NewNotifyEndpointJson(const NewNotifyEndpoint& added);

// {time, endpoint, webhook_id, type, app, attempt, status, error,
//  duration_ms, outcome, next_retry}; status a number or null, error a
// string or null, next_retry a time or null.
JsonPtr DeliveryJson(const Delivery& delivery);

// A JSON array of f(item) for every item.
template <typename T, typename F>
JsonPtr JsonArrayOf(const std::vector<T>& items, F f) {
  JsonPtr array(json_array());
  for (const auto& item : items) json_array_append_new(array.get(), f(item).release());
  return array;
}

}  // namespace onep::admin

#endif  // ONEP_ADMIN_H_
