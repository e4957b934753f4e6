// SPDX-License-Identifier: Apache-2.0
// The silence sweep's scripts (onep/silence_sweep.h, docs/design.md
// "Silence"): two sweeps at once open one incident, at last event +
// expect_every, with its flip and, for an org with notification endpoints,
// its outbox entry; an org with nothing due is not looked at; an org whose
// last watched app goes leaves the index; a timed pause ends by the sweep,
// audited as onep.
//
// On a single Redis, and on a Redis Cluster when run with
// ONEP_TEST_REDIS=cluster.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "onep/credential.h"
#include "onep/credential_service.h"
#include "onep/event_store.h"
#include "onep/monitor_store.h"
#include "onep/redis_credential_store.h"
#include "onep/routing.h"
#include "onep/silence_sweep.h"
#include "onep/stream_id.h"
#include "support/record_request.h"
#include "support/test_redis.h"

namespace onep {
namespace {

class SilenceSweepTest : public ::testing::Test {
 protected:
  SilenceSweepTest()
      : client_(redis_.Client()),
        keys_("onep:"),
        creds_(*client_, keys_),
        events_(keys_),
        monitors_(keys_),
        sweep_(keys_, EventRetention()) {}

  // A hits credential of acme bound to `app`, and the app's first hit;
  // returns the hit's time (Redis' clock, Unix ms).
  int64_t HitOf(const std::string& app) {
    auto issued = CredentialService(creds_, "tester").Create({"acme", "hits", "c " + app, app, 0});
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    if (!issued.ok()) return 0;
    auto outcome =
        events_.Record(*client_, testing::RequestFor(issued->token, EventType::kHit, "{}", ""));
    EXPECT_TRUE(outcome.ok() && !outcome->event_id.empty());
    if (!outcome.ok()) return 0;
    // When it was heard from: the script's clock (its `now`), which the
    // event's id, taken by XADD a moment later, can pass by a millisecond.
    auto seen = redis_.Command(keys_.AppsSeen(Tag()), {"HGET", keys_.AppsSeen(Tag()), app});
    EXPECT_TRUE(seen.ok() && !seen->str.empty());
    return seen.ok() ? std::stoll(seen->str) : 0;  // stoll stops at a trailing '+'
  }

  void Set(const std::string& app, const MonitorChange& change) {
    auto set = monitors_.SetMonitor(*client_, "acme", app, change, "tester");
    ASSERT_TRUE(set.ok()) << set.status().ToString();
  }

  MonitorChange Every(int64_t every_ms, int64_t grace_ms) {
    MonitorChange change;
    change.expect_every_ms = every_ms;
    change.grace_ms = grace_ms;
    return change;
  }

  int64_t Now() {
    auto time = redis_.Command("{x}", {"TIME"});
    EXPECT_TRUE(time.ok());
    return std::stoll(time->elements[0].str) * 1000 + std::stoll(time->elements[1].str) / 1000;
  }

  // Bounded: 10 s of this host's clock.
  void WaitPast(int64_t ms) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      if (Now() > ms) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL() << "Redis' clock did not pass " << ms;
  }

  std::string Tag() {
    auto tag = OrgRoutingTag(*client_, keys_, "acme");
    return tag.ok() && tag->has_value() ? **tag : "";
  }

  std::vector<Incident> Incidents() {
    IncidentQuery q;
    q.org = "acme";
    auto list = monitors_.Incidents(*client_, q);
    EXPECT_TRUE(list.ok());
    return list.ok() ? *list : std::vector<Incident>{};
  }

  testing::TestRedis redis_;
  std::unique_ptr<RedisClient> client_;
  KeySpace keys_;
  RedisCredentialStore creds_;
  EventStore events_;
  MonitorStore monitors_;
  SilenceSweep sweep_;
};

TEST_F(SilenceSweepTest, TwoSweepsAtOnceOpenOneIncident) {
  const int64_t last = HitOf("web");
  Set("web", Every(1000, 1000));
  // The org has a notification endpoint: the flip goes to its outbox too.
  ASSERT_TRUE(
      redis_.Command(keys_.Notify(Tag()), {"HSET", keys_.Notify(Tag()), "ne_x", "{}"}).ok());
  WaitPast(last + 2000);
  ASSERT_FALSE(HasFatalFailure());
  constexpr int kSweeps = 4;
  std::vector<int64_t> opened(kSweeps, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSweeps; ++i) {
    threads.emplace_back([&, i] {
      auto client = redis_.Client();
      auto report = sweep_.Run(*client);
      if (report.ok()) opened[i] = report->opened;
    });
  }
  for (auto& t : threads) t.join();
  int64_t total = 0;
  for (int64_t n : opened) {
    EXPECT_GE(n, 0);
    total += n;
  }
  EXPECT_EQ(total, 1);
  std::vector<Incident> incidents = Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].cause, "silence");
  EXPECT_EQ(incidents[0].org, "acme");
  EXPECT_EQ(incidents[0].opened_at, last + 1000);
  EXPECT_GE(incidents[0].detected_at, last + 2000);
  EXPECT_EQ(incidents[0].failures, 0);
  EventQuery query;
  query.org = "acme";
  auto events = events_.List(*client_, query);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().type, "incident_opened");
  EXPECT_EQ("in_" + events->back().id, incidents[0].id);
  auto outbox = redis_.Command(keys_.Outbox(Tag()), {"XRANGE", keys_.Outbox(Tag()), "-", "+"});
  ASSERT_TRUE(outbox.ok());
  ASSERT_EQ(outbox->elements.size(), 1u);
  const Reply& fields = outbox->elements[0].elements[1];
  ASSERT_EQ(fields.elements.size(), 10u);
  EXPECT_EQ(fields.elements[0].str, "type");
  EXPECT_EQ(fields.elements[1].str, "incident_opened");
  EXPECT_EQ(fields.elements[3].str, "acme");
  EXPECT_EQ(fields.elements[5].str, "web");
  EXPECT_EQ(fields.elements[6].str, "incident");
  EXPECT_NE(fields.elements[7].str.find(incidents[0].id), std::string::npos);
  AppMonitor app = *monitors_.App(*client_, "acme", "web");
  EXPECT_EQ(app.state, "down");
  EXPECT_EQ(app.open_incident, incidents[0].id);
  // Looked at again once expect_every has passed: still down, nothing new.
  WaitPast(incidents[0].detected_at + 1000);
  ASSERT_FALSE(HasFatalFailure());
  auto again = sweep_.Run(*client_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->orgs, 1u);
  EXPECT_EQ(again->opened, 0);
  EXPECT_EQ(Incidents().size(), 1u);
}

TEST_F(SilenceSweepTest, AnAppHeardFromInTimeIsLookedAtAgainLaterNotOpened) {
  const int64_t last = HitOf("web");
  Set("web", Every(60000, 60000));
  auto first = sweep_.Run(*client_);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->orgs, 1u);
  EXPECT_EQ(first->opened, 0);
  // Its next look is when its silence would be due; before, no org is due.
  auto score = redis_.Command(keys_.Sweep(Tag()), {"ZSCORE", keys_.Sweep(Tag()), "web"});
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(std::stoll(score->str), last + 120000);
  auto second = sweep_.Run(*client_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->orgs, 0u);
  EXPECT_TRUE(Incidents().empty());
  EXPECT_EQ(monitors_.App(*client_, "acme", "web")->state, "up");
}

TEST_F(SilenceSweepTest, AnOrgWithNothingLeftToWatchLeavesTheIndex) {
  HitOf("web");
  Set("web", Every(1000, 1000));
  Set("web", Every(0, 1000));
  auto report = sweep_.Run(*client_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->orgs, 1u);
  auto left = redis_.Command(keys_.SweepOrgs(), {"ZCARD", keys_.SweepOrgs()});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->integer, 0);
}

TEST_F(SilenceSweepTest, ATimedPauseIsEndedByTheSweepAndAudited) {
  HitOf("web");
  MonitorChange pause;
  pause.paused = true;
  pause.pause_for_ms = 1000;
  Set("web", pause);
  AppMonitor app = *monitors_.App(*client_, "acme", "web");
  EXPECT_EQ(app.state, "paused");
  ASSERT_TRUE(app.settings.paused_until.has_value());
  WaitPast(*app.settings.paused_until);
  ASSERT_FALSE(HasFatalFailure());
  // Read as not paused at once, by Redis' clock.
  app = *monitors_.App(*client_, "acme", "web");
  EXPECT_FALSE(app.settings.paused);
  EXPECT_EQ(app.state, "up");
  auto report = sweep_.Run(*client_);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->resumed, 1);
  auto audit =
      redis_.Command(keys_.Audit(Tag()), {"XREVRANGE", keys_.Audit(Tag()), "+", "-", "COUNT", "1"});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->elements.size(), 1u);
  std::vector<std::string> fields;
  for (const Reply& f : audit->elements[0].elements[1].elements) fields.push_back(f.str);
  const std::vector<std::string> expected_tail = {"action", "monitor", "app", "web",   "actor",
                                                  "onep",   "changes", "{}",  "pause", "0"};
  ASSERT_GE(fields.size(), expected_tail.size() + 2);
  EXPECT_EQ(std::vector<std::string>(fields.begin() + 2, fields.begin() + 12), expected_tail);
  // Written once: the next sweep has nothing to resume.
  auto again = sweep_.Run(*client_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->resumed, 0);
}

}  // namespace
}  // namespace onep
