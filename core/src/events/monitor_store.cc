// SPDX-License-Identifier: Apache-2.0
#include "onep/monitor_store.h"

#include <algorithm>
#include <map>

#include "onep/credential.h"
#include "onep/json.h"
#include "onep/routing.h"
#include "scripts/monitor_scripts.h"

namespace onep {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMaxDurationMs = 30LL * 24 * 3600 * 1000;

std::optional<int64_t> IntField(const json_t* object, const char* name) {
  const json_t* value = json_object_get(object, name);
  if (!json_is_number(value)) return std::nullopt;
  return static_cast<int64_t>(json_number_value(value));
}

std::string StringField(const json_t* object, const char* name) {
  const json_t* value = json_object_get(object, name);
  return json_is_string(value) ? std::string(json_string_value(value)) : std::string();
}

std::optional<DeployRef> DeployField(const json_t* object, const char* name) {
  const json_t* value = json_object_get(object, name);
  if (!json_is_object(value)) return std::nullopt;
  return DeployRef{StringField(value, "id"), StringField(value, "version"),
                   IntField(value, "at").value_or(0)};
}

bool DurationInRange(int64_t ms) { return ms >= kSecondMs && ms <= kMaxDurationMs; }

}  // namespace

Result<AppMonitor> ParseApp(const std::string& app, const std::string& text) {
  JsonPtr json(json_loads(text.c_str(), 0, nullptr));
  if (!json_is_object(json.get())) return Status::Internal("corrupt app " + app);
  const json_t* o = json.get();
  AppMonitor m;
  m.app = app;
  MonitorSettings& s = m.settings;
  s.failures_to_open = static_cast<int>(IntField(o, "failures_to_open").value_or(1));
  s.hits_to_close = static_cast<int>(IntField(o, "hits_to_close").value_or(1));
  if (std::string severity = StringField(o, "severity"); !severity.empty()) s.severity = severity;
  s.expect_every_ms = IntField(o, "expect_every_ms").value_or(0);
  s.grace_ms = IntField(o, "grace_ms").value_or(0);
  s.paused = json_is_true(json_object_get(o, "paused"));
  s.paused_until = IntField(o, "paused_until");
  std::string state = StringField(o, "state");
  if (state.empty()) state = "new";
  m.since = IntField(o, "since");
  m.resting_state = state;
  m.resting_since = m.since;
  if (std::string open = StringField(o, "open_incident"); !open.empty()) {
    m.open_incident = open;
    state = "down";
  } else if (s.paused) {
    state = "paused";
    m.since = IntField(o, "paused_at");
  }
  m.state = state;
  m.first_event_at = IntField(o, "first_event_at");
  m.last_deploy = DeployField(o, "last_deploy");
  m.fail_streak = IntField(o, "fail_streak").value_or(0);
  m.hit_streak = IntField(o, "hit_streak").value_or(0);
  m.fail_streak_at = IntField(o, "fail_streak_at");
  m.hit_streak_at = IntField(o, "hit_streak_at");
  return m;
}

void ApplyClock(AppMonitor& app, int64_t now_ms) {
  MonitorSettings& s = app.settings;
  if (s.paused && s.paused_until && *s.paused_until <= now_ms) {
    s.paused = false;
    s.paused_until.reset();
    if (app.state == "paused") {
      app.state = app.resting_state;
      app.since = app.resting_since;
    }
  }
  if (s.expect_every_ms > 0 && app.state == "up" && app.last_event_at &&
      now_ms - *app.last_event_at > s.expect_every_ms) {
    app.state = "late";
    app.since = *app.last_event_at + s.expect_every_ms;
  }
}

namespace {

// When an app was last heard from: its field of the apps-seen hash, Unix ms
// followed by "+" while a hit has monitor state to update; none for an app
// with no event yet.
std::optional<int64_t> SeenAt(const Reply& seen) {
  if (seen.type != Reply::Type::kString) return std::nullopt;
  int64_t ms = 0;
  std::size_t digits = 0;
  for (char c : seen.str) {
    if (c < '0' || c > '9' || digits == 18) break;
    ms = ms * 10 + (c - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return ms;
}

}  // namespace

Result<Incident> ParseIncident(const std::string& id, const std::string& text) {
  JsonPtr json(json_loads(text.c_str(), 0, nullptr));
  if (!json_is_object(json.get())) return Status::Internal("corrupt incident " + id);
  const json_t* o = json.get();
  Incident i;
  i.id = id.empty() ? StringField(o, "id") : id;
  i.org = StringField(o, "org");
  i.app = StringField(o, "app");
  i.cause = StringField(o, "cause");
  i.severity = StringField(o, "severity");
  i.opened_at = IntField(o, "opened_at").value_or(0);
  i.detected_at = IntField(o, "detected_at").value_or(0);
  i.resolved_at = IntField(o, "resolved_at");
  if (const json_t* d = json_object_get(o, "duration_s"); json_is_number(d)) {
    i.duration_s = json_number_value(d);
  }
  i.failures = IntField(o, "failures").value_or(0);
  i.first_error = StringField(o, "first_error");
  i.deploy = DeployField(o, "deploy");
  return i;
}

Status ValidateMonitorChange(const MonitorChange& c) {
  if (c.failures_to_open && (*c.failures_to_open < 1 || *c.failures_to_open > 100)) {
    return Status::InvalidArgument("failures_to_open must be from 1 to 100");
  }
  if (c.hits_to_close && (*c.hits_to_close < 1 || *c.hits_to_close > 100)) {
    return Status::InvalidArgument("hits_to_close must be from 1 to 100");
  }
  if (c.severity) {
    static const char* const kSeverities[] = {"sev1", "sev2", "sev3", "sev4", "sev5", "none"};
    if (std::find(std::begin(kSeverities), std::end(kSeverities), *c.severity) ==
        std::end(kSeverities)) {
      return Status::InvalidArgument("severity must be sev1 to sev5 or none");
    }
  }
  if (c.expect_every_ms && *c.expect_every_ms != 0 && !DurationInRange(*c.expect_every_ms)) {
    return Status::InvalidArgument("expect_every must be off or from 1s to 30d");
  }
  if (c.grace_ms && !DurationInRange(*c.grace_ms)) {
    return Status::InvalidArgument("grace must be from 1s to 30d");
  }
  if (c.pause_for_ms && (!c.paused || !*c.paused || !DurationInRange(*c.pause_for_ms))) {
    return Status::InvalidArgument("a pause lasts from 1s to 30d");
  }
  return Status::Ok();
}

Result<std::string> MonitorStore::Tag(RedisClient& redis, const std::string& org) const {
  auto tag = OrgRoutingTag(redis, keys_, org);
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no organization " + org);
  return std::move(**tag);
}

Result<std::vector<AppMonitor>> MonitorStore::Apps(RedisClient& redis,
                                                   const std::string& org) const {
  auto tag = Tag(redis, org);
  if (!tag.ok()) return tag.status();
  const std::string key = keys_.Apps(*tag);
  auto reply = redis.Command(key, {"HGETALL", key});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("HGETALL " + key + ": " + reply->str);
  const std::string seen_key = keys_.AppsSeen(*tag);
  auto seen = redis.Command(seen_key, {"HGETALL", seen_key});
  if (!seen.ok()) return seen.status();
  if (seen->is_error()) return Status::Internal("HGETALL " + seen_key + ": " + seen->str);
  std::map<std::string, std::optional<int64_t>> seen_at;
  for (std::size_t i = 0; i + 1 < seen->elements.size(); i += 2) {
    seen_at[seen->elements[i].str] = SeenAt(seen->elements[i + 1]);
  }
  auto now = RedisNow(redis, key);
  if (!now.ok()) return now.status();
  std::vector<AppMonitor> out;
  for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
    auto app = ParseApp(reply->elements[i].str, reply->elements[i + 1].str);
    if (!app.ok()) return app.status();
    if (auto at = seen_at.find(app->app); at != seen_at.end()) app->last_event_at = at->second;
    ApplyClock(*app, *now);
    out.push_back(std::move(app).value());
  }
  std::sort(out.begin(), out.end(),
            [](const AppMonitor& a, const AppMonitor& b) { return a.app < b.app; });
  return out;
}

Result<AppMonitor> MonitorStore::App(RedisClient& redis, const std::string& org,
                                     const std::string& app) const {
  auto tag = Tag(redis, org);
  if (!tag.ok()) return tag.status();
  const std::string key = keys_.Apps(*tag);
  auto reply = redis.Command(key, {"HGET", key, app});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("HGET " + key + ": " + reply->str);
  if (reply->is_nil()) return Status::NotFound("no app " + app + " in organization " + org);
  auto monitor = ParseApp(app, reply->str);
  if (!monitor.ok()) return monitor;
  if (Status s = ReadSeenAt(redis, *tag, *monitor); !s.ok()) return s;
  return monitor;
}

Status MonitorStore::ReadSeenAt(RedisClient& redis, const std::string& tag, AppMonitor& app) const {
  const std::string key = keys_.AppsSeen(tag);
  auto reply = redis.Command(key, {"HGET", key, app.app});
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("HGET " + key + ": " + reply->str);
  app.last_event_at = SeenAt(*reply);
  auto now = RedisNow(redis, key);
  if (!now.ok()) return now.status();
  ApplyClock(app, *now);
  return Status::Ok();
}

Result<int64_t> MonitorStore::RedisNow(RedisClient& redis, const std::string& slot_key) const {
  auto reply = redis.Command(slot_key, {"TIME"});
  if (!reply.ok()) return reply.status();
  if (reply->is_error() || reply->elements.size() != 2) {
    return Status::Internal("TIME: unexpected reply");
  }
  return std::stoll(reply->elements[0].str) * 1000 + std::stoll(reply->elements[1].str) / 1000;
}

Result<std::vector<Incident>> MonitorStore::Incidents(RedisClient& redis,
                                                      const IncidentQuery& query) const {
  auto tag = Tag(redis, query.org);
  if (!tag.ok()) return tag.status();
  const std::string index = keys_.IncidentIndex(*tag);
  const std::string hash = keys_.Incidents(*tag);
  const std::string min = query.since_ms ? std::to_string(*query.since_ms) : "-inf";
  auto ids = redis.Command(index, {"ZREVRANGEBYSCORE", index, "+inf", min});
  if (!ids.ok()) return ids.status();
  if (ids->is_error()) return Status::Internal("ZREVRANGEBYSCORE " + index + ": " + ids->str);
  std::vector<Incident> out;
  constexpr std::size_t kPage = 500;
  for (std::size_t first = 0; first < ids->elements.size() && out.size() < query.limit;
       first += kPage) {
    std::vector<std::string> argv = {"HMGET", hash};
    const std::size_t end = std::min(ids->elements.size(), first + kPage);
    for (std::size_t i = first; i < end; ++i) argv.push_back(ids->elements[i].str);
    auto values = redis.Command(hash, argv);
    if (!values.ok()) return values.status();
    if (values->is_error()) return Status::Internal("HMGET " + hash + ": " + values->str);
    for (std::size_t i = 0; i < values->elements.size() && out.size() < query.limit; ++i) {
      if (values->elements[i].is_nil()) continue;  // dropped meanwhile
      auto incident = ParseIncident(ids->elements[first + i].str, values->elements[i].str);
      if (!incident.ok()) return incident.status();
      if (!query.app.empty() && incident->app != query.app) continue;
      if (query.open_only && incident->resolved_at) continue;
      out.push_back(std::move(incident).value());
    }
  }
  return out;
}

Result<AppMonitor> MonitorStore::SetMonitor(RedisClient& redis, const std::string& org,
                                            const std::string& app, const MonitorChange& change,
                                            const std::string& actor) const {
  if (Status s = ValidateMonitorChange(change); !s.ok()) return s;
  auto tag = Tag(redis, org);
  if (!tag.ok()) return tag.status();
  JsonPtr changes(json_object());
  if (change.failures_to_open) {
    json_object_set_new(changes.get(), "failures_to_open", json_integer(*change.failures_to_open));
  }
  if (change.hits_to_close) {
    json_object_set_new(changes.get(), "hits_to_close", json_integer(*change.hits_to_close));
  }
  if (change.severity) {
    json_object_set_new(changes.get(), "severity", json_string(change.severity->c_str()));
  }
  if (change.expect_every_ms) {
    json_object_set_new(changes.get(), "expect_every_ms", json_integer(*change.expect_every_ms));
  }
  if (change.grace_ms) {
    json_object_set_new(changes.get(), "grace_ms", json_integer(*change.grace_ms));
  }
  auto call = scripts::SetMonitorScript().Bind(
      {{"apps_key", keys_.Apps(*tag)},
       {"audit_key", keys_.Audit(*tag)},
       {"sweep_key", keys_.Sweep(*tag)}},
      {{"app", app},
       {"changes", JsonDump(changes.get())},
       {"pause", change.paused ? (*change.paused ? "1" : "0") : ""},
       {"pause_for", change.paused && *change.paused && change.pause_for_ms
                         ? std::to_string(*change.pause_for_ms)
                         : ""},
       {"actor", actor},
       {"audit_max_len", std::to_string(kAuditMaxLen)}});
  if (!call.ok()) return call.status();
  auto reply = redis.Eval(KeySpace::SlotKey(*tag), *call);
  if (!reply.ok()) return reply.status();
  if (reply->is_error()) return Status::Internal("monitor script: " + reply->str);
  if (reply->elements.empty()) return Status::Internal("unexpected reply from the monitor script");
  if (reply->elements[0].str == "not_found") {
    return Status::NotFound("no app " + app + " in organization " + org);
  }
  if (reply->elements.size() != 4) {
    return Status::Internal("unexpected reply from the monitor script");
  }
  if (reply->elements[2].str == "1") {
    // The sweep looks at the org at once, then works out its next look. The
    // score is the change's own (negative: due), so that a sweep finishing
    // the org's turn meanwhile sees it and keeps it (SweepNextScript).
    const std::string index = keys_.SweepOrgs();
    auto added = redis.Command(index, {"ZADD", index, "-" + reply->elements[3].str, *tag});
    if (!added.ok()) return added.status();
    if (added->is_error()) return Status::Internal("ZADD " + index + ": " + added->str);
  }
  auto monitor = ParseApp(app, reply->elements[1].str);
  if (!monitor.ok()) return monitor;
  if (Status s = ReadSeenAt(redis, *tag, *monitor); !s.ok()) return s;
  return monitor;
}

}  // namespace onep
