// SPDX-License-Identifier: Apache-2.0
#include "onep/admin.h"

#include <algorithm>

#include "onep/credential_service.h"
#include "onep/event.h"
#include "onep/parse.h"
#include "onep/stream_id.h"
#include "onep/text.h"
#include "onep/token.h"

namespace onep::admin {
namespace {

constexpr int64_t kMinMonitorDurationMs = 60LL * 1000;
constexpr int64_t kMaxMonitorDurationMs = 30LL * 24 * 3600 * 1000;

JsonPtr JsonString(const std::string& value) { return JsonStringOrNull(value, true); }

JsonPtr JsonTime(std::optional<int64_t> unix_ms) {
  return JsonStringOrNull(unix_ms ? FormatRfc3339Ms(*unix_ms) : "", unix_ms.has_value());
}

void Set(json_t* object, const char* key, JsonPtr value) {
  json_object_set_new(object, key, value.release());
}

// "limit": a count from 1 to kMaxLimit, or `absent` when not given.
Result<std::size_t> LimitInput(const Inputs& in, std::size_t absent) {
  const std::string* text = in.Get("limit");
  if (text == nullptr) return absent;
  auto limit = ParseUint(*text, kMaxLimit);
  if (!limit.ok() || *limit == 0) {
    return in.Invalid("limit", *text, "it must be a whole number from 1 to 10000");
  }
  return static_cast<std::size_t>(*limit);
}

// A time ("since", "until"): RFC 3339 or a duration ago.
Result<std::optional<int64_t>> TimeInput(const Inputs& in, std::string_view name, int64_t now_ms) {
  const std::string* text = in.Get(name);
  if (text == nullptr) return std::optional<int64_t>();
  auto ms = ParseTimeOrAgoMs(*text, now_ms);
  if (!ms.ok()) return in.Invalid(name, *text, ms.status().message());
  return std::optional<int64_t>(*ms);
}

// A stream id ("after", "before").
Result<std::optional<StreamId>> IdInput(const Inputs& in, std::string_view name) {
  const std::string* text = in.Get(name);
  if (text == nullptr) return std::optional<StreamId>();
  auto id = ParseStreamId(*text);
  if (!id.ok()) return in.Invalid(name, *text, id.status().message());
  return std::optional<StreamId>(*id);
}

// "credential" as a filter: a well-formed id, or "".
Result<std::string> CredentialFilter(const Inputs& in) {
  const std::string* id = in.Get("credential");
  if (id == nullptr) return std::string();
  if (ClassifyCredentialId(*id) == CredentialIdForm::kMalformed) {
    return in.Invalid("credential", *id, "a credential id is wh_ and 20 letters and digits");
  }
  return *id;
}

Result<int64_t> DurationInput(const Inputs& in, std::string_view name) {
  const std::string& text = *in.Get(name);
  auto ms = ParseDurationMs(text);
  if (!ms.ok()) return in.Invalid(name, text, ms.status().message());
  return *ms;
}

}  // namespace

std::string Inputs::Label(std::string_view name) const {
  std::string label = std::string(prefix) + std::string(name);
  if (underscores) std::replace(label.begin() + prefix.size(), label.end(), '-', '_');
  return label;
}

Status Inputs::Invalid(std::string_view name, std::string_view text, std::string_view why) const {
  return Status::InvalidArgument("invalid " + Label(name) + " " + QuoteForMessage(text) + ": " +
                                 std::string(why));
}

Status InvalidOrg(std::string_view org) { return InvalidSlug("organization", org); }

Status InvalidCredentialId(std::string_view id) {
  return Status::InvalidArgument("invalid ID " + QuoteForMessage(id) +
                                 ": a credential id is wh_ and 20 letters and digits (16 for an "
                                 "id from onep 0.1)");
}

Result<std::string> OrgInput(const Inputs& in) {
  const std::string* org = in.Get("org");
  if (org == nullptr) return Status::InvalidArgument("missing " + in.Label("org") + " ORG");
  if (!IsValidSlug(*org)) return InvalidOrg(*org);
  return *org;
}

Result<std::string> AppFilter(const Inputs& in) {
  const std::string* app = in.Get("app");
  if (app == nullptr) return std::string();
  if (!IsValidSlug(*app)) return InvalidSlug(in.Label("app"), *app);
  return *app;
}

Result<CreateRequest> CreateInput(const Inputs& in) {
  CreateRequest request;
  auto org = OrgInput(in);
  if (!org.ok()) return org.status();
  request.org = *org;
  for (std::string_view name : {"type", "name"}) {
    if (!in.Has(name)) return Status::InvalidArgument("missing " + in.Label(name));
  }
  request.type = *in.Get("type");
  request.name = *in.Get("name");
  if (const std::string* app = in.Get("app")) request.app = *app;
  // The service's own rules, with this caller's names for the inputs.
  if (Status s = CheckCreateRequest(request, in.prefix); !s.ok()) return s;
  if (in.Has("expires")) {
    auto ms = DurationInput(in, "expires");
    if (!ms.ok()) return ms.status();
    request.expires_in_ms = *ms;
  }
  return request;
}

Result<int64_t> GraceInput(const Inputs& in) {
  const std::string* text = in.Get("grace");
  if (text == nullptr) return int64_t{0};
  auto ms = ParseDurationMs(*text, /*allow_zero=*/true);
  if (!ms.ok()) return in.Invalid("grace", *text, ms.status().message());
  // The service's rule, with this caller's name for the input.
  if (Status s = CheckGrace(*ms, in.Label("grace") + " " + QuoteForMessage(*text)); !s.ok()) {
    return s;
  }
  return *ms;
}

Result<std::optional<int64_t>> ExpiryInput(const Inputs& in) {
  if (in.Has("no-expiry")) {
    if (in.Has("expires")) {
      return Status::InvalidArgument("give " + in.Label("expires") + " or " +
                                     in.Label("no-expiry") + ", not both");
    }
    return std::optional<int64_t>(0);
  }
  if (!in.Has("expires")) return std::optional<int64_t>();
  auto ms = DurationInput(in, "expires");
  if (!ms.ok()) return ms.status();
  return std::optional<int64_t>(*ms);
}

Status CheckBaseUrl(std::string_view label, const std::string& url) {
  auto refuse = [&](std::string_view why) {
    return Status::InvalidArgument(std::string(label) + " " + QuoteForMessage(url) + " " +
                                   std::string(why));
  };
  // Printable ASCII: no control character, space or invisible character can
  // reach the curl command; other characters are written percent-encoded.
  for (const char c : url) {
    if (c <= ' ' || c >= 0x7F) {
      return refuse("must be printable ASCII, without spaces (percent-encode other characters)");
    }
  }
  const std::size_t scheme_end = url.find("://");
  std::string scheme = url.substr(0, scheme_end);
  for (char& c : scheme) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https")) {
    return refuse("is not an http:// or https:// URL");
  }
  if (url.find('#') != std::string::npos) return refuse("must not have a fragment (#)");
  if (url.find('?') != std::string::npos) return refuse("must not have a query (?)");
  const std::string_view rest = std::string_view(url).substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.find('@') != std::string_view::npos) {
    return refuse("must not carry a user name or password (@)");
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host[0] == '[') {  // an IPv6 literal
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return refuse("has a malformed IPv6 host");
    for (const char c : host.substr(1, close - 1)) {
      if (HexDigitValue(c) < 0 && c != ':' && c != '.') return refuse("has a malformed IPv6 host");
    }
    const std::string_view after = host.substr(close + 1);
    if (!after.empty() && after[0] != ':') return refuse("has a malformed IPv6 host");
    if (!after.empty()) port = after.substr(1), host = host.substr(0, close + 1);
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos)
      port = host.substr(colon + 1), host = host.substr(0, colon);
    if (host.empty()) return refuse("has no host");
    for (const char c : host) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.';
      if (!ok) return refuse("has a host that is not a DNS name or IP address");
    }
  }
  if (host.size() != authority.size()) {
    auto number = ParseUint(port, 65535);
    if (port.empty() || port.size() > 5 || !number.ok() || *number == 0) {
      return refuse("has a port that is not a number from 1 to 65535");
    }
  }
  return Status::Ok();
}

Result<std::string> BaseUrlInput(const Inputs& in, const std::string& fallback) {
  const std::string* url = in.Get("url");
  if (url == nullptr) return fallback;
  if (Status s = CheckBaseUrl(in.Label("url"), *url); !s.ok()) return s;
  return *url;
}

Result<std::vector<Credential>> FilterCredentials(const Inputs& in, std::vector<Credential> creds) {
  auto app = AppFilter(in);
  if (!app.ok()) return app.status();
  std::optional<CredentialType> type;
  if (const std::string* text = in.Get("type")) {
    type = ParseCredentialType(*text);
    if (!type) return in.Invalid("type", *text, "use hits or deploy");
  }
  std::vector<Credential> out;
  for (auto& cred : creds) {
    if (!app->empty() && cred.app != *app) continue;
    if (type && cred.type != *type) continue;
    out.push_back(std::move(cred));
  }
  return out;
}

Result<EventQuery> EventQueryInput(const Inputs& in, int64_t now_ms, bool unlimited) {
  EventQuery q;
  auto app = AppFilter(in);
  if (!app.ok()) return app.status();
  q.app = *app;
  if (const std::string* text = in.Get("type")) {
    if (!ParseEventType(*text) && !IsFlipType(*text)) {
      return in.Invalid("type", *text,
                        "use hit, failure, deploy, incident_opened or incident_resolved");
    }
    q.type = *text;
  }
  auto credential = CredentialFilter(in);
  if (!credential.ok()) return credential.status();
  q.credential = *credential;
  auto since = TimeInput(in, "since", now_ms);
  if (!since.ok()) return since.status();
  q.since_ms = *since;
  auto until = TimeInput(in, "until", now_ms);
  if (!until.ok()) return until.status();
  q.until_ms = *until;
  auto after = IdInput(in, "after");
  if (!after.ok()) return after.status();
  q.after = *after;
  auto before = IdInput(in, "before");
  if (!before.ok()) return before.status();
  q.before = *before;
  auto limit = LimitInput(in, unlimited ? kNoEventLimit : kDefaultLimit);
  if (!limit.ok()) return limit.status();
  q.limit = *limit;
  return q;
}

Result<int64_t> StatsWindowInput(const Inputs& in) {
  const std::string* text = in.Get("since");
  if (text == nullptr) return kDefaultStatsWindowMs;
  auto ms = DurationInput(in, "since");
  if (!ms.ok()) return ms.status();
  if (*ms > kMaxStatsWindowMs) {
    return Status::InvalidArgument(in.Label("since") + " " + QuoteForMessage(*text) +
                                   " is longer than 30d, the longest window stats keep");
  }
  return *ms;
}

Result<AuditQuery> AuditQueryInput(const Inputs& in, int64_t now_ms) {
  AuditQuery query;
  auto limit = LimitInput(in, kDefaultLimit);
  if (!limit.ok()) return limit.status();
  query.limit = *limit;
  auto since = TimeInput(in, "since", now_ms);
  if (!since.ok()) return since.status();
  query.since_ms = *since;
  auto until = TimeInput(in, "until", now_ms);
  if (!until.ok()) return until.status();
  query.until_ms = *until;
  auto credential = CredentialFilter(in);
  if (!credential.ok()) return credential.status();
  query.credential = *credential;
  return query;
}

Result<MonitorChange> MonitorChangeInput(const Inputs& in) {
  MonitorChange change;
  auto count = [&in](std::string_view name) -> Result<std::optional<int>> {
    const std::string* text = in.Get(name);
    if (text == nullptr) return std::optional<int>();
    auto n = ParseUint(*text, 100);
    if (!n.ok() || *n == 0)
      return in.Invalid(name, *text, "it must be a whole number from 1 to 100");
    return std::optional<int>(static_cast<int>(*n));
  };
  auto monitor_duration = [&in](std::string_view name) -> Result<int64_t> {
    const std::string& text = *in.Get(name);
    auto ms = ParseDurationMs(text);
    if (!ms.ok()) return in.Invalid(name, text, ms.status().message());
    if (*ms < kMinMonitorDurationMs || *ms > kMaxMonitorDurationMs) {
      return in.Invalid(name, text, "it must be from 1m to 30d");
    }
    return *ms;
  };
  auto failures = count("failures-to-open");
  if (!failures.ok()) return failures.status();
  change.failures_to_open = *failures;
  auto hits = count("hits-to-close");
  if (!hits.ok()) return hits.status();
  change.hits_to_close = *hits;
  if (const std::string* text = in.Get("severity")) {
    static const char* const kSeverities[] = {"sev1", "sev2", "sev3", "sev4", "sev5", "none"};
    if (std::find(std::begin(kSeverities), std::end(kSeverities), *text) == std::end(kSeverities)) {
      return in.Invalid("severity", *text, "use sev1, sev2, sev3, sev4, sev5 or none");
    }
    change.severity = *text;
  }
  if (const std::string* text = in.Get("expect-every")) {
    if (*text == "off") {
      change.expect_every_ms = 0;
    } else {
      auto ms = monitor_duration("expect-every");
      if (!ms.ok()) return ms.status();
      change.expect_every_ms = *ms;
    }
  }
  if (in.Has("grace")) {
    auto ms = monitor_duration("grace");
    if (!ms.ok()) return ms.status();
    change.grace_ms = *ms;
  }
  if (in.Has("pause") && in.Has("resume")) {
    return Status::InvalidArgument(in.Label("pause") + " and " + in.Label("resume") +
                                   " cannot be used together");
  }
  if (in.Has("pause")) change.paused = true;
  if (in.Has("resume")) change.paused = false;
  return change;
}

void SortAppsDownFirst(std::vector<AppMonitor>* apps) {
  auto rank = [](const std::string& state) {
    return state == "down" ? 0 : state == "late" ? 1 : 2;
  };
  std::stable_sort(apps->begin(), apps->end(), [&rank](const AppMonitor& a, const AppMonitor& b) {
    return rank(a.state) < rank(b.state);
  });
}

Result<IncidentQuery> IncidentQueryInput(const Inputs& in, int64_t now_ms) {
  IncidentQuery query;
  auto app = AppFilter(in);
  if (!app.ok()) return app.status();
  query.app = *app;
  query.open_only = in.Has("open");
  auto since = TimeInput(in, "since", now_ms);
  if (!since.ok()) return since.status();
  query.since_ms = *since;
  auto limit = LimitInput(in, kDefaultLimit);
  if (!limit.ok()) return limit.status();
  query.limit = *limit;
  return query;
}

Result<InsightsQuery> InsightsQueryInput(const Inputs& in, int64_t now_ms) {
  InsightsQuery query;
  auto app = AppFilter(in);
  if (!app.ok()) return app.status();
  query.app = *app;
  if (const std::string* text = in.Get("since")) {
    auto since = ParseTimeOrAgoMs(*text, now_ms);
    if (!since.ok()) return in.Invalid("since", *text, since.status().message());
    if (*since < now_ms - kMaxInsightsWindowMs) {
      return in.Invalid("since", *text, "it must be within the last 30d, the retention");
    }
    if (*since >= now_ms) return in.Invalid("since", *text, "it must be before now");
    query.since_ms = *since;
  }
  // onepctl spells it --change-window, the API change_window.
  const std::string_view change_window = in.prefix == "--" ? "change-window" : "change_window";
  if (const std::string* text = in.Get(change_window)) {
    auto ms = ParseDurationMs(*text);
    if (!ms.ok()) return in.Invalid(change_window, *text, ms.status().message());
    if (*ms > kMaxChangeWindowMs) return in.Invalid(change_window, *text, "it must be at most 7d");
    query.change_window_ms = *ms;
  }
  return query;
}

std::string FormatDuration(int64_t ms) {
  static const struct {
    int64_t ms;
    const char* unit;
  } kUnits[] = {{24LL * 3600 * 1000, "d"}, {3600LL * 1000, "h"}, {60LL * 1000, "m"}, {1000, "s"}};
  for (const auto& u : kUnits) {
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.unit;
  }
  return std::to_string(ms) + "ms";
}

int64_t EffectiveGraceMs(const MonitorSettings& settings) {
  if (settings.expect_every_ms == 0) return 0;
  if (settings.grace_ms > 0) return settings.grace_ms;
  return std::max(settings.expect_every_ms / 5, kMinMonitorDurationMs);
}

Result<std::vector<StoredEvent>> EventPage(RedisClient& redis, const EventStore& store,
                                           const EventQuery& query) {
  if (!query.after) return store.List(redis, query);
  std::vector<StoredEvent> out;
  Status s = store.Scan(redis, query, [&out](const std::vector<StoredEvent>& page) {
    out.insert(out.end(), page.begin(), page.end());
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

JsonPtr CredentialJson(const Credential& cred, int64_t now_ms) {
  JsonPtr object(json_object());
  Set(object.get(), "id", JsonString(cred.id));
  Set(object.get(), "org", JsonString(cred.org));
  Set(object.get(), "type", JsonString(CredentialTypeName(cred.type)));
  Set(object.get(), "name", JsonString(cred.name));
  Set(object.get(), "app", JsonStringOrNull(cred.app, !cred.app.empty()));
  Set(object.get(), "token_hint", JsonString(cred.token_hint));
  Set(object.get(), "created_at", JsonTime(cred.created_at_ms));
  Set(object.get(), "rotated_at", JsonTime(cred.rotated_at_ms));
  Set(object.get(), "last_used_at", JsonTime(cred.last_used_at_ms));
  Set(object.get(), "expires_at", JsonTime(cred.expires_at_ms));
  Set(object.get(), "state", JsonString(cred.State(now_ms)));
  // After the contract's keys: new in 0.2 (docs/CHANGELOG.md).
  Set(object.get(), "previous_token_valid_until", JsonTime(cred.previous_token_valid_until_ms));
  return object;
}

JsonPtr IssuedJson(const IssuedCredential& issued, const std::string& curl, int64_t now_ms,
                   std::optional<int64_t> grace_ms) {
  JsonPtr object = CredentialJson(issued.credential, now_ms);
  Set(object.get(), "token", JsonString(issued.token));
  Set(object.get(), "curl", JsonString(curl));
  if (grace_ms) {
    std::optional<int64_t> until;
    if (*grace_ms > 0) until = issued.credential.previous_token_valid_until_ms;
    Set(object.get(), "old_token_valid_until", JsonTime(until));
  }
  return object;
}

JsonPtr EventJson(const StoredEvent& event) {
  JsonPtr object(json_object());
  Set(object.get(), "id", JsonString(event.id));
  Set(object.get(), "type", JsonString(event.type));
  Set(object.get(), "credential", JsonString(event.credential));
  Set(object.get(), "app", JsonStringOrNull(event.app, !event.app.empty()));
  Set(object.get(), "time", JsonTime(event.time_ms));
  if (IsFlipType(event.type)) {
    // A flip's fields are the incident as stored: shown as `incidents` shows it.
    JsonPtr fields(json_loadb(event.fields_json.data(), event.fields_json.size(), 0, nullptr));
    const json_t* id = json_object_get(fields.get(), "id");
    auto incident =
        ParseIncident(json_is_string(id) ? json_string_value(id) : "", event.fields_json);
    if (incident.ok()) Set(object.get(), "incident", IncidentJson(*incident));
    return object;
  }
  JsonPtr fields(json_loadb(event.fields_json.data(), event.fields_json.size(), 0, nullptr));
  if (json_is_object(fields.get())) json_object_update_missing(object.get(), fields.get());
  return object;
}

JsonPtr StatsJson(const AppStats& stats) {
  JsonPtr object(json_object());
  Set(object.get(), "app", JsonString(stats.app));
  Set(object.get(), "hits", JsonPtr(json_integer(stats.hits)));
  Set(object.get(), "failures", JsonPtr(json_integer(stats.failures)));
  Set(object.get(), "failure_rate",
      JsonPtr(stats.failure_rate ? json_real(*stats.failure_rate) : json_null()));
  Set(object.get(), "deploys", JsonPtr(json_integer(stats.deploys)));
  return object;
}

JsonPtr HourStatsJson(const HourStats& hour) {
  JsonPtr object(json_object());
  Set(object.get(), "at", JsonTime(hour.hour_ms));
  Set(object.get(), "hits", JsonPtr(json_integer(hour.hits)));
  Set(object.get(), "failures", JsonPtr(json_integer(hour.failures)));
  Set(object.get(), "deploys", JsonPtr(json_integer(hour.deploys)));
  return object;
}

JsonPtr AuditJson(const AuditEntry& entry) {
  JsonPtr object(json_object());
  Set(object.get(), "time", JsonTime(entry.time_ms));
  Set(object.get(), "action", JsonString(entry.action));
  Set(object.get(), "credential", JsonString(entry.credential));
  Set(object.get(), "actor", JsonString(entry.actor));
  // What changed (null where the entry does not say, as entries of 0.1).
  Set(object.get(), "name", JsonStringOrNull(entry.name, !entry.name.empty()));
  Set(object.get(), "previous_name",
      JsonStringOrNull(entry.previous_name, !entry.previous_name.empty()));
  Set(object.get(), "grace_ms",
      entry.grace_ms ? JsonPtr(json_integer(*entry.grace_ms)) : JsonPtr(json_null()));
  Set(object.get(), "expires_at", JsonTime(entry.expires_at_ms));
  // After the keys above: a monitor change (null for a credential's).
  Set(object.get(), "app", JsonStringOrNull(entry.app, !entry.app.empty()));
  JsonPtr changes(json_loads(entry.changes.c_str(), 0, nullptr));
  if (entry.pause == "1" || entry.pause == "0") {
    if (!json_is_object(changes.get())) changes.reset(json_object());
    json_object_set_new(changes.get(), "paused", json_boolean(entry.pause == "1"));
  }
  Set(object.get(), "changes",
      json_is_object(changes.get()) ? std::move(changes) : JsonPtr(json_null()));
  return object;
}

namespace {

JsonPtr DeployJson(const std::optional<DeployRef>& deploy) {
  if (!deploy) return JsonPtr(json_null());
  JsonPtr object(json_object());
  Set(object.get(), "id", JsonStringOrNull(deploy->id, !deploy->id.empty()));
  Set(object.get(), "version", JsonStringOrNull(deploy->version, !deploy->version.empty()));
  Set(object.get(), "at", JsonTime(deploy->at));
  return object;
}

}  // namespace

JsonPtr AppJson(const AppMonitor& app) {
  const MonitorSettings& s = app.settings;
  JsonPtr object(json_object());
  Set(object.get(), "app", JsonString(app.app));
  Set(object.get(), "state", JsonString(app.state));
  Set(object.get(), "since", JsonTime(app.since));
  Set(object.get(), "open_incident",
      JsonStringOrNull(app.open_incident.value_or(""), app.open_incident.has_value()));
  Set(object.get(), "last_event_at", JsonTime(app.last_event_at));
  Set(object.get(), "last_deploy", DeployJson(app.last_deploy));
  Set(object.get(), "failures_to_open", JsonPtr(json_integer(s.failures_to_open)));
  Set(object.get(), "hits_to_close", JsonPtr(json_integer(s.hits_to_close)));
  Set(object.get(), "severity", JsonString(s.severity));
  Set(object.get(), "expect_every",
      JsonString(s.expect_every_ms == 0 ? "off" : FormatDuration(s.expect_every_ms)));
  const int64_t grace = EffectiveGraceMs(s);
  Set(object.get(), "grace", JsonStringOrNull(FormatDuration(grace), grace > 0));
  Set(object.get(), "paused", JsonPtr(json_boolean(s.paused)));
  return object;
}

JsonPtr IncidentJson(const Incident& incident) {
  JsonPtr object(json_object());
  Set(object.get(), "id", JsonString(incident.id));
  Set(object.get(), "org", JsonString(incident.org));
  Set(object.get(), "app", JsonString(incident.app));
  Set(object.get(), "cause", JsonString(incident.cause));
  Set(object.get(), "severity", JsonString(incident.severity));
  Set(object.get(), "opened_at", JsonTime(incident.opened_at));
  Set(object.get(), "detected_at", JsonTime(incident.detected_at));
  Set(object.get(), "resolved_at", JsonTime(incident.resolved_at));
  Set(object.get(), "duration_s",
      incident.duration_s ? JsonPtr(json_real(*incident.duration_s)) : JsonPtr(json_null()));
  Set(object.get(), "failures", JsonPtr(json_integer(incident.failures)));
  Set(object.get(), "first_error",
      JsonStringOrNull(incident.first_error, !incident.first_error.empty()));
  Set(object.get(), "deploy", DeployJson(incident.deploy));
  return object;
}

namespace {

// Seconds from ms (which are whole: the figures are rounded to the ms).
JsonPtr SecondsOrNull(std::optional<int64_t> ms) {
  return JsonPtr(ms ? json_real(static_cast<double>(*ms) / 1000.0) : json_null());
}

JsonPtr RealOrNull(std::optional<double> value) {
  return JsonPtr(value ? json_real(*value) : json_null());
}

}  // namespace

JsonPtr InsightsJson(const Insights& insights) {
  JsonPtr object(json_object());
  Set(object.get(), "app", JsonString(insights.app));
  Set(object.get(), "since", JsonTime(insights.since_ms));
  Set(object.get(), "until", JsonTime(insights.until_ms));
  Set(object.get(), "uptime", RealOrNull(insights.uptime));
  Set(object.get(), "downtime_s", SecondsOrNull(insights.downtime_ms));
  Set(object.get(), "incidents", JsonPtr(json_integer(insights.incidents)));
  Set(object.get(), "mttr_s", SecondsOrNull(insights.mttr_ms));
  Set(object.get(), "mtbf_s", SecondsOrNull(insights.mtbf_ms));
  Set(object.get(), "hits", JsonPtr(json_integer(insights.hits)));
  Set(object.get(), "failures", JsonPtr(json_integer(insights.failures)));
  Set(object.get(), "failure_rate", RealOrNull(insights.failure_rate));
  Set(object.get(), "deploys", JsonPtr(json_integer(insights.deploys)));
  Set(object.get(), "deploys_per_day", JsonPtr(json_real(insights.deploys_per_day)));
  Set(object.get(), "change_failure_rate", RealOrNull(insights.change_failure_rate));
  Set(object.get(), "recovery_time_s", SecondsOrNull(insights.recovery_time_ms));
  Set(object.get(), "lead_time_s", SecondsOrNull(insights.lead_time_ms));
  return object;
}

JsonPtr OrgJson(const OrgSummary& summary) {
  JsonPtr object(json_object());
  Set(object.get(), "org", JsonString(summary.org));
  Set(object.get(), "credentials", JsonPtr(json_integer(summary.credentials)));
  Set(object.get(), "events", JsonPtr(json_integer(summary.events)));
  return object;
}

Result<DeliveryQuery> DeliveryQueryInput(const Inputs& in) {
  DeliveryQuery query;
  if (const std::string* endpoint = in.Get("endpoint"); endpoint != nullptr) {
    if (NotifyEndpointRoutingTag(*endpoint).empty()) {
      return in.Invalid("endpoint", *endpoint, "it is not a notification endpoint id (ne_...)");
    }
    query.endpoint = *endpoint;
  }
  if (const std::string* text = in.Get("limit"); text != nullptr) {
    auto limit = ParseUint(*text, kMaxDeliveriesRead);
    if (!limit.ok() || *limit == 0) {
      return in.Invalid("limit", *text, "it must be a whole number from 1 to 1000");
    }
    query.limit = static_cast<std::size_t>(*limit);
  }
  return query;
}

namespace {

// An HTTP status as a number; null when there is none.
JsonPtr HttpStatusOrNull(const std::string& status) {
  auto value = ParseUint(status, 999);
  return JsonPtr(value.ok() ? json_integer(static_cast<json_int_t>(*value)) : json_null());
}

}  // namespace

JsonPtr NotifyEndpointJson(const NotifyEndpoint& endpoint) {
  JsonPtr object(json_object());
  Set(object.get(), "id", JsonString(endpoint.id));
  Set(object.get(), "org", JsonString(endpoint.org));
  Set(object.get(), "url", JsonString(endpoint.url));
  Set(object.get(), "created_at", JsonTime(endpoint.created_at));
  if (endpoint.last_delivery) {
    JsonPtr last(json_object());
    Set(last.get(), "time", JsonTime(endpoint.last_delivery->time));
    Set(last.get(), "outcome", JsonString(endpoint.last_delivery->outcome));
    Set(last.get(), "status", HttpStatusOrNull(endpoint.last_delivery->status));
    Set(object.get(), "last_delivery", std::move(last));
  } else {
    Set(object.get(), "last_delivery", JsonPtr(json_null()));
  }
  return object;
}

JsonPtr NewNotifyEndpointJson(const NewNotifyEndpoint& added) {
  JsonPtr object(json_object());
  Set(object.get(), "id", JsonString(added.endpoint.id));
  Set(object.get(), "org", JsonString(added.endpoint.org));
  Set(object.get(), "url", JsonString(added.endpoint.url));
  Set(object.get(), "created_at", JsonTime(added.endpoint.created_at));
  Set(object.get(), "secret", JsonString(added.secret));
  return object;
}

JsonPtr DeliveryJson(const Delivery& d) {
  JsonPtr object(json_object());
  Set(object.get(), "time", JsonTime(d.time));
  Set(object.get(), "endpoint", JsonString(d.endpoint));
  Set(object.get(), "webhook_id", JsonString(d.webhook_id));
  Set(object.get(), "type", JsonString(d.type));
  Set(object.get(), "app", JsonString(d.app));
  Set(object.get(), "attempt", JsonPtr(json_integer(d.attempt)));
  Set(object.get(), "status", HttpStatusOrNull(d.status));
  Set(object.get(), "error", JsonStringOrNull(d.error, !d.error.empty()));
  Set(object.get(), "duration_ms", JsonPtr(json_integer(d.duration_ms)));
  Set(object.get(), "outcome", JsonString(d.outcome));
  Set(object.get(), "next_retry", JsonTime(d.next_retry));
  return object;
}

}  // namespace onep::admin
