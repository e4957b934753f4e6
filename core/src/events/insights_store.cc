// SPDX-License-Identifier: Apache-2.0
// Reading the inputs of insights (onep/insights.h) from Redis: the apps, the
// incidents of the window through their indexes, the window's hourly
// buckets and the deploy index's range; nothing of the event stream.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "onep/event_store.h"
#include "onep/insights.h"
#include "onep/json.h"
#include "onep/parse.h"
#include "onep/routing.h"

namespace onep {
namespace {

constexpr int64_t kHourMs = 3600LL * 1000;
constexpr std::size_t kIncidentPage = 500;

Status ErrorOf(const Reply& reply, const std::string& what) {
  return Status::Internal(what + ": " + reply.str);
}

std::string Ms(int64_t ms) { return std::to_string(ms); }

struct Counts {
  int64_t hits = 0;
  int64_t failures = 0;
};

}  // namespace

Result<DeployReport> ParseDeployReport(const std::string& member, int64_t at) {
  JsonPtr json(json_loads(member.c_str(), 0, nullptr));
  if (!json_is_object(json.get())) return Status::Internal("corrupt deploy index entry");
  auto text = [&](const char* name) {
    const json_t* value = json_object_get(json.get(), name);
    return json_is_string(value) ? std::string(json_string_value(value)) : std::string();
  };
  DeployReport r;
  r.event_id = text("e");
  r.app = text("app");
  r.deploy_id = text("d");
  r.status = text("s");
  r.version = text("v");
  r.at = at;
  if (std::string committed = text("c"); !committed.empty()) {
    auto ms = ParseRfc3339Ms(committed);
    if (ms.ok()) r.committed_at = *ms;
  }
  return r;
}

Result<std::vector<Insights>> InsightsStore::Read(RedisClient& redis, const InsightsQuery& query,
                                                  InsightsCost* cost) const {
  InsightsCost unused;
  InsightsCost& c = cost != nullptr ? *cost : unused;
  const uint64_t commands_before = redis.commands_sent();
  auto tag = OrgRoutingTag(redis, keys_, query.org);
  ++c.round_trips;
  if (!tag.ok()) return tag.status();
  if (!tag->has_value()) return Status::NotFound("no organization " + query.org);
  const std::string slot = KeySpace::SlotKey(**tag);
  const std::string apps_key = keys_.Apps(**tag);

  // Redis' clock (the one incidents and deploys were recorded by) and the apps.
  std::vector<std::string> apps_read = {"HGETALL", apps_key};
  if (!query.app.empty()) apps_read = {"HGET", apps_key, query.app};
  auto first = redis.Pipeline(slot, {{"TIME"}, apps_read});
  ++c.round_trips;
  if (!first.ok()) return first.status();
  const Reply& time = (*first)[0];
  if (time.is_error() || time.elements.size() != 2) return ErrorOf(time, "TIME");
  const int64_t now = std::strtoll(time.elements[0].str.c_str(), nullptr, 10) * 1000 +
                      std::strtoll(time.elements[1].str.c_str(), nullptr, 10) / 1000;
  const Reply& apps_reply = (*first)[1];
  if (apps_reply.is_error()) return ErrorOf(apps_reply, "reading " + apps_key);
  std::vector<AppMonitor> apps;
  if (!query.app.empty()) {
    if (apps_reply.is_nil()) {
      return Status::NotFound("no app " + query.app + " in organization " + query.org);
    }
    auto app = ParseApp(query.app, apps_reply.str);
    if (!app.ok()) return app.status();
    apps.push_back(std::move(app).value());
  } else {
    for (std::size_t i = 0; i + 1 < apps_reply.elements.size(); i += 2) {
      auto app = ParseApp(apps_reply.elements[i].str, apps_reply.elements[i + 1].str);
      if (!app.ok()) return app.status();
      apps.push_back(std::move(app).value());
    }
    std::sort(apps.begin(), apps.end(),
              [](const AppMonitor& a, const AppMonitor& b) { return a.app < b.app; });
  }

  int64_t since = query.since_ms ? *query.since_ms : now - kDefaultInsightsWindowMs;
  if (since > now) return Status::InvalidArgument("the window starts after now");
  since = std::max(since, now - kMaxInsightsWindowMs);

  // The window's incidents (opened in it, resolved in it), its deploy
  // reports and its hours' counters, in one round trip.
  const std::string index = keys_.IncidentIndex(**tag);
  const std::string resolved = keys_.IncidentsResolved(**tag);
  const std::string deploys_key = keys_.DeployIndex(**tag);
  std::vector<std::vector<std::string>> reads = {
      {"ZRANGEBYSCORE", index, Ms(since), "+inf"},
      {"ZRANGEBYSCORE", resolved, Ms(since), "+inf"},
      {"ZRANGEBYSCORE", deploys_key, Ms(since), Ms(now), "WITHSCORES"}};
  for (int64_t hour = since / kHourMs; hour <= now / kHourMs; ++hour) {
    const std::string bucket = keys_.StatsBucket(**tag, hour);
    if (query.app.empty()) {
      reads.push_back({"HGETALL", bucket});
    } else {
      reads.push_back({"HMGET", bucket, "hits:" + query.app, "failures:" + query.app});
    }
  }
  c.buckets_read = static_cast<int64_t>(reads.size()) - 3;
  auto window = redis.Pipeline(slot, reads);
  ++c.round_trips;
  if (!window.ok()) return window.status();
  for (const Reply& reply : *window) {
    if (reply.is_error()) return ErrorOf(reply, "reading the window");
  }

  std::set<std::string> ids;
  for (int k = 0; k < 2; ++k) {
    for (const Reply& id : (*window)[k].elements) ids.insert(id.str);
  }
  for (const AppMonitor& app : apps) {
    if (app.open_incident) ids.insert(*app.open_incident);  // opened before the window
  }
  std::map<std::string, std::vector<DeployReport>> deploys_of;
  const Reply& deploys = (*window)[2];
  for (std::size_t i = 0; i + 1 < deploys.elements.size(); i += 2) {
    auto report = ParseDeployReport(deploys.elements[i].str,
                                    std::strtoll(deploys.elements[i + 1].str.c_str(), nullptr, 10));
    if (!report.ok()) return report.status();
    ++c.deploy_reports_read;
    deploys_of[report->app].push_back(std::move(report).value());
  }
  std::map<std::string, Counts> counts_of;
  for (std::size_t b = 3; b < window->size(); ++b) {
    const Reply& bucket = (*window)[b];
    if (!query.app.empty()) {
      Counts& counts = counts_of[query.app];
      if (bucket.elements.size() == 2) {
        counts.hits += std::strtoll(bucket.elements[0].str.c_str(), nullptr, 10);
        counts.failures += std::strtoll(bucket.elements[1].str.c_str(), nullptr, 10);
      }
      continue;
    }
    for (std::size_t i = 0; i + 1 < bucket.elements.size(); i += 2) {
      const std::string& field = bucket.elements[i].str;  // "<counter>:<app>"
      const std::size_t colon = field.find(':');
      if (colon == std::string::npos) continue;
      const int64_t n = std::strtoll(bucket.elements[i + 1].str.c_str(), nullptr, 10);
      Counts& counts = counts_of[field.substr(colon + 1)];
      if (field.compare(0, colon, "hits") == 0) counts.hits += n;
      if (field.compare(0, colon, "failures") == 0) counts.failures += n;
    }
  }

  // The incidents themselves, a page of ids at a time.
  const std::string incidents_key = keys_.Incidents(**tag);
  std::map<std::string, std::vector<Incident>> incidents_of;
  const std::vector<std::string> all_ids(ids.begin(), ids.end());
  for (std::size_t first_id = 0; first_id < all_ids.size(); first_id += kIncidentPage) {
    const std::size_t end = std::min(all_ids.size(), first_id + kIncidentPage);
    std::vector<std::string> argv = {"HMGET", incidents_key};
    argv.insert(argv.end(), all_ids.begin() + first_id, all_ids.begin() + end);
    auto values = redis.Command(slot, argv);
    ++c.round_trips;
    if (!values.ok()) return values.status();
    if (values->is_error()) return ErrorOf(*values, "HMGET " + incidents_key);
    for (std::size_t i = 0; i < values->elements.size(); ++i) {
      if (values->elements[i].is_nil()) continue;  // dropped meanwhile
      auto incident = ParseIncident(all_ids[first_id + i], values->elements[i].str);
      if (!incident.ok()) return incident.status();
      ++c.incidents_read;
      incidents_of[incident->app].push_back(std::move(incident).value());
    }
  }
  c.commands = static_cast<int64_t>(redis.commands_sent() - commands_before);

  std::vector<Insights> out;
  out.reserve(apps.size());
  for (const AppMonitor& app : apps) {
    InsightsInput in;
    in.app = app.app;
    in.since_ms = since;
    in.until_ms = now;
    in.first_event_at = app.first_event_at;
    in.incidents = std::move(incidents_of[app.app]);
    in.hits = counts_of[app.app].hits;
    in.failures = counts_of[app.app].failures;
    in.deploys = std::move(deploys_of[app.app]);
    in.change_window_ms = query.change_window_ms;
    out.push_back(ComputeInsights(in));
  }
  return out;
}

}  // namespace onep
