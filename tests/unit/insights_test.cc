// SPDX-License-Identifier: Apache-2.0
// ComputeInsights on fixed timelines: every figure against a value computed
// by hand (the comments show the arithmetic).
#include "onep/insights.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace onep {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t T0 = 1800000000000;  // 2027-01-15T08:00:00Z

Incident IncidentAt(int64_t opened, std::optional<int64_t> resolved) {
  Incident i;
  i.id = "in_" + std::to_string(opened) + "-0";
  i.app = "api";
  i.opened_at = opened;
  i.resolved_at = resolved;
  return i;
}

DeployReport Report(const std::string& deploy_id, const std::string& status, int64_t at,
                    std::optional<int64_t> committed_at = std::nullopt) {
  DeployReport r;
  r.event_id = std::to_string(at) + "-0";
  r.app = "api";
  r.deploy_id = deploy_id;
  r.status = status;
  r.version = "1";
  r.at = at;
  r.committed_at = committed_at;
  return r;
}

InsightsInput Window(int64_t since, int64_t until) {
  InsightsInput in;
  in.app = "api";
  in.since_ms = since;
  in.until_ms = until;
  in.first_event_at = since - kHour;
  return in;
}

// A 10-hour window [T0, T0+10h] with three incidents and four deploys.
TEST(InsightsTest, EveryFigureOfAFixedTimeline) {
  InsightsInput in = Window(T0, T0 + 10 * kHour);
  in.incidents = {
      // Opened before the window, resolved in it: 30m of downtime in W; a
      // 60m incident for MTTR; not opened in W.
      IncidentAt(T0 - 30 * kMinute, T0 + 30 * kMinute),
      // 10m, all in W.
      IncidentAt(T0 + 2 * kHour, T0 + 2 * kHour + 10 * kMinute),
      // Still open: the last hour of W.
      IncidentAt(T0 + 9 * kHour, std::nullopt),
  };
  in.hits = 90;
  in.failures = 10;
  in.deploys = {
      // Before the window: not counted.
      Report("d0", "succeeded", T0 - 10 * kMinute, T0 - kHour),
      // d1: started then succeeded at 1h05 (its time), committed at 0h20;
      // the incident at 2h opens 55m later: a failed change, recovered when
      // it resolved at 2h10 (before d3 succeeded at 4h): 65m.
      Report("d1", "started", T0 + kHour),
      Report("d1", "succeeded", T0 + kHour + 5 * kMinute, T0 + 20 * kMinute),
      // d2: failed at 3h, committed at 2h30; recovered by d3 at 4h: 60m.
      Report("d2", "failed", T0 + 3 * kHour, T0 + 2 * kHour + 30 * kMinute),
      // d3: no deploy_id, succeeded at 4h, committed at 3h50; the incident
      // at 9h is 5h later, outside the change window: not a failed change.
      Report("", "succeeded", T0 + 4 * kHour, T0 + 3 * kHour + 50 * kMinute),
      // d4: succeeded at 8h30; the incident at 9h, 30m later: a failed
      // change, not recovered yet (no succeeded deploy after it, still
      // open): left out of the recovery time.
      Report("d4", "succeeded", T0 + 8 * kHour + 30 * kMinute),
  };
  const Insights out = ComputeInsights(in);
  EXPECT_EQ(out.app, "api");
  ASSERT_TRUE(out.since_ms.has_value());
  EXPECT_EQ(*out.since_ms, T0);
  EXPECT_EQ(out.until_ms, T0 + 10 * kHour);
  // 30m + 10m + 60m = 100m = 6,000,000 ms of 36,000,000.
  EXPECT_EQ(out.downtime_ms, 6000000);
  ASSERT_TRUE(out.uptime.has_value());
  EXPECT_DOUBLE_EQ(*out.uptime, 1.0 - 6000000.0 / 36000000.0);
  EXPECT_EQ(out.incidents, 2);
  // (60m + 10m) / 2 = 35m.
  EXPECT_EQ(out.mttr_ms, std::optional<int64_t>(35 * kMinute));
  // (600m - 100m) / 2 = 250m.
  EXPECT_EQ(out.mtbf_ms, std::optional<int64_t>(250 * kMinute));
  EXPECT_EQ(out.hits, 90);
  EXPECT_EQ(out.failures, 10);
  EXPECT_DOUBLE_EQ(*out.failure_rate, 0.1);
  EXPECT_EQ(out.deploys, 4);
  // 4 deploys in 10/24 of a day.
  EXPECT_DOUBLE_EQ(out.deploys_per_day, 9.6);
  // d1, d2, d4 of 4.
  EXPECT_DOUBLE_EQ(*out.change_failure_rate, 0.75);
  // median(65m, 60m) = 62m30s.
  EXPECT_EQ(out.recovery_time_ms, std::optional<int64_t>(62 * kMinute + 30 * kSecond));
  // median(45m, 30m, 10m) = 30m.
  EXPECT_EQ(out.lead_time_ms, std::optional<int64_t>(30 * kMinute));
}

TEST(InsightsTest, AnAppWithoutEventsHasNoWindowAndNothingCounted) {
  InsightsInput in = Window(T0, T0 + kDay);
  in.first_event_at.reset();
  const Insights out = ComputeInsights(in);
  EXPECT_FALSE(out.since_ms.has_value());
  EXPECT_EQ(out.until_ms, T0 + kDay);
  EXPECT_FALSE(out.uptime.has_value());
  EXPECT_EQ(out.downtime_ms, 0);
  EXPECT_EQ(out.incidents, 0);
  EXPECT_FALSE(out.mttr_ms.has_value());
  EXPECT_FALSE(out.mtbf_ms.has_value());
  EXPECT_FALSE(out.failure_rate.has_value());
  EXPECT_EQ(out.deploys, 0);
  EXPECT_EQ(out.deploys_per_day, 0.0);
  EXPECT_FALSE(out.change_failure_rate.has_value());
  EXPECT_FALSE(out.recovery_time_ms.has_value());
  EXPECT_FALSE(out.lead_time_ms.has_value());
}

// The window starts at the app's first event: 8 of the 10 hours count.
TEST(InsightsTest, TheWindowStartsAtTheFirstEvent) {
  InsightsInput in = Window(T0, T0 + 10 * kHour);
  in.first_event_at = T0 + 2 * kHour;
  in.incidents = {IncidentAt(T0 + 6 * kHour, T0 + 6 * kHour + 48 * kMinute)};
  in.deploys = {Report("a", "succeeded", T0 + 3 * kHour), Report("b", "succeeded", T0 + 4 * kHour)};
  const Insights out = ComputeInsights(in);
  EXPECT_EQ(out.since_ms, std::optional<int64_t>(T0 + 2 * kHour));
  // 48m of 480m down.
  EXPECT_DOUBLE_EQ(*out.uptime, 0.9);
  EXPECT_EQ(out.downtime_ms, 48 * kMinute);
  EXPECT_EQ(out.mtbf_ms, std::optional<int64_t>(432 * kMinute));
  // 2 deploys in a third of a day.
  EXPECT_DOUBLE_EQ(out.deploys_per_day, 6.0);
  EXPECT_DOUBLE_EQ(*out.change_failure_rate, 0.0);
  EXPECT_FALSE(out.recovery_time_ms.has_value());
  EXPECT_FALSE(out.lead_time_ms.has_value());
  // No hit or failure: no rate.
  EXPECT_FALSE(out.failure_rate.has_value());
}

// An incident that opens exactly a change window after a deploy follows it;
// one a millisecond later does not.
TEST(InsightsTest, TheChangeWindowIncludesItsLastMillisecond) {
  InsightsInput in = Window(T0, T0 + 10 * kHour);
  in.change_window_ms = 30 * kMinute;
  in.deploys = {Report("in", "succeeded", T0 + kHour), Report("out", "succeeded", T0 + 5 * kHour)};
  in.incidents = {IncidentAt(T0 + kHour + 30 * kMinute, T0 + 2 * kHour),
                  IncidentAt(T0 + 5 * kHour + 30 * kMinute + 1, T0 + 6 * kHour)};
  const Insights out = ComputeInsights(in);
  EXPECT_EQ(out.deploys, 2);
  EXPECT_DOUBLE_EQ(*out.change_failure_rate, 0.5);
  // From the deploy at 1h to the resolution at 2h: the next succeeded
  // deploy (5h) comes later.
  EXPECT_EQ(out.recovery_time_ms, std::optional<int64_t>(kHour));
}

// The states of one deploy_id are one deploy, timed by its outcome; a
// rolled_back state makes it a failed change, which the next succeeded
// deploy (before any incident resolves) recovers.
TEST(InsightsTest, ADeployIdIsOneDeployTimedByItsOutcome) {
  InsightsInput in = Window(T0, T0 + 10 * kHour);
  in.deploys = {
      Report("v1", "started", T0 + kHour, T0),
      Report("v1", "succeeded", T0 + kHour + 7 * kMinute),
      Report("v1", "rolled_back", T0 + 2 * kHour),
      Report("v2", "succeeded", T0 + 3 * kHour + 1, T0 + 2 * kHour + 1),
  };
  in.incidents = {IncidentAt(T0 + kHour + 20 * kMinute, T0 + 5 * kHour)};
  const Insights out = ComputeInsights(in);
  EXPECT_EQ(out.deploys, 2);
  EXPECT_DOUBLE_EQ(*out.change_failure_rate, 0.5);
  // v1 at 1h07 (its first outcome) until v2 at 3h + 1 ms, before the
  // incident resolved at 5h.
  EXPECT_EQ(out.recovery_time_ms, std::optional<int64_t>(kHour + 53 * kMinute + 1));
  // v1: 1h07 - 0h; v2: 1h; median(67m, 60m) = 63m30s.
  EXPECT_EQ(out.lead_time_ms, std::optional<int64_t>(63 * kMinute + 30 * kSecond));
}

// A committed_at after the deploy (a skewed clock) counts as no wait; a
// median of two values rounds to the ms.
TEST(InsightsTest, LeadTimesNeverGoNegativeAndMediansRoundToTheMs) {
  InsightsInput in = Window(T0, T0 + 10 * kHour);
  in.deploys = {Report("a", "succeeded", T0 + kHour, T0 + kHour + 5 * kSecond),
                Report("b", "succeeded", T0 + 2 * kHour, T0 + 2 * kHour - 3)};
  const Insights out = ComputeInsights(in);
  // median(0, 3 ms) = 1.5 ms, rounded to 2.
  EXPECT_EQ(out.lead_time_ms, std::optional<int64_t>(2));
}

// Two incidents that overlap (which the rules never make, but data may
// hold) count once in the downtime.
TEST(InsightsTest, OverlappingIncidentsCountOnce) {
  InsightsInput in = Window(T0, T0 + 10 * kHour);
  in.incidents = {IncidentAt(T0 + kHour, T0 + 3 * kHour),
                  IncidentAt(T0 + 2 * kHour, T0 + 4 * kHour)};
  const Insights out = ComputeInsights(in);
  EXPECT_EQ(out.downtime_ms, 3 * kHour);
  EXPECT_DOUBLE_EQ(*out.uptime, 0.7);
}

}  // namespace
}  // namespace onep
