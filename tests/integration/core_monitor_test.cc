// SPDX-License-Identifier: Apache-2.0
// Monitors and incidents (docs/design.md "Monitors and incidents"): the
// record script applies the rules to each recorded event, by Redis' clock.
//
// On a single Redis, and on a Redis Cluster when run with
// ONEP_TEST_REDIS=cluster (tests/integration/CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/monitor_store.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/stream_id.h"
#include "onep/token.h"
#include "support/monitor_model.h"
#include "support/org_sizing.h"
#include "support/record_request.h"
#include "support/test_redis.h"

namespace onep {
namespace {

using Kind = RecordOutcome::Kind;

EventRetention SmallCaps() {
  EventRetention r;
  r.max_apps = 3;
  r.max_incidents = 2;
  return r;
}

class MonitorTest : public ::testing::Test {
 protected:
  MonitorTest()
      : client_(redis_.Client()),
        keys_("onep:"),
        creds_(*client_, keys_),
        events_(keys_),
        capped_(keys_, SmallCaps()),
        monitors_(keys_) {}

  IssuedCredential Create(const std::string& type, const std::string& app) {
    auto issued = CredentialService(creds_, "tester").Create({"acme", type, "c " + app, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued.value() : IssuedCredential{};
  }

  // `web`, bound to app web, with failures_to_open 3 and hits_to_close 2.
  IssuedCredential Web() {
    IssuedCredential web = Create("hits", "web");
    MonitorChange change;
    change.failures_to_open = 3;
    change.hits_to_close = 2;
    auto set = monitors_.SetMonitor(*client_, "acme", "web", change, "tester");
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    return web;
  }

  // One event in its own call; waits until Redis' clock has passed the ms it
  // was recorded in, so that the next call's now differs.
  RecordOutcome Send(const std::string& token, EventType type, const std::string& body,
                     const std::string& key = "", const EventStore* store = nullptr) {
    auto outcome =
        (store ? *store : events_).Record(*client_, testing::RequestFor(token, type, body, key));
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (!outcome.ok()) return {};
    if (!outcome->event_id.empty()) WaitPast(MsOf(outcome->event_id));
    return *outcome;
  }
  RecordOutcome Hit(const std::string& token) { return Send(token, EventType::kHit, "{}"); }
  RecordOutcome Fail(const std::string& token, int count = 1) {
    return Send(token, EventType::kFailure,
                R"({"error":"boom )" + std::to_string(count) + R"(","count":)" +
                    std::to_string(count) + "}");
  }

  static int64_t MsOf(const std::string& stream_id) {
    auto id = ParseStreamId(stream_id);
    EXPECT_TRUE(id.ok()) << stream_id;
    return id.ok() ? static_cast<int64_t>(id->ms) : 0;
  }

  // Bounded by 10 s of this host's clock, whatever the number of round trips.
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

  std::string TagOf(const std::string& org) {
    auto tag = OrgRoutingTag(*client_, keys_, org);
    EXPECT_TRUE(tag.ok() && tag->has_value());
    return tag.ok() && tag->has_value() ? **tag : "";
  }

  AppMonitor App(const std::string& app) {
    auto m = monitors_.App(*client_, "acme", app);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : AppMonitor{};
  }

  std::vector<Incident> Incidents() {
    IncidentQuery q;
    q.org = "acme";
    auto list = monitors_.Incidents(*client_, q);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    return list.ok() ? *list : std::vector<Incident>{};
  }

  // The types of the org's stream, oldest first.
  std::vector<std::string> StreamTypes(const std::string& token) {
    const std::string events = keys_.Events(std::string(TokenRoutingTag(token)));
    std::vector<std::string> out;
    auto reply = redis_.Command(events, {"XRANGE", events, "-", "+"});
    EXPECT_TRUE(reply.ok());
    for (const Reply& entry : reply->elements) {
      const auto& f = entry.elements[1].elements;
      for (std::size_t i = 0; i + 1 < f.size(); i += 2) {
        if (f[i].str == "type") out.push_back(f[i + 1].str);
      }
    }
    return out;
  }

  testing::TestRedis redis_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  EventStore events_;
  EventStore capped_;
  MonitorStore monitors_;
};

TEST_F(MonitorTest, ABoundCredentialMakesANewApp) {
  Create("hits", "web");
  AppMonitor web = App("web");
  EXPECT_EQ(web.state, "new");
  EXPECT_EQ(web.settings.failures_to_open, 1);
  EXPECT_EQ(web.settings.severity, "none");
}

TEST_F(MonitorTest, TheThirdFailureOpensAtTheFirstAndTwoHitsResolveAtTheFirstOfThem) {
  IssuedCredential web = Web();
  // Redis' clock of the call that recorded the first failure: the script's
  // now, which may differ by a millisecond from its stream id's.
  const RecordOutcome first = Fail(web.token);
  const int64_t first_at = *App("web").fail_streak_at;
  EXPECT_LE(std::abs(first_at - MsOf(first.event_id)), 1);
  Fail(web.token);
  EXPECT_EQ(*App("web").fail_streak_at, first_at);
  EXPECT_EQ(App("web").state, "up");
  EXPECT_TRUE(Incidents().empty());
  const RecordOutcome third = Fail(web.token);
  EXPECT_EQ(third.incidents_opened, 1);
  ASSERT_EQ(Incidents().size(), 1u);
  Incident opened = Incidents()[0];
  EXPECT_EQ(opened.opened_at, first_at);
  EXPECT_GT(opened.detected_at, first_at);
  EXPECT_LE(std::abs(opened.detected_at - MsOf(third.event_id)), 1);
  EXPECT_EQ(opened.failures, 3);
  EXPECT_EQ(opened.first_error, "boom 1");
  EXPECT_EQ(opened.cause, "failures");
  EXPECT_FALSE(opened.resolved_at);
  EXPECT_EQ(App("web").state, "down");
  EXPECT_EQ(App("web").since, first_at);

  Hit(web.token);  // one hit: still down
  EXPECT_EQ(App("web").state, "down");
  Fail(web.token);  // a failure ends the hit streak
  const RecordOutcome closing = Hit(web.token);
  const int64_t closing_at = *App("web").hit_streak_at;
  EXPECT_EQ(closing.incidents_resolved, 0);
  EXPECT_EQ(App("web").state, "down");
  const RecordOutcome second = Hit(web.token);
  EXPECT_EQ(second.incidents_resolved, 1);
  ASSERT_EQ(Incidents().size(), 1u);
  Incident resolved = Incidents()[0];
  ASSERT_TRUE(resolved.resolved_at);
  EXPECT_EQ(*resolved.resolved_at, closing_at);
  EXPECT_EQ(resolved.failures, 4);
  EXPECT_DOUBLE_EQ(*resolved.duration_s, (closing_at - first_at) / 1000.0);
  EXPECT_EQ(App("web").state, "up");
  EXPECT_EQ(App("web").since, closing_at);
  // The flips, right after the events that caused them.
  EXPECT_EQ(StreamTypes(web.token),
            (std::vector<std::string>{"failure", "failure", "failure", "incident_opened", "hit",
                                      "failure", "hit", "hit", "incident_resolved"}));
}

TEST_F(MonitorTest, AFailureOfCountThreeOpensAtOnce) {
  IssuedCredential web = Web();
  EXPECT_EQ(Fail(web.token, 3).incidents_opened, 1);
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(Incidents()[0].failures, 3);
}

TEST_F(MonitorTest, ARetryAndADuplicateDeployIdChangeNothing) {
  IssuedCredential web = Web();
  IssuedCredential deploy = Create("deploy", "web");
  Send(web.token, EventType::kFailure, R"({"error":"x"})", "key-1");
  EXPECT_EQ(Send(web.token, EventType::kFailure, R"({"error":"x"})", "key-1").kind,
            Kind::kDuplicate);
  EXPECT_EQ(Send(web.token, EventType::kFailure, R"({"error":"x"})", "key-1").kind,
            Kind::kDuplicate);
  EXPECT_EQ(App("web").fail_streak, 1);
  EXPECT_TRUE(Incidents().empty());
  const std::string body = R"({"version":"1.0","deploy_id":"d-1"})";
  const RecordOutcome deployed = Send(deploy.token, EventType::kDeploy, body);
  const int64_t last_event = *App("web").last_event_at;
  EXPECT_EQ(Send(deploy.token, EventType::kDeploy, body).kind, Kind::kDuplicate);
  EXPECT_EQ(*App("web").last_event_at, last_event);
  ASSERT_TRUE(App("web").last_deploy);
  EXPECT_LE(std::abs(App("web").last_deploy->at - MsOf(deployed.event_id)), 1);
}

TEST_F(MonitorTest, APausedMonitorOpensNothingAndResumingDoesNotForgetTheStreak) {
  IssuedCredential web = Web();
  MonitorChange pause;
  pause.paused = true;
  ASSERT_TRUE(monitors_.SetMonitor(*client_, "acme", "web", pause, "tester").ok());
  EXPECT_EQ(App("web").state, "paused");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Fail(web.token).incidents_opened, 0);
  EXPECT_TRUE(Incidents().empty());
  EXPECT_EQ(App("web").state, "paused");
  MonitorChange resume;
  resume.paused = false;
  ASSERT_TRUE(monitors_.SetMonitor(*client_, "acme", "web", resume, "tester").ok());
  EXPECT_EQ(Fail(web.token).incidents_opened, 1);
}

TEST_F(MonitorTest, AnIncidentNamesTheLastDeployWithinADayBeforeIt) {
  IssuedCredential web = Create("hits", "web");
  IssuedCredential deploy = Create("deploy", "web");
  const RecordOutcome d =
      Send(deploy.token, EventType::kDeploy, R"({"version":"2.1","deploy_id":"d-7"})");
  Fail(web.token);
  ASSERT_EQ(Incidents().size(), 1u);
  ASSERT_TRUE(Incidents()[0].deploy);
  EXPECT_EQ(Incidents()[0].deploy->id, "d-7");
  EXPECT_EQ(Incidents()[0].deploy->version, "2.1");
  EXPECT_EQ(Incidents()[0].deploy->at, App("web").last_deploy->at);
  EXPECT_LE(std::abs(Incidents()[0].deploy->at - MsOf(d.event_id)), 1);

  // A deploy 25 hours before the opening is not named.
  Hit(web.token);
  const std::string apps = keys_.Apps(std::string(TokenRoutingTag(web.token)));
  auto stored = redis_.Command(apps, {"HGET", apps, "web"});
  ASSERT_TRUE(stored.ok());
  std::string text = stored->str;
  const int64_t deployed_at = App("web").last_deploy->at;
  const std::string at = "\"at\":" + std::to_string(deployed_at);
  ASSERT_NE(text.find(at), std::string::npos) << text;
  text.replace(text.find(at), at.size(),
               "\"at\":" + std::to_string(deployed_at - 25LL * 3600 * 1000));
  ASSERT_TRUE(redis_.Command(apps, {"HSET", apps, "web", text}).ok());
  Fail(web.token);
  ASSERT_EQ(Incidents().size(), 2u);
  EXPECT_FALSE(Incidents()[0].deploy);
}

TEST_F(MonitorTest, AnAppOverTheCapIsRefused) {
  IssuedCredential any = Create("hits", "");
  for (const char* app : {"a", "b", "c"}) {
    EXPECT_EQ(
        Send(any.token, EventType::kHit, std::string(R"({"app":")") + app + "\"}", "", &capped_)
            .kind,
        Kind::kAccepted);
  }
  RecordOutcome refused = Send(any.token, EventType::kHit, R"({"app":"d"})", "", &capped_);
  EXPECT_EQ(refused.kind, Kind::kInvalidEvent);
  EXPECT_EQ(refused.message, "app: too many applications for this organization");
  EXPECT_EQ(Send(any.token, EventType::kHit, R"({"app":"a"})", "", &capped_).kind, Kind::kAccepted);
  auto apps = monitors_.Apps(*client_, "acme");
  ASSERT_TRUE(apps.ok());
  EXPECT_EQ(apps->size(), 3u);
}

TEST_F(MonitorTest, TheOldestResolvedIncidentGoesOverTheCap) {
  IssuedCredential web = Create("hits", "web");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    RecordOutcome f = Send(web.token, EventType::kFailure, "{}", "", &capped_);
    ASSERT_EQ(f.incidents_opened, 1);
    ids.push_back("in_" + f.event_id);
    ASSERT_EQ(Send(web.token, EventType::kHit, "{}", "", &capped_).incidents_resolved, 1);
  }
  std::vector<Incident> kept = Incidents();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, ids[2]);
  EXPECT_EQ(kept[1].id, ids[1]);
}

// A hit streak adds up across calls: with hits_to_close 3, the third hit
// resolves, at the time of the first.
TEST_F(MonitorTest, ThreeHitsToCloseCountAcrossCalls) {
  IssuedCredential web = Web();
  MonitorChange three;
  three.hits_to_close = 3;
  ASSERT_TRUE(monitors_.SetMonitor(*client_, "acme", "web", three, "tester").ok());
  EXPECT_EQ(Fail(web.token, 3).incidents_opened, 1);
  EXPECT_EQ(Hit(web.token).incidents_resolved, 0);
  const int64_t first_hit = *App("web").hit_streak_at;
  EXPECT_EQ(Hit(web.token).incidents_resolved, 0);
  EXPECT_EQ(App("web").hit_streak, 2);
  EXPECT_EQ(*App("web").hit_streak_at, first_hit);
  EXPECT_EQ(App("web").state, "down");
  EXPECT_EQ(Hit(web.token).incidents_resolved, 1);
  ASSERT_EQ(Incidents().size(), 1u);
  EXPECT_EQ(Incidents()[0].resolved_at, first_hit);
  EXPECT_EQ(App("web").state, "up");
}

TEST_F(MonitorTest, SetMonitorChecksRangesAndAuditsWhatItChanged) {
  Create("hits", "web");
  const std::string tag = TagOf("acme");
  const std::string audit = keys_.Audit(tag);
  auto entries = [&] {
    auto reply = redis_.Command(audit, {"XLEN", audit});
    return reply.ok() ? reply->integer : -1;
  };
  const long long before = entries();
  std::vector<MonitorChange> bad(6);
  bad[0].failures_to_open = 0;
  bad[1].failures_to_open = 101;
  bad[2].hits_to_close = 0;
  bad[3].severity = "sev6";
  bad[4].expect_every_ms = 999;  // below 1s
  bad[5].grace_ms = 31LL * 24 * 3600 * 1000;
  for (const MonitorChange& change : bad) {
    auto set = monitors_.SetMonitor(*client_, "acme", "web", change, "tester");
    EXPECT_EQ(set.status().code(), Code::kInvalidArgument) << set.status().ToString();
  }
  EXPECT_EQ(entries(), before);
  EXPECT_EQ(App("web").settings.failures_to_open, 1);

  MonitorChange unknown;
  unknown.paused = true;
  EXPECT_EQ(monitors_.SetMonitor(*client_, "acme", "nope", unknown, "tester").status().code(),
            Code::kNotFound);
  EXPECT_EQ(monitors_.SetMonitor(*client_, "ghost", "web", unknown, "tester").status().code(),
            Code::kNotFound);
  EXPECT_EQ(entries(), before);

  MonitorChange good;
  good.failures_to_open = 100;
  good.severity = "sev1";
  good.expect_every_ms = 60 * 1000;
  good.paused = true;
  auto set = monitors_.SetMonitor(*client_, "acme", "web", good, "alice");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->settings.failures_to_open, 100);
  EXPECT_EQ(set->settings.hits_to_close, 1);  // kept
  EXPECT_EQ(set->settings.severity, "sev1");
  EXPECT_EQ(set->settings.expect_every_ms, 60 * 1000);
  EXPECT_TRUE(set->settings.paused);
  ASSERT_EQ(entries(), before + 1);
  auto last = redis_.Command(audit, {"XREVRANGE", audit, "+", "-", "COUNT", "1"});
  ASSERT_TRUE(last.ok());
  std::map<std::string, std::string> fields;
  const auto& f = last->elements[0].elements[1].elements;
  for (std::size_t i = 0; i + 1 < f.size(); i += 2) fields[f[i].str] = f[i + 1].str;
  EXPECT_EQ(fields["action"], "monitor");
  EXPECT_EQ(fields["app"], "web");
  EXPECT_EQ(fields["actor"], "alice");
  EXPECT_EQ(fields["pause"], "1");
  EXPECT_EQ(fields["changes"],
            R"({"failures_to_open":100,"severity":"sev1","expect_every_ms":60000})");
}

// A key of the wrong type, or a corrupt app, fails the events that need it
// and no other, before they write anything.
TEST_F(MonitorTest, AWrongTypeIncidentKeyOrACorruptAppFailsOnlyItsEvent) {
  IssuedCredential any = Create("hits", "");
  const std::string tag(TokenRoutingTag(any.token));
  const std::string apps = keys_.Apps(tag);
  const std::string incidents = keys_.Incidents(tag);
  ASSERT_TRUE(redis_.Command(apps, {"HSET", apps, "b", "not json"}).ok());
  ASSERT_TRUE(redis_.Command(incidents, {"SET", incidents, "a string"}).ok());
  // a: a hit; b: corrupt; c: a failure that would open an incident; d: a hit.
  std::vector<RecordRequest> requests = {
      testing::RequestFor(any.token, EventType::kHit, R"({"app":"a"})"),
      testing::RequestFor(any.token, EventType::kHit, R"({"app":"b"})"),
      testing::RequestFor(any.token, EventType::kFailure, R"({"app":"c"})"),
      testing::RequestFor(any.token, EventType::kHit, R"({"app":"d"})")};
  std::vector<const RecordRequest*> batch;
  for (const auto& r : requests) batch.push_back(&r);
  auto outcomes = events_.RecordBatch(*client_, batch);
  ASSERT_EQ(outcomes.size(), 4u);
  ASSERT_TRUE(outcomes[0].ok() && outcomes[0]->kind == Kind::kAccepted);
  EXPECT_EQ(outcomes[1].status().code(), Code::kInternal);
  EXPECT_NE(outcomes[1].status().message().find("corrupt app b"), std::string::npos)
      << outcomes[1].status().ToString();
  EXPECT_EQ(outcomes[2].status().code(), Code::kInternal);
  EXPECT_NE(outcomes[2].status().message().find("WRONGTYPE"), std::string::npos)
      << outcomes[2].status().ToString();
  ASSERT_TRUE(outcomes[3].ok() && outcomes[3]->kind == Kind::kAccepted);
  EXPECT_EQ(StreamTypes(any.token), (std::vector<std::string>{"hit", "hit"}));
  EXPECT_EQ(redis_.Command(apps, {"HGET", apps, "b"})->str, "not json");
  EXPECT_EQ(redis_.Command(incidents, {"GET", incidents})->str, "a string");
  EXPECT_TRUE(redis_.Command(apps, {"HGET", apps, "c"})->is_nil());
  EXPECT_EQ(App("a").state, "up");
  EXPECT_EQ(App("d").state, "up");

  // A wrong-type apps hash fails every event that reads it, writing
  // nothing: all but the hits of an app that is up with nothing running
  // ("a"), which read only its field of the apps-seen hash.
  ASSERT_TRUE(redis_.Command(apps, {"DEL", apps}).ok());
  ASSERT_TRUE(redis_.Command(apps, {"SET", apps, "a string"}).ok());
  auto refused =
      events_.Record(*client_, testing::RequestFor(any.token, EventType::kHit, R"({"app":"e"})"));
  EXPECT_EQ(refused.status().code(), Code::kInternal);
  EXPECT_NE(refused.status().message().find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ(StreamTypes(any.token).size(), 2u);
  auto quiet = events_.Record(*client_, requests[0]);
  ASSERT_TRUE(quiet.ok() && quiet->kind == Kind::kAccepted);
  EXPECT_EQ(StreamTypes(any.token).size(), 3u);
  // A wrong-type apps-seen hash fails every event of the org.
  const std::string seen = keys_.AppsSeen(tag);
  ASSERT_TRUE(redis_.Command(seen, {"DEL", seen}).ok());
  ASSERT_TRUE(redis_.Command(seen, {"SET", seen, "a string"}).ok());
  refused = events_.Record(*client_, requests[0]);
  EXPECT_EQ(refused.status().code(), Code::kInternal);
  EXPECT_NE(refused.status().message().find("WRONGTYPE"), std::string::npos);
  EXPECT_EQ(StreamTypes(any.token).size(), 3u);
  EXPECT_EQ(redis_.Command(seen, {"GET", seen})->str, "a string");
}

// When an incident opens, the resolved ones older than the retention go;
// the open one and those within it stay.
TEST_F(MonitorTest, ResolvedIncidentsOlderThanTheRetentionGoWhenOneOpens) {
  EventRetention retention;
  retention.max_age_ms = 200;
  const EventStore short_lived(keys_, retention);
  IssuedCredential web = Create("hits", "web");
  IssuedCredential api = Create("hits", "api");
  RecordOutcome old = Send(web.token, EventType::kFailure, "{}", "", &short_lived);
  ASSERT_EQ(old.incidents_opened, 1);
  ASSERT_EQ(Send(web.token, EventType::kHit, "{}", "", &short_lived).incidents_resolved, 1);
  RecordOutcome open = Send(api.token, EventType::kFailure, "{}", "", &short_lived);
  ASSERT_EQ(open.incidents_opened, 1);
  ASSERT_EQ(Incidents().size(), 2u);
  WaitPast(*Incidents()[1].resolved_at + 200);
  RecordOutcome fresh = Send(web.token, EventType::kFailure, "{}", "", &short_lived);
  ASSERT_EQ(fresh.incidents_opened, 1);
  std::vector<std::string> kept;
  for (const Incident& i : Incidents()) kept.push_back(i.id);
  EXPECT_EQ(kept, (std::vector<std::string>{"in_" + fresh.event_id, "in_" + open.event_id}));
  const std::string tag = TagOf("acme");
  const std::string resolved = keys_.IncidentsResolved(tag);
  EXPECT_EQ(redis_.Command(resolved, {"ZCARD", resolved})->integer, 0);
  const std::string index = keys_.IncidentIndex(tag);
  EXPECT_EQ(redis_.Command(index, {"ZCARD", index})->integer, 2);
}

// The worst app and incident the defaults allow: a 63-character name, a
// first_error of 4096 '/' (stored 1 byte each in the event, escaped to 2 by
// the script's JSON), the longest version (200 '/') and deploy_id (128).
TEST_F(MonitorTest, AppsAndIncidentsCostAtMostTheDocumentedBytes) {
  constexpr int kApps = 100;
  const std::string error(4096, '/');
  const std::string version(200, '/');
  std::string tag;
  std::size_t longest_flip = 0;
  std::vector<std::string> tokens;
  for (int i = 0; i < kApps; ++i) {
    const std::string app = std::string(54, 'a') + std::to_string(100000000 + i);
    ASSERT_EQ(app.size(), 63u);
    IssuedCredential hits = Create("hits", app);
    tokens.push_back(hits.token);
    IssuedCredential deploy = Create("deploy", app);
    tag = std::string(TokenRoutingTag(hits.token));
    const std::string id = std::string(119, 'd') + std::to_string(100000000 + i);
    const std::string deploy_body =
        std::string("{\"version\":\"") + version + "\",\"deploy_id\":\"" + id + "\"}";
    const std::string failure_body = std::string("{\"error\":\"") + error + "\"}";
    RecordOutcome deployed = Send(deploy.token, EventType::kDeploy, deploy_body);
    ASSERT_EQ(deployed.kind, Kind::kAccepted) << deployed.message;
    RecordOutcome failed = Send(hits.token, EventType::kFailure, failure_body);
    ASSERT_EQ(failed.incidents_opened, 1);
    // Its first_error stays in the app until a hit ends the streak: measure
    // the app before, the incident after its resolution.
  }
  long long app_bytes = 0;
  for (const std::string& key : {keys_.Apps(tag), keys_.AppsSeen(tag)}) {
    app_bytes += redis_.Command(key, {"MEMORY", "USAGE", key, "SAMPLES", "0"})->integer;
  }
  const double per_app = static_cast<double>(app_bytes) / kApps;
  auto apps = monitors_.Apps(*client_, "acme");
  ASSERT_TRUE(apps.ok()) << apps.status().message();
  for (const AppMonitor& m : *apps) {
    ASSERT_EQ(m.state, "down");
  }
  for (const std::string& token : tokens) {
    ASSERT_EQ(Send(token, EventType::kHit, "{}").incidents_resolved, 1);
  }
  // The entries of the stream, by their fields' bytes: the largest event
  // (the failure, 4 KB of error) and the largest flip, opened or resolved.
  std::size_t longest_event = 0;
  const std::string events = keys_.Events(tag);
  auto entries = redis_.Command(events, {"XRANGE", events, "-", "+"});
  std::size_t flips = 0;
  for (const Reply& entry : entries->elements) {
    std::size_t bytes = 0;
    bool flip = false;
    for (const Reply& f : entry.elements[1].elements) {
      bytes += f.str.size();
      flip = flip || f.str.rfind("incident_", 0) == 0;
    }
    flips += flip ? 1 : 0;
    (flip ? longest_flip : longest_event) = std::max(flip ? longest_flip : longest_event, bytes);
  }
  EXPECT_EQ(flips, 2u * kApps);
  long long incident_bytes = 0;
  for (const std::string& key :
       {keys_.Incidents(tag), keys_.IncidentIndex(tag), keys_.IncidentsResolved(tag)}) {
    incident_bytes += redis_.Command(key, {"MEMORY", "USAGE", key, "SAMPLES", "0"})->integer;
  }
  const double per_incident = static_cast<double>(incident_bytes) / kApps;
  std::printf(
      "[ bounds   ] Redis memory per app %.0f bytes, per resolved incident %.0f bytes (%d); "
      "largest flip %zu bytes of fields, largest event %zu\n",
      per_app, per_incident, kApps, longest_flip, longest_event);
  EXPECT_LE(per_app, testing::kAppBytes);
  EXPECT_LE(per_incident, testing::kIncidentBytes);
  // A flip carries the first 256 bytes of first_error: far below the bound
  // of an event, and below the event that opened it.
  EXPECT_LE(static_cast<int64_t>(longest_event), testing::kWorstEventBytes);
  EXPECT_LE(longest_flip, 2048u);
  EXPECT_LT(longest_flip, longest_event);
}

// A hit of an app that is up with nothing running changes nothing in its
// monitor: the call writes only when the app was last heard from (its
// monitor, written with a trailing space here, is never rewritten).
TEST_F(MonitorTest, AHitOfAnAppThatIsUpWritesOnlyWhenItWasLastHeardFrom) {
  IssuedCredential web = Create("hits", "web");
  ASSERT_EQ(Hit(web.token).kind, Kind::kAccepted);
  const std::string tag(TokenRoutingTag(web.token));
  const std::string apps = keys_.Apps(tag);
  const std::string seen = keys_.AppsSeen(tag);
  const std::string stored = redis_.Command(apps, {"HGET", apps, "web"})->str + " ";
  ASSERT_TRUE(redis_.Command(apps, {"HSET", apps, "web", stored}).ok());
  RecordOutcome last;
  for (int i = 0; i < 3; ++i) last = Hit(web.token);
  EXPECT_EQ(redis_.Command(apps, {"HGET", apps, "web"})->str, stored);
  EXPECT_EQ(redis_.Command(seen, {"HGET", seen, "web"})->str, std::to_string(MsOf(last.event_id)));
  EXPECT_EQ(App("web").last_event_at, MsOf(last.event_id));
  EXPECT_EQ(App("web").state, "up");
  // A failure has state to change: the monitor is written, the app marked.
  const RecordOutcome failed = Fail(web.token);
  EXPECT_NE(redis_.Command(apps, {"HGET", apps, "web"})->str, stored);
  EXPECT_EQ(redis_.Command(seen, {"HGET", seen, "web"})->str,
            std::to_string(MsOf(failed.event_id)) + "+");
  EXPECT_EQ(App("web").last_event_at, MsOf(failed.event_id));
  EXPECT_EQ(App("web").state, "down");
}

// An event that fails after it changed the monitor (here a corrupt
// last_deploy, read as it opens an incident) leaves the monitor as it found
// it for the call's next events, as a call of its own would.
TEST_F(MonitorTest, AnEventThatFailsLeavesTheMonitorAsItFoundItForTheNextEvents) {
  IssuedCredential web = Create("hits", "web");
  IssuedCredential deploy = Create("deploy", "web");
  const std::string tag(TokenRoutingTag(web.token));
  const std::string apps = keys_.Apps(tag);
  ASSERT_TRUE(redis_
                  .Command(apps, {"HSET", apps, "web",
                                  R"({"state":"up","since":1,"first_event_at":1,)"
                                  R"("last_deploy":{"id":"d-0","version":"0","at":"x"}})"})
                  .ok());
  std::vector<RecordRequest> requests = {
      testing::RequestFor(web.token, EventType::kFailure, R"({"error":"boom"})"),
      testing::RequestFor(deploy.token, EventType::kDeploy,
                          R"({"version":"1.0","deploy_id":"d-1"})")};
  std::vector<const RecordRequest*> batch;
  for (const auto& r : requests) batch.push_back(&r);
  auto outcomes = events_.RecordBatch(*client_, batch);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_FALSE(outcomes[0].ok());
  ASSERT_TRUE(outcomes[1].ok() && outcomes[1]->kind == Kind::kAccepted);
  const AppMonitor m = App("web");
  EXPECT_EQ(m.fail_streak, 0);
  EXPECT_FALSE(m.fail_streak_at.has_value());
  EXPECT_EQ(m.state, "up");
  ASSERT_TRUE(m.last_deploy.has_value());
  EXPECT_EQ(m.last_deploy->id, "d-1");
  EXPECT_TRUE(Incidents().empty());
}

// 64 mixed events in one call give what they give one by one, and what the
// reference (support/monitor_model.h) gives.
TEST_F(MonitorTest, ABatchOf64GivesWhatTheEventsGiveOneByOne) {
  IssuedCredential web = Web();
  testing::MonitorModel model;
  std::vector<RecordRequest> requests;
  uint32_t seed = 7;
  for (int i = 0; i < 64; ++i) {
    seed = seed * 1103515245u + 12345u;
    const bool failure = (seed >> 16) % 2 == 0;
    const int count = (seed >> 20) % 5 == 0 ? 2 : 1;
    model.Apply(failure, count);
    requests.push_back(testing::RequestFor(web.token,
                                           failure ? EventType::kFailure : EventType::kHit,
                                           R"({"count":)" + std::to_string(count) + "}"));
  }
  ASSERT_GT(model.opened, 2);
  std::vector<const RecordRequest*> batch;
  for (const auto& r : requests) batch.push_back(&r);
  auto outcomes = events_.RecordBatch(*client_, batch);
  for (const auto& o : outcomes) ASSERT_TRUE(o.ok() && o->kind == Kind::kAccepted);
  EXPECT_EQ(StreamTypes(web.token), model.stream);
  const std::vector<Incident> batched = Incidents();
  EXPECT_EQ(batched.size(), static_cast<std::size_t>(model.opened));
  EXPECT_EQ(App("web").state, model.open ? "down" : "up");

  // The same events one by one, for another org.
  auto other = CredentialService(creds_, "tester").Create({"other", "hits", "w", "web", 0});
  ASSERT_TRUE(other.ok());
  MonitorChange change;
  change.failures_to_open = 3;
  change.hits_to_close = 2;
  ASSERT_TRUE(monitors_.SetMonitor(*client_, "other", "web", change, "tester").ok());
  for (const auto& r : requests) {
    RecordRequest one = r;
    one.token_hash = TokenHash(other->token);
    one.routing_tag = std::string(TokenRoutingTag(other->token));
    auto outcome = events_.Record(*client_, one);
    ASSERT_TRUE(outcome.ok() && outcome->kind == Kind::kAccepted);
  }
  EXPECT_EQ(StreamTypes(other->token), model.stream);
  IncidentQuery q;
  q.org = "other";
  auto single = monitors_.Incidents(*client_, q);
  ASSERT_TRUE(single.ok());
  // (failures, resolved) of each, in order of failures: the batch's
  // incidents share one opened_at, so their order by it is a tie.
  auto shape = [](const std::vector<Incident>& list) {
    std::vector<std::pair<int64_t, bool>> out;
    for (const Incident& i : list) out.emplace_back(i.failures, i.resolved_at.has_value());
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(shape(*single), shape(batched));
}

}  // namespace
}  // namespace onep
