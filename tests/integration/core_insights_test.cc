// SPDX-License-Identifier: Apache-2.0
// Insights read from a real Redis (onep/insights.h): events, deploys and
// incidents recorded through the record script, the figures checked against
// the times Redis recorded (read back), never against sleeps.
//
// On a single Redis, and on a Redis Cluster when run with
// ONEP_TEST_REDIS=cluster (tests/integration/CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "onep/admin.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/insights.h"
#include "onep/monitor_store.h"
#include "onep/parse.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/stream_id.h"
#include "onep/token.h"
#include "support/org_sizing.h"
#include "support/record_request.h"
#include "support/test_redis.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;
constexpr int64_t kHour = 3600LL * 1000;

class InsightsStoreTest : public ::testing::Test {
 protected:
  InsightsStoreTest()
      : client_(redis_.Client()), keys_("onep:"), creds_(*client_, keys_), events_(keys_) {}

  IssuedCredential Create(const std::string& type, const std::string& app) {
    auto issued = CredentialService(creds_, "tester").Create({"acme", type, "c " + app, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued.value() : IssuedCredential{};
  }

  // One event in its own call; waits until Redis' clock has passed the ms it
  // was recorded in, so that the next call's now differs.
  RecordOutcome Send(const std::string& token, EventType type, const std::string& body,
                     const EventStore* store = nullptr) {
    auto outcome =
        (store ? *store : events_).Record(*client_, testing::RequestFor(token, type, body));
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return {};
    if (outcome->kind == Kind::kAccepted) WaitPast(MsOf(outcome->event_id));
    return *outcome;
  }

  static int64_t MsOf(const std::string& stream_id) {
    auto id = ParseStreamId(stream_id);
    EXPECT_TRUE(id.ok()) << stream_id;
    return id.ok() ? static_cast<int64_t>(id->ms) : 0;
  }

  // Bounded by 10 s of this host's clock.
  void WaitPast(int64_t ms) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      auto time = redis_.Command("{x}", {"TIME"});
      ASSERT_TRUE(time.ok());
      const int64_t now =
          std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000;
      if (now > ms) return;
    }
    FAIL() << "Redis' clock did not pass " << ms;
  }

  std::string Tag() {
    auto tag = OrgRoutingTag(*client_, keys_, "acme");
    EXPECT_TRUE(tag.ok() && tag->has_value());
    return tag.ok() && tag->has_value() ? **tag : "";
  }

  // The deploy index, as recorded: event id -> when.
  std::map<std::string, int64_t> DeployTimes() {
    const std::string key = keys_.DeployIndex(Tag());
    auto reply = redis_.Command(key, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
    EXPECT_TRUE(reply.ok());
    std::map<std::string, int64_t> out;
    for (std::size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
      auto report =
          ParseDeployReport(reply->elements[i].str, std::stoll(reply->elements[i + 1].str));
      EXPECT_TRUE(report.ok());
      out[report->event_id] = report->at;
    }
    return out;
  }

  std::vector<Incident> IncidentsOf(const std::string& app) {
    IncidentQuery q;
    q.org = "acme";
    q.app = app;
    auto list = MonitorStore(keys_).Incidents(*client_, q);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    return list.ok() ? *list : std::vector<Incident>{};
  }

  testing::TestRedis redis_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  EventStore events_;
};

std::string Deploy(const std::string& status, const std::string& deploy_id,
                   const std::string& committed_at) {
  std::string body = R"({"version":"1.)" + status + R"(","status":")" + status + R"(")";
  if (!deploy_id.empty()) body += R"(,"deploy_id":")" + deploy_id + R"(")";
  if (!committed_at.empty()) body += R"(,"committed_at":")" + committed_at + R"(")";
  return body + "}";
}

int64_t Median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  const std::size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : std::llround((v[mid - 1] + v[mid]) / 2.0);
}

TEST_F(InsightsStoreTest, TheFiguresOfRecordedEventsDeploysAndIncidents) {
  IssuedCredential api = Create("hits", "api");
  IssuedCredential deploys = Create("deploy", "api");
  IssuedCredential web = Create("hits", "web");
  const int64_t now = NowMs();
  const std::string c1 = FormatRfc3339Ms(now - 3 * kHour);
  const std::string c2 = FormatRfc3339Ms(now - 2 * kHour - 1234);
  const std::string c3 = FormatRfc3339Ms(now - 25 * 60 * 1000);

  // d1 starts and succeeds (its success reported twice: one report), then
  // a failure opens an incident (within the change window: a failed change)
  // and a hit resolves it; d2 fails; a deploy without deploy_id succeeds.
  ASSERT_EQ(Send(deploys.token, EventType::kDeploy, Deploy("started", "d1", c1)).kind,
            Kind::kAccepted);
  RecordOutcome d1 = Send(deploys.token, EventType::kDeploy, Deploy("succeeded", "d1", c1));
  ASSERT_EQ(d1.kind, Kind::kAccepted);
  ASSERT_EQ(Send(deploys.token, EventType::kDeploy, Deploy("succeeded", "d1", c1)).kind,
            Kind::kDuplicate);
  ASSERT_EQ(Send(api.token, EventType::kFailure, R"({"error":"boom"})").incidents_opened, 1);
  ASSERT_EQ(Send(api.token, EventType::kHit, "{}").incidents_resolved, 1);
  RecordOutcome d2 = Send(deploys.token, EventType::kDeploy, Deploy("failed", "d2", c2));
  ASSERT_EQ(d2.kind, Kind::kAccepted);
  RecordOutcome d3 = Send(deploys.token, EventType::kDeploy, Deploy("succeeded", "", c3));
  ASSERT_EQ(d3.kind, Kind::kAccepted);
  ASSERT_EQ(Send(api.token, EventType::kHit, R"({"count":5})").kind, Kind::kAccepted);
  // web: 3 hits, then 2 failures open an incident that stays open.
  ASSERT_EQ(Send(web.token, EventType::kHit, R"({"count":3})").kind, Kind::kAccepted);
  ASSERT_EQ(Send(web.token, EventType::kFailure, R"({"count":2})").incidents_opened, 1);

  // The index holds each recorded report once: d1 started and succeeded,
  // d2, d3; not the duplicate.
  const std::map<std::string, int64_t> at = DeployTimes();
  ASSERT_EQ(at.size(), 4u);
  const int64_t t1 = at.at(d1.event_id), t2 = at.at(d2.event_id), t3 = at.at(d3.event_id);

  InsightsQuery query;
  query.org = "acme";
  InsightsCost cost;
  auto read = InsightsStore(keys_).Read(*client_, query, &cost);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), 2u);
  const Insights& a = (*read)[0];
  const Insights& w = (*read)[1];
  ASSERT_EQ(a.app, "api");
  ASSERT_EQ(w.app, "web");

  // api: the window starts at its first event (d1 started).
  auto app = MonitorStore(keys_).App(*client_, "acme", "api");
  ASSERT_TRUE(app.ok());
  ASSERT_EQ(a.since_ms, app->first_event_at);
  const int64_t window = a.until_ms - *a.since_ms;
  const std::vector<Incident> api_incidents = IncidentsOf("api");
  ASSERT_EQ(api_incidents.size(), 1u);
  const Incident& i1 = api_incidents[0];
  const int64_t down = *i1.resolved_at - i1.opened_at;
  EXPECT_EQ(a.downtime_ms, down);
  EXPECT_DOUBLE_EQ(*a.uptime, 1.0 - static_cast<double>(down) / static_cast<double>(window));
  EXPECT_EQ(a.incidents, 1);
  EXPECT_EQ(a.mttr_ms, std::optional<int64_t>(down));
  EXPECT_EQ(a.mtbf_ms, std::optional<int64_t>(window - down));
  EXPECT_EQ(a.hits, 6);
  EXPECT_EQ(a.failures, 1);
  EXPECT_DOUBLE_EQ(*a.failure_rate, 1.0 / 7.0);
  EXPECT_EQ(a.deploys, 3);
  EXPECT_DOUBLE_EQ(a.deploys_per_day, 3.0 / (static_cast<double>(window) / (24.0 * kHour)));
  // d1 (followed by the incident) and d2 (failed) of 3.
  EXPECT_DOUBLE_EQ(*a.change_failure_rate, 2.0 / 3.0);
  // d1: until the incident resolved (before d3); d2: until d3 succeeded.
  EXPECT_EQ(a.recovery_time_ms, std::optional<int64_t>(Median({*i1.resolved_at - t1, t3 - t2})));
  auto ms = [](const std::string& text) { return *ParseRfc3339Ms(text); };
  EXPECT_EQ(a.lead_time_ms,
            std::optional<int64_t>(Median({t1 - ms(c1), t2 - ms(c2), t3 - ms(c3)})));

  // web: its incident is still open: down from its opening until now.
  const std::vector<Incident> web_incidents = IncidentsOf("web");
  ASSERT_EQ(web_incidents.size(), 1u);
  const int64_t web_window = w.until_ms - *w.since_ms;
  const int64_t web_down = w.until_ms - web_incidents[0].opened_at;
  EXPECT_EQ(w.downtime_ms, web_down);
  EXPECT_DOUBLE_EQ(*w.uptime, 1.0 - static_cast<double>(web_down) / web_window);
  EXPECT_EQ(w.incidents, 1);
  EXPECT_FALSE(w.mttr_ms.has_value());
  EXPECT_EQ(w.mtbf_ms, std::optional<int64_t>(web_window - web_down));
  EXPECT_EQ(w.hits, 3);
  EXPECT_EQ(w.failures, 2);
  EXPECT_EQ(w.deploys, 0);
  EXPECT_FALSE(w.change_failure_rate.has_value());
  EXPECT_FALSE(w.lead_time_ms.has_value());

  // What it read: the org's tag; TIME and the apps; the window (2 incident
  // ranges, the deploy range, 721 hours); the 2 incidents.
  EXPECT_EQ(cost.round_trips, 4);
  EXPECT_EQ(cost.buckets_read, 721);
  EXPECT_EQ(cost.commands, 1 + 2 + 3 + 721 + 1);
  EXPECT_EQ(cost.incidents_read, 2);
  EXPECT_EQ(cost.deploy_reports_read, 4);

  // One app: the same figures.
  query.app = "api";
  auto one = InsightsStore(keys_).Read(*client_, query);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].deploys, 3);
  EXPECT_EQ((*one)[0].hits, 6);
  EXPECT_EQ((*one)[0].lead_time_ms, a.lead_time_ms);
  std::printf("[ insights ] %s\n", JsonDump(admin::InsightsJson((*one)[0]).get()).c_str());

  // A change window too short for the incident: only d2 failed.
  query.change_window_ms = std::max<int64_t>(i1.opened_at - t1 - 1, 0);
  if (i1.opened_at - t1 >= 2) {
    auto narrow = InsightsStore(keys_).Read(*client_, query);
    ASSERT_TRUE(narrow.ok());
    EXPECT_DOUBLE_EQ(*(*narrow)[0].change_failure_rate, 1.0 / 3.0);
  }

  query.app = "nope";
  EXPECT_EQ(InsightsStore(keys_).Read(*client_, query).status().code(), Code::kNotFound);
  query.org = "nobody";
  query.app = "";
  EXPECT_EQ(InsightsStore(keys_).Read(*client_, query).status().code(), Code::kNotFound);
}

// The index keeps at most OnepMaxDeployIds reports (the oldest go) and drops
// those past the retention; a wrong-type index fails the deploy alone.
TEST_F(InsightsStoreTest, TheDeployIndexIsCappedAndTrimmed) {
  IssuedCredential deploys = Create("deploy", "api");
  EventRetention capped;
  capped.max_deploy_ids = 3;
  const EventStore small(keys_, capped);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    RecordOutcome r = Send(deploys.token, EventType::kDeploy, R"({"version":"1"})", &small);
    ASSERT_EQ(r.kind, Kind::kAccepted);
    ids.push_back(r.event_id);
  }
  std::map<std::string, int64_t> kept = DeployTimes();
  EXPECT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept.count(ids[0]) + kept.count(ids[1]), 0u);
  EXPECT_EQ(kept.count(ids[4]), 1u);

  EventRetention short_lived;
  short_lived.max_age_ms = 200;
  const EventStore brief(keys_, short_lived);
  WaitPast(kept.at(ids[4]) + 200);
  RecordOutcome fresh = Send(deploys.token, EventType::kDeploy, R"({"version":"2"})", &brief);
  ASSERT_EQ(fresh.kind, Kind::kAccepted);
  kept = DeployTimes();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept.begin()->first, fresh.event_id);

  const std::string key = keys_.DeployIndex(Tag());
  ASSERT_TRUE(redis_.Command(key, {"DEL", key}).ok());
  ASSERT_TRUE(redis_.Command(key, {"SET", key, "a string"}).ok());
  auto refused = events_.Record(
      *client_, testing::RequestFor(deploys.token, EventType::kDeploy, R"({"version":"3"})"));
  EXPECT_EQ(refused.status().code(), Code::kInternal);
  EXPECT_NE(refused.status().message().find("WRONGTYPE"), std::string::npos);
  const std::string events = keys_.Events(Tag());
  EXPECT_EQ(redis_.Command(events, {"XLEN", events})->integer, 6);
}

// The worst report the defaults allow: a 63-character app, the longest
// version (200 '/', which the script's JSON writes as "\/"), deploy_id
// (128) and status, and a committed_at.
TEST_F(InsightsStoreTest, TheDeployIndexCostsAtMostTheDocumentedBytes) {
  constexpr int kReports = 200;
  const std::string app = std::string(63, 'a');
  IssuedCredential deploys = Create("deploy", app);
  const std::string version(200, '/');
  for (int i = 0; i < kReports; ++i) {
    const std::string id = std::string(119, 'd') + std::to_string(100000000 + i);
    auto outcome = events_.Record(
        *client_,
        testing::RequestFor(deploys.token, EventType::kDeploy,
                            R"({"version":")" + version +
                                R"(","status":"rolled_back",)"
                                R"("committed_at":"2026-11-27T10:00:00.000Z","deploy_id":")" +
                                id + R"("})"));
    ASSERT_TRUE(outcome.ok() && outcome->kind == Kind::kAccepted);
  }
  const std::string key = keys_.DeployIndex(Tag());
  ASSERT_EQ(redis_.Command(key, {"ZCARD", key})->integer, kReports);
  const double per_report =
      static_cast<double>(redis_.Command(key, {"MEMORY", "USAGE", key, "SAMPLES", "0"})->integer) /
      kReports;
  std::printf("[ bounds   ] Redis memory per deploy report in the index %.0f bytes (%d)\n",
              per_report, kReports);
  EXPECT_LE(per_report, testing::kDeployIndexEntryBytes);
}

}  // namespace
}  // namespace onep
